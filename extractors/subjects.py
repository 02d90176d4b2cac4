"""Whose statement it is (主体): a sentence evidences a point only when it speaks of the point's
subject.

Most points speak of the consortium itself; then figures of the city, the province or the
country (「全市共建成产业学院45个」) are not its figures. Some points speak of the lead
enterprise, the lead school (catalogue ``subjects``); then the sentence must name that subject
— by the standard's word (牵头企业) or by its name from the identity stage, in full or short
form — or the paragraph or section must, for a figure.
"""

from __future__ import annotations

import re
from typing import Iterable, Optional

from consortium_review.catalogue import Catalogue, ObservationPoint, Subject
from consortium_review.models import ConsortiumInfo
from consortium_review.extractors.roles import consortium_name_spans, consortium_names, same_consortium

_SELF = re.compile(r"本联合体|我联合体|我们|本单位|我校")
_OBJECT_OF = re.compile(r"(?:借鉴|学习|对标|参照|参考|比照|与|同|和|向|联合|携手|协同|对接|会同)[^，。；]{0,6}$")

#: Words that make the city, province, country or region the subject of a clause. A point's
#: own keyword may contain one (「占全市…比重」): callers exclude the keyword's span.
WIDER_SUBJECT = re.compile(
    r"全市|全区|全县|全省|全国|我市|本市|该市|我省|本省|全行业|市内|省内|区域内|全域|"
    # a named city or province with a collective noun: 「青川市职业院校毕业生」「江淮省高职院校」
    r"[\u4e00-\u9fff]{2,3}[省市县](?:属|内)?(?:各|全部|所有)?(?:职业院校|高职院校|中职学校|高校|院校|高等院校|"
    r"规上企业|规模以上企业|企业|毕业生|在校生)")

_SUFFIX = re.compile(r"(?:集团)?(?:股份有限公司|有限责任公司|有限公司|股份公司|集团公司|集团)$")


def name_forms(name: Optional[str]) -> list[str]:
    """「青川装备集团有限公司」 -> [青川装备集团有限公司, 青川装备]; schools as written."""
    out: list[str] = []
    for n in re.split(r"[、，,]", name or ""):
        n = n.strip()
        if len(n) < 4:
            continue
        out.append(n)
        short = _SUFFIX.sub("", n)
        if short != n and len(short) >= 4:
            out.append(short)
    return out


#: Endings a short form keeps (「奇瑞集团」「湖铁职院」) and what the full name must contain for it.
_SHORT_ENDINGS = {"集团": ("集团", "公司"), "公司": ("公司",), "职院": ("职业",), "学院": ("学院",),
                  "大学": ("大学",)}
_SHORT = re.compile(r"([\u4e00-\u9fff]{2,6})(" + "|".join(_SHORT_ENDINGS) + ")")


def _subsequence(short: str, full: str) -> bool:
    it = iter(full)
    return all(ch in it for ch in short)


def short_form_of(token_core: str, ending: str, full: str) -> bool:
    """Whether ``token_core + ending`` is a usual short form of ``full``: the full name has the
    ending's kind, and the core is a run of the name (「奇瑞」 in 奇瑞控股集团) or, from 3
    characters, its characters in order (「湖铁职」 in 湖南铁道职业技术学院,
    「轨道交通」 in 青川轨道交通装备集团)."""
    if not any(k in full for k in _SHORT_ENDINGS[ending]):
        return False
    core = _SUFFIX.sub("", full)
    return token_core in core or (len(token_core) >= 3 and _subsequence(token_core, core))


def short_forms_in(text: str, full_names: tuple[str, ...]) -> bool:
    """Whether ``text`` names one of ``full_names`` by a short form (see :func:`short_form_of`).
    Every left extent of the core before an ending is tried, since the short form's start is
    not marked."""
    if not full_names:
        return False
    for m in _SHORT.finditer(text):
        run, ending = m.group(1), m.group(2)
        for k in range(2, len(run) + 1):
            if any(short_form_of(run[-k:], ending, f) for f in full_names):
                return True
    return False


def defined_short_names(name: Optional[str], texts: Iterable[str]) -> list[str]:
    """Short forms the documents define for ``name``: 「中车株洲电力机车有限公司（简称中车株机）」,
    「…学院（以下简称“湖铁职院”）」 -> [中车株机] / [湖铁职院]."""
    out: list[str] = []
    for full in name_forms(name)[:1]:
        pattern = re.compile(re.escape(full) + r"\s*[（(](?:以下)?(?:简称|下称)[：:为]?\s*[“\"「『]?"
                             r"([\u4e00-\u9fffA-Za-z]{2,10})[”\"」』]?\s*[)）]")
        for text in texts:
            for m in pattern.finditer(text):
                if m.group(1) not in out and m.group(1) not in ("联合体", "公司", "集团", "学校", "学院", "园区"):
                    out.append(m.group(1))
    return out


def used_short_names(name: Optional[str], texts: Iterable[str]) -> list[str]:
    """The head of a company's name the documents use on its own: 「北岭重工机械集团有限公司」 written
    「北岭重工是…」「北岭重工按…」 -> [北岭重工]. Four characters at least, not ending on a place
    word, and seen at least once where the full name does not go on."""
    out: list[str] = []
    for full in name_forms(name)[:1]:
        core = _SUFFIX.sub("", full)
        if core == full or len(core) < 5:
            continue                          # schools and parks keep their own short forms
        for k in range(len(core) - 1, 3, -1):
            head = core[:k]
            if head[-1] in "市省县区州":
                continue
            rest = re.escape(core[k:k + 1])
            if any(re.search(re.escape(head) + r"(?!" + rest + r")", t) for t in texts):
                out.append(head)
                break
    return out


#: A sentence opening with a word that refers back to an organisation just named: 「集团按职工
#: 工资总额…」「该公司…」「该校…」「学校…」 (after a time phrase 「2024年，」 at most).
ANAPHOR = re.compile(r"^(?:(?:20\d\d年度?|近[三3]年|当年|全年|同年)[，,、]?\s*)?"
                     r"(?:(?:该|其)?(?:集团|公司)|该(?:企业|校|学校|学院)|学校|学院)(?!联合体)")


class SubjectCheck:
    """Decides whether a text names the subject of a point."""

    def __init__(self, catalogue: Catalogue, info: ConsortiumInfo, texts: Iterable[str] = ()):
        """``texts``: the documents' text, where a name's defined short form is looked for
        (「中车株洲电力机车有限公司（简称中车株机）」)."""
        self._home = tuple(n for n in (info.name, *info.aliases) if n)
        self._by_code: dict[str, tuple[Subject, tuple[str, ...], tuple[str, ...]]] = {}
        texts = list(texts)
        forms: dict[str, tuple[str, ...]] = {}
        self._placeholders: list[tuple[str, str]] = []
        for p in catalogue.points:
            s = catalogue.subject_of(p)
            if s is None:
                continue
            if s.identity not in forms:
                name = getattr(info, s.identity, None) if s.identity else None
                forms[s.identity] = tuple(dict.fromkeys(name_forms(name) + defined_short_names(name, texts)
                                                        + used_short_names(name, texts)))
            full = forms[s.identity]
            for form in full:
                if s.words and len(form) >= 2 and (form, s.words[0]) not in self._placeholders:
                    self._placeholders.append((form, s.words[0]))
            self._by_code[p.code] = (s, tuple(s.words) + full, full)

    def as_role_words(self, sentence: str) -> tuple[str, list[int]]:
        """``sentence`` with the lead enterprise's and lead school's names written as their role
        (「承担了青重装高技能人才培训任务」 -> 「承担了牵头企业高技能人才培训任务」), so that keywords
        phrased with the role (「承担&牵头企业&高技能人才培训」) match where the text uses the name;
        and for every offset of the new text (and its end) the offset in ``sentence``."""
        identity = list(range(len(sentence) + 1))
        if not any(form in sentence for form, _ in self._placeholders):
            return sentence, identity
        out: list[str] = []
        where: list[int] = []
        i = 0
        forms = sorted(self._placeholders, key=lambda x: -len(x[0]))
        while i < len(sentence):
            hit = next(((f, w) for f, w in forms if sentence.startswith(f, i)), None)
            end = i + len(hit[0]) if hit else i + 1
            # 「联合A公司等龙头企业」 lists A among others: a description, not a statement about A
            if hit is None or sentence.startswith("等", end):
                out.append(sentence[i:end])
                where.extend(range(i, end))
            else:
                out.append(hit[1])
                where.extend([i] + [end] * (len(hit[1]) - 1))
            i = end
        where.append(len(sentence))
        return "".join(out), where

    def subject(self, code: str) -> Optional[Subject]:
        entry = self._by_code.get(code)
        return entry[0] if entry else None

    def named(self, code: str, text: str) -> bool:
        """True when ``text`` names the point's subject (always True for consortium points)."""
        entry = self._by_code.get(code)
        if entry is None:
            return True
        return any(f in text for f in entry[1]) or short_forms_in(text, entry[2])

    def other_consortium(self, text: str) -> bool:
        """True when ``text`` names a consortium that is not this one (「滨海新材料产教联合体订单
        培养学生1300人」 in a comparison with peers)."""
        if not self._home or "联合体" not in text:
            return False
        return any(not any(same_consortium(n, h) for h in self._home) for n in consortium_names(text))

    def other_consortium_before(self, sentence: str, pos: int) -> bool:
        """True when the last consortium the sentence names before ``pos`` is another one and
        the sentence does not come back to this one in between (「滨海…产教联合体成立了理事会」,
        but not 「与滨海…产教联合体合作，本联合体…」)."""
        if not self._home or "联合体" not in sentence[:pos]:
            return False
        spans = [s for s in consortium_name_spans(sentence[:pos])]
        if not spans:
            return False
        start, end, name = spans[-1]
        if any(same_consortium(name, h) for h in self._home):
            return False
        if _OBJECT_OF.search(sentence[max(0, start - 8):start]):
            return False                 # 「借鉴滨海…联合体经验，共建…」: the peer is an object
        return not _SELF.search(sentence[end:pos])

    def context(self, point: ObservationPoint, block_text: str, section: str, sent_offset: int, sentence: str,
                previous: str = "") -> str:
        """The text that must name the subject: the sentence and the headings above it (the
        document's title, the section) for a statement; for a figure also the paragraph up to
        the sentence's end. A sentence that opens with a referring word (「集团按…」「该校…」)
        speaks of the organisation named just before: the paragraph before it counts too."""
        if ANAPHOR.match(sentence):
            return section + "\n" + previous[-240:] + "\n" + block_text[:sent_offset + len(sentence)]
        if point.is_numeric:
            return section + "\n" + block_text[:sent_offset + len(sentence)]
        return section + "\n" + sentence
