"""Consortium identity (联合体名称、依托园区、牵头学校、牵头企业) and the official rosters (附件2)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Optional

from consortium_review.catalogue import Catalogue, RosterEntry
from consortium_review.extractors.subjects import short_form_of
from consortium_review.models import ConsortiumInfo, Document

_NAME = re.compile(r"([\u4e00-\u9fff（）()·]{2,40}?(?:市域)?产教联合体)")
_PARK = re.compile(r"([\u4e00-\u9fff（）()]{2,40}?(?:开发区|高新区|产业园区|产业园|园区|新区|试验区|示范区|基地|工业园|经济区|自贸区|发展区|科学城))")
_SCHOOL = re.compile(r"([\u4e00-\u9fff（）()]{2,30}?(?:职业技术大学|职业技术学院|职业学院|职业大学|高等专科学校|技师学院|大学|学院|学校))")
_COMPANY = re.compile(r"([\u4e00-\u9fff（）()]{2,40}?(?:集团股份有限公司|集团有限责任公司|集团有限公司|股份有限公司|有限责任公司|有限公司|集团公司|集团))")
# words that run into a name found by its ending (「成员单位包括X有限公司」)
_LEAD_IN = re.compile(r"^(?:由|依托|联合|会同|以|在|和|与|及|、|，|组建|牵头|成员单位|成员企业|成员|包括|包含|涵盖|其中|例如)+")
KEYS = {
    "name": re.compile(r"^(?:联合体)?名称$|联合体名称"),
    "park": re.compile(r"依托园区|所在园区|依托的?产业园区|园区名称"),
    "lead_school": re.compile(r"牵头(?:学校|院校|单位（学校）)"),
    "lead_enterprise": re.compile(r"牵头企业"),
}
#: Cells of a member list's role column that name a role outright.
_ROLE_CELL = {"lead_school": re.compile(r"牵头(?:学校|院校)"), "lead_enterprise": re.compile(r"牵头企业"),
              "park": re.compile(r"依托园区")}
PATTERN = {"name": _NAME, "park": _PARK, "lead_school": _SCHOOL, "lead_enterprise": _COMPANY}


def norm(s: str) -> str:
    return "".join(unicodedata.normalize("NFKC", s).split())


def _clean(v: str, field: str) -> Optional[str]:
    v = v.strip().strip("：:，,。；;、")
    # 「江澜市新材料产教联合体由X公司作为牵头企业」: the subject before 由 is not part of the name
    if field != "name":
        v = re.sub(r"^[^，。；]*?联合体(?:[（(][^）)]*[)）])?(?:由|以)", "", v)
    m = PATTERN[field].search(v)
    if not m:
        return None
    out = _LEAD_IN.sub("", m.group(1))
    # 「牵头学校是省级高水平职业学校建设单位」 describes the school, it does not name it
    if field != "name" and re.match(r"(?:国家级|省级|市级|全国|全省|高水平|优质|示范|骨干|一流)", out or ""):
        return None
    # 「澄川职院是省级高水平高职学校」: a sentence about the school, ending like a name
    if field != "name" and re.search(r"(?:是|为|系)(?:国家级|省级|市级|全国|全省|高水平|优质|示范|骨干|一流|首批)", out or ""):
        return None
    return out or None


def find_identity(catalogue: Catalogue, documents: list[Document]) -> ConsortiumInfo:
    votes: dict[str, Counter[str]] = {f: Counter() for f in KEYS}
    texts: list[str] = []
    for d in documents:
        for b in d.blocks:
            if b.kind == "table_row" and len(b.cells) >= 2:
                k = (b.cells[0] or "").strip()
                for field, rx in KEYS.items():
                    if rx.search(k):
                        for cell in b.cells[1:]:
                            whole = (cell or "").strip()
                            # the cell of an info table IS the name, suffix such as 「（筹）」 included
                            v = whole if field == "name" and whole.endswith(("联合体", "）", ")")) and "产教联合体" in whole \
                                and len(whole) <= 50 else _clean(cell or "", field)
                            if v:
                                votes[field][v] += 30     # an info table states it outright
                                break
                # a member list whose role column says it: 「青川职业技术学院 | 高职院校 | 牵头学校」
                for field in ("lead_school", "lead_enterprise", "park"):
                    if any(_ROLE_CELL[field].fullmatch((c or "").strip()) for c in b.cells[1:]):
                        name = next((c.strip() for c in b.cells if c and PATTERN[field].fullmatch(c.strip())), None)
                        if name:
                            votes[field][name] += 20
            if b.kind in ("header", "footer"):
                continue
            texts.append(b.text)
            # a title names the consortium more reliably than a passing mention
            _vote_sentences(b.text, votes, 3 if b.kind in ("heading", "caption") or b is d.blocks[0] else 1)
    info = ConsortiumInfo()
    for field in KEYS:
        if votes[field]:
            info.__setattr__(field, _choose(votes[field]))
    # no sentence names the park, but the consortium's name holds it (「岚州高新区电子信息市域产教
    # 联合体」): the park's full name the documents give for that short form, else the short form
    if not info.park and info.name:
        info.park = park_from_name(info.name, texts)
    # a short form named as the lead (「丰禾集团牵头」) is the full name the documents also give
    if info.lead_enterprise and not _COMPANY_FULL.search(info.lead_enterprise):
        info.lead_enterprise = _expand(info.lead_enterprise, _COMPANY, texts) or info.lead_enterprise
    entry = match_roster(catalogue, info, "\n".join(texts))
    if entry is not None:
        info.name = entry.name
        info.park = entry.park or info.park
        info.lead_school = "、".join(entry.lead_schools) if entry.lead_schools else info.lead_school
        info.lead_enterprise = entry.lead_enterprise or info.lead_enterprise
        info.roster = {"batch": entry.batch, "index": entry.index}
    return info


#: Sentence patterns that state an identity field: (pattern with the value in group 1, field, weight)
SENTENCE_PATTERNS = [
    (re.compile(r"牵头(?:学校|院校|高校)(?:为|是|：|:|——|—|－)?([^，。；、]{4,30})"), "lead_school", 3),
    (re.compile(r"由([^，。；]{4,30}?(?:学院|大学|学校))(?:牵头|领衔|作为牵头)"), "lead_school", 2),
    (re.compile(r"([^，。；、]{4,30}?(?:学院|大学|学校))(?:作为|担任|是)(?:联合体)?牵头(?:学校|院校|单位)"), "lead_school", 3),
    (re.compile(r"牵头企业(?:为|是|：|:|——|—|－)?([^，。；、]{4,40})"), "lead_enterprise", 3),
    (re.compile(r"由([^，。；]{2,40}?(?:公司|集团))(?:牵头|领衔|作为牵头)"), "lead_enterprise", 2),
    (re.compile(r"([^，。；、]{2,40}?(?:公司|集团))(?:作为|担任|是)(?:联合体)?(?:的)?牵头(?:企业|单位)"), "lead_enterprise", 3),
    # 「以X为牵头学校，以Y为牵头企业」
    (re.compile(r"以([^，。；、]{4,30}?(?:学院|大学|学校))为(?:联合体)?牵头(?:学校|院校|单位)"), "lead_school", 3),
    (re.compile(r"以([^，。；、]{2,40}?(?:公司|集团))为(?:联合体)?牵头(?:企业|单位)"), "lead_enterprise", 3),
    # 「由X经济技术开发区牵头」: the park leads the consortium
    (re.compile(r"由([^，。；、]{2,40}?(?:开发区|高新区|园区|产业园|新区|示范区))(?:管委会|管理委员会)?(?:牵头|领衔)"), "park", 2),
    # 「X是联合体的依托园区」「依托的园区为X」
    (re.compile(r"([^，。；、]{2,40}?)(?:是|为|作为)(?:联合体)?(?:的)?依托(?:产业)?园区"), "park", 3),
    (re.compile(r"依托的?(?:产业)?园区(?:为|是|：|:)([^，。；、]{2,40})"), "park", 3),
    # 「联合体牵头单位——X」: a school or a company by its name's ending
    (re.compile(r"牵头单位(?:为|是|：|:|——|—|－)+([^，。；、]{4,40})"), "lead_school", 2),
    (re.compile(r"牵头单位(?:为|是|：|:|——|—|－)+([^，。；、]{4,40})"), "lead_enterprise", 2),
    (re.compile(r"(?:依托|位于|所在园区为|依托园区为)(?!的)([^，。；、]{4,40})"), "park", 2),
]


_VERBISH = re.compile(r"安排|设立|支持|推进|推动|加强|深化|参与|组建|纳入|印发|出台|财政|关于|围绕|依托|牵头|成立|开展|"
                      r"服务|对接|实施|落实|统筹|指导|各|全市|全省|其他")


#: 「由A、B（和C）共同牵头（组建）」「A与B联合牵头」: several lead units in one enumeration; each
#: part goes to the field its name's ending says (a school or a company).
_JOINT_LEAD = re.compile(r"(?:由)?([^，。；：:]{8,120}?)(?:共同|联合|双)牵头")
_ENUM_SPLIT = re.compile(r"[、，,和与及]|以及")


#: 「X公司（简称Y）作为牵头企业」: the short-form definition sits between the name and its role
_SHORT_DEFINITION = re.compile(r"\s*[（(](?:以下)?(?:简称|下称)[^（）()]{1,20}[)）]")


#: Short forms of park kinds and the endings of their full names
_PARK_KINDS = {"高新区": ("高新技术产业开发区", "高新区"), "经开区": ("经济技术开发区", "经济开发区", "经开区"),
               "开发区": ("经济技术开发区", "经济开发区", "开发区"), "新区": ("新区",), "产业园": ("产业园区", "产业园")}
_PARK_IN_NAME = re.compile(r"^([\u4e00-\u9fff]{2,4}?)(高新区|经开区|开发区|新区|产业园)")


def park_from_name(name: str, texts: list[str]) -> Optional[str]:
    """「岚州高新区电子信息市域产教联合体」 + 「…岚州高新技术产业开发区…」 in the texts -> 岚州高新技术产业开发区;
    the short form 岚州高新区 when the texts give no single full name; None when the name holds no park."""
    m = _PARK_IN_NAME.match(re.sub(r"^(?:[\u4e00-\u9fff]{2,3}[省市])", "", name))
    if not m:
        return None
    place, kind = m.group(1), m.group(2)
    full = re.compile(re.escape(place) + r"[\u4e00-\u9fff]{0,8}?(?:" + "|".join(_PARK_KINDS[kind]) + ")")
    fulls = {f.group(0) for text in texts for f in full.finditer(text)} - {place + kind}
    longest = {v for v in fulls if not any(v != w and v in w for w in fulls)}
    return longest.pop() if len(longest) == 1 else place + kind


def _vote_sentences(text: str, votes: dict[str, Counter[str]], weight: int = 1) -> None:
    text = _SHORT_DEFINITION.sub("", text)
    for pattern, field, weight in SENTENCE_PATTERNS:
        for m in pattern.finditer(text):
            v = _clean(m.group(1), field)
            if v:
                votes[field][v] += weight
    for m in _JOINT_LEAD.finditer(text):
        for part in _ENUM_SPLIT.split(m.group(1).split("由")[-1]):
            for field in ("lead_school", "lead_enterprise"):
                fm = PATTERN[field].fullmatch(_LEAD_IN.sub("", part.strip()))
                if fm and not _VERBISH.search(fm.group(1)):
                    votes[field][fm.group(1)] += 2
    for m in _NAME.finditer(text):
        v = _LEAD_IN.sub("", m.group(1))
        v = re.sub(r"^(?:20\d\d年(?:度)?|此次|本次|这次|今年|本|该|此|全|各|推动|加强|建设|关于)", "", v)
        # a phrase with a verb in it is a sentence fragment, not a name (「市级财政安排市域产教联合体」)
        if len(v) >= 6 and not re.match(r"^(?:市域|国家|本)产教联合体", v) and not _VERBISH.search(v):
            votes["name"][v] += weight


_COMPANY_FULL = re.compile(r"(?:有限公司|有限责任公司|股份公司|集团公司)$")


def _expand(short: str, pattern: re.Pattern, texts: list[str]) -> Optional[str]:
    """The full name in ``texts`` of which ``short`` is a usual short form, when exactly one."""
    m = re.fullmatch(r"(.+?)(集团|公司)", short)
    if not m:
        return None
    fulls = {_LEAD_IN.sub("", f.group(1)) for t in texts for f in pattern.finditer(t)}
    fulls = {f for f in fulls if f != short and _COMPANY_FULL.search(f) and short_form_of(m.group(1), m.group(2), f)}
    return fulls.pop() if len(fulls) == 1 else None


def _choose(c: Counter[str]) -> str:
    """Most supported value; among near-ties prefer the longer (fuller) form."""
    top = c.most_common()
    best_score = top[0][1]
    near = [v for v, n in top if n >= best_score * 0.5]
    # prefer a form that contains another candidate (苏州市太仓… ⊃ 太仓…)
    near.sort(key=lambda v: (sum(1 for o in near if o != v and norm(o) in norm(v)), c[v], len(v)), reverse=True)
    return near[0]


def match_roster(catalogue: Catalogue, info: ConsortiumInfo, text: str) -> Optional[RosterEntry]:
    """The official list entry these documents belong to, if the evidence is clear."""
    t = norm(text)
    best, best_score = None, 0.0
    for e in catalogue.rosters:
        score = 0.0
        names = [e.name, *e.aliases]
        if any(norm(n) in t for n in names if len(n) >= 6):
            score += 2
        if info.name and any(norm(info.name) == norm(n) for n in names):
            score += 2
        if e.park and norm(e.park) in t:
            score += 1
        if e.lead_enterprise and norm(e.lead_enterprise) in t:
            score += 1
        if any(norm(s) in t for s in e.lead_schools):
            score += 1
        if score > best_score:
            best, best_score = e, score
    return best if best_score >= 3 else None


#: Park types whose name states the level (national and provincial classifications of
#: development zones): 「X国家高新技术产业开发区」 is 国家级, 「X省级经济开发区」 省级.
PARK_LEVELS = [
    ("国家级", re.compile(r"国家级|国家(?:高新技术产业开发区|高新区|经济技术开发区|级?新区|自主创新示范区|农业科技园区|"
                          r"农业高新技术产业示范区|航空高技术产业基地|自由贸易试验区|综合保税区)|^[^省]{0,6}新区$")),
    ("省级", re.compile(r"省级|省(?:高新技术产业开发区|经济开发区|级?新区)")),
]


def park_level(park: Optional[str]) -> Optional[str]:
    """国家级 / 省级 when the park's name says so, else None."""
    if not park:
        return None
    for level, rx in PARK_LEVELS:
        if rx.search(park):
            return level
    return None
