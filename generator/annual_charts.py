"""Charts of the annual report (matplotlib, imported lazily: heavy optional part; drawn by
``chart_canvas``: no pyplot, one draw per chart).

Part of the annual report (see ``consortium_review.consortium_review.annual / generator.annual_render``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from consortium_review.catalogue import Catalogue

from .yoy import PointChange, format_number, is_number
from .annual_data import (CHART_DPI, KEY_MAX, KEY_POINTS, TREND_MAX, YearData)
from .annual_prose import (point_label, stated)
from .chart_canvas import new_figure, save_png, tight_layout
from .charts import setup_cjk_font
from .charts import STATUS_ORDER, CoverageRow
from .charts import coverage_chart as _coverage


# =========================================================================== charts

@dataclass
class KeyItem:
    label: str
    unit: str
    current: Optional[float]
    previous: Optional[float]
    note: str = "无上年数据"          # shown instead of last year's bar when there is none
    conflict: bool = False           # the materials give different values this year: hatched, marked


def key_items(catalogue: Catalogue, cur: YearData, prev: Optional[YearData]) -> list[KeyItem]:
    ops = {p.code: p for p in catalogue.points}
    order = [c for c in KEY_POINTS if c in ops] + [p.code for p in catalogue.points if p.code not in KEY_POINTS]
    out: list[KeyItem] = []
    for code in order:
        op = ops[code]
        if not op.is_numeric:
            continue
        pt = cur.point(code) or {}
        ppt = prev.point(code) if prev else None
        cv = pt.get("value") if stated(pt) and is_number(pt.get("value")) else None
        pv = ppt.get("value") if stated(ppt) and is_number(ppt.get("value")) else None
        note = "无上年数据"
        if pv is not None and (ppt.get("unit") or op.unit) != (pt.get("unit") or op.unit):
            pv, note = None, "单位不同"
        if cv is None:
            continue
        out.append(KeyItem(point_label(op), pt.get("unit") or op.unit or "", float(cv),
                           float(pv) if pv is not None else None, note, conflict=pt.get("status") == "conflict"))
        if len(out) >= KEY_MAX:
            break
    return out


def _short(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _wrap(s: str, n: int) -> str:
    """Break a CJK label every ``n`` characters (matplotlib does not wrap CJK text)."""
    return "\n".join(s[i:i + n] for i in range(0, len(s), n))


def key_chart(items: Sequence[KeyItem], path: Path, year: Optional[int], prev_year: Optional[int]) -> Optional[Path]:
    """Small multiples: per indicator, last year's and this year's bar on its own scale."""
    if not items:
        return None

    cols = 4 if len(items) > 6 else 3 if len(items) > 4 else len(items)
    rows = (len(items) + cols - 1) // cols
    row_in = 1.45
    fig = _figure(6.2, row_in * rows + 0.3)
    axes = fig.subplots(rows, cols, squeeze=False)
    cy = f"{year}年" if year else "本年度"
    py = f"{prev_year}年" if prev_year else "上年度"
    for ax, it in zip(axes.flat, items):
        vals = [it.previous if it.previous is not None else 0.0, it.current]
        colors = ["#A5B4CB", "#2F5597"]
        bars = ax.bar([0, 1], vals, color=colors, width=0.62)
        if it.conflict:
            # the materials disagree on this year's value: the bar is hatched and says so
            bars[1].set_facecolor("#F4B183")
            bars[1].set_hatch("////")
            bars[1].set_edgecolor("#C55A11")
        if it.previous is None:
            bars[0].set_alpha(0)
            ax.text(0, 0, it.note, ha="center", va="bottom", fontsize=6.5, color="#777777")
        top = max(v for v in vals if v is not None) or 1.0
        for x, v, known in ((0, it.previous, it.previous is not None), (1, it.current, True)):
            if known:
                mark = "（不一致）" if x == 1 and it.conflict else ""
                ax.text(x, v + top * 0.03, format_number(v) + mark, ha="center", va="bottom", fontsize=7,
                        color="#C55A11" if mark else "black")
        ax.set_ylim(0, top * 1.28)
        ax.set_xticks([0, 1])
        ax.set_xticklabels([py, cy], fontsize=7)
        ax.set_yticks([])
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.set_title(_wrap(f"{_short(it.label, 15 - len(it.unit))}（{it.unit}）", 10), fontsize=7, linespacing=1.1)
    for ax in list(axes.flat)[len(items):]:
        ax.axis("off")
    # a fixed layout: tight_layout over a dozen small axes costs seconds and gains nothing here
    height = row_in * rows + 0.3
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.3 / height, top=1 - 0.36 / height, wspace=0.18,
                        hspace=0.95)
    return _save(fig, path, tight=False)


def trend_chart(changes: dict[str, PointChange], catalogue: Catalogue, path: Path) -> tuple[Optional[Path], list[str]]:
    """Growth % per numeric point with both years (last year 0 excluded: no percentage)."""
    ops = {p.code: p for p in catalogue.points}
    items = []
    zero_base = []
    for code, ch in changes.items():
        c = ch.main
        if not c.numeric or code not in ops:
            continue
        if c.percent is None:
            zero_base.append(point_label(ops[code]))
            continue
        items.append((f"{code} {_short(point_label(ops[code]), 14)}", float(c.percent)))
    if not items:
        return None, zero_base

    items.sort(key=lambda t: t[1])
    if len(items) > TREND_MAX:            # the largest falls and rises
        items = items[: TREND_MAX // 2] + items[-(TREND_MAX - TREND_MAX // 2):]
    cap = 200.0
    fig = _figure(6.2, 0.6 + 0.28 * len(items))
    ax = fig.add_subplot(111)
    ys = list(range(len(items)))
    vals = [max(-cap, min(cap, v)) for _, v in items]
    ax.barh(ys, vals, color=["#3A9E5C" if v >= 0 else "#C9474A" for v in vals], height=0.6)
    for y, (_, v), shown in zip(ys, items, vals):
        label = ("+" if v > 0 else "") + f"{v:.1f}%"
        ax.text(shown + (3 if shown >= 0 else -3), y, label, va="center", ha="left" if shown >= 0 else "right",
                fontsize=7)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_yticks(ys)
    ax.set_yticklabels([l for l, _ in items], fontsize=7.5)
    lo = min(vals + [0])
    hi = max(vals + [0])
    pad = max(15.0, (hi - lo) * 0.18)
    ax.set_xlim(lo - pad if lo < 0 else -5, hi + pad)
    ax.set_xlabel("较上年增幅（%，超过±200%按200%显示）", fontsize=7.5)
    ax.tick_params(axis="x", labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    tight_layout(fig)
    return _save(fig, path), zero_base


def coverage_chart(assessment, path: Path) -> Optional[Path]:

    rows = [CoverageRow(f"{l2.code}.{l2.name}", {s: l2.coverage.count(s) for s in STATUS_ORDER}, l2.coverage.percent)
            for l2 in assessment.level2]
    return _coverage(rows, path)


def _figure(width_in: float, height_in: float):
    """A Figure on a pooled Agg canvas (no pyplot), the CJK font registered."""
    setup_cjk_font()
    return new_figure(width_in, height_in, CHART_DPI)


def _save(fig, path: Path, tight: bool = True) -> Path:
    """The picture ``savefig(bbox_inches="tight", pad_inches=0.06)`` gives, drawn once."""
    return save_png(fig, Path(path), dpi=CHART_DPI, pad_inches=0.06, tight=tight)
