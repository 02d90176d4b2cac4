"""Spreadsheet reader: real .xlsx/.xls/.csv files built here, read through the dispatcher."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from consortium_review.extractors.read import read_file
from consortium_review.extractors.readers import ReadError
from consortium_review.extractors.readers import sheet
from consortium_review.extractors.readers.sheet import format_number, format_value, read

FIXTURES = Path(__file__).parent / "fixtures"


def _rows(reading, kind="table_row"):
    return [b for b in reading.blocks if b.kind == kind]


def _by_row(reading, sheet_name=None):
    return {b.row: b for b in reading.blocks if sheet_name is None or b.sheet == sheet_name}


def _self_assessment(path: Path) -> Path:
    """A 自评表 shaped like the real ones: merged title, header, merged section rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评"
    ws["A1"] = "临渚市生物医药产教联合体建设自评表"
    ws.merge_cells("A1:E1")
    ws.append(["序号", "观测点", "完成情况", "单位", "佐证材料"])
    ws.append(["一、基础性指标"])
    ws.merge_cells("A3:E3")
    ws.append([1, "2.1.2 园区总产值（亿元）", 1234.0, "亿元", "附件2-8"])
    ws.append([2, "3.3.1 职工教育经费比例（%）", 0.35, None, "附件3-1"])
    ws["C5"].number_format = "0%"
    ws.append([3, "3.3.2 用于技能人才培训的比例", 0.35, "%", None])
    ws.append([4, "理事会成立时间", dt.datetime(2024, 5, 1), None, None])
    ws.append([5, "是否出台议事规则", True, None, None])
    ws.append([6, "是否安排日常经费", False, None, None])
    ws.append(["二、实质性指标"])
    ws.merge_cells("A10:E10")
    ws.append([7, "6.1.2 专项经费实际到位资金（万元）", 1290, None, "附件6-8"])
    ws["C11"].number_format = '0"万元"'
    wb.save(path)
    return path


def test_self_assessment_layout(tmp_path):
    r = read(_self_assessment(tmp_path / "自评表.xlsx"), "自评表.xlsx")
    rows = _by_row(r)
    assert rows[1].kind == "caption" and rows[1].text == "临渚市生物医药产教联合体建设自评表"
    header = ["序号", "观测点", "完成情况", "单位", "佐证材料"]
    assert rows[2].kind == "table_row" and rows[2].cells == header and rows[2].header == header
    assert rows[3].kind == "heading" and rows[3].text == "一、基础性指标" and rows[3].level == 1
    r4 = rows[4]
    assert r4.kind == "table_row"
    assert r4.cells == ["1", "2.1.2 园区总产值（亿元）", "1234", "亿元", "附件2-8"]
    assert r4.header == header
    assert r4.text == "1 | 2.1.2 园区总产值（亿元） | 1234 | 亿元 | 附件2-8"
    assert r4.locator == "工作表“自评”第4行" and r4.sheet == "自评" and r4.table == 1 and r4.row == 4
    assert r4.section == "一、基础性指标"
    assert rows[5].cells[2] == "35%"            # percent format shows 35%
    assert rows[6].cells[2] == "0.35"           # general format keeps 0.35
    assert rows[7].cells[2] == "2024-05-01"
    assert rows[8].cells[2] == "是" and rows[9].cells[2] == "否"
    assert rows[10].kind == "heading" and rows[10].text == "二、实质性指标"
    assert rows[11].cells[2] == "1290万元" and rows[11].section == "二、实质性指标"
    # spanned cells of the merged title/section rows are never duplicated
    assert sum("一、基础性指标" in b.text for b in r.blocks) == 1


def test_vertical_merge_goes_to_section_not_cells(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "指标"
    ws.append(["二级指标", "观测点", "完成情况"])
    ws.append(["1.1 政策支持", "1.1.1 是否出台文件", "是"])
    ws.append([None, "1.1.2 是否出台文件（省级）", "否"])
    ws.append([None, "1.1.3 其他", "是"])
    ws.merge_cells("A2:A4")
    ws.append(["1.2 专题会议", "1.2.1 是否召开专题会议", "已召开"])
    wb.save(tmp_path / "v.xlsx")
    rows = _by_row(read(tmp_path / "v.xlsx", "v.xlsx"))
    assert rows[2].cells == ["1.1 政策支持", "1.1.1 是否出台文件", "是"]
    assert rows[3].cells == ["", "1.1.2 是否出台文件（省级）", "否"]
    assert rows[4].cells[0] == ""
    for r in (2, 3, 4):
        assert rows[r].section == "1.1 政策支持"
    assert rows[5].section == ""               # outside the merged range
    assert rows[3].header == ["二级指标", "观测点", "完成情况"]


def test_two_level_header_is_combined(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["序号", "观测点", "完成情况", None, "佐证材料"])
    ws.append([None, None, "数值", "单位", None])
    ws.merge_cells("C1:D1")
    ws.merge_cells("A1:A2")
    ws.merge_cells("B1:B2")
    ws.merge_cells("E1:E2")
    ws.append([1, "联合招生（人）", 597, "人", "附件9-6"])
    wb.save(tmp_path / "h.xlsx")
    rows = _by_row(read(tmp_path / "h.xlsx", "h.xlsx"))
    assert rows[3].header == ["序号", "观测点", "完成情况/数值", "完成情况/单位", "佐证材料"]
    assert rows[3].cells == ["1", "联合招生（人）", "597", "人", "附件9-6"]
    assert rows[2].kind == "table_row" and rows[2].header == rows[3].header
    assert rows[3].section == ""               # header-level merges are not row context


def _set_cached_value(path: Path, cell: str, cached: str) -> None:
    """Give a formula cell a cached value, as Excel does on save (openpyxl leaves it empty)."""
    with zipfile.ZipFile(path) as z:
        items = {i.filename: z.read(i.filename) for i in z.infolist()}
    xml = items["xl/worksheets/sheet1.xml"].decode()
    start = xml.index(f'<c r="{cell}"')
    end = xml.index("</c>", start)
    items["xl/worksheets/sheet1.xml"] = (xml[:start] + xml[start:end].replace("<v></v>", f"<v>{cached}</v>")
                                         + xml[end:]).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items.items():
            z.writestr(name, data)


def test_formulas_use_cached_value_or_stay_marked(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["项目", "金额"])
    ws.append(["甲", 10])
    ws.append(["乙", 20])
    ws.append(["合计", "=SUM(B2:B3)"])
    ws.append(["比例", "=B2/B4"])
    wb.save(tmp_path / "f.xlsx")
    _set_cached_value(tmp_path / "f.xlsx", "B4", "30")
    r = read(tmp_path / "f.xlsx", "f.xlsx")
    rows = _by_row(r)
    assert rows[4].cells == ["合计", "30"]
    assert rows[5].cells[1] == "〔公式未计算：=B2/B4〕"
    assert any("1 个公式单元格没有保存计算结果" in w for w in r.warnings)


def test_number_formats():
    assert format_number(1234.0) == "1234"
    assert format_number(0.35) == "0.35"
    assert format_number(0.1 + 0.2) == "0.3"
    assert format_number(0.35, "0%") == "35%"
    assert format_number(0.3547, "0.0%") == "35.5%"
    assert format_number(0.355, "0.00%") == "35.50%"
    assert format_number(1234567, "#,##0") == "1234567"
    assert format_number(3.14159, "0.00") == "3.14"
    assert format_number(2.5, "0") == "3"                 # Excel rounds half away from zero
    assert format_number(1290, '0"万元"') == "1290万元"
    assert format_number(1290.5, '#,##0.0"万元";[Red]-#,##0.0"万元"') == "1290.5万元"
    assert format_number(5, '"共"0"项"') == "共5项"
    assert format_number(1500000, "0.0,,") == "1.5"
    assert format_number(42, "@") == "42"
    assert format_value(True) == "是" and format_value(False) == "否"
    assert format_value(dt.datetime(2024, 12, 31)) == "2024-12-31"
    assert format_value(dt.datetime(2024, 12, 31, 9, 30)) == "2024-12-31 09:30"
    assert format_value(dt.date(2024, 1, 2)) == "2024-01-02"


def test_hidden_sheet_is_read_and_marked(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "可见"
    ws.append(["名称", "数值"])
    ws.append(["甲", 1])
    hidden = wb.create_sheet("底稿")
    hidden.append(["名称", "数值"])
    hidden.append(["专项经费", 300])
    hidden.sheet_state = "hidden"
    wb.save(tmp_path / "h.xlsx")
    r = read(tmp_path / "h.xlsx", "h.xlsx")
    row = _by_row(r, "底稿")[2]
    assert row.cells == ["专项经费", "300"] and row.table == 2
    assert row.locator == "工作表“底稿”（隐藏）第2行"
    assert any("隐藏工作表" in w for w in r.warnings)


def test_header_not_taken_from_form_fields(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["某联合体年度数据表"])
    ws.append(["填报单位：", "临渚医药职业学院", "填报日期：", "2025-01-10"])
    ws.append(["指标", "数值", "备注"])
    ws.append(["联合招生（人）", 597, None])
    wb.save(tmp_path / "t.xlsx")
    rows = _by_row(read(tmp_path / "t.xlsx", "t.xlsx"))
    assert rows[1].kind == "caption"
    assert rows[2].kind == "table_row" and rows[2].header == []
    assert rows[4].header == ["指标", "数值", "备注"]
    assert rows[4].cells == ["联合招生（人）", "597", ""]


def test_xlsx_with_wrong_extension_is_read_by_content(tmp_path):
    _self_assessment(tmp_path / "x.xlsx")
    (tmp_path / "x.xlsx").rename(tmp_path / "自评表.xls")
    [doc] = read_file(tmp_path / "自评表.xls", "自评表.xls")
    assert doc.status == "ok" and doc.format == "xlsx"
    assert any(b.text.startswith("1 | 2.1.2") for b in doc.blocks)


def test_row_and_column_caps(tmp_path, monkeypatch):
    monkeypatch.setattr(sheet, "MAX_ROWS", 50)
    monkeypatch.setattr(sheet, "MAX_COLS", 5)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["名称", "数值"] + [f"列{i}" for i in range(8)])
    for i in range(200):
        ws.append([f"行{i}", i] + ["x"] * 8)
    wb.save(tmp_path / "big.xlsx")
    r = read(tmp_path / "big.xlsx", "big.xlsx")
    rows = _rows(r)
    assert len(rows) == 50 and max(b.row for b in rows) == 50
    assert all(len(b.cells) <= 5 for b in rows)
    assert any("只读取了前 50 行" in w for w in r.warnings)
    assert any("只读取了前 5 列" in w for w in r.warnings)


def test_sparse_sheet_with_huge_dimension_does_not_pad(tmp_path):
    """A row at 1,048,576 and a dimension of A1:XFD1048576 must not make a million rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["名称", "数值"])
    ws.append(["甲", 1])
    wb.save(tmp_path / "s.xlsx")
    with zipfile.ZipFile(tmp_path / "s.xlsx") as z:
        items = {i.filename: z.read(i.filename) for i in z.infolist()}
    xml = items["xl/worksheets/sheet1.xml"].decode()
    xml = xml.replace('<dimension ref="A1:B2"/>', '<dimension ref="A1:XFD1048576"/>')
    xml = xml.replace("</sheetData>", '<row r="1048576" s="0" customFormat="1"/></sheetData>')
    items["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(tmp_path / "s.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items.items():
            z.writestr(name, data)
    r = read(tmp_path / "s.xlsx", "s.xlsx")
    assert [b.cells for b in _rows(r)] == [["名称", "数值"], ["甲", "1"]]
    assert r.warnings == []


def test_illegal_characters_and_formula_looking_text_are_plain_text(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["名称", "说明"])
    ws.append(["甲", "正常\n换行 文本"])
    ws["B3"].value = "=cmd|' /C calc'!A0"
    ws["B3"].data_type = "s"
    ws["A3"] = "乙"
    wb.save(tmp_path / "c.xlsx")
    rows = _by_row(read(tmp_path / "c.xlsx", "c.xlsx"))
    assert rows[2].cells[1] == "正常换行文本"
    assert rows[3].cells[1] == "=cmd|' /C calc'!A0"     # a string, not evaluated or dropped


# ---------------------------------------------------------------- csv
def test_csv_gbk_comma(tmp_path):
    text = "某联合体自评表\n序号,观测点,完成情况\n1,联合招生（人）,597\n2,是否建立决策机制,是\n"
    (tmp_path / "自评.csv").write_bytes(text.encode("gbk"))
    [doc] = read_file(tmp_path / "自评.csv", "材料/自评.csv")
    assert doc.status == "ok" and doc.format == "csv"
    rows = {b.row: b for b in doc.blocks}
    assert rows[1].kind == "caption"
    assert rows[3].cells == ["1", "联合招生（人）", "597"]
    assert rows[3].header == ["序号", "观测点", "完成情况"]
    assert rows[3].locator == "第3行" and rows[3].sheet == "自评"


def test_csv_utf8_bom_tab_and_semicolon(tmp_path):
    (tmp_path / "a.csv").write_bytes("名称\t数值\n园区总产值\t678\n".encode("utf-8-sig"))
    rows = _rows(read(tmp_path / "a.csv", "a.csv"))
    assert rows[1].cells == ["园区总产值", "678"] and rows[1].header == ["名称", "数值"]
    (tmp_path / "b.csv").write_text("名称;数值\n园区总产值;678\n平台注册企业数;12\n", encoding="utf-8")
    rows = _rows(read(tmp_path / "b.csv", "b.csv"))
    assert rows[2].cells == ["平台注册企业数", "12"]


def test_csv_mixed_encoding_late_gbk_bytes(tmp_path):
    """ASCII for the first megabyte, then GBK: the whole file is checked, not just the head."""
    body = "name,value\n" + "a,1\n" * 300000 + "联合招生,597\n"
    (tmp_path / "m.csv").write_bytes(body.encode("gbk"))
    r = read(tmp_path / "m.csv", "m.csv")
    assert sheet._detect_encoding(tmp_path / "m.csv") == "gb18030"
    assert any("只读取了前" in w for w in r.warnings)


WEB_PAGE = """<html xmlns:o="urn:schemas-microsoft-com:office:office">
<head><meta http-equiv=Content-Type content="text/html; charset=gb2312"><style>p {color:red}</style>
<script>var x = "不应读取";</script></head>
<body><h1>一、总体情况</h1><p class=MsoNormal>联合体召开理事会<span>3</span>次。</p>
<table border=1><tr><td rowspan=2>序号</td><td colspan=2>完成情况</td></tr><tr><td>数值</td><td>单位</td></tr>
<tr><td>1</td><td>597</td><td>人</td></tr></table>
<div><p>二、下一步计划</p><p>继续推进。</p></div></body></html>"""


def test_web_page_saved_as_xls_or_doc_is_read_as_html(tmp_path):
    p = tmp_path / "导出.xls"
    p.write_bytes(WEB_PAGE.encode("gbk"))
    r = read(p, "导出.xls")                       # the sheet reader hands web pages to read_html
    blocks = [(b.kind, b.locator, b.text) for b in r.blocks]
    assert blocks[0] == ("heading", "第1段", "一、总体情况")
    assert blocks[1] == ("paragraph", "第2段", "联合体召开理事会3次。")
    rows = [b for b in r.blocks if b.kind == "table_row"]
    assert rows[-1].cells == ["1", "597", "人"] and rows[-1].locator == "表1第3行"
    assert rows[-1].header == ["序号", "完成情况/数值", "完成情况/单位"]
    assert rows[-1].section == "一、总体情况" and rows[-1].sheet is None and rows[-1].table == 1
    assert blocks[-1] == ("paragraph", "第4段", "继续推进。")
    assert r.blocks[-1].section == "二、下一步计划"
    assert not any("不应读取" in b.text or "color" in b.text for b in r.blocks)
    assert any("网页" in w for w in r.warnings)
    doc = tmp_path / "方案.doc"
    doc.write_bytes(WEB_PAGE.encode("gbk"))
    assert [b.text for b in sheet.read_html(doc, "方案.doc").blocks] == [b.text for b in r.blocks]


def test_empty_web_page_is_an_error(tmp_path):
    p = tmp_path / "空.xls"
    p.write_text("<html><body>   </body></html>", encoding="utf-8")
    with pytest.raises(ReadError, match="没有可读取的文字"):
        read(p, "空.xls")


# ---------------------------------------------------------------- xls
XLS_FIXTURE = FIXTURES / "sheet_merged.xls"


def _make_xls_fixture(tmp_path: Path) -> Path:
    """The committed fixture is made from this workbook with LibreOffice (see test below)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评"
    ws["A1"] = "某联合体自评表"
    ws.merge_cells("A1:C1")
    ws.append(["二级指标", "观测点", "完成情况"])
    ws.append(["1.1 政策", "1.1.1 是否出台文件", 0.35])
    ws["C3"].number_format = "0%"
    ws.append([None, "联合招生（人）", 597.0])
    ws.append([None, "成立时间", dt.datetime(2024, 5, 1)])
    ws["C5"].number_format = "yyyy-mm-dd"
    ws.merge_cells("A3:A5")
    ws.append(["1.2 会议", "是否召开", True])
    hidden = wb.create_sheet("隐藏")
    hidden.append(["名称", "数值"])
    hidden.append(["甲", 1])
    hidden.sheet_state = "hidden"
    src = tmp_path / "sheet_merged.xlsx"
    wb.save(src)
    return src


def test_xls_fixture_matches_its_source():
    """Regenerate with: python -c 'from tests.test_read_sheet import regenerate_xls; regenerate_xls()'."""
    if not XLS_FIXTURE.exists():
        pytest.skip("fixture tests/fixtures/sheet_merged.xls missing")
    r = read(XLS_FIXTURE, "sheet_merged.xls")
    rows = _by_row(r, "自评")
    assert rows[1].kind == "caption" and rows[1].text == "某联合体自评表"
    assert rows[2].cells == ["二级指标", "观测点", "完成情况"]
    assert rows[3].cells == ["1.1 政策", "1.1.1 是否出台文件", "35%"]
    assert rows[4].cells == ["", "联合招生（人）", "597"] and rows[4].section == "1.1 政策"
    assert rows[5].cells[2] == "2024-05-01"
    assert rows[6].cells[2] == "是"
    hidden = _by_row(r, "隐藏")[2]
    assert hidden.cells == ["甲", "1"] and "（隐藏）" in hidden.locator and hidden.table == 2


def regenerate_xls() -> None:  # pragma: no cover - maintenance helper
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        src = _make_xls_fixture(Path(tmp))
        subprocess.run(["soffice", "--headless", "--convert-to", "xls", "--outdir", tmp, str(src)],
                       check=True, capture_output=True, timeout=120)
        FIXTURES.mkdir(exist_ok=True)
        shutil.copy(Path(tmp) / "sheet_merged.xls", XLS_FIXTURE)


def test_xls_encrypted_flag_and_garbage(tmp_path):
    p = tmp_path / "bad.xls"
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(ReadError):
        read(p, "bad.xls")


def test_time_budget_stops_reading_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(sheet, "MAX_SECONDS", -1.0)
    r = read(_self_assessment(tmp_path / "t.xlsx"), "t.xlsx")
    assert r.blocks == [] and any("读取超时" in w for w in r.warnings)


def test_dtd_in_sheet_xml_is_refused(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["名称", "数值"])
    wb.save(tmp_path / "d.xlsx")
    with zipfile.ZipFile(tmp_path / "d.xlsx") as z:
        items = {i.filename: z.read(i.filename) for i in z.infolist()}
    lol = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    items["xl/worksheets/sheet1.xml"] = lol + items["xl/worksheets/sheet1.xml"]
    with zipfile.ZipFile(tmp_path / "d.xlsx", "w") as z:
        for name, data in items.items():
            z.writestr(name, data)
    with pytest.raises(ReadError):               # openpyxl (defusedxml) or our own guard
        read(tmp_path / "d.xlsx", "d.xlsx")
    import io

    with pytest.raises(ReadError, match="DTD"):    # the guard on the streamed sheet XML itself
        sheet._SheetXml(io.BytesIO(lol + b"<worksheet/>")).read()


def test_empty_workbook_warns(tmp_path):
    openpyxl.Workbook().save(tmp_path / "e.xlsx")
    r = read(tmp_path / "e.xlsx", "e.xlsx")
    assert r.blocks == [] and r.warnings == ["工作簿中没有读到任何内容"]


def test_chinese_builtin_date_formats(tmp_path):
    """WPS/Chinese Excel use built-in ids 31/57/58 without defining them."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["事项", "日期", "时间"])
    ws.append(["理事会成立", 45413, 0.5])            # 2024-05-01, 12:00
    wb.save(tmp_path / "d.xlsx")
    with zipfile.ZipFile(tmp_path / "d.xlsx") as z:
        items = {i.filename: z.read(i.filename) for i in z.infolist()}
    styles = items["xl/styles.xml"].decode()
    # add two cell formats pointing at undefined built-in ids 31 (yyyy年m月d日) and 32 (h时mm分)
    start = styles.index("<cellXfs")
    end = styles.index("</cellXfs>")
    count = styles[start:end].count("<xf ")
    extra = ('<xf numFmtId="31" fontId="0" fillId="0" borderId="0" applyNumberFormat="1"/>'
             '<xf numFmtId="32" fontId="0" fillId="0" borderId="0" applyNumberFormat="1"/>')
    cellxfs = re.sub(r'count="\d+"', f'count="{count + 2}"', styles[start:end], count=1) + extra
    items["xl/styles.xml"] = (styles[:start] + cellxfs + styles[end:]).encode()
    sheet_xml = items["xl/worksheets/sheet1.xml"].decode()
    sheet_xml = sheet_xml.replace('<c r="B2" t="n">', f'<c r="B2" s="{count}" t="n">')
    sheet_xml = sheet_xml.replace('<c r="C2" t="n">', f'<c r="C2" s="{count + 1}" t="n">')
    items["xl/worksheets/sheet1.xml"] = sheet_xml.encode()
    with zipfile.ZipFile(tmp_path / "d.xlsx", "w") as z:
        for name, data in items.items():
            z.writestr(name, data)
    rows = _by_row(read(tmp_path / "d.xlsx", "d.xlsx"))
    assert rows[2].cells == ["理事会成立", "2024-05-01", "12:00"]


def test_year_columns_header_and_second_table_after_gap(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["指标", 2023, 2024])
    ws.append(["联合招生（人）", 550, 597])
    ws.append([])
    ws.append(["成员单位名称", "类型", "备注"])
    ws.append(["临渚医药职业学院", "学校", None])
    wb.save(tmp_path / "y.xlsx")
    rows = _by_row(read(tmp_path / "y.xlsx", "y.xlsx"))
    assert rows[2].header == ["指标", "2023", "2024"] and rows[2].cells == ["联合招生（人）", "550", "597"]
    assert rows[4].header == ["成员单位名称", "类型", "备注"]
    assert rows[5].header == ["成员单位名称", "类型", "备注"] and rows[5].cells == ["临渚医药职业学院", "学校", ""]


def test_csv_sep_directive(tmp_path):
    (tmp_path / "s.csv").write_text("sep=;\n名称;数值\n联合招生, 含中职;597\n", encoding="utf-8")
    rows = _by_row(read(tmp_path / "s.csv", "s.csv"))
    assert rows[1].cells == ["名称", "数值"] and rows[2].cells == ["联合招生, 含中职", "597"]


def test_openpyxl_private_api_we_rely_on(tmp_path):
    """sheet._xlsx_grid drives openpyxl's private worksheet parser (reason in its docstring):
    this fails, naming the missing piece, when an openpyxl release moves it."""
    import inspect

    from openpyxl.worksheet import _reader

    path = tmp_path / "p.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["名称", "数值"])
    wb.active.append(["投入", 320])
    wb.save(path)
    ro = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        ws = ro.worksheets[0]
        for owner, names in ((ro, ("_archive", "_cell_styles", "_number_formats", "_date_formats",
                                   "_timedelta_formats", "epoch")),
                             (ws, ("_shared_strings", "_worksheet_path"))):
            for name in names:
                assert hasattr(owner, name), f"openpyxl moved {type(owner).__name__}.{name}"
        for name in ("WorkSheetParser", "FORMULA_TAG", "ROW_TAG"):
            assert hasattr(_reader, name), f"openpyxl moved worksheet._reader.{name}"
        params = inspect.signature(_reader.WorkSheetParser).parameters
        for name in ("src", "shared_strings", "data_only", "epoch", "date_formats", "timedelta_formats"):
            assert name in params, f"WorkSheetParser lost its parameter {name}"
        with ro._archive.open(ws._worksheet_path) as raw:       # the streamed sheet XML
            assert b"<sheetData" in raw.read()
    finally:
        ro.close()
    assert any("投入" in b.text and "320" in b.text for b in read(path, "p.xlsx").blocks)
