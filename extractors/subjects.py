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
from typing import Optional

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


class SubjectCheck:
    """Decides whether a text names the subject of a point."""

    def __init__(self, catalogue: Catalogue, info: ConsortiumInfo):
        self._home = tuple(n for n in (info.name, *info.aliases) if n)
        self._by_code: dict[str, tuple[Subject, tuple[str, ...], tuple[str, ...]]] = {}
        for p in catalogue.points:
            s = catalogue.subject_of(p)
            if s is None:
                continue
            full = tuple(name_forms(getattr(info, s.identity, None) if s.identity else None))
            self._by_code[p.code] = (s, tuple(s.words) + full, full)

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

    def context(self, point: ObservationPoint, block_text: str, section: str, sent_offset: int, sentence: str) -> str:
        """The text that must name the subject: the sentence and the headings above it (the
        document's title, the section) for a statement; for a figure also the paragraph up to
        the sentence's end."""
        if point.is_numeric:
            return section + "\n" + block_text[:sent_offset + len(sentence)]
        return section + "\n" + sentence
