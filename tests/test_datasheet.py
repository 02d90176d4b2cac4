"""The annual data-collection workbook: generation, reading back, detection, merge with evidence."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from consortium_review.catalogue import catalogue_from_dict, load_catalogue
from consortium_review.datasheet_read import find_datasheets, read_datasheet
from consortium_review.generator.datasheet import COLUMNS, INSTRUCTIONS_SHEET, SHEET_NAME, merge_datasheet, write_datasheet

SMALL = {
    "id": "small", "title": "测试指标体系", "source": "测试",
    "level2": [{"code": "3", "name": "牵头企业", "level1": "基础性指标"},
               {"code": "8", "name": "“五金”建设", "level1": "实质性指标", "group": "合作育人"}],
    "indicators": [{"code": "3.2", "name": "支持教育状况"}, {"code": "3.3", "name": "执行政策情况"},
                   {"code": "8.1", "name": "专业建设"}, {"code": "8.4", "name": "队伍建设"}],
    "points": [
        {"code": "3.2.1", "name": "牵头企业近三年在产教融合领域的总投入（万元）", "type": "amount", "unit": "万元",
         "keywords": ["总投入"], "threshold": {"rule": "≥100万元", "op": ">=", "value": 100, "unit": "万元"}},
        {"code": "3.3.1", "name": "牵头企业提取职工教育经费比例（%）", "type": "percent", "unit": "%",
         "keywords": ["职工教育经费"]},
        {"code": "8.1.1", "name": "是否建立专业规划联动机制", "type": "yesno", "keywords": ["联动机制"]},
        {"code": "8.1.3", "name": "共建专业数（个）", "type": "count", "unit": "个", "keywords": ["共建专业"]},
        {"code": "8.1.9", "name": "产业园区等级：国家级、省级", "type": "category", "categories": ["国家级", "省级"],
         "keywords": ["园区等级"]},
        {"code": "8.4.1", "name": "企业兼职教师（人次、课时）", "type": "multi", "unit": "人次",
         "units": ["人次", "课时"], "keywords": ["企业兼职教师"]},
        {"code": "8.4.5", "name": "校企互聘机制建设情况", "type": "text", "keywords": ["互聘"]},
    ],
}


@pytest.fixture
def small():
    return catalogue_from_dict(SMALL)


def _rows(ws):
    return {ws.cell(r, 3).value: r for r in range(2, ws.max_row + 1) if ws.cell(r, 3).value}


def _validation_of(ws, ref):
    for dv in ws.data_validations.dataValidation:
        if ref in dv.sqref:
            return dv
    return None


def fill(path: Path, values: dict, info: dict | None = None, out: Path | None = None, formats: dict | None = None):
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET_NAME]
    rows = _rows(ws)
    for code, v in values.items():
        c = ws.cell(rows[code], COLUMNS.index("本年度数值") + 1)
        c.value = v
        if formats and code in formats:
            c.number_format = formats[code]
        ws.cell(rows[code], COLUMNS.index("佐证材料") + 1).value = "年度工作总结.pdf 第3页"
    if info:
        inf = wb[INSTRUCTIONS_SHEET]
        for r in range(1, 30):
            if inf.cell(r, 1).value in info:
                inf.cell(r, 2).value = info[inf.cell(r, 1).value]
    wb.save(out or path)
    return rows


def test_blank_sheet_layout_and_validation(small, tmp_path):
    path = write_datasheet(small, tmp_path / "sub" / "采集表.xlsx")
    assert path.is_file()
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [INSTRUCTIONS_SHEET, SHEET_NAME]
    text = " ".join(str(c.value) for row in wb[INSTRUCTIONS_SHEET].iter_rows() for c in row if c.value)
    assert "共 7 个观测点" in text and "留空" in text and "年度报告" in text
    ws = wb[SHEET_NAME]
    assert [c.value for c in ws[1]] == COLUMNS
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:H8"
    assert ws.column_dimensions["D"].width >= 40
    rows = _rows(ws)
    assert list(rows) == [p.code for p in small.points]          # one row per point, in order
    assert ws.cell(rows["3.2.1"], 2).value == "3.2 支持教育状况"
    assert ws.cell(rows["3.2.1"], 5).value == "万元"
    assert ws.cell(rows["8.1.1"], 5).value == "是/否"
    assert ws.cell(rows["8.4.1"], 5).value == "人次；课时"
    assert all(ws.cell(r, 6).value is None for r in rows.values())
    dv = _validation_of(ws, f"F{rows['3.2.1']}")
    assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")
    dv = _validation_of(ws, f"F{rows['8.1.3']}")
    assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")
    dv = _validation_of(ws, f"F{rows['3.3.1']}")
    assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("decimal", "between", "0", "100")
    dv = _validation_of(ws, f"F{rows['8.1.1']}")
    assert (dv.type, dv.formula1) == ("list", '"是,否"')
    dv = _validation_of(ws, f"F{rows['8.1.9']}")
    assert (dv.type, dv.formula1) == ("list", '"国家级,省级"')
    dv = _validation_of(ws, f"F{rows['8.4.1']}")
    assert dv.type is None and "；" in dv.prompt          # free text with a prompt
    # structure columns are not locked unless asked
    assert not ws.protection.sheet


def test_protected_structure(small, tmp_path):
    path = write_datasheet(small, tmp_path / "p.xlsx", protect=True, year=2025)
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET_NAME]
    assert ws.protection.sheet
    r = _rows(ws)["3.2.1"]
    assert ws.cell(r, 3).protection.locked
    assert not ws.cell(r, 6).protection.locked and not ws.cell(r, 7).protection.locked
    assert read_datasheet(path, small).info.get("年度") == "2025"


def test_real_catalogue_one_row_per_point(tmp_path):
    cat = load_catalogue()
    path = write_datasheet(cat, tmp_path / "full.xlsx")
    ws = openpyxl.load_workbook(path)[SHEET_NAME]
    codes = [ws.cell(r, 3).value for r in range(2, ws.max_row + 1)]
    assert codes == [p.code for p in cat.points]
    if cat.id == "cjlht-2024":
        assert len(codes) == 116


def test_round_trip_typed_values_and_errors(small, tmp_path):
    path = write_datasheet(small, tmp_path / "blank.xlsx")
    filled = tmp_path / "filled.xlsx"
    rows = fill(path, {"3.2.1": 320, "3.3.1": 0.025, "8.1.1": "是", "8.1.3": "12个", "8.1.9": "国家级",
                       "8.4.1": "120人次；3600课时", "8.4.5": "已出台《校企人员互兼互聘管理办法》"},
                info={"联合体名称": "测试产教联合体", "年度": 2025}, out=filled, formats={"3.3.1": "0.0%"})
    ds = read_datasheet(filled, small)
    assert ds is not None and ds.sheet == SHEET_NAME
    assert ds.info["联合体名称"] == "测试产教联合体" and ds.year == 2025
    e = ds.entries
    assert (e["3.2.1"].value, e["3.2.1"].unit, e["3.2.1"].row) == (320, "万元", rows["3.2.1"])
    assert e["3.3.1"].value == 2.5                           # typed as 2.5% in Excel
    assert e["8.1.1"].value is True
    assert (e["8.1.3"].value, e["8.1.3"].unit) == (12, "个")
    assert e["8.1.9"].value == "国家级"
    assert e["8.4.1"].quantities == [{"value": 120, "unit": "人次"}, {"value": 3600, "unit": "课时"}]
    assert e["8.4.5"].value.startswith("已出台")
    assert e["3.2.1"].evidence_text == "年度工作总结.pdf 第3页"
    assert not ds.errors


def test_bad_entries_are_reported_not_guessed(small, tmp_path):
    path = write_datasheet(small, tmp_path / "blank.xlsx")
    rows = fill(path, {"3.2.1": "约三百", "8.1.3": -2, "8.1.1": "也许", "8.1.9": "市级", "3.3.1": "待补充"})
    ds = read_datasheet(path, small)
    assert ds.entries == {}
    joined = "\n".join(ds.errors)
    assert f"第{rows['8.1.3']}行（8.1.3）" in joined and "负数" in joined
    assert f"第{rows['8.1.1']}行（8.1.1）" in joined
    assert "市级" in joined
    assert len(ds.errors) == 4                               # 「待补充」 is an empty cell, not an error


def test_detected_by_header_not_by_name(small, tmp_path):
    folder = tmp_path / "材料"
    folder.mkdir()
    write_datasheet(small, tmp_path / "x.xlsx")
    fill(tmp_path / "x.xlsx", {"8.1.3": 9}, out=folder / "附件3 统计.xlsx")
    # a self-assessment workbook with a 填表说明 sheet but another header is not a data sheet
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评表"
    ws.append(["序号", "观测点", "完成情况", "佐证材料"])
    ws.append([1, "8.1.3 共建专业数（个）", 30, "附件"])
    wb.create_sheet("填表说明").append(["说明"])
    wb.save(folder / "年度数据采集表.xlsx")
    (folder / "说明.txt").write_text("观测点编号 本年度数值", encoding="utf-8")
    found = find_datasheets(folder, small)
    assert [d.file for d in found] == ["附件3 统计.xlsx"]
    assert found[0].entries["8.1.3"].value == 9


def _point(code, status="missing", value=None, unit=None, evidence=(), **kw):
    return {"code": code, "name": code, "status": status, "value": value, "unit": unit, "quantities": [],
            "threshold": kw.get("threshold"), "evidence": list(evidence), "confidence": 0.5, "note": None}


def _ev(file, value, unit=None, locator="第1段", page=None, kind="achieved"):
    return {"file": file, "page": page, "locator": locator, "snippet": f"{value}{unit or ''}", "value": value,
            "unit": unit, "kind": kind}


def test_merge_sheet_first_documents_confirm_or_conflict(small, tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    write_datasheet(small, tmp_path / "b.xlsx")
    rows = fill(tmp_path / "b.xlsx", {"3.2.1": 320, "8.1.3": 12, "8.1.1": "否"}, out=folder / "数据.xlsx")
    sheets = find_datasheets(folder, small)
    sheet_row = _ev("数据.xlsx", 320, "万元", locator=f"工作表“数据采集表”第{rows['3.2.1']}行")
    evidence = {"schema": "consortium-review/evidence/1", "consortium": {}, "documents": [], "negative_list": [],
                "points": [
                    # confirmed by a report; the generic reader's reading of the sheet itself is also there
                    _point("3.2.1", "found", 320, "万元", [sheet_row, _ev("总结.pdf", 320, "万元", page=3)],
                           threshold={"rule": "≥100万元", "met": True}),
                    _point("3.3.1", "found", 2.5, "%", [_ev("总结.pdf", 2.5, "%", page=2)]),
                    # contradicted by a report
                    _point("8.1.3", "found", 10, "个", [_ev("总结.pdf", 10, "个", page=4)]),
                    # only the sheet itself stated it (as read by the generic reader)
                    _point("8.1.1", "found", False, None, [_ev("数据.xlsx", False)]),
                    _point("8.1.9"), _point("8.4.1"), _point("8.4.5"),
                ]}
    merged = merge_datasheet(evidence, sheets, small)
    assert evidence["points"][2]["value"] == 10                # input untouched
    p = {x["code"]: x for x in merged["points"]}
    a = p["3.2.1"]
    assert (a["status"], a["value"], a["source"]) == ("found", 320, "datasheet")
    assert a["evidence"][0]["file"] == "数据.xlsx" and a["evidence"][0]["locator"].endswith(f"第{rows['3.2.1']}行")
    assert a["evidence"][0]["source"] == "datasheet"
    assert [e["file"] for e in a["evidence"]].count("数据.xlsx") == 1      # never counted twice
    assert a["confirmed_by"] == ["总结.pdf 第3页"]
    assert a["threshold"] == {"rule": "≥100万元", "met": True}
    b = p["8.1.3"]
    assert (b["status"], b["value"]) == ("conflict", 12)
    assert "12个" in b["note"] and "10个" in b["note"] and "总结.pdf" in b["note"]
    c = p["8.1.1"]
    assert (c["status"], c["value"], c["confirmed_by"]) == ("found", False, [])
    assert p["3.3.1"]["source"] == "documents" and p["3.3.1"]["value"] == 2.5
    assert p["8.1.9"]["source"] is None and p["8.1.9"]["status"] == "missing"
    assert merged["datasheet"]["files"] == ["数据.xlsx"] and merged["datasheet"]["values"] == 3


def test_merge_drops_sheet_evidence_even_without_a_sheet_value(small):
    """A point the sheet leaves empty keeps only the documents' evidence."""
    from consortium_review.generator.datasheet import DataSheet

    ds = DataSheet(file="表.xlsx", sheet=SHEET_NAME)
    evidence = {"points": [_point("8.1.3", "conflict", 7, "个", [_ev("表.xlsx", 7, "个"), _ev("a.pdf", 5, "个", page=1)])]}
    merged = merge_datasheet(evidence, [ds], small)
    p = merged["points"][0]
    assert (p["status"], p["value"], p["source"]) == ("found", 5, "documents")
    assert [e["file"] for e in p["evidence"]] == ["a.pdf"]
