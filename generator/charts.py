"""Charts (图表) as print-resolution PNGs, with Chinese labels that render on a fresh machine.

The CJK font comes from the pip package ``mplfonts`` (a dependency) and is registered with
matplotlib by file path — no OS font is relied on.  Three charts, each a plain function of
plain data so the annual report can reuse them:

* ``coverage_chart``  — evidence status per 二级指标 (stacked horizontal bars + coverage %);
* ``threshold_chart`` — key figures against their thresholds (value ÷ bar, 100 % line);
* ``status_chart``    — overall status breakdown (donut) and per group (stacked bars).

``render(evidence, catalogue, out_dir)`` is the pipeline entry point: it assesses the evidence
(expert overrides included) and writes the PNGs next to the other outputs.

Each chart is written as a static part (axes, ticks, labels, legend: the same for every
consortium of a catalogue) and a dynamic part (bars, numbers); ``chart_canvas.draw_chart`` lays
out and draws the static part once per process and draws only the data for each further
consortium — the same picture as the plain matplotlib way, several times faster.  ``key``
arguments name everything a static part depends on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

log = logging.getLogger(__name__)

DPI = 200                       # print resolution (GB/T 9704 prints at 200+ dpi)
FIG_WIDTH_IN = 6.2              # ≈ 157 mm, the GB/T 9704 text width
PAD_IN = 0.08                   # white margin around the tight crop
STATUS_COLORS = {               # shared with the workbook fills (lighter there)
    "found": "#3A9E5C",
    "partial": "#E8B93A",
    "conflict": "#E07B39",
    "missing": "#C9474A",
}
STATUS_NAMES = {"found": "已找到", "partial": "部分佐证", "conflict": "数据冲突", "missing": "未见佐证"}
STATUS_ORDER = ("found", "partial", "conflict", "missing")
MET_COLORS = {True: "#3A9E5C", False: "#C9474A", None: "#9E9E9E"}

#: output file names (inside the consortium's result folder)
CHART_FILES = {
    "status": "图表-佐证状态分布.png",
    "coverage": "图表-各二级指标佐证覆盖.png",
    "thresholds": "图表-门槛指标对照.png",
}
#: preferred fonts inside the mplfonts package, best first
MPLFONTS_FILES = ("NotoSansCJKsc-Regular.otf", "SimHei.ttf", "SourceHanSerifSC-Regular.otf")

_FONT: Optional[tuple[str, str]] = None   # (family name, file path) once registered


class ChartFontError(RuntimeError):
    """No CJK font available: charts would show boxes instead of Chinese."""


def mplfonts_font_path() -> Path:
    """The CJK font file shipped inside the installed ``mplfonts`` package."""
    try:
        import mplfonts
    except ImportError:
        raise ChartFontError("未安装 mplfonts，图表中的中文无法显示；请运行 pip install mplfonts") from None
    base = Path(mplfonts.__file__).resolve().parent
    for name in MPLFONTS_FILES:
        hits = sorted(base.rglob(name))
        if hits:
            return hits[0]
    hits = sorted(p for p in base.rglob("*") if p.suffix.lower() in (".otf", ".ttf"))
    if not hits:
        raise ChartFontError(f"mplfonts 包中没有找到字体文件（{base}）")
    return hits[0]


def setup_cjk_font() -> tuple[str, str]:
    """Register the mplfonts CJK font with matplotlib (Agg) and make it the default.

    Returns (family name, font file).  Idempotent.  The registered file is put first in the
    font list so a same-named OS font can never shadow it.
    """
    global _FONT
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import font_manager as fm
    from matplotlib import rcParams

    if _FONT is None:
        path = mplfonts_font_path()
        fm.fontManager.addfont(str(path))
        name = fm.FontProperties(fname=str(path)).get_name()
        # move our entry to the front: findfont keeps the first of equally good matches
        ours = [f for f in fm.fontManager.ttflist if Path(f.fname) == path]
        rest = [f for f in fm.fontManager.ttflist if Path(f.fname) != path]
        fm.fontManager.ttflist = ours + rest
        cache_clear = getattr(getattr(fm.fontManager, "_findfont_cached", None), "cache_clear", None)
        if cache_clear:
            cache_clear()
        _FONT = (name, str(path))
    name = _FONT[0]
    rcParams["font.family"] = "sans-serif"
    sans = [f for f in rcParams["font.sans-serif"] if f != name]
    rcParams["font.sans-serif"] = [name] + sans
    rcParams["axes.unicode_minus"] = False
    rcParams["svg.fonttype"] = "none"
    return _FONT


def _draw(key, height_in: float, static, dynamic, path: Path, *, layout: bool = True) -> Path:
    """Write a chart split into a static and a dynamic part (see ``chart_canvas.draw_chart``)."""
    setup_cjk_font()
    from .chart_canvas import draw_chart

    return draw_chart(key, (FIG_WIDTH_IN, height_in), static, dynamic, Path(path), dpi=DPI, pad_inches=PAD_IN,
                      layout=layout)


def _rects(xywh) -> list:
    """Polygons of (x, y, width, height) rectangles, with the corners a ``Rectangle`` has."""
    return [[(x, y), (x + w, y), (x + w, y + h), (x, y + h)] for x, y, w, h in xywh]


def _bars(ax, xywh, facecolors, **kw):
    """Bars as one PolyCollection: the pixels of ``bar``/``barh`` (same rectangles, same order,
    same zorder) without one Rectangle artist per bar."""
    from matplotlib.collections import PolyCollection

    coll = PolyCollection(_rects(xywh), facecolors=facecolors, **kw)
    ax.add_collection(coll, autolim=False)
    return coll


def _fixed_limits(ax, make_bars) -> None:
    """Fix the axes limits the bars ``make_bars()`` adds would autoscale to (the bars go again).

    Autoscaling is matplotlib's own, sticky edges included: a bar's base stops the margin, so
    a zero-height segment on top of the tallest stack leaves no margin above it.
    """
    helpers = make_bars()
    limits = ax.get_xlim(), ax.get_ylim()
    for h in helpers:
        h.remove()
    ax.set_xlim(*limits[0])
    ax.set_ylim(*limits[1])


def _added(ax, fn) -> list:
    """The artists ``fn()`` adds to ``ax``."""
    before = {id(a) for a in ax.get_children()}
    fn()
    return [a for a in ax.get_children() if id(a) not in before]


def _status_legend_handles(labels: Sequence[str], **props) -> list:
    from matplotlib.patches import Patch

    return [Patch(facecolor=STATUS_COLORS[s], label=label, **props) for s, label in zip(STATUS_ORDER, labels)]


def _short(label: str, n: int = 14) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def _wrap(label: str, width: int = 13, lines: int = 2) -> str:
    """Break a CJK label every ``width`` characters (at most ``lines`` lines, then 「…」)."""
    parts = [label[i:i + width] for i in range(0, len(label), width)] or [""]
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][:-1] + "…"
    return "\n".join(parts)


# --------------------------------------------------------------------------- chart functions

@dataclass
class CoverageRow:
    """One bar: a label (「3.牵头企业」) and its status counts."""

    label: str
    counts: dict[str, int]
    percent: float


def coverage_chart(rows: Sequence[CoverageRow], path: Path) -> Optional[Path]:
    """Stacked horizontal bars of point statuses per row, with the coverage % at the right."""
    rows = [r for r in rows if sum(r.counts.values())]
    if not rows:
        return None
    labels = tuple(_short(r.label, 16) for r in rows)
    ys = list(range(len(rows)))[::-1]
    totals = [sum(r.counts.get(s, 0) for s in STATUS_ORDER) for r in rows]
    xmax = max(totals)

    def static(fig):
        ax = fig.add_subplot(111)
        _fixed_limits(ax, lambda: [ax.barh(ys, totals, height=0.62)])       # x is set below
        ax.set_yticks(ys)
        ax.set_yticklabels(labels, fontsize=9.5)
        ax.set_xlim(0, xmax * 1.12)
        ax.set_xlabel("观测点数（个）；右侧数字为佐证覆盖率", fontsize=9)
        ax.tick_params(axis="x", labelsize=9)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.legend(handles=_status_legend_handles([STATUS_NAMES[s] for s in STATUS_ORDER], edgecolor="white",
                                                 linewidth=0.6),
                  ncol=4, fontsize=9, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0))
        return ax

    def dynamic(ax):
        rects, colors, texts = [], [], []
        lefts = [0] * len(rows)
        for status in STATUS_ORDER:
            widths = [r.counts.get(status, 0) for r in rows]
            rects += [(left, y - 0.62 / 2, w, 0.62) for y, left, w in zip(ys, lefts, widths)]
            colors += [STATUS_COLORS[status]] * len(rows)
            for y, left, w in zip(ys, lefts, widths):
                if w and w >= 0.035 * xmax:
                    texts.append(ax.text(left + w / 2, y, str(w), ha="center", va="center", fontsize=8,
                                         color="white"))
            lefts = [a + b for a, b in zip(lefts, widths)]
        for y, total, r in zip(ys, lefts, rows):
            texts.append(ax.text(total + xmax * 0.015, y, f"{r.percent:.0f}%", va="center", fontsize=9,
                                 color="#333333"))
        return [_bars(ax, rects, colors, edgecolors="white", linewidths=0.6), *texts]

    return _draw(("coverage", labels, xmax), 1.1 + 0.32 * len(rows), static, dynamic, path)


@dataclass
class ThresholdItem:
    """A figure against its bar: value and threshold in the same unit."""

    label: str                  # 「3.2.1 牵头企业总投入」
    value: Optional[float]      # None when no evidence
    threshold: float
    op: str                     # ">=", ">", "<=", "<"
    unit: str
    rule: str                   # 「近三年累计≥100万元」
    met: Optional[bool]


def threshold_chart(items: Sequence[ThresholdItem], path: Path) -> Optional[Path]:
    """Each figure as a percentage of its threshold; the 100 % line is the bar.

    The value and verdict sit right of the bar, the rule in grey under it — all inside the
    axes, so the PNG keeps its text width and its fonts stay legible in the document.
    """
    from .assess import format_value

    # a bar without a figure says nothing the threshold table does not: no empty charts
    items = [it for it in items if it.value is not None and it.threshold]
    if not items:
        return None
    labels = tuple(_wrap(it.label, 12) for it in items)
    n = len(items)
    ys = list(range(n))[::-1]
    cap = 300.0

    def static(fig):
        ax = fig.add_subplot(111)
        ax.set_yticks(ys)
        ax.set_yticklabels(labels, fontsize=9)
        ax.set_xlim(0, cap * 1.5)
        ax.set_xticks([0, 50, 100, 150, 200, 250, 300])
        ax.set_ylim(-0.65, n - 0.25)
        ax.set_xlabel("材料数值占标准值的比例（%，超过300%按300%显示）", fontsize=9)
        ax.tick_params(axis="x", labelsize=9)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        return ax

    def dynamic(ax):
        ratios = [None if it.value is None or not it.threshold else 100.0 * it.value / it.threshold
                  for it in items]
        shown = [min(r, cap) if r is not None else 0 for r in ratios]
        out = [_bars(ax, [(0, y + 0.12 - 0.42 / 2, w, 0.42) for y, w in zip(ys, shown)],
                     [MET_COLORS[it.met] for it in items], edgecolors="none")]
        for y, r, it in zip(ys, ratios, items):
            out.append(ax.text(3, y - 0.3, f"标准：{it.rule}", va="center", fontsize=8, color="#666666", zorder=3,
                               bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6}))
            if r is None:
                out.append(ax.text(3, y + 0.12, "未见可核实的数据", va="center", fontsize=9, color="#666666"))
                continue
            verdict = {True: "达标", False: "未达标", None: "待判定"}[it.met]
            out.append(ax.text(min(r, cap) + 4, y + 0.12, f"{format_value(it.value, it.unit)}（{verdict}）",
                               va="center", fontsize=9, color="#333333"))
        out.append(ax.axvline(100, color="#333333", linestyle="--", linewidth=0.9, zorder=2))
        out.append(ax.text(103, n - 0.45, "标准线（100%）", ha="left", va="bottom", fontsize=8.5, color="#333333"))
        return out

    return _draw(("thresholds", labels), 1.0 + 0.62 * n, static, dynamic, path)


def status_chart(overall: dict[str, int], groups: Sequence[tuple[str, dict[str, int]]], path: Path,
                 percent: Optional[float] = None) -> Optional[Path]:
    """Donut of the overall statuses and stacked bars per group."""
    total = sum(overall.get(s, 0) for s in STATUS_ORDER)
    if not total:
        return None
    labels = tuple(_short(g, 8) for g, _ in groups)
    xs = list(range(len(groups)))
    stacks = []                 # (status, heights, bottoms) of the stacked bars
    bottoms = [0] * len(groups)
    for s in STATUS_ORDER:
        hs = [c.get(s, 0) for _, c in groups]
        stacks.append((s, hs, bottoms))
        bottoms = [a + b for a, b in zip(bottoms, hs)]
    top = max(bottoms, default=0)
    # the y limits: the top, and whether a (zero-height) segment starts there (see _fixed_limits)
    top_is_base = any(b == top for _, _, bs in stacks for b in bs)
    values = [overall.get(s, 0) for s in STATUS_ORDER]
    nz = [(v, s) for v, s in zip(values, STATUS_ORDER) if v]

    def static(fig):
        ax1 = fig.add_axes((0.0, 0.08, 0.36, 0.84))
        # the state ``pie`` leaves its axes in (it is called again with the data)
        ax1.set_aspect("equal")
        ax1.set(frame_on=False, xticks=[], yticks=[], xlim=(-1.25, 1.25), ylim=(-1.25, 1.25))
        ax2 = fig.add_axes((0.5, 0.2, 0.48, 0.72))
        if xs:
            _fixed_limits(ax2, lambda: [ax2.bar(xs, hs, bottom=bs, width=0.6) for _, hs, bs in stacks])
        ax2.set_xticks(xs)
        ax2.set_xticklabels(labels, fontsize=9)
        ax2.set_ylabel("观测点数（个）", fontsize=9)
        ax2.tick_params(axis="y", labelsize=9)
        for side in ("top", "right"):
            ax2.spines[side].set_visible(False)
        return ax1, ax2

    def dynamic(axes):
        ax1, ax2 = axes
        out = _added(ax1, lambda: ax1.pie([v for v, _ in nz], colors=[STATUS_COLORS[s] for _, s in nz],
                                          startangle=90, counterclock=False,
                                          wedgeprops={"width": 0.38, "edgecolor": "white"}))
        center = f"共{total}个\n观测点"
        if percent is not None:
            center += f"\n覆盖率{percent:.0f}%"
        out.append(ax1.text(0, 0, center, ha="center", va="center", fontsize=10))
        rects, colors = [], []
        for s, hs, bs in stacks:
            rects += [(x - 0.6 / 2, b, 0.6, h) for x, b, h in zip(xs, bs, hs)]
            colors += [STATUS_COLORS[s]] * len(groups)
        if rects:
            out.append(_bars(ax2, rects, colors, edgecolors="none"))
        handles = _status_legend_handles([f"{STATUS_NAMES[s]} {overall.get(s, 0)}" for s in STATUS_ORDER])
        out.append(ax2.get_figure().legend(handles=handles, ncol=4, fontsize=9, frameon=False, loc="lower center",
                                           bbox_to_anchor=(0.5, -0.02)))
        return out

    return _draw(("status", labels, top, top_is_base), 2.7, static, dynamic, path, layout=False)


# --------------------------------------------------------------------------- from an assessment

def threshold_items(assessment) -> list[ThresholdItem]:
    """Numeric thresholds (≥, >, ≤, <) with the assessed values (expert's where given)."""
    out = []
    for p in assessment.thresholds:
        if p.threshold_op not in (">=", ">", "<=", "<") or p.threshold_value is None:
            continue
        value = p.value if isinstance(p.value, (int, float)) and not isinstance(p.value, bool) else None
        if value is not None and p.threshold_unit and p.unit and p.unit != p.threshold_unit:
            value = None            # never compare across units
        if p.status == "missing" and not p.expert_value:
            value = None
        out.append(ThresholdItem(label=f"{p.code} {p.subject}", value=value, threshold=float(p.threshold_value),
                                 op=p.threshold_op, unit=p.threshold_unit or p.unit or "",
                                 rule=p.threshold_rule or "", met=p.threshold_met))
    return out


def charts_for(assessment, out_dir: Path) -> dict[str, Path]:
    """Write every chart that has data; returns {key: path}. Stale charts are removed."""
    out_dir = Path(out_dir)
    made: dict[str, Optional[Path]] = {}
    made["status"] = status_chart(
        {s: assessment.coverage.count(s) for s in STATUS_ORDER},
        [(g.name, {s: g.coverage.count(s) for s in STATUS_ORDER}) for g in assessment.groups],
        out_dir / CHART_FILES["status"], percent=assessment.coverage.percent)
    made["coverage"] = coverage_chart(
        [CoverageRow(f"{l2.code}.{l2.name}", {s: l2.coverage.count(s) for s in STATUS_ORDER}, l2.coverage.percent)
         for l2 in assessment.level2],
        out_dir / CHART_FILES["coverage"])
    made["thresholds"] = threshold_chart(threshold_items(assessment), out_dir / CHART_FILES["thresholds"])
    for key, p in made.items():
        if p is None:
            stale = out_dir / CHART_FILES[key]
            if stale.exists():
                try:
                    stale.unlink()
                except OSError:
                    pass
    return {k: v for k, v in made.items() if v is not None}


def render(evidence: dict, catalogue, out_dir: Path, assessment=None) -> list[Path]:
    """Pipeline renderer: assess (with expert overrides) and write the chart PNGs.

    The paths are also left in ``evidence["_rendered"]["charts"]`` so the opinion rendered later
    in the same run embeds exactly these files.
    """
    from .assess import assess

    a = assessment if assessment is not None else assess(evidence, catalogue, evidence.get("assess_settings"))
    made = charts_for(a, Path(out_dir))
    evidence.setdefault("_rendered", {})["charts"] = {k: str(v) for k, v in made.items()}
    return list(made.values())
