"""Sentence splitting and the meaning around a figure or a statement (语境).

Decides for a span of a sentence whether it states something achieved, a plan target, a
previous-year figure, a figure of another entity, a denial, or a reference value — the
difference between 「共建实训基地23个」 and 「到2026年共建实训基地30个」.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

_SENT_END = re.compile(r"(?<=[。！？；;!?])|\n")
_CLAUSE_SEP = re.compile(r"[，：:、]|,(?!\d{3})|(?<=[^\d])\.(?=\D)")


def split_sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) pairs; sentences end at 。！？； or a line break."""
    out = []
    pos = 0
    for part in _SENT_END.split(text):
        if part is None:
            continue
        if part.strip():
            lead = len(part) - len(part.lstrip())
            out.append((pos + lead, part.strip()))
        pos += len(part)
    # _SENT_END.split on lookbehind keeps offsets contiguous; fix newline removal
    return _reoffset(text, out)


def _reoffset(text: str, parts: list[tuple[int, str]]) -> list[tuple[int, str]]:
    out, cursor = [], 0
    for _, s in parts:
        i = text.find(s, cursor)
        if i < 0:
            i = cursor
        out.append((i, s))
        cursor = i + len(s)
    return out


_PREDICATE_SEP = re.compile(r"[，：:]|,(?!\d{3})")
PREDICATE_SEP = _PREDICATE_SEP       # clauses that keep an enumeration 「A、B和C」 together


def clause_bounds(sentence: str, pos: int, seps: re.Pattern = _CLAUSE_SEP) -> tuple[int, int]:
    """Start/end of the clause (between commas) around ``pos``."""
    start = 0
    for m in seps.finditer(sentence):
        if m.end() <= pos:
            start = m.end()
        elif m.start() >= pos:
            return start, m.start()
    return start, len(sentence)


# Plan / target language: the figure is not achieved (yet).
TARGET = re.compile(
    r"计划|拟|预计|预期|力争|争取|目标|有望|另行(?:制定|出台|研究)|适时|将(?:进一步)?(?:达到|实现|建成|新增|超过|建设|完成|打造|开展|建立|出台|制定|培养|完善|健全|修订|优化|推进|探索|研究)|"
    r"20\d\d\s*年(?:底|末)?前|届时|预算|拟于|下一步|明年|下一年度|今后|未来三年|三年内|"
    r"不少于|不低于|以上为目标|确保")
# Completion language: the statement is an achieved fact even if a target word is near.
ACHIEVED = re.compile(r"已|了(?![解])|实际|完成|建成|达到(?!.*目标)|累计|共计|合计|获批|入选|实现了|取得|新增|现有")
NEGATION = re.compile(
    r"尚未|暂未|暂无|尚无|仍未|并未|未能|未(?!来|成年|知)(?=[\u4e00-\u9fff])|没有|还没|并非|无(?=[\u4e00-\u9fff]{0,4}(?:机制|制度|文件|方案|细则|政策|规则|会议))|"
    r"不(?:具备|是|属于|允许|完备|健全|足)|缺乏|缺少|待(?:出台|建立|制定|完善|落实)|[仍正尚还]在(?:征求|起草|研究|制定|酝酿|推进|论证|筹建|筹备|谋划|修改)|(?:推进|进行|筹建|研究|起草)中(?![心国])|"
    r"否(?![则决])|(?<!不)(?:低于|慢于|落后于|不及)(?=[^，。；]{0,12}平均)")
DOUBLE_NEG = re.compile(r"未发生|无.{0,6}(?:事件|问题|行为|情况)|不存在|没有发生|未出现|未发现")


# What kind of sentence it is, before any keyword: a question (「是否……」), a requirement
# quoted from the standard or a policy (「须不低于」「按照建设标准」), a wish (「鼓励…申报」), a
# hypothetical (「如发生…」). None of them states that something was done.
QUESTION = re.compile(r"是否|有无|能否|是不是")
ANSWERED_QUESTION = re.compile(r"[：:]\s*(?:是|否|已|未|有|无)(?:[，。；\s]|$)")
REQUIREMENT = re.compile(
    r"必须|须(?!知)|应当|(?<![供响适对相反效回呼感理])应(?=[^，。；]{0,4}(?:达到|不低于|不少于|高于|建立|出台|落实|设立|安排|纳入|覆盖|满足|具备|制定|成立))|"
    r"不得|原则上|建设标准|标准(?:规定|要求)|(?:按照|根据|对照|依据)[^，。；]{0,16}(?:标准|要求|规定)|"
    # an exhortation, as in a speech: 「（各成员单位）要建立…」 at the head of a clause
    r"(?:^|[，；;：:])\s*(?:各[^，。；：]{0,8}?|全体[^，。；：]{0,6}?|我们|大家|联合体)?要(?![求点素闻事害是么])(?=[\u4e00-\u9fff])")
WISH = re.compile(r"鼓励|引导|倡导|探索|争创|积极申报|希望|期待|有待|支持(?=[^，。；]{0,10}(?:申报|创建|争创|参与|认定))|"
                  r"推动(?=[^，。；]{0,8}(?:申报|创建|争创|认定))")
TOPIC = re.compile(r"(?:围绕|就|针对|聚焦|关于)[^，。；]{0,6}$")
HYPOTHETICAL = re.compile(r"(?:若|如果|假如|倘若|一旦|如)(?:发生|出现|存在|有|未能|不能|未按)")
_TITLE = re.compile(r"《[^《》]{0,80}》|“[^“”]{0,40}”")


def mask_titles(text: str) -> str:
    """Titles 《…》 and short quotations “…” replaced by ＊ of the same length: words inside a
    document's title (《…若干措施》《…是否…》) say nothing about the sentence's own meaning."""
    return _TITLE.sub(lambda m: m.group(0)[0] + "＊" * (len(m.group(0)) - 2) + m.group(0)[-1], text)


# 「入选全省典型案例」「获评全国先进」「居全省第3位」: the scope word qualifies a list, an award or a
# ranking the subject entered, it does not make the province the subject of the figure
_SCOPE_QUALIFIER = re.compile(r"(?<=入选|获评|评为|列为|列入|荣获|获得|认定|跻身|位居|位列|纳入)(?:为)?(全国|全省|省内|全市|全区)|"
                              r"(?<=[获居])(全国|全省|省内|全市|全区)")


def mask_scope_qualifiers(text: str) -> str:
    """Scope words after a selection or ranking verb replaced by ＃ of the same length."""
    return _SCOPE_QUALIFIER.sub(lambda m: "＃" * len(m.group(0)), text)


def sentence_kind(sentence: str) -> str:
    """``question`` | ``requirement`` | ``hypothetical`` | ``statement`` for a whole sentence."""
    s = mask_titles(sentence)
    if QUESTION.search(s) and not ANSWERED_QUESTION.search(s):
        return "question"
    if REQUIREMENT.search(s) and not re.search(r"已|实际|完成|累计|建成|落实了|达到了", s):
        return "requirement"
    if HYPOTHETICAL.search(s):
        return "hypothetical"
    return "statement"


@dataclass
class Modality:
    target: bool = False
    previous: bool = False
    other: bool = False
    delta: bool = False
    negated: bool = False
    wish: bool = False

    @property
    def achieved(self) -> bool:
        return not (self.target or self.previous or self.other or self.delta or self.wish)


_DEADLINE = re.compile(r"(截至|截止)?(到|至)\s*(20\d\d)\s*年")


def deadline(text: str, report_year: int) -> bool:
    """A 「到/至 YYYY 年」 deadline that makes a figure a target. Relative to the report year:
    a later year always; the report year itself for 「到」 (「到2024年底建成…」 is plan
    wording) and for a bare 「至」; never 「截至/截止 YYYY 年」 up to the report year (a status
    date) nor the end of a past span (「2022年至2024年累计投入」) or a past year. Without a
    known report year every such deadline counts, as before."""
    for m in _DEADLINE.finditer(text):
        y = int(m.group(3))
        if not report_year or y > report_year:
            return True
        if y < report_year or m.group(1):
            continue
        span = re.search(r"20\d\d\s*年?\s*$", text[max(0, m.start() - 8):m.start()])
        if m.group(2) == "到" or not span:
            return True
    return False


def future_year(text: str, report_year: int) -> bool:
    """Mentions a year after the report year as a deadline (「2025年建立…」 in a 2024 report)."""
    for m in re.finditer(r"(20\d\d)\s*年", text):
        y = int(m.group(1))
        tail = text[m.end():m.end() + 2]
        if y > report_year and not tail.startswith("度工"):
            # a range 2024—2026年 describing a plan period is also a target context
            return True
    return False


def number_modality(sentence: str, start: int, end: int, report_year: int, share_ok: bool = False,
                    keyword_at: Optional[int] = None) -> Modality:
    """Meaning of the figure at sentence[start:end].

    ``share_ok``: a ratio introduced by 「其中」 is still the point's own figure (「其中用于技能
    人才培训的比例为65%」), whereas a count after 「其中」 is a part of a total — unless the
    point's keyword (at ``keyword_at``) names that part in the same clause: in 「开发课程38门，其中
    2门入选国家级课程」 the 2 is the count of 入选国家级课程.
    """
    c0, c1 = clause_bounds(sentence, start)
    clause = sentence[c0:c1]
    before = sentence[max(c0, start - 12):start]
    after = sentence[end:min(c1, end + 8)]
    m = Modality()
    sentence = mask_titles(sentence)
    prev = f"{report_year - 1}\\s*年" if report_year else "(?!)"
    # previous-year figure: 「由上年的17个增加到23个」「较上年的274名」「上年为…」
    if re.search(r"(?:由|从)[^，。；]{0,10}$", before) and re.match(r"\s*(?:的)?[^，。；]{0,3}(?:增加|增长|提高|提升|上升|下降|减少|扩大)?(?:到|至|为)", after):
        m.previous = True
    if re.search(rf"(?:上年|去年|上一年|上年度|{prev}|基期|基准年)(?:度)?(?:的|为|同期|末)?[^，。；\d]{{0,4}}$", before):
        m.previous = True
    if re.search(rf"(?:较|比)(?:上年|去年|上一年|上年度|{prev})[^，。；]{{0,3}}$", before):
        m.previous = True
    for y in re.finditer(r"(20\d\d)\s*年(?!度)", before):
        if int(y.group(1)) < report_year:
            m.previous = True
    # the figure's clause is about last year: 「上年度技术服务到款额为768万元」 (not 「较上年增长…」)
    lead = sentence[c0:start]
    if re.search(rf"(?:上年|去年|上一年|{prev})(?:度)?(?:同期|末|底)?", lead) and \
            not re.search(r"较|比|同比|相比|增长|增加|提高|提升|本年|今年|当年", lead):
        m.previous = True
    # a year heading the whole sentence (「2023年，联合体共建…」) dates every figure in it
    head = re.match(r"\s*(?:在|截至|截止)?(20\d\d)\s*年(?:度)?(?:[上下]半年|底|末|初|内|全年|以来)?[，,：:]", sentence)
    if head and report_year and not re.search(r"20\d\d\s*年", sentence[head.end():start]):
        y = int(head.group(1))
        if y < report_year:
            m.previous = True
        elif y > report_year:
            m.target = True
    # a change, not a level: 「增长12%」「增加3个」「提高2个百分点」
    if re.search(r"(?:增长|增加|提高|提升|上升|下降|减少|增幅|增速)(?:了)?(?:约|近|超过)?\s*$", before) or after.startswith("个百分点"):
        m.delta = True
    # other entities' figures and reference values
    scoped = mask_scope_qualifiers(sentence)
    if re.search(r"全省|全国|省内|国家规定|规定的|标准的|要求的|全区|行业平均|平均水平", scoped[max(c0, start - 12):start]) or \
            re.search(r"全国|全省|省内|全行业", scoped[c0:start]) or \
            re.search(r"(?:国家级|省级|同类|同行业|行业|全市|[\u4e00-\u9fff]{2,3}[省市])[^，。；]{0,10}平均", scoped[c0:start]) or \
            re.search(r"下限|上限|的标准|的要求", after) or \
            re.search(r"[≥≤＞＜>]\s*$|(?:标准|要求|门槛)\s*[：:为是]\s*[^，。；]{0,10}$", before):
        # a threshold quoted with its sign or as the standard (「近三年累计≥100万元」「标准：不少于2.5%」)
        m.other = True
    # the keyword defines the part: 「其中2门入选国家级课程」, 「其中入选国家级课程2门」 — not
    # 「其中牵头企业接收订单班学生320人」, where the part is another subject's
    own_part = keyword_at is not None and c0 <= keyword_at < c1 and (
        re.search(r"其中[^，。；]{0,3}$", sentence[c0:start]) and start < keyword_at or
        re.search(r"其中(?:有|共有|共|入选|获评|获得|获批|被评为|认定为|列入|纳入)?\s*$", sentence[c0:keyword_at]) is not None)
    if (not share_ok and not own_part and (re.match(r"\s*其中", clause) or re.search(r"其中[^，。；]{0,20}$", before))) or re.search(r"总数为|在校生总|全校在校生|总人数|总量为|在校生规模", before):
        m.other = True
    # targets
    if (TARGET.search(clause) or deadline(clause, report_year)) and not re.search(r"实际|已|超额", clause):
        m.target = True
    # a target announced earlier in the sentence: 「到2026年，共建实训基地达到30个」
    lead_in = sentence[:c0]
    if (re.search(r"计划|力争|争取|预计|拟|目标|下一步|今后|明年|下一年度|接下来", lead_in) or
            any((d.group(2) == "到" or int(d.group(3)) > (report_year or 0)) and deadline(d.group(0), report_year)
                for d in _DEADLINE.finditer(lead_in))) and not re.search(r"实际|已|超额|当年|本年", clause):
        m.target = True
    if future_year(clause, report_year) and not re.search(r"已|实际|完成", clause):
        m.target = True
    return m


_PLAN_LEAD = re.compile(r"计划|力争|争取|预计|拟|目标|下一步|今后|明年|下一年度|接下来|未来")


def statement_modality(sentence: str, start: int, end: int, report_year: int) -> Modality:
    """Meaning of a statement (yes/no or text point) whose keyword is at sentence[start:end]."""
    sentence = mask_titles(sentence)
    # an enumeration 「A、B和C尚未建立」 shares one predicate: do not split on 、
    c0, c1 = clause_bounds(sentence, start, _PREDICATE_SEP)
    # a negation may sit in the neighbouring clause: 「…的实施细则暂未出台」
    clause = sentence[c0:c1]
    m = Modality()
    scope = clause
    if not NEGATION.search(scope) and not ACHIEVED.search(clause):
        # keyword in a subject clause, predicate in the next: 「…的实施细则，目前尚未出台」 — but
        # not across a contrast (「已纳入A，但仍未纳入B」 speaks of B in its second clause)
        n0, n1 = clause_bounds(sentence, min(len(sentence), c1 + 1), _PREDICATE_SEP)
        nxt = sentence[n0:n1] if c1 < len(sentence) else ""
        neg_next = NEGATION.search(nxt) if nxt else None
        if neg_next and neg_next.start() < 8 and not re.match(r"\s*(?:但|而|却|不过|同时|另)", nxt):
            scope = clause + "，" + nxt
    # the keyword itself may contain 「目标」「规划」 (目标考核体系, 发展规划): judge the rest
    clause = clause.replace(sentence[start:end], "＃")
    neg = NEGATION.search(scope)
    if neg and not DOUBLE_NEG.search(scope):
        m.negated = True
    if (TARGET.search(clause) or deadline(clause, report_year) or future_year(clause, report_year)) \
            and not ACHIEVED.search(clause):
        m.target = True
    # a plan announced at the head of the sentence scopes over its clauses: 「下一步，联合体将深入
    # 实施现代产业学院建设、实践中心建设……」
    if _PLAN_LEAD.search(sentence[:c0]) and not re.search(r"实际|已|超额|当年|本年", clause):
        m.target = True
    # 「鼓励成员企业申报专精特新」: a wish about the keyword, in its own clause before it;
    # 「围绕专业动态调整机制开展调研」: the keyword is a topic, not a status
    if WISH.search(sentence[c0:start]) or TOPIC.search(sentence[c0:start]):
        m.wish = True
    if m.negated and re.search(r"计划|拟|将于|年内", clause):
        # 「尚未出台，计划明年出台」: the fact is the denial
        m.target = False
    return m
