"""Progress, budget execution and trend from the materials' own figures (part of assess).

Everything here reads the assessed points (``PointFinding``) and the text of their evidence;
no figure is made up:

* **plan progress** (规划目标完成情况): a point with an achieved value and a target the
  materials state for it — evidence of kind ``target``, or a 「目标/计划/规划…N单位」 clause next
  to the achieved figure (「建成资源库7个（目标12个）」);
* **budget execution** (经费执行率): an amount point whose evidence states both the planned
  (预算/计划/规划/安排) and the achieved amount, or a stated 执行率/到位率;
* **trend** (同比): a baseline the materials give for an earlier year — evidence of kind
  ``previous``, a value labelled with an earlier year than the report's (「2023年…1,980亿元」),
  or a stated change (「较上年增长8.6%」) — and inconsistencies such as one figure labelled as two
  different years.

Numbers are parsed from the evidence snippets with a deliberately small grammar (Arabic digits,
thousands separators, 万元/亿元/元); anything else is left alone rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from .provenance import source_of

YEAR = re.compile(r"(20\d\d)\s*年(?!度?[\d～~—\-至到])")
REPORT_YEAR = re.compile(r"(20\d\d)\s*年度")
NUMBER = re.compile(r"(?<![\d.])(\d{1,3}(?:[,，]\d{3})+|\d+)(?:\.(\d+))?")
CLAUSE_SPLIT = re.compile(r"[；;。！!？?\n]")
SUBCLAUSE_SPLIT = re.compile(r"[，,、：:（）()]")
_AMOUNT_UNITS = {"亿元": 10000.0, "万元": 1.0, "元": 0.0001}
_PLAN_WORDS = re.compile(r"预算|计划|规划|安排|目标|预期|任务")
_DONE_WORDS = re.compile(r"实际|到位|完成|支出|使用|执行|建成|达到|累计")
_RATE = re.compile(r"(执行率|到位率|完成率|使用率)\s*(?:为|达|达到)?\s*(\d+(?:\.\d+)?)\s*[%％]")
_STATED_CHANGE = re.compile(r"(?:较上年|比上年|同比|较2\d\d\d年)\s*(增长|增加|提高|提升|上升|下降|减少|降低)\s*"
                            r"(\d+(?:\.\d+)?)\s*(个百分点|[%％]|倍|万元|亿元|人次|人日|个|人|项|门|本|家|所|次)?")
_TARGET_CLAUSE = re.compile(r"(?:目标|计划|规划|预期|任务)(?:值|数|任务)?(?:为|是|：|:)?\s*")


def to_number(text: str) -> Optional[float]:
    m = NUMBER.fullmatch(text.strip())
    if not m:
        return None
    whole = m.group(1).replace(",", "").replace("，", "")
    return float(whole + ("." + m.group(2) if m.group(2) else ""))


def numbers_in(text: str) -> list[tuple[float, int, int, str]]:
    """(value, start, end, unit-after) for every Arabic number in ``text``."""
    out = []
    for m in NUMBER.finditer(text):
        whole = m.group(1).replace(",", "").replace("，", "")
        v = float(whole + ("." + m.group(2) if m.group(2) else ""))
        tail = text[m.end(): m.end() + 4]
        unit = ""
        for u in ("亿元", "万元", "元", "%", "％", "个百分点", "人次", "人日", "人月", "课时", "个", "人", "项", "门",
                  "本", "家", "所", "次", "份", "场"):
            if tail.startswith(u):
                unit = "%" if u == "％" else u
                break
        out.append((v, m.start(), m.end(), unit))
    return out


def same(a: Any, b: Any) -> bool:
    try:
        return abs(float(a) - float(b)) < 1e-6 * max(1.0, abs(float(a)))
    except (TypeError, ValueError):
        return False


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _clauses(text: str) -> list[str]:
    return [c for c in CLAUSE_SPLIT.split(text or "") if c.strip()]


def _year_before(clause: str, pos: int) -> Optional[int]:
    years = [int(m.group(1)) for m in YEAR.finditer(clause[:pos])]
    return years[-1] if years else None


def _convert(v: float, unit: str, want: Optional[str]) -> Optional[float]:
    """``v`` in ``unit`` expressed in ``want`` (amounts only); None if not comparable."""
    if not want or unit == want:
        return v
    if unit in _AMOUNT_UNITS and want in _AMOUNT_UNITS:
        return v * _AMOUNT_UNITS[unit] / _AMOUNT_UNITS[want]
    if not unit:
        return None
    return None


# --------------------------------------------------------------------------- data

@dataclass
class Figure:
    """A figure and where it is stated."""

    value: float
    unit: str
    source: str
    snippet: str = ""
    year: Optional[int] = None


@dataclass
class Progress:
    """Achieved vs the plan target (规划目标完成情况) for one point."""

    code: str
    subject: str
    unit: str
    achieved: Figure
    target: Figure
    other_targets: list[float] = field(default_factory=list)   # later years' targets (逐年目标)
    is_budget: bool = False
    stated_rate: Optional[float] = None                          # 执行率/到位率 as the materials state it

    @property
    def percent(self) -> Optional[float]:
        if not self.target.value:
            return None
        return round(100.0 * self.achieved.value / self.target.value, 1)

    @property
    def behind(self) -> bool:
        p = self.percent
        return p is not None and p < 100.0


@dataclass
class Trend:
    """This year vs an earlier year for one point (同比)."""

    code: str
    subject: str
    unit: str
    current: Figure
    previous: Optional[Figure] = None
    stated_change: str = ""          # 「较上年增长8.6%」 as written
    origin: str = "material"         # material | previous_file

    @property
    def percent(self) -> Optional[float]:
        if self.previous is None or not self.previous.value:
            return None
        return round(100.0 * (self.current.value - self.previous.value) / self.previous.value, 1)


@dataclass
class YearClash:
    """One figure labelled as two different years (同一数字标注为不同年度)."""

    code: str
    subject: str
    value: float
    unit: str
    labels: list[tuple[int, str]]    # (year, source)


# --------------------------------------------------------------------------- report year

def report_year(documents: Iterable[dict], annual: Optional[dict] = None) -> Optional[int]:
    """The year under review: 年度数据 → 「2024年度」 in file names → None."""
    if annual and annual.get("year"):
        try:
            return int(annual["year"])
        except (TypeError, ValueError):
            pass
    years: list[int] = []
    for d in documents:
        years += [int(y) for y in REPORT_YEAR.findall(str(d.get("file") or ""))]
    return max(set(years), key=years.count) if years else None


# --------------------------------------------------------------------------- per point

def _source(ev: dict) -> str:
    return source_of(ev)


def _value_year(ev: dict, value: float) -> Optional[int]:
    """The year a snippet gives for ``value`` (「2023年…1,980亿元」), else None."""
    for clause in _clauses(str(ev.get("snippet") or "")):
        for v, start, _, _ in numbers_in(clause):
            if same(v, value) and not (2000 <= v <= 2099 and clause[start:start + 6].find("年") == 4):
                y = _year_before(clause, start)
                if y is not None:
                    return y
    return None


def _snippet_targets(ev: dict, achieved: float, unit: Optional[str]) -> list[float]:
    """Targets stated next to the achieved figure: 「建成7个（目标12个）」「计划投入1263万元，实际993万元」."""
    out = []
    snippet = str(ev.get("snippet") or "")
    for clause in _clauses(snippet):
        nums = numbers_in(clause)
        if not any(same(_convert(v, u or (unit or ""), unit) or v, achieved) for v, _, _, u in nums):
            continue
        for v, start, _, u in nums:
            if u in ("%",) and unit != "%":
                continue
            conv = _convert(v, u, unit) if u else (v if not unit or unit in ("个", "人", "项") else None)
            if conv is None or same(conv, achieved):
                continue
            # the number's own sub-clause must say plan/target and not achieved
            left = clause[:start]
            cut = max(left.rfind(c) for c in "，,、；（(") if any(c in left for c in "，,、；（(") else -1
            own = clause[cut + 1: start]
            if _PLAN_WORDS.search(own) and not re.search(r"实际|已", own):
                out.append(conv)
    return out


def point_progress(p, amount_type: bool) -> Optional[Progress]:
    """Plan progress for one assessed point (None when it lacks either figure)."""
    if p.status not in ("found", "conflict") or not _is_num(p.value):
        return None
    unit = p.unit or ""
    achieved_ev = next((e for e in p.evidence if e.get("kind") != "target" and same(e.get("value"), p.value)),
                       p.evidence[0] if p.evidence else None)
    achieved_src = "专家确认" if (p.expert_value and achieved_ev is None) else (_source(achieved_ev) if achieved_ev else "")
    targets: list[tuple[float, dict]] = []
    for e in p.evidence:
        if e.get("kind") == "target" and _is_num(e.get("value")):
            conv = _convert(float(e["value"]), e.get("unit") or unit, unit)
            if conv is not None:
                targets.append((conv, e))
    if not targets:
        for e in p.evidence:
            if e.get("kind") == "target":
                continue
            for t in _snippet_targets(e, float(p.value), unit):
                targets.append((t, e))
    rate = None
    if amount_type:
        for e in p.evidence:
            m = _RATE.search(str(e.get("snippet") or ""))
            if m:
                rate = float(m.group(2))
                break
    if not targets:
        return None
    # several targets are usually year-by-year columns (2024/2025/2026): the first is this year's
    first_val, first_ev = targets[0]
    t_year = None
    for clause in _clauses(str(first_ev.get("snippet") or "")):
        for v, start, _, _ in numbers_in(clause):
            if same(v, first_val):
                t_year = _year_before(clause, start)
                break
        if t_year:
            break
    later = []
    for v, _ in targets[1:]:
        if not same(v, first_val) and v not in later:
            later.append(v)
    return Progress(code=p.code, subject=p.subject, unit=unit,
                    achieved=Figure(float(p.value), unit, achieved_src,
                                    str((achieved_ev or {}).get("snippet") or "")),
                    target=Figure(first_val, unit, _source(first_ev), str(first_ev.get("snippet") or ""), t_year),
                    other_targets=later, is_budget=amount_type, stated_rate=rate)


def point_trend(p, year: Optional[int]) -> tuple[Optional[Trend], Optional[YearClash]]:
    """Baseline / stated change for one numeric point, and a year clash if one figure has two years."""
    if p.status not in ("found", "conflict") or not _is_num(p.value):
        return None, None
    unit = p.unit or ""
    current_ev = None
    previous: Optional[Figure] = None
    labelled: dict[float, list[tuple[int, str]]] = {}
    for e in p.evidence:
        v = e.get("value")
        if not _is_num(v):
            continue
        y = _value_year(e, float(v))
        if y is not None:
            labelled.setdefault(float(v), []).append((y, _source(e)))
        if e.get("kind") == "previous":
            previous = previous or Figure(float(v), e.get("unit") or unit, _source(e), str(e.get("snippet") or ""), y)
        elif year is not None and y is not None and y < year and not same(v, p.value):
            previous = previous or Figure(float(v), e.get("unit") or unit, _source(e), str(e.get("snippet") or ""), y)
        elif same(v, p.value) and current_ev is None:
            current_ev = e
    clash = None
    for v, labels in labelled.items():
        ys = sorted({y for y, _ in labels})
        if len(ys) > 1:
            clash = YearClash(p.code, p.subject, v, unit, labels)
            break
    stated = ""
    for e in p.evidence:
        for clause in _clauses(str(e.get("snippet") or "")):
            m = _STATED_CHANGE.search(clause)
            if m and any(same(v, p.value) for v, _, _, _ in numbers_in(clause[: m.start()])):
                stated = m.group(0)
                break
        if stated:
            break
    if previous is None and not stated:
        return None, clash
    cur_ev = current_ev or (p.evidence[0] if p.evidence else {})
    cur = Figure(float(p.value), unit, _source(cur_ev) if cur_ev else "专家确认", str(cur_ev.get("snippet") or ""),
                 _value_year(cur_ev, float(p.value)) if cur_ev else None)
    if previous is not None and previous.unit != unit:
        conv = _convert(previous.value, previous.unit, unit)
        previous = None if conv is None else Figure(conv, unit, previous.source, previous.snippet, previous.year)
    return Trend(p.code, p.subject, unit, cur, previous, stated), clash


def explained_by_years(p, year: Optional[int]) -> bool:
    """A 'conflict' whose other values are all labelled as earlier years than the report's: a
    baseline, not two versions of one figure."""
    if p.status != "conflict" or year is None or not _is_num(p.value):
        return False
    others = [e for e in p.evidence if _is_num(e.get("value")) and not same(e.get("value"), p.value)]
    if not others:
        return False
    for e in others:
        y = _value_year(e, float(e["value"]))
        if y is None or y >= year:
            return False
    return True


def previous_file_trend(p, prev_point: Optional[dict]) -> Optional[Trend]:
    """Trend against last year's evidence.json / 年度数据.json (``--previous``)."""
    if not prev_point or p.status not in ("found", "conflict") or not _is_num(p.value):
        return None
    v = prev_point.get("value")
    if not _is_num(v) or prev_point.get("status") not in ("found", "conflict"):
        return None
    pu = prev_point.get("unit") or p.unit or ""
    conv = _convert(float(v), pu, p.unit or "")
    if conv is None:
        return None
    evs = prev_point.get("evidence") or []
    src = ("上年 " + _source(evs[0])) if evs else "上年数据"
    cur_ev = p.evidence[0] if p.evidence else {}
    return Trend(p.code, p.subject, p.unit or "", Figure(float(p.value), p.unit or "", _source(cur_ev) if cur_ev else ""),
                 Figure(conv, p.unit or "", src), origin="previous_file")


# --------------------------------------------------------------------------- document numbers

DOC_NUMBER = re.compile(r"([\u4e00-\u9fa5]{1,8}[〔\[［(（]\s*20\d\d\s*[〕\]］)）]\s*\d{1,4}\s*号)")


def document_numbers(evidence: Iterable[dict]) -> list[tuple[str, str]]:
    """(文号, source) cited in evidence snippets, e.g. 「株政发〔2024〕22号」."""
    out: list[tuple[str, str]] = []
    seen = set()
    for e in evidence:
        for m in DOC_NUMBER.finditer(str(e.get("snippet") or "")):
            num = re.sub(r"\s+", "", m.group(1))
            num = num.replace("[", "〔").replace("]", "〕").replace("［", "〔").replace("］", "〕")
            num = re.sub(r"[(（](20\d\d)[)）]", r"〔\1〕", num)
            if num not in seen:
                seen.add(num)
                out.append((num, _source(e)))
    return out


_PLANNED_DATE = re.compile(r"(?:拟|计划|预计|将|力争|争取)(?:于|在)?\s*(20\d\d\s*年[^，。；,;]{0,10}?)"
                           r"(?:前|内|底)?(?:完成|出台|建立|印发|制定|起草|形成|召开|落实)")


def planned_date(snippet: str) -> str:
    """「拟于2025年上半年出台」 -> 「2025年上半年」 (empty when the materials give none)."""
    m = _PLANNED_DATE.search(snippet or "")
    return re.sub(r"\s+", "", m.group(1)) if m else ""
