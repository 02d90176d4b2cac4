"""The extract stage: documents -> a finding for every observation point (证据提取).

1. Candidates: every table row mapped to a point (by code, keyword or name) and every
   sentence hit (keyword + the figure assigned to it), each with its meaning (achieved,
   target, previous year, other entity, denial) and provenance (file, page, locator, snippet).
2. Aggregation per point across documents: the same value twice is confirmation, different
   achieved values are a conflict, only targets make a ``partial``; thresholds evaluated.
3. Consortium identity (with the official rosters) and the negative list.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Optional

from consortium_review.catalogue import Catalogue, ObservationPoint
from consortium_review.models import Block, ConsortiumInfo, Document, Evidence, NegativeResult, PointResult
from consortium_review.settings import EXTRACT, ExtractSettings
from consortium_review.extractors.context import (NEGATION, PREDICATE_SEP, Modality, clause_bounds, mask_scope_qualifiers, mask_titles,
                                                  number_modality, sentence_kind,
                                                  split_sentences, statement_modality)
from consortium_review.extractors.identity import find_identity, park_level
from consortium_review.extractors.matching import (Hit, Matcher, best_point_for_label, best_point_for_unit, point_units,
                                                    unit_fits)
from consortium_review.extractors.members import schools_by_kind
from consortium_review.extractors.negative import screen_negative_list
from consortium_review.extractors.numbers import Quantity, find_quantities, is_weak, to_number, to_unit, unit_in_header
from consortium_review.extractors.roles import OWN, classify as classify_roles
from consortium_review.extractors.subjects import WIDER_SUBJECT, SubjectCheck
from consortium_review.extractors.tables import Column, TableView, group_tables, parse_cell_bool

BODY_KINDS = {"paragraph", "heading", "textbox", "cell", "caption", "footnote"}
SNIPPET_MAX = 160


@dataclass
class Candidate:
    """One piece of evidence for one point, before aggregation."""

    code: str
    block: Block
    snippet: str
    value: Any = None              # number (Decimal) | bool | str | None
    unit: Optional[str] = None
    quantities: list[tuple[Decimal, str]] = field(default_factory=list)
    kind: str = "achieved"         # achieved | target | previous | other | mention
    score: float = 0.5
    source: str = "sentence"       # table-code | table-name | sentence
    offset: int = 0                # position of the figure/statement in the block's text

    def evidence(self) -> Evidence:
        b = self.block
        page = b.page_at(self.offset) if b.page_breaks else b.page
        value = to_number(self.value) if isinstance(self.value, Decimal) else self.value
        qs = [{"value": to_number(v), "unit": u} for v, u in self.quantities]
        return Evidence(file=b.file, page=page, locator=b.locator, snippet=self.snippet,
                        value=value, unit=self.unit, kind=self.kind, score=round(self.score, 3), quantities=qs)


@dataclass
class Extraction:
    info: ConsortiumInfo = field(default_factory=ConsortiumInfo)
    points: list[PointResult] = field(default_factory=list)
    negatives: list[NegativeResult] = field(default_factory=list)
    report_year: int = 0
    report_year_source: str = ""     # where the year was read, for the user (Chinese)


# ------------------------------------------------------------------ helpers

def report_year_of(documents: list[Document], today: Optional[int] = None) -> tuple[int, str]:
    """The year the materials report on, and where it was read (「2024年度工作总结」 -> 2024).

    In order: 「20xx年度」 in file names, 「20xx年度/全年」 in the text, else the year the texts
    mention most that is not after this calendar year, else this calendar year. Never a constant.
    """
    import datetime

    today = today or datetime.date.today().year
    years: Counter[int] = Counter()
    for d in documents:
        for m in re.finditer(r"(20\d\d)\s*年度", d.file):
            years[int(m.group(1))] += 5
        for b in d.blocks[:400]:
            for m in re.finditer(r"(20\d\d)\s*年(?:度|全年)", b.text):
                years[int(m.group(1))] += 1
    if years:
        year = max(years.most_common(3))[0] if len(years) > 1 else years.most_common(1)[0][0]
        named = any(re.search(rf"{year}\s*年度", d.file) for d in documents)
        return year, ("文件名中的「%d年度」" % year) if named else ("材料正文中的「%d年度」" % year)
    mentioned: Counter[int] = Counter()
    for d in documents:
        for b in d.blocks[:400]:
            for m in re.finditer(r"(20\d\d)\s*年", b.text):
                y = int(m.group(1))
                if y <= today:
                    mentioned[y] += 1
    if mentioned:
        year = mentioned.most_common(1)[0][0]
        return year, f"材料中提及最多的年份（{year}年）"
    return today, f"材料未注明年度，按当前年份（{today}年）"


def _snippet(sentence: str, start: int = 0, end: int = 0) -> str:
    s = sentence.strip()
    if len(s) <= SNIPPET_MAX:
        return s
    lo = max(0, min(start, len(s)) - 50)
    return ("…" if lo else "") + s[lo:lo + SNIPPET_MAX] + "…"


# ------------------------------------------------------------------ sentences

#: After a keyword: the keyword is part of an organisation's name or a person's title
#: (「科技成果转化研究院副院长」), or a newspaper's byline (「中国教育报讯」).
_NAME_TAIL = re.compile(r"^(?:研究院|研究所|研究会|研究中心|协会|学会|办公室|领导小组办公室|副?院长|副?主任|副?处长|副?科长|"
                        r"副?部长|副?局长|副?书记|专员|负责人|领衔人|主持人|带头人|首席专家|讯)")
_BYLINE_BEFORE = re.compile(r"(?:来源|转自|稿件来源|作者|记者|通讯员)[:：]?\s*$")
#: A newspaper's page line or an editor's credit (「《中国教育报》2025年4月1日05版责任编辑：…」)
_PRESS_LINE = re.compile(r"责任编辑|责编[:：]|编辑[:：]|审核[:：]|校对[:：]|\d{1,2}版")


#: A government whose office acts for it (「市政府办公室印发…」): not a keyword inside a name
_ISSUER = re.compile(r"(?:人民政府|政府|管委会)$")


def _venue(sent: str, h: Hit) -> bool:
    """The keyword names the place of a meeting: 「大会在广西（柳州）职业技能公共实训基地隆重召开」."""
    return bool(re.search(r"在[^，。；在]{0,30}$", sent[:h.start]) and
                re.match(r"[^，。；]{0,6}?(?:隆重|顺利|成功|正式)?(?:召开|举行|举办|开幕|闭幕)", sent[h.end:]))


#: An achieved event stated without a figure (「…产业学院揭牌成立」「…正式签约」).
EVENT = re.compile(r"揭牌|挂牌|授牌|成立|建成|落成|签约|签订|投入使用|启用|开班|开课|获批|入选|获评|认定为|落地|上线|组建|设立|启动|"
                   r"投运|运行|举办|召开|开展|实施|发布|印发|出台")


#: A yes/no statement's own predicate: the status is said, not only the words mentioned.
STATUS_PREDICATE = re.compile(r"已|了|建立|出台|印发|召开|纳入|列入|制定|成立|设立|安排|明确|形成|实行|建成|获批|入选|认定|"
                              r"被评为|属于|(?<![是])是(?!否)|为(?:国家|省)")


def _named_items(sentence: str, keyword: str) -> int:
    """How many distinct things the sentence names with ``keyword`` (「A产业学院揭牌成立，B产业
    学院同时揭牌」 -> 2); 0 when it names none."""
    names = set()
    for m in re.finditer(re.escape(keyword), sentence):
        lead = re.search(r"[“\"]?([\u4e00-\u9fffA-Za-z0-9”\"]{2,12})$", sentence[max(0, m.start() - 12):m.start()])
        if not lead:
            continue
        name = lead.group(1)
        if re.search(r"(?:共建|成立|建设|新增|新建|组建|打造|个|家|所|批|了|和|及|与|的|各|等|联合体|年度|年|我校|学校|企业|园区|"
                     r"共同|联合|合作|校企|依托)$", name) or re.match(r"^[\d一二三四五六七八九十两]", name):
            continue
        names.add(name)
    return len(names)


_CLAUSE_END = re.compile(r"[，,；;。！？]")


def _clause_end(sent: str, pos: int) -> int:
    m = _CLAUSE_END.search(sent, pos)
    return m.end() if m else len(sent)


def _role_word_hits(matcher: Matcher, subjects: SubjectCheck, sent: str) -> list[Hit]:
    """Keyword hits in ``sent`` with the leads' names read as their roles (see
    :meth:`SubjectCheck.as_role_words`), at the offsets of ``sent``."""
    text, where = subjects.as_role_words(sent)
    hits = matcher.hits(text)
    if text == sent:
        return hits
    return [dataclasses.replace(h, start=where[h.start], end=where[h.end], anchor=where[h.anchor],
                                part_ends=tuple(where[e] for e in h.part_ends)) for h in hits]


def sentence_candidates(matcher: Matcher, catalogue: Catalogue, block: Block, report_year: int,
                        plan_doc: bool, subjects: Optional[SubjectCheck] = None, doc_title: str = "",
                        previous: str = "") -> list[Candidate]:
    """Candidates from the sentences of one body block; ``previous`` is the text of the block
    before it (a sentence that opens 「集团…」 speaks of the organisation named there)."""
    out: list[Candidate] = []
    settings = matcher.settings
    section_target = future_section(block.section or "", report_year) or (
        bool(re.search(r"目标|任务|计划|规划|举措|安排|展望|思路", block.section or "")) and plan_doc)
    for offset, sent in split_sentences(block.text):
        hits = matcher.hits(sent) if subjects is None else _role_word_hits(matcher, subjects, sent)
        if not hits:
            continue
        # a question, a requirement quoted from the standard or a policy, a hypothetical: not evidence
        kind = sentence_kind(sent)
        if kind == "requirement":
            # a requirement after the statement's clause spells out what was set up (「建立了集体
            # 决策机制，重大事项须经三分之二以上理事同意」): the text up to the hit's clause decides
            hits = [h for h in hits if sentence_kind(sent[:_clause_end(sent, h.end)]) == "statement"]
            if not hits:
                continue
        elif kind != "statement":
            continue
        # a keyword that is part of an organisation's name or a person's title (「科技成果转化研究院
        # 副院长」「技能大师工作室领衔人」) — at the end of any of its parts — or of a byline
        hits = [h for h in hits if not any(_NAME_TAIL.match(sent[e:e + 8]) and not _ISSUER.search(sent[:e])
                                           for e in (h.end, h.anchor, *h.part_ends))
                and not _BYLINE_BEFORE.search(sent[:h.start]) and not _venue(sent, h)
                and not _PRESS_LINE.search(sent)]
        if subjects is not None:
            # a statement about another consortium named before it (a peer in a news report)
            hits = [h for h in hits if not subjects.other_consortium_before(sent, h.start)]
            hits = [h for h in hits if subjects.named(h.code, subjects.context(
                matcher.points[h.code], block.text, doc_title + "\n" + (block.section or ""), offset, sent,
                previous))]
        if not hits:
            continue
        masked = mask_titles(sent)
        mentioned: set[str] = set()
        quantities = [q for q in find_quantities(sent) if not q.is_year]
        used: set[int] = set()
        # figures: each quantity goes to the nearest compatible hit (preceding first)
        by_hit: dict[Hit, list[tuple[Quantity, str, Decimal, float]]] = defaultdict(list)
        for qi, q in enumerate(quantities):
            best = None
            for h in hits:
                p = matcher.points[h.code]
                for unit in point_units(p):
                    v = to_unit(q, unit)
                    if v is None:
                        continue
                    if h.anchor <= q.start:
                        gap = sent[h.anchor:q.start]
                        dist = len(gap)
                        # another point's keyword between them takes the figure
                        if any(o.start >= h.anchor and o.end <= q.start and o.code != h.code
                               and any(to_unit(q, u) is not None for u in point_units(matcher.points[o.code]))
                               for o in hits):
                            continue
                        if re.search(r"[。；;]", gap):
                            continue
                        pen = dist + (settings.comma_penalty if re.search(r"[，,]", gap) else 0)
                    elif q.start < h.start and q.end <= h.start + 1:
                        gap = sent[q.end:h.start]
                        if re.search(r"[，,。；;：:]", gap) or len(gap) > settings.before_max_gap:
                            continue
                        pen = len(gap) + settings.before_penalty
                    elif h.start <= q.start and q.end <= h.end and not re.search(r"[，,；;]", sent[h.start:h.end]):
                        pen = settings.inside_penalty   # the figure sits inside the phrase: 「企业126家参加对接」
                    else:
                        continue
                    if is_weak(unit, q.unit):
                        pen += settings.weak_unit_penalty
                    # at equal distance the longer phrase ending there is the more specific
                    # (「就业岗位2100个」 belongs to 就业岗位, not to the 岗位 of 「走访企业&岗位」)
                    if best is None or (pen, -h.anchor_len) < (best[0], -best[1].anchor_len):
                        best = (pen, h, unit, v)
            if best is not None:
                pen, h, unit, v = best
                by_hit[h].append((q, unit, v, pen))
                used.add(qi)
        _figures_after_parts(matcher, sent, hits, quantities, used, by_hit)
        multi_done: set[str] = set()
        for h in hits:
            p = matcher.points[h.code]
            snippet = _snippet(sent, h.start)
            if p.is_numeric:
                figs = by_hit.get(h, [])
                if not figs:
                    mention = None if p.code in mentioned else _mention(p, h, sent, masked, quantities, report_year,
                                                                         section_target)
                    if mention is not None:
                        mentioned.add(p.code)
                        out.append(Candidate(p.code, block, snippet, value=Decimal(mention) if mention else None,
                                             unit=p.unit if mention else None, kind="mention",
                                             score=settings.mention_count_score if mention else settings.mention_score,
                                             offset=offset + h.start))
                    continue
                if p.type == "multi":
                    # one statement of a several-unit point may reach its figures through two
                    # keywords: 「58名…兼职教师，承担授课任务1860课时」
                    if p.code in multi_done:
                        continue
                    multi_done.add(p.code)
                    figs = sorted((f for o in hits if o.code == p.code for f in by_hit.get(o, [])),
                                  key=lambda f: f[0].start)
                    qs: dict[str, tuple[Decimal, Quantity, float]] = {}
                    for q, unit, v, pen in figs:
                        m = number_modality(sent, q.start, q.end, report_year)
                        if m.achieved and not _wider_subject(masked, h, q) and unit not in qs:
                            qs[unit] = (v, q, pen)
                    if not qs:
                        continue
                    first = next(iter(qs))
                    out.append(Candidate(p.code, block, snippet, value=qs[first][0], unit=first,
                                         quantities=[(v, u) for u, (v, _, _) in qs.items()],
                                         kind="target" if section_target else "achieved",
                                         score=settings.sentence_multi_score - min(qs[first][2], settings.penalty_cap) / 100,
                                         offset=offset + qs[first][1].start))
                    continue
                for q, unit, v, pen in figs:
                    m = number_modality(sent, q.start, q.end, report_year, share_ok=unit == "%", keyword_at=h.start)
                    if _wider_subject(masked, h, q) or (
                            subjects is not None and subjects.other_consortium(sent[clause_bounds(sent, q.start)[0]:q.start])):
                        m.other = True
                    kind = _kind(m)
                    if kind == "achieved" and section_target and not re.search(r"已|实际|完成|累计|现有", sent):
                        kind = "target"
                    score = settings.sentence_number_score - min(pen, settings.penalty_cap) / 100
                    out.append(Candidate(p.code, block, snippet, value=v, unit=unit, kind=kind, score=score,
                                         offset=offset + q.start))
        # statements: one candidate per point and sentence; a denial anywhere in it wins
        stated: dict[str, list[Hit]] = defaultdict(list)
        for h in hits:
            if matcher.points[h.code].type in ("yesno", "text", "category"):
                stated[h.code].append(h)
        for code, hs in stated.items():
            p = matcher.points[code]
            mods = [statement_modality(sent, h.start, h.end, report_year) for h in hs]
            if all(m.wish for m in mods):
                continue            # 「鼓励成员企业申报…」 is a wish, not a status
            negated = any(m.negated for m in mods)
            target = all(m.target for m in mods)
            kind = "target" if target else "achieved"
            if kind == "achieved" and section_target and not re.search(r"已|了|实际|完成|现有", sent):
                kind = "target"
            snippet = _snippet(sent, hs[0].start)
            at = offset + hs[0].start
            if p.type == "yesno":
                # a statement with its own predicate (已建立 / 尚未出台 / 是…) says more than a
                # passing mention of the same words
                explicit = negated or bool(STATUS_PREDICATE.search(masked))
                out.append(Candidate(code, block, snippet, value=not negated, kind=kind,
                                     score=settings.yesno_explicit_score if explicit else settings.yesno_score,
                                     offset=at))
            elif p.type == "text":
                if not negated:
                    out.append(Candidate(code, block, snippet, value=None, kind=kind, score=settings.text_statement_score,
                                         offset=at))
            else:
                cat = next((c for c in p.categories if c in sent), None)
                if cat:
                    out.append(Candidate(code, block, snippet, value=cat, kind=kind, score=settings.statement_score,
                                         offset=at))
    return out


def _figures_after_parts(matcher: Matcher, sent: str, hits: list[Hit], quantities: list[Quantity], used: set[int],
                         by_hit: dict[Hit, list[tuple[Quantity, str, Decimal, float]]]) -> None:
    """A figure right after an earlier part of an 「A&B」 hit that has no figure of its own:
    「走访企业126家，开拓就业岗位…」, 「安排专项资金500万元，已全部拨付到位」. Only a figure no
    other hit took, and not when the anchor's clause denies (「…尚未拨付到位」)."""
    settings = matcher.settings
    for h in hits:
        p = matcher.points[h.code]
        if not p.is_numeric or not h.part_ends or any(by_hit.get(o) for o in hits if o.code == h.code):
            continue
        c0, c1 = clause_bounds(sent, max(0, h.anchor - 1))
        if NEGATION.search(sent[c0:c1]):
            continue
        best = None
        for qi, q in enumerate(quantities):
            if qi in used or not (h.start <= q.start < h.anchor):
                continue
            for end in h.part_ends:
                gap = sent[end:q.start]
                if end > q.start or len(gap) > settings.part_figure_gap or re.search(r"[，,。；;：:、]", gap):
                    continue
                for unit in point_units(p):
                    v = to_unit(q, unit)
                    if v is None:
                        continue
                    pen = len(gap) + settings.inside_penalty + (settings.weak_unit_penalty if is_weak(unit, q.unit) else 0)
                    if best is None or pen < best[0]:
                        best = (pen, qi, q, unit, v)
        if best is not None:
            pen, qi, q, unit, v = best
            by_hit[h].append((q, unit, v, pen))
            used.add(qi)


_FUTURE_SECTION = re.compile(r"下一步|下一年度|下阶段|明年|来年|今后|展望|工作计划|工作打算|工作思路|工作安排|努力方向")


def future_section(section: str, report_year: int) -> bool:
    """A heading over next year's plans in any document (「三、2025年工作计划」「下一步工作打算」),
    not over what a plan's tasks achieved (「重点任务完成情况」)."""
    if not section or re.search(r"完成情况|进展情况|成效|落实情况", section):
        return False
    if _FUTURE_SECTION.search(section):
        return True
    return any(int(y) > report_year for y in re.findall(r"(20\d\d)\s*年", section)) if report_year else False


def _wider_subject(masked: str, h: Hit, q: Quantity) -> bool:
    """The figure's clause makes the city/province/country its subject (outside the keyword)."""
    c0, _ = clause_bounds(masked, q.start)
    lo = min(c0, h.start) if h.start < q.start else c0
    text = masked[lo:q.start]
    if h.start < q.start:
        a, b = h.start - lo, h.end - lo
        if 0 <= a < len(text):
            text = text[:a] + "＃" * (min(b, len(text)) - a) + text[min(b, len(text)):]
    return bool(WIDER_SUBJECT.search(mask_scope_qualifiers(text)))


def _mention(p: ObservationPoint, h: Hit, sent: str, masked: str, quantities: list[Quantity], report_year: int,
             section_target: bool) -> Optional[int]:
    """A count point stated as an achieved event without a figure: None when it is not one,
    else the number of items the sentence names (0 when it names none)."""
    if p.type != "count" or ("&" in h.keyword and re.search(r"[，,；;。]", sent[h.start:h.end])):
        return None
    # the predicate may follow an enumeration: 「A产业学院、B实践中心同时揭牌」
    c0, c1 = clause_bounds(masked, h.start, PREDICATE_SEP)
    if any(c0 <= q.start < c1 + 12 and q.unit for q in quantities):
        return None                  # a figure in another unit: not a numberless statement
    around = masked[c0:min(len(masked), c1 + 12)]
    if not EVENT.search(around) or section_target:
        return None
    m = statement_modality(sent, h.start, h.end, report_year)
    if m.negated or m.target or m.wish:
        return None
    return _named_items(masked, h.keyword)


def _kind(m: Modality) -> str:
    # a change (「较上年增加3个」) or a part (「其中2023年当年投入4,300万元」) is never last year's level
    if m.other or m.delta:
        return "other"
    if m.previous:
        return "previous"
    if m.target:
        return "target"
    return "achieved"


# ------------------------------------------------------------------ tables

def table_candidates(matcher: Matcher, catalogue: Catalogue, table: TableView, report_year: int) -> list[Candidate]:
    out: list[Candidate] = []
    measures = _measure_columns(table)
    for row in table.rows:
        label = table.label_of(row)
        if measures:
            by_column = _measure_candidates(matcher, table, measures, row, label, report_year)
            if by_column:
                out += by_column
                continue
        code = table.code_of(row)
        if code and code in matcher.points:
            point_code, conf, source = code, matcher.settings.table_code_score, "table-code"
        else:
            if not label:
                continue
            point_code, conf = best_point_for_label(matcher, label, _row_unit(table, row, label))
            source = "table-name"
            if point_code is None:
                continue
        p = matcher.points[point_code]
        snippet = _snippet(" | ".join(c for c in row.cells if c))
        target_table = table.is_target
        achieved: Optional[Candidate] = None
        for col, cell in table.value_cells(row, report_year):
            kind = "target" if (target_table or col.kind == "target") else ("previous" if col.kind == "previous" else "achieved")
            cand = _cell_candidate(p, cell, col.unit or table.unit_of(row), label, row, snippet, kind, conf, source,
                                   matcher.settings)
            if cand is None:
                continue
            if kind != "achieved":
                out.append(cand)
            elif achieved is None:
                achieved = cand
                out.append(cand)
            elif p.type == "multi":
                # a several-unit point over several columns (「人次」「课时」): one candidate, each
                # figure under its own column's unit
                have = {u for _, u in achieved.quantities}
                achieved.quantities += [(v, u) for v, u in cand.quantities if u not in have]
        if achieved is not None and p.type == "multi":
            _units_from_remarks(p, table, row, achieved)
    return out


def _units_from_remarks(p: ObservationPoint, table: TableView, row: Block, achieved: Candidate) -> None:
    """A several-unit point whose other unit sits in a remark cell of the row (「46 | 人次 |
    授课课时：690课时」): the figure written with that unit, when exactly one is."""
    have = {u for _, u in achieved.quantities} or {achieved.unit}
    figure_cols = {c.index for c in table.columns if c.kind in ("value", "previous", "target", "unit", "label")}
    figure_cols.add(table.label_col if table.label_col is not None else -1)
    for unit in p.units:
        if unit in have:
            continue
        found = [(to_unit(q, unit), q) for i, cell in enumerate(row.cells) if i not in figure_cols and cell
                 for q in find_quantities(cell) if q.unit and not q.is_year]
        found = [v for v, q in found if v is not None and not is_weak(unit, q.unit)]
        if len(found) == 1:
            if not achieved.quantities:
                achieved.quantities = [(achieved.value, achieved.unit)]
            achieved.quantities.append((found[0], unit))


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _header_core(header: str) -> str:
    """A column header without its unit: 「工位数（个）」 -> 「工位数」."""
    return re.sub(r"[（(][^（）()]*[)）]\s*$", "", header).strip()


def _measure_columns(table: TableView) -> list[Column]:
    """Columns that each name a measure with its unit (「基地数（个）| 工位数（个）| 周均使用时长
    （小时/周）」): a table whose rows are things and whose columns are points. Two at least."""
    cols = [c for c in table.columns if c.kind == "other" and c.unit and len(_CJK.findall(_header_core(c.header))) >= 2]
    return cols if len(cols) >= 2 else []


def _measure_candidates(matcher: Matcher, table: TableView, measures: list[Column], row: Block, label: str,
                        report_year: int) -> list[Candidate]:
    out: list[Candidate] = []
    snippet = _snippet(" | ".join(c for c in row.cells if c))
    year = re.search(r"(20\d\d)\s*年", label)
    kind = "target" if table.is_target else "achieved"
    if year and int(year.group(1)) != report_year:
        kind = "target" if int(year.group(1)) > report_year else "previous"
    for col in measures:
        if col.index >= len(row.cells) or not (row.cells[col.index] or "").strip():
            continue
        core = _header_core(col.header)
        code, conf = None, 0.0
        for text in (core, f"{label}{core}"):
            code, conf = best_point_for_label(matcher, text, col.unit)
            if code and (not matcher.points[code].is_numeric or unit_fits(matcher.points[code], col.unit)):
                break
            code = None
        if code is None:
            code, conf = best_point_for_unit(matcher, f"{label}{core}", col.unit)
        if code is None:
            continue
        cand = _cell_candidate(matcher.points[code], row.cells[col.index], col.unit, f"{label}{core}", row, snippet,
                               kind, conf, "table-name", matcher.settings)
        if cand is not None:
            out.append(cand)
    return out


def _row_unit(table: TableView, row: Block, label: str) -> Optional[str]:
    """The unit a row's figures are written in, when the table says: its unit column, the unit
    in its label 「工位数（个）」, or the one unit all its value columns share."""
    unit = table.unit_of(row) or unit_in_header(label)
    if unit:
        return unit
    units = {c.unit for c in table.columns if c.kind in ("value", "previous", "target") and c.unit}
    return units.pop() if len(units) == 1 else None


_EMPTY_CELL = re.compile(r"^\s*(?:[/／\\—\-–_]+|无数据|待统计|待填报|待核实|暂无数据|不适用|N/?A|—+)?\s*$", re.I)


_PAIRED = re.compile(r"\s*[/／、]\s*")


def row_statements(matcher: Matcher, catalogue: Catalogue, table: TableView, taken: set[str], report_year: int,
                   subjects: Optional[SubjectCheck], doc_title: str) -> list[Candidate]:
    """Yes/no statements a table row makes in its cells, read as one sentence: a member list's
    「青川装备集团有限公司 | 专精特新“小巨人”企业 | 牵头企业」 says the lead enterprise is one. Only
    yes/no points the table's own columns did not already answer; figures stay with the table."""
    out: list[Candidate] = []
    for row in table.rows:
        cells = [c.strip() for c in row.cells if c and c.strip() and not re.fullmatch(r"[\d.]+", c.strip())]
        if len(cells) < 2:
            continue
        text = "，".join(dict.fromkeys(cells)) + "。"
        synthetic = Block(text=text, file=row.file, kind=row.kind, page=row.page, locator=row.locator,
                          table=row.table, row=row.row, cells=row.cells, header=row.header, sheet=row.sheet,
                          section=row.section)
        for c in sentence_candidates(matcher, catalogue, synthetic, report_year, False, subjects, doc_title):
            if matcher.points[c.code].type == "yesno" and c.code not in taken:
                out.append(c)
    return out


def _cell_candidate(p: ObservationPoint, cell: str, unit_hint: Optional[str], label: str, row: Block,
                    snippet: str, kind: str, conf: float, source: str,
                    settings: ExtractSettings = EXTRACT) -> Optional[Candidate]:
    cell = cell.strip()
    if _EMPTY_CELL.match(cell) or "公式未计算" in cell:
        return None
    if p.type == "yesno":
        v = parse_cell_bool(cell)
        if v is None:
            return None
        return Candidate(p.code, row, snippet, value=v, kind=kind, score=conf, source=source)
    if p.type == "text":
        if parse_cell_bool(cell) is False:
            return None
        return Candidate(p.code, row, snippet, value=None, kind=kind, score=conf - settings.table_text_discount,
                         source=source)
    if p.type == "category":
        cat = next((c for c in p.categories if c in cell), None)
        return Candidate(p.code, row, snippet, value=cat, kind=kind, score=conf, source=source) if cat else None
    units = point_units(p)
    if not units:
        return None
    if unit_hint and p.type == "multi" and _PAIRED.search(unit_hint):
        # 「46/690」 under 「人次/课时」: each figure with the unit in its place
        figures, names = _PAIRED.split(cell), _PAIRED.split(unit_hint)
        if len(figures) == len(names) > 1:
            cell = "、".join(f"{f.strip()}{n.strip()}" for f, n in zip(figures, names))
            unit_hint = None
    qs = [q for q in find_quantities(cell) if not q.is_year]
    default = unit_hint or unit_in_header(label)
    if default and default[0] in "万亿" and default not in ("万元", "亿元") and len(default) > 1:
        # a unit column 「万人」「万人次」: scale the bare figures
        scale = 10 ** 4 if default[0] == "万" else 10 ** 8
        qs = [Quantity(q.value * scale, q.unit, q.start, q.end, q.raw, q.chinese) if q.unit is None else q for q in qs]
        default = default[1:]
    found: list[tuple[Decimal, str]] = []
    for unit in units:
        for q in qs:
            v = to_unit(q, unit, default_unit=default if default else (unit if len(units) == 1 and q.unit is None else None))
            if v is None and q.unit is None and len(units) == 1 and default is None:
                v = q.value
            if v is not None:
                found.append((v, unit))
                break
    if not found:
        return None
    value, unit = found[0]
    return Candidate(p.code, row, snippet, value=value, unit=unit,
                     quantities=found if p.type == "multi" else [], kind=kind, score=conf, source=source)


# ------------------------------------------------------------------ aggregation

def _same(a: Any, b: Any, tolerance: Decimal = EXTRACT.same_value_tolerance) -> bool:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        if a == b:
            return True
        return abs(a - b) <= abs(a) * tolerance
    return a == b


def aggregate(p: ObservationPoint, cands: list[Candidate], settings: ExtractSettings = EXTRACT) -> PointResult:
    res = PointResult(code=p.code, name=p.name, unit=p.unit if p.type != "multi" else (p.units[0] if p.units else None))
    achieved = [c for c in cands if c.kind == "achieved"]
    targets = [c for c in cands if c.kind == "target"]
    mentions = [c for c in cands if c.kind == "mention"]
    if not achieved and mentions:
        # stated as done, without a figure: the expert gets the sentences (and a count of the
        # items they name, when they name them)
        named = [c for c in mentions if isinstance(c.value, Decimal)]
        res.status = "partial"
        res.evidence = [c.evidence() for c in _dedupe(sorted(mentions, key=lambda c: -c.score))[:settings.max_evidence_single]]
        res.confidence = settings.mention_confidence
        if named:
            best = max(named, key=lambda c: c.value)
            res.value = to_number(best.value)
            res.note = f"材料提及已完成，但未给出数量；按材料列举的名称计为{res.value}{p.unit or ''}，请核实"
        else:
            res.note = "材料提及已完成，但未给出数量，请核实"
        return res
    if not achieved:
        if targets:
            res.status = "partial"
            res.evidence = [c.evidence() for c in sorted(targets, key=lambda c: -c.score)[:settings.max_evidence_single]]
            res.confidence = settings.partial_confidence
            t = targets[0]
            shown = f"{to_number(t.value)}{t.unit or ''}" if isinstance(t.value, Decimal) else "相关安排"
            res.note = f"仅见规划目标（{shown}），未见实际完成情况"
        return res
    if p.type == "text":
        best = sorted(achieved, key=lambda c: -c.score)
        res.status = "found"
        res.evidence = [c.evidence() for c in _dedupe(best)[:settings.max_evidence_single]]
        res.confidence = min(settings.text_confidence_max,
                             settings.text_confidence + settings.confidence_per_file * len({c.block.file for c in best}))
        return res
    # group equal values
    groups: list[list[Candidate]] = []
    exact: dict[Any, list[Candidate]] = {}
    for c in sorted(achieved, key=lambda c: -c.score):
        if c.value is None:
            continue
        g = exact.get(c.value)               # equal values: one dict look-up
        if g is None:
            g = next((g for g in groups if _same(g[0].value, c.value, settings.same_value_tolerance)), None)
        if g is None:
            g = [c]
            groups.append(g)
            exact[c.value] = g
        else:
            g.append(c)
    if not groups:
        return res

    def strength(g: list[Candidate]) -> float:
        files = {c.block.file for c in g}
        return max(c.score for c in g) + settings.file_bonus * (len(files) - 1) + settings.repeat_bonus * (len(g) - 1)

    groups.sort(key=strength, reverse=True)
    if p.type == "yesno" and len(groups) > 1:
        # an explicit denial (「章程尚不完备」) says more than a passing mention of the same words;
        # only a self-assessment/table row on both sides makes a yes/no point a conflict
        def table(g):
            return max(c.score for c in g) >= settings.table_row_score
        no = next((g for g in groups if g[0].value is False), None)
        yes = next((g for g in groups if g[0].value is True), None)
        if no and yes and not (table(no) and table(yes)):
            winner = yes if table(yes) and not table(no) else no
            groups = [winner]
    best = groups[0]
    res.value = to_number(best[0].value) if isinstance(best[0].value, Decimal) else best[0].value
    if p.type == "multi":
        merged: dict[str, Decimal] = {}
        for c in sorted(achieved, key=lambda c: -c.score):
            for v, u in c.quantities:
                merged.setdefault(u, v)
        res.quantities = [{"value": to_number(v), "unit": u} for u, v in merged.items()]
        if res.unit in merged:
            res.value = to_number(merged[res.unit])
        elif merged:
            # only another unit is stated (「…2300余课时」): value and unit say so, never 2300人次
            res.unit, v = next(iter(merged.items()))
            res.value = to_number(v)
    res.status = "found"
    ev = list(best)
    # conflict: another value stated as achieved in a different document, with good support
    # or, inside one document, a table row against a sentence (「…350人」 in the text, 326 in the
    # table): two sentences of one document may legitimately give a part and a whole
    def kinds(g: list[Candidate]) -> set[tuple[str, bool]]:
        return {(c.block.file, c.block.kind == "table_row") for c in g}

    rivals = [g for g in groups[1:] if max(c.score for c in g) >= settings.conflict_min_score
              and ({c.block.file for c in g} - {c.block.file for c in best}
                   or any((f, not t) in kinds(best) for f, t in kinds(g)))]
    if rivals and max(c.score for c in best) >= settings.conflict_min_score:
        res.status = "conflict"
        one_file = len({c.block.file for g in [best] + rivals for c in g}) == 1
        res.note = ("同一材料内数值不一致：" if one_file else "材料间数值不一致：") + "；".join(
            f"{_fmt(g[0])}（{g[0].block.file}{'第%d页' % g[0].block.page if g[0].block.page else ''}）" for g in [best] + rivals)
        for g in rivals:
            ev.extend(g)
    res.evidence = [c.evidence() for c in _dedupe(ev)[:settings.max_evidence]]
    # last year's figure where the documents state it (「由上年的17个增加到23个」, a 2023年 column):
    # listed after the year's own, kind 「previous」, for the year-on-year comparison
    earlier = [c for c in sorted(cands, key=lambda c: -c.score) if c.kind == "previous" and isinstance(c.value, Decimal)
               and c.unit == res.unit and not _same(c.value, best[0].value, settings.same_value_tolerance)]
    for c in earlier[:settings.max_previous_evidence]:
        res.evidence.append(c.evidence())
    files = {c.block.file for c in best}
    res.confidence = round(min(settings.confidence_max, max(c.score for c in best) + settings.confidence_per_file * (len(files) - 1))
                           * (settings.conflict_confidence_factor if res.status == "conflict" else 1.0), 3)
    if p.threshold:
        met = p.threshold.evaluate(res.value, res.unit) if res.status == "found" else None
        res.threshold = {"rule": p.threshold.rule, "met": met}
    return res


def _fmt(c: Candidate) -> str:
    if isinstance(c.value, Decimal):
        return f"{to_number(c.value)}{c.unit or ''}"
    if isinstance(c.value, bool):
        return "是" if c.value else "否"
    return str(c.value)


def _dedupe(cands: list[Candidate]) -> list[Candidate]:
    seen, out = set(), []
    for c in cands:
        key = (c.block.file, c.block.page, c.block.locator, c.snippet)
        if key in seen:
            continue
        seen.add(key)
        out.append(c)
    return out


# ------------------------------------------------------------------ entry point

def _infer_park_level(catalogue: Catalogue, points: list[PointResult], info: ConsortiumInfo,
                      documents: list[Document], settings: ExtractSettings = EXTRACT) -> None:
    """A category point on the park's level that no sentence states, when the park's own name
    states it (「青川国家高新技术产业开发区」): found, from the first own place naming the park."""
    level = park_level(info.park)
    if level is None:
        return
    for r in points:
        p = catalogue.point(r.code)
        if r.status != "missing" or p.type != "category" or level not in p.categories or p.level2_code != "2":
            continue
        block = next((b for d in documents for b in d.blocks if info.park in b.text and b.kind not in ("header", "footer")), None)
        if block is None:
            return
        at = block.text.find(info.park)
        c = Candidate(p.code, block, _snippet(block.text, at), value=level, kind="achieved",
                      score=settings.park_level_score, offset=at)
        r.status, r.value, r.evidence, r.confidence = "found", level, [c.evidence()], settings.park_level_score
        r.note = f"由园区名称「{info.park}」推定为{level}，请核实"
        if p.threshold:
            r.threshold = {"rule": p.threshold.rule, "met": p.threshold.evaluate(level, None)}


def _infer_school_coverage(catalogue: Catalogue, points: list[PointResult], documents: list[Document],
                           settings: ExtractSettings = EXTRACT) -> None:
    """A yes/no point on the kinds of member schools that no sentence states, when the own
    documents name a school of every kind the catalogue lists (``school_kinds``): found 是, from
    the places naming them, for the expert to confirm."""
    for r in points:
        p = catalogue.point(r.code)
        if r.status != "missing" or not p.school_kinds:
            continue
        named = schools_by_kind(documents)
        if not all(k in named for k in p.school_kinds):
            continue
        evidence = []
        for k in p.school_kinds:
            name, block = named[k]
            at = block.text.find(name)
            evidence.append(Candidate(p.code, block, _snippet(block.text, max(at, 0)), value=True, kind="achieved",
                                      score=settings.park_level_score, offset=max(at, 0)).evidence())
        r.status, r.value, r.confidence = "found", True, settings.park_level_score
        r.evidence = list({(e.file, e.page, e.locator, e.snippet): e for e in evidence}.values())
        r.note = "由成员学校校名推定：" + "；".join(f"{k}：{named[k][0]}" for k in p.school_kinds) + "，请核实"
        if p.threshold:
            r.threshold = {"rule": p.threshold.rule, "met": p.threshold.evaluate(True, None)}


def _infer_implied(catalogue: Catalogue, points: list[PointResult], settings: ExtractSettings = EXTRACT) -> None:
    """A yes/no point that no sentence states, whose catalogue ``implied_by`` point has an
    achieved figure above 0 (专项经费实际到位1,050万元 -> 已安排专项经费): found 是, from the
    figure's places, for the expert to confirm."""
    by_code = {r.code: r for r in points}
    for r in points:
        p = catalogue.point(r.code)
        source = by_code.get(p.implied_by or "")
        if r.status != "missing" or source is None or source.status != "found":
            continue
        if not isinstance(source.value, (int, float)) or source.value <= 0:
            continue
        achieved = [e for e in source.evidence if e.kind in ("achieved", "table")]
        if not achieved:
            continue
        r.status, r.value, r.confidence = "found", True, settings.park_level_score
        r.evidence = achieved[:3]
        r.note = f"由{source.code}「{catalogue.point(source.code).name}」的当年实际数推定，请核实"
        if p.threshold:
            r.threshold = {"rule": p.threshold.rule, "met": p.threshold.evaluate(True, None)}


def extract(catalogue: Catalogue, documents: list[Document], *, folder_name: str = "",
            year: Optional[int] = None, settings: ExtractSettings = EXTRACT) -> Extraction:
    """Evidence for every point from the consortium's own documents.

    ``folder_name``: the consortium folder's name (a hint for whose documents these are);
    ``year``: the report year when the user gave one (else read from the documents);
    ``settings``: the extraction knobs (thresholds, scores, penalties)."""
    matcher = Matcher(catalogue, settings)
    info = classify_roles(catalogue, documents, find_identity, folder_name)
    readable = [d for d in documents if d.status in ("ok", "ocr") and d.role == OWN]
    if year:
        year_source = "用户指定（--year）"
    else:
        year, year_source = report_year_of(readable)
    cands: dict[str, list[Candidate]] = defaultdict(list)
    subjects = SubjectCheck(catalogue, info, (b.text for d in readable for b in d.blocks[:400]))
    for doc in readable:
        plan_doc = bool(re.search(r"方案|规划|计划", doc.file))
        body = [b for b in doc.blocks if b.kind in BODY_KINDS]
        title = body[0].text[:80] if body else ""
        previous = ""
        for b in body:
            for c in sentence_candidates(matcher, catalogue, b, year, plan_doc, subjects, title, previous):
                cands[c.code].append(c)
            previous = b.text
        for table in group_tables(doc.blocks):
            from_table = table_candidates(matcher, catalogue, table, year)
            for c in from_table:
                cands[c.code].append(c)
            if not table.is_target:
                for c in row_statements(matcher, catalogue, table, {c.code for c in from_table}, year, subjects, title):
                    cands[c.code].append(c)
    points = []
    for p in catalogue.points:
        r = aggregate(p, cands.get(p.code, []), settings)
        if p.threshold and r.threshold is None:
            r.threshold = {"rule": p.threshold.rule, "met": None}
        points.append(r)
    _infer_park_level(catalogue, points, info, readable, settings)
    _infer_school_coverage(catalogue, points, readable, settings)
    _infer_implied(catalogue, points, settings)
    negatives = screen_negative_list(catalogue, readable)
    return Extraction(info=info, points=points, negatives=negatives, report_year=year, report_year_source=year_source)
