"""Year-over-year comparison (同比) of observation-point values.

Rules (never invent a figure):

* both years numeric, same unit → change = this year − last year, with its sign; percentage =
  change ÷ last year; last year 0 → the change is shown, the percentage is 「—」 (not ∞);
  a change between two percentages is in 个百分点 (percentage points);
* no previous year at all (no ``--previous``) or the point missing last year → 「无上年数据」;
* the point missing this year → 「待补充」;
* different units → 「单位不同，不作比较」;
* yes/no, category and text points → 「无变化」 or 「由“否”变为“是”」, never a number.

Arithmetic is decimal so 0.3 − 0.1 is 0.2, not 0.19999999999999998.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Optional

NO_PREVIOUS = "无上年数据"
TO_FILL = "待补充"
UNIT_MISMATCH = "单位不同，不作比较"
NO_PERCENT = "—"

#: state of one comparison
UP, DOWN, SAME = "up", "down", "same"
MISSING_PREVIOUS, MISSING_CURRENT, MISSING_BOTH = "no_previous", "no_current", "no_both"
UNITS_DIFFER, CHANGED, UNCHANGED = "unit_mismatch", "changed", "unchanged"
NOT_COMPARABLE = "not_comparable"      # stated in words only (a description): nothing to compare


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)


def format_number(v: Any, max_decimals: int = 2) -> str:
    """12 -> '12', 12.5 -> '12.5', 1/3 -> '0.33', 1234567 -> '1234567' (no exponent, no separators)."""
    d = v if isinstance(v, Decimal) else Decimal(str(v))
    q = d.quantize(Decimal(1).scaleb(-max_decimals), rounding=ROUND_HALF_UP)
    s = format(q, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s in ("-0", ""):
        s = "0"
    return s


def signed(v: Decimal, max_decimals: int = 2) -> str:
    s = format_number(v, max_decimals)
    if s == "0":
        return "0"
    return s if s.startswith("-") else "+" + s


def format_plain(value: Any, unit: Optional[str] = None) -> str:
    """A value for tables: '320万元', '是', '省级'; '' for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if is_number(value):
        return format_number(value) + (unit or "")
    return str(value).strip()


@dataclass
class Change:
    """The comparison of one quantity (a value and its unit) with last year."""

    state: str
    current: Any = None
    previous: Any = None
    unit: Optional[str] = None
    delta: Optional[Decimal] = None
    percent: Optional[Decimal] = None        # None when last year is 0 or not numeric

    @property
    def numeric(self) -> bool:
        return self.delta is not None

    @property
    def delta_text(self) -> str:
        """'+12个', '-3.5万元', '0', or the reason there is no change figure."""
        if self.state == MISSING_PREVIOUS:
            return NO_PREVIOUS
        if self.state in (MISSING_CURRENT, MISSING_BOTH):
            return TO_FILL
        if self.state == UNITS_DIFFER:
            return UNIT_MISMATCH
        if self.state == NOT_COMPARABLE:
            return NO_PERCENT
        if self.delta is None:
            if self.state == UNCHANGED:
                return "无变化"
            if self.state == CHANGED:
                return f"由“{format_plain(self.previous)}”变为“{format_plain(self.current)}”"
            return NO_PERCENT
        s = signed(self.delta)
        return s + self._delta_unit if s != "0" else "0"

    @property
    def _delta_unit(self) -> str:
        # the difference of two percentages is in percentage points (个百分点), not percent
        return "个百分点" if self.unit == "%" else (self.unit or "")

    @property
    def percent_text(self) -> str:
        """'+12.5%', '-3.0%', '0.0%', '—' (last year 0, or nothing to compare)."""
        if self.state == MISSING_PREVIOUS:
            return NO_PREVIOUS
        if self.state in (MISSING_CURRENT, MISSING_BOTH):
            return TO_FILL
        if self.state == UNITS_DIFFER or self.percent is None:
            return NO_PERCENT
        p = self.percent.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if p == 0:
            return "0.0%"
        return ("+" if p > 0 else "") + format(p, "f") + "%"

    @property
    def prose(self) -> str:
        """'较上年增加12个，增长12.5%' / '较上年减少3万元，下降3.0%' / '与上年持平' / ''."""
        if self.delta is None:
            if self.state == CHANGED:
                return f"上年为“{format_plain(self.previous)}”"
            return ""
        if self.delta == 0:
            return "与上年持平"
        amount = format_number(abs(self.delta)) + self._delta_unit
        if self.unit == "%":
            return f"较上年{'提高' if self.delta > 0 else '降低'}{amount}"
        if self.delta > 0:
            s = f"较上年增加{amount}"
            if self.percent is not None:
                s += f"，增长{format(self.percent.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP), 'f')}%"
        else:
            s = f"较上年减少{amount}"
            if self.percent is not None:
                s += f"，下降{format(abs(self.percent).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP), 'f')}%"
        return s


def compare(current: Any, previous: Any, *, unit: Optional[str] = None, previous_unit: Optional[str] = None,
            has_previous: bool = True) -> Change:
    """Compare one value with last year's (see the module rules)."""
    cur_missing = current is None or current == ""
    prev_missing = (not has_previous) or previous is None or previous == ""
    if cur_missing and prev_missing:
        return Change(MISSING_BOTH if has_previous else MISSING_PREVIOUS, None, None, unit)
    if prev_missing:
        return Change(MISSING_PREVIOUS, current, None, unit)
    if cur_missing:
        return Change(MISSING_CURRENT, None, previous, previous_unit or unit)
    if is_number(current) and is_number(previous):
        if unit and previous_unit and unit != previous_unit:
            return Change(UNITS_DIFFER, current, previous, unit)
        c, p = Decimal(str(current)), Decimal(str(previous))
        delta = c - p
        percent = (delta / p * 100) if p != 0 else None
        state = UP if delta > 0 else DOWN if delta < 0 else SAME
        return Change(state, current, previous, unit or previous_unit, delta, percent)
    if is_number(current) != is_number(previous):
        return Change(UNITS_DIFFER, current, previous, unit)
    same = (current is previous) if isinstance(current, bool) or isinstance(previous, bool) else \
        str(current).strip() == str(previous).strip()
    return Change(UNCHANGED if same else CHANGED, current, previous, unit)


@dataclass
class PointChange:
    """A point's comparison: the main value plus, for multi-unit points, one per unit."""

    code: str
    main: Change
    parts: list[Change] = field(default_factory=list)    # per unit (multi-unit points)

    @property
    def delta_text(self) -> str:
        if self.parts:
            numeric = [c for c in self.parts if c.numeric]
            if numeric:
                return "；".join(c.delta_text for c in numeric)
        return self.main.delta_text

    @property
    def percent_text(self) -> str:
        if self.parts:
            numeric = [c for c in self.parts if c.numeric]
            if numeric:
                return "；".join(c.percent_text for c in numeric)
        return self.main.percent_text

    @property
    def prose(self) -> str:
        if self.parts:
            bits = [c.prose for c in self.parts if c.numeric]
            if bits:
                return "；".join(bits)
        return self.main.prose


def compare_point(code: str, current: Optional[dict], previous: Optional[dict], has_previous: bool) -> PointChange:
    """Compare two evidence.json points (``{"value", "unit", "quantities", "status"}``).

    A point counts as stated only when its status is found or conflict (a partial point holds
    a plan target, not an achieved figure).
    """
    def stated(p: Optional[dict]) -> tuple[Any, Optional[str], dict[str, Any]]:
        if not p or p.get("status") not in ("found", "conflict"):
            return None, None, {}
        qs = {q.get("unit"): q.get("value") for q in p.get("quantities") or [] if q.get("value") is not None}
        return p.get("value"), p.get("unit"), qs

    def words_only(p: Optional[dict]) -> bool:
        return bool(p) and p.get("status") in ("found", "conflict") and p.get("value") is None

    cv, cu, cq = stated(current)
    pv, pu, pq = stated(previous)
    if words_only(current) and (not has_previous or words_only(previous) or pv is None):
        # a description (文字描述) has no value to compare; say so rather than 「待补充」
        state = NOT_COMPARABLE if has_previous and previous and previous.get("status") in ("found", "conflict") \
            else MISSING_PREVIOUS
        return PointChange(code, Change(state, None, None, cu))
    main = compare(cv, pv, unit=cu, previous_unit=pu, has_previous=has_previous)
    parts = []
    if cq or pq:
        units = list(dict.fromkeys(list(cq) + list(pq)))
        for u in units:
            parts.append(compare(cq.get(u), pq.get(u), unit=u, previous_unit=u, has_previous=has_previous))
    return PointChange(code, main, parts if len(parts) > 1 else [])
