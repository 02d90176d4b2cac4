"""Charts (图表) as print-resolution PNGs, with Chinese labels that render on a fresh machine.

The CJK font comes from the pip package ``mplfonts`` (a dependency) and is registered with
matplotlib by file path — no OS font is relied on.  Three charts, each a plain function of
plain data so the annual report can reuse them:

* ``coverage_chart``  — evidence status per 二级指标 (stacked horizontal bars + coverage %);
* ``threshold_chart`` — key figures against their thresholds (value ÷ bar, 100 % line);
* ``status_chart``    — overall status breakdown (donut) and per group (stacked bars).

``render(evidence, catalogue, out_dir)`` is the pipeline entry point: it assesses the evidence
(expert overrides included) and writes the PNGs next to the other outputs.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from consortium_review.fileio import atomic_path

log = logging.getLogger(__name__)

DPI = 200                       # print resolution (GB/T 9704 prints at 200+ dpi)
FIG_WIDTH_IN = 6.2              # ≈ 157 mm, the GB/T 9704 text width
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


def _figure(height_in: float, width_in: float = FIG_WIDTH_IN):
    """A bare Figure on its own Agg canvas.

    No pyplot: its import, figure registry and backend switching cost time in every process
    and bring nothing to a PNG written from a worker.
    """
    setup_cjk_font()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=DPI)
    _canvas_class()(fig)
    return fig


_CANVAS = None
_POOL = threading.local()
_POOL_SIZE = 6          # renderers kept per thread (a 6.2 x 6 in one at 200 dpi holds ~6 MB)


def _canvas_class():
    """An Agg canvas whose renderers are shared by the figures drawn in this thread.

    matplotlib caches text metrics per renderer; a fresh canvas starts with an empty cache, so
    every label of every chart would be laid out again (CJK glyphs: ~50 µs each).  Charts of
    the same size reuse the renderer (it is cleared before each draw), so the labels every
    consortium has (指标 names, legend, axis titles, ticks) are measured once per process.
    """
    global _CANVAS
    if _CANVAS is None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg

        class PooledCanvasAgg(FigureCanvasAgg):
            def get_renderer(self):
                w, h = self.get_width_height(physical=True)
                key = (w, h, self.figure.dpi)
                pool = getattr(_POOL, "renderers", None)
                if pool is None:
                    pool = _POOL.renderers = {}
                renderer = pool.pop(key, None)
                if renderer is None:
                    renderer = RendererAgg(w, h, self.figure.dpi)
                    while len(pool) >= _POOL_SIZE:
                        pool.pop(next(iter(pool)))          # least recently used first
                pool[key] = renderer
                self.renderer, self._lastKey = renderer, key
                return renderer

        _CANVAS = PooledCanvasAgg
    return _CANVAS


def save_png(fig, path: Path, *, pad_inches: float = 0.08, tight: bool = True, dpi: int = DPI,
             software: Optional[str] = "consortium-review") -> Path:
    """Draw ``fig`` once and write it as an RGB PNG; the same picture as
    ``savefig(bbox_inches="tight")`` but faster.

    * the tight box comes from ``Figure.get_tightbbox`` (a layout pass only), then the figure is
      drawn once — ``bbox_inches="tight"`` draws it twice;
    * the PNG is written here: rows unfiltered, zlib level 3, RGB (the background is opaque
      white) — Pillow's adaptive row filtering cost more than drawing, for larger files.
    """
    import io

    import numpy as np

    path = Path(path)
    bbox = None
    if tight:
        bbox = fig.get_tightbbox(fig.canvas.get_renderer()).padded(pad_inches)
    raw = io.BytesIO()
    fig.savefig(raw, format="rgba", dpi=dpi, bbox_inches=bbox, facecolor="white")
    renderer = fig.canvas.renderer            # the renderer print_raw drew on (the cropped size)
    w, h = int(renderer.width), int(renderer.height)
    rgba = np.frombuffer(raw.getbuffer(), dtype=np.uint8)
    if rgba.size != w * h * 4:                # never write a sheared picture
        raise RuntimeError(f"unexpected raster size {rgba.size} for {w}x{h}")
    with atomic_path(path) as tmp:
        tmp.write_bytes(png_bytes(rgba.reshape(h, w, 4)[:, :, :3], dpi, software))
    return path


def png_bytes(rgb, dpi: float, software: Optional[str] = None, level: int = 3) -> bytes:
    """An 8-bit RGB PNG of the (h, w, 3) uint8 array ``rgb``, with its dpi (pHYs).

    The output marker of ``consortium_review.fileio`` is written in the same pass (no second
    rewrite of the file by ``mark_generated``).
    """
    import struct
    import zlib

    import numpy as np

    from consortium_review.fileio import _PNG_KEY, _PNG_SIG

    h, w, _ = rgb.shape
    rows = np.zeros((h, 1 + 3 * w), dtype=np.uint8)    # filter byte 0 (None) per row
    rows[:, 1:] = rgb.reshape(h, 3 * w)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ppm = int(dpi / 0.0254 + 0.5)                        # pixels per metre, as Pillow writes it
    out = [_PNG_SIG, chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)),
           chunk(b"tEXt", _PNG_KEY + b"\0output"), chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1))]
    if software:
        out.append(chunk(b"tEXt", b"Software\0" + software.encode("latin-1", "replace")))
    out += [chunk(b"IDAT", zlib.compress(rows.tobytes(), level)), chunk(b"IEND", b"")]
    return b"".join(out)


def tight_layout(fig) -> None:
    """``fig.tight_layout()`` without leaving a layout engine on the figure (with one, every
    savefig runs a whole extra draw first)."""
    from matplotlib.layout_engine import TightLayoutEngine

    TightLayoutEngine().execute(fig)


def _save(fig, path: Path) -> Path:
    return save_png(fig, path)


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
    fig = _figure(1.1 + 0.32 * len(rows))
    ax = fig.add_subplot(111)
    labels = [_short(r.label, 16) for r in rows]
    ys = list(range(len(rows)))[::-1]
    lefts = [0] * len(rows)
    max_total = max(sum(r.counts.get(s, 0) for s in STATUS_ORDER) for r in rows)
    for status in STATUS_ORDER:
        widths = [r.counts.get(status, 0) for r in rows]
        ax.barh(ys, widths, left=lefts, color=STATUS_COLORS[status], height=0.62,
                label=STATUS_NAMES[status], edgecolor="white", linewidth=0.6)
        for y, left, w in zip(ys, lefts, widths):
            if w and w >= 0.035 * max_total:
                ax.text(left + w / 2, y, str(w), ha="center", va="center", fontsize=8, color="white")
        lefts = [a + b for a, b in zip(lefts, widths)]
    xmax = max(lefts)
    for y, total, r in zip(ys, lefts, rows):
        ax.text(total + xmax * 0.015, y, f"{r.percent:.0f}%", va="center", fontsize=9, color="#333333")
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=9.5)
    ax.set_xlim(0, xmax * 1.12)
    ax.set_xlabel("观测点数（个）；右侧数字为佐证覆盖率", fontsize=9)
    ax.tick_params(axis="x", labelsize=9)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(ncol=4, fontsize=9, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    tight_layout(fig)
    return _save(fig, path)


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
    fig = _figure(1.0 + 0.62 * len(items))
    ax = fig.add_subplot(111)
    ys = list(range(len(items)))[::-1]
    cap = 300.0
    ratios = []
    for it in items:
        if it.value is None or not it.threshold:
            ratios.append(None)
        else:
            ratios.append(100.0 * it.value / it.threshold)
    shown = [min(r, cap) if r is not None else 0 for r in ratios]
    colors = [MET_COLORS[it.met] for it in items]
    ax.barh([y + 0.12 for y in ys], shown, color=colors, height=0.42)
    for y, r, it in zip(ys, ratios, items):
        ax.text(3, y - 0.3, f"标准：{it.rule}", va="center", fontsize=8, color="#666666", zorder=3,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6})
        if r is None:
            ax.text(3, y + 0.12, "未见可核实的数据", va="center", fontsize=9, color="#666666")
            continue
        verdict = {True: "达标", False: "未达标", None: "待判定"}[it.met]
        ax.text(min(r, cap) + 4, y + 0.12, f"{format_value(it.value, it.unit)}（{verdict}）", va="center",
                fontsize=9, color="#333333")
    ax.axvline(100, color="#333333", linestyle="--", linewidth=0.9, zorder=2)
    ax.text(103, len(items) - 0.45, "标准线（100%）", ha="left", va="bottom", fontsize=8.5, color="#333333")
    ax.set_yticks(ys)
    ax.set_yticklabels([_wrap(it.label, 12) for it in items], fontsize=9)
    ax.set_xlim(0, cap * 1.5)
    ax.set_xticks([0, 50, 100, 150, 200, 250, 300])
    ax.set_ylim(-0.65, len(items) - 0.25)
    ax.set_xlabel("材料数值占标准值的比例（%，超过300%按300%显示）", fontsize=9)
    ax.tick_params(axis="x", labelsize=9)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    tight_layout(fig)
    return _save(fig, path)


def status_chart(overall: dict[str, int], groups: Sequence[tuple[str, dict[str, int]]], path: Path,
                 percent: Optional[float] = None) -> Optional[Path]:
    """Donut of the overall statuses and stacked bars per group."""
    total = sum(overall.get(s, 0) for s in STATUS_ORDER)
    if not total:
        return None
    fig = _figure(2.7)
    ax1 = fig.add_axes((0.0, 0.08, 0.36, 0.84))
    values = [overall.get(s, 0) for s in STATUS_ORDER]
    nz = [(v, s) for v, s in zip(values, STATUS_ORDER) if v]
    ax1.pie([v for v, _ in nz], colors=[STATUS_COLORS[s] for _, s in nz], startangle=90, counterclock=False,
            wedgeprops={"width": 0.38, "edgecolor": "white"})
    center = f"共{total}个\n观测点"
    if percent is not None:
        center += f"\n覆盖率{percent:.0f}%"
    ax1.text(0, 0, center, ha="center", va="center", fontsize=10)
    ax1.set_aspect("equal")
    ax2 = fig.add_axes((0.5, 0.2, 0.48, 0.72))
    labels = [_short(g, 8) for g, _ in groups]
    xs = list(range(len(groups)))
    bottoms = [0] * len(groups)
    for s in STATUS_ORDER:
        hs = [c.get(s, 0) for _, c in groups]
        ax2.bar(xs, hs, bottom=bottoms, color=STATUS_COLORS[s], width=0.6, label=f"{STATUS_NAMES[s]} {overall.get(s, 0)}")
        bottoms = [a + b for a, b in zip(bottoms, hs)]
    ax2.set_xticks(xs)
    ax2.set_xticklabels(labels, fontsize=9)
    ax2.set_ylabel("观测点数（个）", fontsize=9)
    ax2.tick_params(axis="y", labelsize=9)
    for side in ("top", "right"):
        ax2.spines[side].set_visible(False)
    handles, leg_labels = ax2.get_legend_handles_labels()
    fig.legend(handles, leg_labels, ncol=4, fontsize=9, frameon=False, loc="lower center",
               bbox_to_anchor=(0.5, -0.02))
    return _save(fig, path)


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
