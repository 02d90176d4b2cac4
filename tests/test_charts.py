"""Charts: the CJK font comes from mplfonts, no glyph falls back to a box, PNGs at print resolution."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

from PIL import Image

from consortium_review.catalogue import load_catalogue
from consortium_review.generator import charts
from consortium_review.generator.assess import GROUP_TITLES, assess
from test_assess import sample_evidence, small_catalogue


def _render_text_png(text: str, path: Path) -> list[str]:
    """Draw ``text`` with the chart font; return matplotlib's missing-glyph warnings."""
    charts.setup_cjk_font()
    import matplotlib.pyplot as plt

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = plt.figure(figsize=(4, 1), dpi=50)
        fig.text(0.01, 0.5, text, fontsize=8)
        fig.savefig(path, format="png")
        plt.close(fig)
    return [str(w.message) for w in caught if "missing from" in str(w.message)]


def _all_chart_labels() -> str:
    """Every Chinese string a chart can show for the real catalogue."""
    cat = load_catalogue()
    parts = [f"{l2.code}.{l2.name}" for l2 in cat.level2]
    parts += [f"{p.code} {p.name}" for p in cat.points]
    parts += [p.threshold.rule for p in cat.points if p.threshold]
    parts += list(charts.STATUS_NAMES.values()) + list(GROUP_TITLES.values())
    parts += ["观测点数（个）；右侧数字为佐证覆盖率", "材料数值占标准值的比例（%，超过300%按300%显示）",
              "标准线（100%）", "未见可核实的数据", "达标", "未达标", "待判定", "共116个观测点覆盖率68%",
              "万元亿元人次课时小时/周人月", "…（）；：、"]
    return "".join(parts)


def test_font_is_the_one_shipped_by_mplfonts():
    import mplfonts
    from matplotlib import font_manager as fm
    from matplotlib import rcParams

    name, path = charts.setup_cjk_font()
    pkg = Path(mplfonts.__file__).resolve().parent
    assert Path(path).is_relative_to(pkg) and Path(path).suffix.lower() in (".otf", ".ttf")
    assert rcParams["font.sans-serif"][0] == name and rcParams["axes.unicode_minus"] is False
    resolved = fm.findfont(fm.FontProperties(family=rcParams["font.family"]), fallback_to_default=False)
    assert Path(resolved) == Path(path)


def test_every_label_character_is_in_the_font_cmap():
    from fontTools.ttLib import TTFont

    _, path = charts.setup_cjk_font()
    cmap = TTFont(path, lazy=True, fontNumber=0).getBestCmap()
    missing = sorted({c for c in _all_chart_labels() if not c.isspace() and ord(c) not in cmap})
    assert not missing, f"glyphs missing from {path}: {missing}"


def test_no_missing_glyph_warnings_when_drawing_chinese(tmp_path):
    assert _render_text_png(_all_chart_labels()[:400], tmp_path / "a.png") == []
    # the check can fail: a character the font lacks does produce the warning
    assert _render_text_png("测试\U0001F600", tmp_path / "b.png")


def test_render_writes_print_resolution_pngs_without_glyph_warnings(tmp_path):
    cat = load_catalogue()
    ev = {"consortium": {}, "points": [], "negative_list": []}
    for i, p in enumerate(cat.points):
        status = ("found", "partial", "conflict", "missing")[i % 4]
        d = {"code": p.code, "name": p.name, "status": status, "value": None, "unit": p.unit,
             "evidence": [] if status == "missing" else [{"file": "a.pdf", "page": 1, "locator": "", "snippet": "x"}],
             "threshold": None}
        if p.threshold and p.threshold.op == ">=":
            d.update(status="found", value=p.threshold.value * 3,
                     threshold={"rule": p.threshold.rule, "met": True})
        ev["points"].append(d)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = charts.render(ev, cat, tmp_path)
    assert not [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert sorted(p.name for p in paths) == sorted(charts.CHART_FILES.values())
    assert ev["_rendered"]["charts"] == {k: str(tmp_path / v) for k, v in charts.CHART_FILES.items()}
    for p in paths:
        with Image.open(p) as im:
            dpi = im.info.get("dpi")
            assert dpi and round(dpi[0]) >= 200, p.name
            w_in = im.size[0] / dpi[0]
            assert 4.0 <= w_in <= 7.0, (p.name, w_in)       # fits the 156 mm text width
            assert im.size[1] / dpi[1] <= 9.0
            # not blank: a chart has many colours
            assert len(im.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 50


def test_threshold_items_use_expert_value_and_skip_non_numeric():
    e = sample_evidence()
    next(x for x in e["points"] if x["code"] == "3.3.1")["expert"] = {"status": None, "value": 2.0, "comment": None}
    items = {i.label.split()[0]: i for i in charts.threshold_items(assess(e, small_catalogue()))}
    assert set(items) == {"2.3.1", "3.2.1", "3.3.1"}          # category/true/above_average are not charted
    assert (items["3.3.1"].value, items["3.3.1"].met) == (2.0, False)
    assert items["3.2.1"].value == 320.0 and items["3.2.1"].met is True
    assert items["2.3.1"].value is None                          # missing: no bar, no invented number


def test_stale_chart_removed_and_empty_data_makes_no_chart(tmp_path):
    cat = small_catalogue()
    e = sample_evidence(cat)
    charts.render(e, cat, tmp_path)
    stale = tmp_path / charts.CHART_FILES["thresholds"]
    assert stale.exists()
    # same consortium, but now the catalogue has no numeric thresholds -> the old chart goes
    e2 = copy.deepcopy(e)
    for p in e2["points"]:
        p["threshold"] = None
    from consortium_review.catalogue import catalogue_from_dict
    import test_assess

    data = {"id": "x", "title": "x", "level2": [{"code": "3", "name": "牵头企业", "level1": "基础性指标"}],
            "indicators": [{"code": "3.3", "name": "执行"}],
            "points": [{"code": "3.3.2", "name": "用于技能人才培训的比例（%）", "type": "percent", "unit": "%",
                        "keywords": ["技能"]}]}
    cat2 = catalogue_from_dict(data)
    paths = charts.render(e2, cat2, tmp_path)
    assert not stale.exists()
    assert {p.name for p in paths} == {charts.CHART_FILES["status"], charts.CHART_FILES["coverage"]}
    assert test_assess  # fixtures module is importable from tests/


def test_status_chart_with_no_points_returns_none(tmp_path):
    assert charts.status_chart({}, [], tmp_path / "x.png") is None
    assert charts.coverage_chart([], tmp_path / "y.png") is None
    assert not (tmp_path / "x.png").exists()


# --------------------------------------------------------------------------- fast drawing

def _plain_draw(key, height_in, static, dynamic, path, *, layout=True):
    """The reference: the same chart content the plain matplotlib way (pyplot figure,
    tight_layout, ``savefig(bbox_inches="tight")``, Pillow's PNG)."""
    import matplotlib.pyplot as plt

    charts.setup_cjk_font()
    fig = plt.figure(figsize=(charts.FIG_WIDTH_IN, height_in), dpi=charts.DPI)
    try:
        dynamic(static(fig))
        if layout:
            fig.tight_layout()
        fig.savefig(path, format="png", dpi=charts.DPI, bbox_inches="tight", pad_inches=charts.PAD_IN,
                    facecolor="white")
    finally:
        plt.close(fig)
    return Path(path)


def _pixels(path: Path):
    import numpy as np

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=int)


def _same_as_plain(monkeypatch, tmp_path, name: str, draw) -> Path:
    """Draw with the fast path and the plain way; assert the same picture; the fast PNG."""
    import numpy as np

    fast = draw(tmp_path / f"{name}-fast.png")
    with monkeypatch.context() as m:
        m.setattr(charts, "_draw", _plain_draw)
        plain = draw(tmp_path / f"{name}-plain.png")
    a, b = _pixels(fast), _pixels(plain)
    assert a.shape == b.shape, name
    assert int(np.abs(a - b).max()) == 0, name
    return fast


def test_charts_are_the_plain_matplotlib_picture_when_drawn_fresh_reused_or_redrawn(tmp_path, monkeypatch):
    """Templates (static part drawn once, data drawn over it) give exactly the picture of the
    plain way: first chart, a reused template with other data, and a fallback (a value label
    that reaches past the layout of the static part)."""
    from consortium_review.generator import chart_canvas

    chart_canvas.clear_templates()
    full = []
    real_full = chart_canvas._draw_full
    monkeypatch.setattr(chart_canvas, "_draw_full", lambda *a, **k: full.append(1) or real_full(*a, **k))
    status_names = charts.STATUS_ORDER
    rows1 = [charts.CoverageRow(f"{i}.指标{i}", dict(zip(status_names, c)), p)
             for i, (c, p) in enumerate([((4, 0, 0, 1), 80), ((2, 1, 1, 0), 62), ((0, 0, 0, 3), 0)], 1)]
    rows2 = [charts.CoverageRow(r.label, dict(zip(status_names, c)), p)
             for r, (c, p) in zip(rows1, [((1, 1, 1, 2), 30), ((4, 0, 0, 0), 100), ((3, 0, 0, 0), 100)])]
    for i, rows in enumerate((rows1, rows2)):
        _same_as_plain(monkeypatch, tmp_path, f"coverage{i}", lambda p: charts.coverage_chart(rows, p))
    groups1 = [("合作办学", {"found": 3, "missing": 2}), ("合作育人", {"found": 1, "partial": 4})]
    groups2 = [("合作办学", {"found": 5}), ("合作育人", {"missing": 5})]   # a zero-height top: no margin
    for i, groups in enumerate((groups1, groups2)):
        overall = {s: sum(c.get(s, 0) for _, c in groups) for s in status_names}
        _same_as_plain(monkeypatch, tmp_path, f"status{i}",
                       lambda p: charts.status_chart(overall, groups, p, percent=50.0))

    def item(value, unit="万元"):
        return charts.ThresholdItem("3.2.1 牵头企业近三年在产教融合领域的总投入", value, 100.0, ">=", unit,
                                    "近三年累计≥100万元", value >= 100)

    assert not full
    for i, value in enumerate((120.0, 40.0)):
        _same_as_plain(monkeypatch, tmp_path, f"thresholds{i}", lambda p: charts.threshold_chart([item(value)], p))
    assert not full                                     # both drawn over the template
    long_unit = "万元（其中财政资金、企业自筹资金与社会捐赠合计，按审计报告口径）"
    _same_as_plain(monkeypatch, tmp_path, "thresholds-long", lambda p: charts.threshold_chart([item(9e9, long_unit)], p))
    assert len(full) == 1                               # the long label did not fit: drawn the plain way
    # a label just long enough to fit the final plot area but not the default one tight_layout
    # measures first: the plain way's layout differs from the static part's, so it is drawn that way
    short = charts.ThresholdItem("1.1 投入", 300.0, 100.0, ">=", "万" + "元" * 6, "≥100", True)
    for i in range(2):
        _same_as_plain(monkeypatch, tmp_path, f"thresholds-initial{i}", lambda p: charts.threshold_chart([short], p))
    assert len(full) == 3


def test_chart_png_size_resolution_marker_and_content(tmp_path):
    from consortium_review.fileio import is_generated

    e = sample_evidence()
    paths = charts.charts_for(assess(e, small_catalogue()), tmp_path)
    assert set(paths) == {"status", "coverage", "thresholds"}
    for key, p in paths.items():
        with Image.open(p) as im:
            assert im.mode == "RGB" and im.format == "PNG"
            assert round(im.info["dpi"][0]) == charts.DPI
            w, h = im.size
            # the 6.2 in figure cropped to its content plus the 0.08 in margin: about 6 in wide
            assert 5.6 * charts.DPI <= w <= (charts.FIG_WIDTH_IN + 0.2) * charts.DPI, (key, w)
            assert h >= 1.0 * charts.DPI, (key, h)
            assert im.info.get("Software") == "consortium-review"
            colors = im.getcolors(maxcolors=1 << 20)
            assert len(colors) > 50, key                                        # not blank
            assert {charts.STATUS_COLORS["found"]} <= {"#%02X%02X%02X" % c for _, c in colors}, key
        assert is_generated(p)                          # the output marker is in the file already
