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
