"""The annual report: YoY rules, the rendered .docx read back, the data sheet round trip, the sample."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm

from consortium_review import ROOT
from consortium_review.catalogue import load_catalogue
from consortium_review.generator import officedoc as od
from consortium_review.annual import annual_report, collect_year, load_previous
from consortium_review.generator.annual_data import ANNUAL_JSON, PLACEHOLDER, YearData
from consortium_review.generator.annual_prose import point_label, target_year, yesno_phrase
from consortium_review.generator.annual_render import render_annual
from consortium_review.generator.datasheet import COLUMNS, INSTRUCTIONS_SHEET, SHEET_NAME, write_datasheet
from consortium_review.generator.yoy import compare, compare_point

CODE = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{1,2}$")
HOSTILE = "经费 & <b>粗</b> ]]> {{ x }} {% if y %} \x0b 结束"
SECTIONS = ["目　　录", "一、基本情况", "二、年度建设成效", "（一）合作办学", "（二）合作育人（含“五金”建设）",
            "（三）合作就业", "（四）合作发展", "三、存在问题与改进措施", "四、下一年度工作计划", "附表",
            "观测点数据一览表"]


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


# =========================================================================== YoY rules

def test_yoy_increase_decrease_zero_missing():
    up = compare(120, 100, unit="个", previous_unit="个")
    assert (up.delta_text, up.percent_text, up.prose) == ("+20个", "+20.0%", "较上年增加20个，增长20.0%")
    down = compare(30, 40, unit="门", previous_unit="门")
    assert (down.delta_text, down.percent_text, down.prose) == ("-10门", "-25.0%", "较上年减少10门，下降25.0%")
    zero = compare(5, 0, unit="个", previous_unit="个")
    assert (zero.delta_text, zero.percent_text) == ("+5个", "—")          # never infinity
    same = compare(7, 7, unit="个", previous_unit="个")
    assert (same.delta_text, same.percent_text, same.prose) == ("0", "0.0%", "与上年持平")
    rate = compare(0.3, 0.1, unit="%", previous_unit="%")
    assert (rate.delta_text, rate.prose) == ("+0.2个百分点", "较上年提高0.2个百分点")   # decimal arithmetic
    assert compare(93.1, 96.8, unit="%", previous_unit="%").prose == "较上年降低3.7个百分点"
    assert compare(15, None, unit="本").delta_text == "无上年数据"
    assert compare(15, None, unit="本").percent_text == "无上年数据"
    assert compare(None, 3, unit="本", previous_unit="本").delta_text == "待补充"
    assert compare(15, 12, unit="本", has_previous=False).delta_text == "无上年数据"
    mism = compare(1286, 1000, unit="亿元", previous_unit="万元")
    assert (mism.delta_text, mism.percent_text, mism.delta) == ("单位不同，不作比较", "—", None)
    assert compare(True, False).delta_text == "由“否”变为“是”"
    assert compare(True, True).delta_text == "无变化"
    assert compare(Decimal("2.5"), 2, unit="%", previous_unit="%").percent_text == "+25.0%"
    assert compare(Decimal("2.5"), 2, unit="万元", previous_unit="万元").delta_text == "+0.5万元"


def test_yoy_points_partial_and_multi_units():
    cur = {"status": "found", "value": 90, "unit": "人次",
           "quantities": [{"value": 90, "unit": "人次"}, {"value": 2700, "unit": "课时"}]}
    prev = {"status": "found", "value": 86, "unit": "人次",
            "quantities": [{"value": 86, "unit": "人次"}, {"value": 3000, "unit": "课时"}]}
    ch = compare_point("8.4.1", cur, prev, True)
    assert ch.delta_text == "+4人次；-300课时"
    assert ch.percent_text == "+4.7%；-10.0%"
    # a plan target (partial) last year is not last year's figure
    target_only = {"status": "partial", "value": None, "unit": "个"}
    assert compare_point("8.1.4", {"status": "found", "value": 5, "unit": "个"}, target_only, True).delta_text == "无上年数据"
    # a description has nothing to compare
    words = {"status": "found", "value": None, "unit": None}
    assert compare_point("6.1.3", words, words, True).delta_text == "—"
    assert compare_point("6.1.3", words, None, False).delta_text == "无上年数据"


def test_wording_helpers(catalogue):
    p = catalogue.point
    assert point_label(p("8.1.3")) == "共建专业"
    assert point_label(p("15.1.2")) == "招收留学生人数"
    assert point_label(p("2.1.2")) == "园区总产值"
    assert point_label(p("2.1.1")) == "产业园区等级"
    assert point_label(p("8.4.1")) == "企业兼职教师"
    assert yesno_phrase(p("8.1.1"), True) == "已建立专业规划联动机制"
    assert yesno_phrase(p("8.1.1"), False) == "尚未建立专业规划联动机制"
    assert yesno_phrase(p("3.1.1"), True).startswith("牵头企业为行业龙头企业")
    assert "是否" not in yesno_phrase(p("6.2.1"), True)


# =========================================================================== rendering from evidence

def _evidence(catalogue, values: dict, name="测试市域产教联合体", extra_points: dict | None = None):
    pts = []
    for op in catalogue.points:
        pts.append({"code": op.code, "name": op.name, "status": "missing", "value": None, "unit": op.unit,
                    "quantities": [], "threshold": None, "evidence": [], "confidence": 0.0, "note": None})
    by = {p["code"]: p for p in pts}
    for code, (value, unit, page) in values.items():
        by[code].update(status="found", value=value, unit=unit, confidence=0.9,
                        evidence=[{"file": "年度工作总结.pdf", "page": page, "locator": f"第{page}段",
                                   "snippet": f"{code}：{value}{unit or ''}", "value": value, "unit": unit,
                                   "kind": "achieved"}])
    for code, upd in (extra_points or {}).items():
        by[code].update(upd)
    return {"schema": "consortium-review/evidence/1", "standard": catalogue.id,
            "consortium": {"name": name, "park": "测试经济技术开发区", "lead_school": "测试职业技术学院",
                           "lead_enterprise": None, "roster": None},
            "documents": [{"file": "年度工作总结.pdf", "sha256": "", "format": "pdf", "pages": 9, "status": "ok",
                           "error": None}],
            "points": pts, "negative_list": []}


CURRENT = {"8.1.3": (12, "个", 3), "8.2.2": (30, "门", 4), "8.5.1": (5, "个", 5), "8.3.1": (15, "本", 4),
           "2.1.2": (1286, "亿元", 1), "12.1.1": (96.8, "%", 6), "8.1.1": (True, None, 3),
           "13.2.3": (1536, "万元", 6)}
PREVIOUS = {"8.1.3": (10, "个", 2), "8.2.2": (40, "门", 2), "8.5.1": (0, "个", 2), "8.3.3": (3, "本", 2),
            "2.1.2": (1000, "万元", 1), "12.1.1": (95.0, "%", 3), "8.1.1": (False, None, 3),
            "13.2.3": (1200, "万元", 4)}


def _table(doc):
    t = doc.tables[-1]
    rows = {}
    for r in t.rows:
        cells = [c.text for c in r.cells]
        if CODE.match(cells[0]):
            rows[cells[0]] = cells
    return t, rows


def _highlighted(doc) -> list[str]:
    out = []
    for el in doc.element.body.iter(qn("w:r")):
        hl = el.find(qn("w:rPr") + "/" + qn("w:highlight"))
        if hl is not None and hl.get(qn("w:val")) == "yellow":
            out.append("".join(t.text or "" for t in el.iter(qn("w:t"))))
    return out


def _texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


@pytest.fixture(scope="module")
def with_previous(catalogue, tmp_path_factory):
    out = tmp_path_factory.mktemp("annual_prev")
    extra = {"6.1.3": {"status": "found", "value": None, "unit": None,
                       "evidence": [{"file": "年度工作总结.pdf", "page": 2, "locator": "第8段", "snippet": HOSTILE,
                                     "value": None, "unit": None, "kind": "achieved"}]},
             "8.1.4": {"status": "partial", "value": None, "unit": "个",
                       "evidence": [{"file": "建设方案.docx", "page": None, "locator": "第15段",
                                     "snippet": "到2026年，特有专业方向达到8个", "value": 8, "unit": "个",
                                     "kind": "target"}]}}
    cur = YearData(evidence=_evidence(catalogue, CURRENT, name="测试<&>产教联合体{{ n }}", extra_points=extra),
                   year=2025, origin="材料")
    prev = YearData(evidence=_evidence(catalogue, PREVIOUS), year=2024, origin="上年.json")
    path = render_annual(catalogue, cur, prev, out, date=dt.date(2026, 1, 15))
    return path, Document(str(path))


def test_report_sections_layout_and_fonts(with_previous):
    path, doc = with_previous
    assert path.name.endswith("2025年度报告.docx") and "产教联合体" in path.name
    texts = _texts(doc)
    for s in SECTIONS:
        assert s in texts, s
    joined = "\n".join(texts)
    assert "测试<&>产教联合体{{ n }}" in joined               # the name, verbatim, on the cover and title
    assert "2026年1月15日" in joined
    # GB/T 9704 page of the body, landscape 附表, page numbers 「— N —」 with a PAGE field
    body, annex = doc.sections[1], doc.sections[2]
    assert abs(body.top_margin - Mm(37)) < Mm(0.5) and abs(body.left_margin - Mm(28)) < Mm(0.5)
    assert abs(body.bottom_margin - Mm(35)) < Mm(0.5) and abs(body.right_margin - Mm(26)) < Mm(0.5)
    assert annex.page_width > annex.page_height
    footer_xml = body.footer._element.xml
    assert "PAGE" in footer_xml and "— " in body.footer.paragraphs[0].text
    assert body._sectPr.find(qn("w:pgNumType")).get(qn("w:start")) == "1"
    assert annex._sectPr.find(qn("w:pgNumType")) is None          # numbering continues
    assert not "".join(p.text for p in doc.sections[0].footer.paragraphs).strip()   # no number on the cover
    normal = doc.styles["Normal"].element
    assert od.font_of(normal.rPr, "eastAsia") == od.FONT_BODY
    assert od.font_of(doc.styles[od.STYLE_HEADING1].element.rPr, "eastAsia") == od.FONT_HEADING1
    styles_of = {(p.text, p.style.name) for p in doc.paragraphs}
    assert ("一、基本情况", od.STYLE_HEADING1) in styles_of and ("一、基本情况", "toc 1") in styles_of
    assert ("（二）合作育人（含“五金”建设）", od.STYLE_HEADING2) in styles_of
    # the 目录 is a TOC field Word/WPS update, with the sections already listed
    assert 'TOC \\o "1-2"' in doc.element.body.xml
    assert doc.settings.element.find(qn("w:updateFields")) is not None


def test_full_table_with_yoy_figures(with_previous, catalogue):
    _, doc = with_previous
    _, rows = _table(doc)
    assert list(rows) == [p.code for p in catalogue.points]
    assert len(rows) == len(catalogue.points) == 116
    # columns: 编号 观测点 单位 本年度 上年度 增减 增幅 数据来源
    assert rows["8.1.3"][3:7] == ["12个", "10个", "+2个", "+20.0%"]
    assert rows["8.2.2"][3:7] == ["30门", "40门", "-10门", "-25.0%"]
    assert rows["8.5.1"][3:7] == ["5个", "0个", "+5个", "—"]
    assert rows["8.3.1"][3:7] == ["15本", "无上年数据", "无上年数据", "无上年数据"]
    assert rows["8.3.3"][3:6] == ["待补充", "3本", "待补充"]
    assert rows["2.1.2"][5] == "单位不同，不作比较"
    assert rows["8.1.1"][3:6] == ["是", "否", "由“否”变为“是”"]
    assert rows["12.1.1"][3:7] == ["96.8%", "95%", "+1.8个百分点", "+1.9%"]
    assert rows["8.1.3"][7] == "年度工作总结.pdf 第3页"
    assert rows["1.1.1"][3:5] == ["待补充", "无上年数据"]
    table, _ = _table(doc)
    groups = [r for r in table.rows if r.cells[0].text == "8"]
    assert len(groups) == 1 and groups[0].cells[1].text == "“五金”建设（合作育人）"
    assert groups[0]._tr.xpath(".//w:gridSpan")[0].get(qn("w:val")) == "7"   # title row spans the table
    assert groups[0].cells[1].paragraphs[0].paragraph_format.keep_with_next
    highlighted = _highlighted(doc)
    assert highlighted.count("待补充") >= 100                   # every missing value is marked
    assert PLACEHOLDER in highlighted                          # 牵头企业 unknown on the cover


def test_prose_cites_sources_and_growth(with_previous):
    _, doc = with_previous
    joined = "\n".join(_texts(doc))
    assert "共建专业12个，较上年增加2个，增长20.0%（来源：年度工作总结.pdf 第3页）" in joined
    assert "联合开发课程30门，较上年减少10门，下降25.0%" in joined
    assert "已建立专业规划联动机制（来源：年度工作总结.pdf 第3页）" in joined
    assert "下降" in joined and "联合开发课程（-10门，-25.0%）" in joined        # a problem item
    assert "2026年目标8个（来源：建设方案.docx 第15段）" in joined           # next year's plan
    # untrusted snippet text survives intact (minus the XML-illegal \x0b)
    assert "专项经费使用情况：“" + HOSTILE.replace("\x0b", "") + "”（来源：年度工作总结.pdf 第2页）" in joined
    assert "\x0b" not in joined and "{{r" not in joined and "{%p" not in joined


def test_charts_inline(with_previous):
    path, doc = with_previous
    assert len(doc.inline_shapes) == 3                          # key figures, growth, coverage
    for name in ("年度图表-主要指标对比.png", "年度图表-指标增幅.png", "年度图表-各二级指标数据覆盖.png"):
        assert (path.parent / name).stat().st_size > 10_000
    joined = "\n".join(_texts(doc))
    assert "图1　主要指标本年度与上年度对比" in joined and "图3　各二级指标数据覆盖情况" in joined
    assert "上年为0、不计算增幅的：共建实训基地" in joined


def test_without_previous_says_no_previous_data(catalogue, tmp_path):
    cur = YearData(evidence=_evidence(catalogue, CURRENT), year=2025, origin="材料")
    path = render_annual(catalogue, cur, None, tmp_path)
    doc = Document(str(path))
    _, rows = _table(doc)
    for code in CURRENT:
        assert rows[code][4] == "无上年数据" and rows[code][5] == "无上年数据" and rows[code][6] == "无上年数据"
    assert len(doc.inline_shapes) == 2                          # no growth chart without last year
    joined = "\n".join(_texts(doc))
    assert "较上年" not in joined
    assert "未提供上年数据" in joined
    assert PLACEHOLDER in _highlighted(doc)                     # no targets: the plan is a marked placeholder


# =========================================================================== folder runs

def _make_docx(path: Path, paragraphs: list[str]) -> None:
    d = Document()
    for t in paragraphs:
        d.add_paragraph(t)
    d.save(str(path))


def _fill_sheet(path: Path, values: dict, name: str, year: int) -> dict:
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET_NAME]
    rows = {ws.cell(r, 3).value: r for r in range(2, ws.max_row + 1)}
    for code, v in values.items():
        ws.cell(rows[code], COLUMNS.index("本年度数值") + 1).value = v
    info = wb[INSTRUCTIONS_SHEET]
    for r in range(1, 20):
        if info.cell(r, 1).value == "联合体名称":
            info.cell(r, 2).value = name
        if info.cell(r, 1).value == "年度":
            info.cell(r, 2).value = year
    wb.save(path)
    return rows


def test_datasheet_round_trip_into_the_report(catalogue, tmp_path):
    """generate → fill with openpyxl → the annual report uses the values, citing the sheet's rows."""
    folder = tmp_path / "青石湾产教联合体2025"
    folder.mkdir()
    _make_docx(folder / "2025年度工作总结.docx",
               ["青石湾产教联合体2025年度工作总结", "一、专业建设",
                "联合体内校企共建专业12个，联合开发课程32门。"])
    sheet = folder / "成员单位填报.xlsx"
    write_datasheet(catalogue, sheet, year=2025)
    rows = _fill_sheet(sheet, {"8.1.3": 12, "7.2.1": 4, "12.1.1": 97.5, "8.1.1": "是", "8.5.1": 6},
                       name="青石湾产教联合体", year=2025)
    prev_ev = _evidence(catalogue, {"7.2.1": (3, "个", 2), "12.1.1": (97.5, "%", 2)}, name="青石湾产教联合体")
    prev_ev["annual"] = {"year": 2024}
    (tmp_path / "上年.json").write_text(json.dumps(prev_ev, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    s = annual_report(folder, out, catalogue, previous=tmp_path / "上年.json", date=dt.date(2026, 2, 1))
    assert s["year"] == 2025 and s["datasheets"] == ["成员单位填报.xlsx"] and s["from_datasheet"] == 5
    assert s["report"].name == "青石湾产教联合体2025年度报告.docx"
    merged = json.loads((out / ANNUAL_JSON).read_text(encoding="utf-8"))
    p = {x["code"]: x for x in merged["points"]}
    assert p["8.1.3"]["source"] == "datasheet" and p["8.1.3"]["value"] == 12
    assert [e["file"] for e in p["8.1.3"]["evidence"]].count("成员单位填报.xlsx") == 1
    assert (out / "evidence.json").is_file()
    doc = Document(str(s["report"]))
    _, trows = _table(doc)
    assert trows["7.2.1"][3:7] == ["4个", "3个", "+1个", "+33.3%"]
    assert trows["12.1.1"][3:7] == ["97.5%", "97.5%", "0", "0.0%"]
    assert trows["8.1.1"][3] == "是"
    assert trows["8.5.1"][4:6] == ["无上年数据", "无上年数据"]
    assert trows["7.2.1"][7].startswith(f"成员单位填报.xlsx 第{rows['7.2.1']}行")
    joined = "\n".join(_texts(doc))
    assert f"（来源：成员单位填报.xlsx 工作表“数据采集表”第{rows['7.2.1']}行）" in joined
    # next year: this year's 年度数据.json is a valid --previous
    again = load_previous(out, catalogue)
    assert again.year == 2025 and again.point("7.2.1")["value"] == 4


def test_previous_as_materials_folder(catalogue, tmp_path):
    last = tmp_path / "2024"
    last.mkdir()
    write_datasheet(catalogue, last / "表.xlsx", year=2024)
    _fill_sheet(last / "表.xlsx", {"7.2.1": 2}, name="青石湾产教联合体", year=2024)
    prev = load_previous(last, catalogue)
    assert prev.year == 2024 and prev.point("7.2.1")["value"] == 2 and prev.point("7.2.1")["source"] == "datasheet"


def test_cli_datasheet_and_annual(catalogue, tmp_path, capsys):
    from consortium_review.cli import main

    assert main(["datasheet", "-o", str(tmp_path / "空表.xlsx"), "--year", "2025"]) == 0
    assert "已生成数据采集表" in capsys.readouterr().out
    folder = tmp_path / "材料"
    folder.mkdir()
    shutil.copy(tmp_path / "空表.xlsx", folder / "数据.xlsx")
    _fill_sheet(folder / "数据.xlsx", {"8.1.3": 7}, name="云岭产教联合体", year=2025)
    assert main(["annual", str(folder), "-o", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "已生成年度报告" in out and "云岭产教联合体2025年度报告.docx" in out
    assert (tmp_path / "out" / "材料" / "年度报告" / "云岭产教联合体2025年度报告.docx").is_file()
    assert main(["annual", str(tmp_path / "nope")]) == 2
    assert main(["annual", str(folder), "-o", str(tmp_path / "o2"), "--previous", str(tmp_path / "x.json")]) == 2
    assert "找不到上年数据" in capsys.readouterr().err


# =========================================================================== the bundled sample

SAMPLE = ROOT / "input_docs"


@pytest.fixture(scope="module")
def sample_report(catalogue, tmp_path_factory):
    if not any(SAMPLE.glob("*.docx")):
        pytest.skip("示例材料 input_docs/ 尚未生成")
    base = tmp_path_factory.mktemp("sample")
    first = collect_year(SAMPLE, catalogue, base / "first")
    prev = copy.deepcopy(first.evidence)       # last year: every stated figure 20 % lower
    for p in prev["points"]:
        v = p.get("value")
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            p["value"] = round(v / 1.25, 2)
            p["quantities"] = [dict(q, value=round(q["value"] / 1.25, 2)) for q in p.get("quantities") or []]
    prev["annual"] = {"year": (first.year or 2024) - 1}
    prev_path = base / "上年" / "evidence.json"
    prev_path.parent.mkdir()
    prev_path.write_text(json.dumps(prev, ensure_ascii=False), encoding="utf-8")
    s = annual_report(SAMPLE, base / "out", catalogue, previous=prev_path)
    return s, first


def test_sample_with_previous_year(sample_report, catalogue):
    s, first = sample_report
    doc = Document(str(s["report"]))
    texts = _texts(doc)
    for sec in SECTIONS:
        assert sec in texts
    _, rows = _table(doc)
    assert len(rows) == len(catalogue.points)
    stated = [p for p in first.evidence["points"] if p["status"] in ("found", "conflict")
              and isinstance(p["value"], (int, float)) and not isinstance(p["value"], bool)]
    assert stated, "the sample states numeric figures"
    for p in stated[:10]:
        assert rows[p["code"]][6] in ("+25.0%", "—"), (p["code"], rows[p["code"]])
    assert len(doc.inline_shapes) == 3
    assert "较上年增加" in "\n".join(texts)


def test_the_run_hands_the_renderer_what_it_quotes(sample_report, catalogue):
    """collect_year takes the sentences and the year-column figures from the documents (the
    renderer gets plain data): a target in a table row is for the year of the column holding it."""
    _, first = sample_report
    assert first.sentences and all(set(where) == {"file", "page", "locator"} for _, where in first.sentences)
    checked = 0
    for pt in first.evidence["points"]:
        for ev in pt.get("evidence") or []:
            cols = first.year_columns.get((ev.get("file"), ev.get("locator")))
            if ev.get("kind") != "target" or not cols or not isinstance(ev.get("value"), (int, float)):
                continue
            want = next((y for y, figures in cols if float(ev["value"]) in figures), None)
            assert target_year(ev, first) == want, (pt["code"], ev)
            checked += 1
    assert checked, "the sample's plan table (years as columns) holds targets"


def test_sample_report_converts_with_libreoffice(sample_report, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("未安装 LibreOffice（soffice），跳过 PDF 转换检查")
    s, _ = sample_report
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(s["report"])],
                   check=True, capture_output=True, timeout=180)
    pdfs = list(tmp_path.glob("*.pdf"))
    assert len(pdfs) == 1
    import pdfplumber

    with pdfplumber.open(pdfs[0]) as pdf:
        assert len(pdf.pages) >= 10
        first_body = pdf.pages[2].extract_text() or ""
        last = pdf.pages[-1]
        assert last.width > last.height                       # 附表 pages are landscape
        footer = pdf.pages[3].extract_text() or ""
    assert "年度报告" in first_body
    assert re.search(r"—\s*2\s*—", footer)


def test_yoy_from_last_year_s_figures_the_materials_state(catalogue, tmp_path):
    # no --previous: the year's own materials give last year's figures (a 「由上年的17个增加到23个」
    # sentence, a 2023年 column); the report compares against them and cites where they stand
    folder = tmp_path / "青川市智能制造产教联合体"
    folder.mkdir()
    d = Document()
    d.add_paragraph("青川市智能制造产教联合体2024年度工作总结")
    d.add_paragraph("2024年，联合体共建实训基地由上年的17个增加到23个。")
    t = d.add_table(rows=2, cols=3)
    for r, row in enumerate([["指标", "2023年", "2024年"], ["技术服务合同金额（万元）", "640", "812"]]):
        for c, x in enumerate(row):
            t.cell(r, c).text = x
    d.save(str(folder / "2024年度工作总结.docx"))
    s = annual_report(folder, tmp_path / "out", catalogue)
    assert s["previous"] and "材料中所述的上年数" in s["previous"]
    doc = Document(str(s["report"]))
    _, rows = _table(doc)
    assert rows["8.5.1"][3:7] == ["23个", "17个", "+6个", "+35.3%"]
    assert rows["13.2.3"][3:7] == ["812万元", "640万元", "+172万元", "+26.9%"]
    assert "上年：2024年度工作总结.docx" in rows["13.2.3"][7]
    assert rows["8.2.1"][4] == "无上年数据"
    joined = "\n".join(_texts(doc))
    assert "未提供上年数据" not in joined and "材料中所述的上年数" in joined


def test_a_conflicting_value_is_marked_in_the_key_chart(catalogue, tmp_path):
    from consortium_review.generator.annual_charts import key_chart, key_items
    ev = _evidence(catalogue, CURRENT)
    code = "8.1.3"
    for p in ev["points"]:
        if p["code"] == code:
            p["status"] = "conflict"
    cur = YearData(evidence=ev, year=2025, origin="材料")
    items = key_items(catalogue, cur, None)
    assert [it.conflict for it in items if it.conflict] == [True]
    plain = key_chart([dataclasses.replace(it, conflict=False) for it in items], tmp_path / "a.png", 2025, None)
    marked = key_chart(items, tmp_path / "b.png", 2025, None)
    from PIL import Image, ImageChops
    assert ImageChops.difference(Image.open(plain).convert("RGB"), Image.open(marked).convert("RGB")).getbbox()
    path = render_annual(catalogue, cur, None, tmp_path / "out")
    assert "材料间数据不一致" in "\n".join(_texts(Document(str(path))))
