"""证据清单.xlsx: layout, text-only snippets, and the expert round trip (nothing typed is lost)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from consortium_review.generator import workbook
from consortium_review.generator.assess import assess
from test_assess import HOSTILE_CLEAN, sample_evidence, small_catalogue

NAME = "测试市域产教联合体-证据清单.xlsx"


def _rows_by_code(path: Path) -> tuple[dict, dict]:
    wb = openpyxl.load_workbook(path)
    ws = wb[workbook.SHEET_MAIN]
    header = [c.value for c in ws[1]]
    rows = {}
    for r in ws.iter_rows(min_row=2):
        rows[r[header.index("观测点编号")].value] = {h: c for h, c in zip(header, r)}
    return rows, {"wb": wb, "ws": ws, "header": header}


def test_layout_rows_status_fills_and_validation(tmp_path):
    cat = small_catalogue()
    paths = workbook.render(sample_evidence(cat), cat, tmp_path)
    assert [p.name for p in paths] == [NAME]
    rows, ctx = _rows_by_code(paths[0])
    ws = ctx["ws"]
    assert list(rows) == [p.code for p in cat.points] + ["16.1", "16.3"]
    assert ctx["header"][-3:] == ["专家判定", "专家取值", "专家意见"]
    assert ws.freeze_panes == "E2" and ws.auto_filter.ref == f"A1:Q{1 + 16 + 2}"
    assert ws.column_dimensions["M"].width >= 40                      # snippets are wide and wrapped
    r = rows["3.2.1"]
    assert (r["状态"].value, r["取值"].value, r["单位"].value, r["标准"].value, r["是否达标"].value) == \
        ("已找到", 320, "万元", "近三年累计≥100万元", "达标")
    assert (r["来源文件"].value, r["页码"].value) == ("2024年度工作总结.pdf", 3)
    assert r["摘录"].alignment.wrap_text
    fills = {code: rows[code]["状态"].fill.start_color.rgb[-6:] for code in ("3.2.1", "5.4.1", "3.3.1", "3.3.2")}
    assert fills == {"3.2.1": "C6EFCE", "5.4.1": "FFEB9C", "3.3.1": "F8CBAD", "3.3.2": "FFC7CE"}
    assert rows["16.3"]["状态"].value == "未发现"
    # conflict: both sources listed, numbered
    c = rows["3.3.1"]
    assert c["来源文件"].value == "①2024年度工作总结.pdf\n②自评表.xlsx"
    assert "（取值：2%）" in c["摘录"].value and "（取值：3%）" in c["摘录"].value
    assert rows["8.4.2"]["取值"].value == "120人次、3600课时"
    dvs = ws.data_validations.dataValidation
    assert {dv.formula1 for dv in dvs} == {'"已找到,部分,冲突,缺失"', '"触发,未触发"'}
    assert any(f"O2:O{1 + 16}" in str(dv.sqref) for dv in dvs)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_hostile_snippets_stay_exact_text_never_formulas(tmp_path):
    cat = small_catalogue()
    e = sample_evidence(cat)
    formulas = ["=cmd|' /C calc'!A0", "+1+2", "-3+4", "@SUM(A1:A2)", "=HYPERLINK(\"http://x\")"]
    e["points"][-1].update(status="found", evidence=[
        {"file": f"f{i}.pdf", "page": 1, "locator": "", "snippet": s, "value": None, "unit": None}
        for i, s in enumerate(formulas)])
    e["points"][-2].update(status="found", value="=2+2", evidence=[
        {"file": "=evil.pdf", "page": None, "locator": "=A1", "snippet": "=1+1", "value": None, "unit": None}])
    path = workbook.render(e, cat, tmp_path)[0]
    rows, _ = _rows_by_code(path)
    assert rows["3.2.1"]["摘录"].value == HOSTILE_CLEAN
    assert rows["3.2.1"]["摘录"].data_type == "s"
    snip = rows["13.2.3"]["摘录"].value
    for i, s in enumerate(formulas):
        assert "①②③④⑤"[i] + s in snip
    r = rows["13.1.3"]
    for col in ("取值", "来源文件", "位置", "摘录"):
        assert r[col].data_type == "s" and r[col].value.startswith("="), col
        assert r[col].quotePrefix
    # the sheet XML holds no formula at all
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in xml and "<f " not in xml


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) 未安装，跳过公式求值检查")
def test_libreoffice_reads_formula_like_snippets_as_text(tmp_path):
    cat = small_catalogue()
    e = sample_evidence(cat)
    e["points"][-1].update(status="found", evidence=[
        {"file": "a.pdf", "page": 1, "locator": "", "snippet": "=1+1", "value": None, "unit": None}])
    path = workbook.render(e, cat, tmp_path / "out")[0]
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", str(tmp_path),
                    str(path)], check=True, capture_output=True, timeout=180)
    out = tmp_path / path.with_suffix(".csv").name
    if not out.exists():      # a Writer-only LibreOffice (libreoffice-writer-nogui) has no Calc filters
        pytest.skip("LibreOffice 没有 Calc 组件（libreoffice-calc），跳过公式求值检查")
    text = out.read_text(encoding="utf-8")
    row = next(r for r in csv.reader(io.StringIO(text)) if len(r) > 12 and r[2] == "13.2.3")
    assert row[12] == "=1+1"                        # 摘录 shown as typed, not evaluated to 2


def _edit(path: Path, edits: dict[str, tuple]) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb[workbook.SHEET_MAIN]
    header = [c.value for c in ws[1]]
    ci = {h: header.index(h) + 1 for h in ("观测点编号", "专家判定", "专家取值", "专家意见")}
    for row in range(2, ws.max_row + 1):
        code = ws.cell(row, ci["观测点编号"]).value
        if code in edits:
            for h, v in zip(("专家判定", "专家取值", "专家意见"), edits[code]):
                if v is not None:
                    ws.cell(row, ci[h]).value = v
    wb.save(path)


def test_round_trip_keeps_expert_columns_and_feeds_evidence(tmp_path):
    cat = small_catalogue()
    path = workbook.render(sample_evidence(cat), cat, tmp_path)[0]
    _edit(path, {"3.3.1": (None, 2.8, "以财务报表为准"), "5.4.1": ("缺失", None, None),
                 "13.2.3": ("已找到", "150万元", "见合同汇编"), "16.1": ("未触发", None, "已核实"),
                 "8.1.3": (None, None, "=SUM(1,2)")})
    fresh = sample_evidence(cat)                      # a new run: evidence has no expert data
    workbook.render(fresh, cat, tmp_path)
    rows, _ = _rows_by_code(path)
    got = {c: tuple(rows[c][h].value for h in ("专家判定", "专家取值", "专家意见"))
           for c in ("3.3.1", "5.4.1", "13.2.3", "16.1", "8.1.3")}
    assert got == {"3.3.1": (None, 2.8, "以财务报表为准"), "5.4.1": ("缺失", None, None),
                   "13.2.3": ("已找到", "150万元", "见合同汇编"), "16.1": ("未触发", None, "已核实"),
                   "8.1.3": (None, None, "=SUM(1,2)")}
    assert rows["8.1.3"]["专家意见"].data_type == "s"             # the expert's formula text stays text
    assert isinstance(rows["3.3.1"]["专家取值"].value, float)      # numbers stay numbers
    by = {p["code"]: p for p in fresh["points"]}
    assert by["3.3.1"]["expert"] == {"status": None, "value": 2.8, "comment": "以财务报表为准"}
    assert by["5.4.1"]["expert"]["status"] == "缺失"
    assert "expert" not in by["3.2.1"]
    assert fresh["negative_list"][0]["expert"]["status"] == "未触发"
    a = assess(fresh, cat)
    assert a.point("3.3.1").threshold_met is True and a.point("13.2.3").value == 150.0
    # a third run keeps everything again (edits survive any number of runs)
    third = sample_evidence(cat)
    workbook.render(third, cat, tmp_path)
    rows3, _ = _rows_by_code(path)
    assert rows3["13.2.3"]["专家取值"].value == "150万元"
    # the summary sheet counts the expert's statuses
    ws = openpyxl.load_workbook(path)[workbook.SHEET_SUMMARY]
    total = next(r for r in ws.iter_rows(values_only=True) if r[1] == "合计")
    assert total[3:8] == (a.coverage.found, a.coverage.partial, a.coverage.conflict, a.coverage.missing, 16)


def test_unreadable_workbook_is_backed_up_not_overwritten(tmp_path):
    cat = small_catalogue()
    target = tmp_path / NAME
    target.write_bytes(b"PK\x03\x04 not really a zip - expert notes here")
    original = target.read_bytes()
    e = sample_evidence(cat)
    workbook.render(e, cat, tmp_path)
    backups = [p for p in tmp_path.iterdir() if "备份" in p.name]
    assert len(backups) == 1 and backups[0].read_bytes() == original
    assert e["_rendered"]["workbook_backup"] == str(backups[0])
    wb = openpyxl.load_workbook(target)                        # the new workbook is valid
    guide = " ".join(str(c.value) for c in wb[workbook.SHEET_GUIDE]["A"] if c.value)
    assert backups[0].name in guide


def test_workbook_without_expert_columns_is_backed_up(tmp_path):
    cat = small_catalogue()
    path = workbook.render(sample_evidence(cat), cat, tmp_path)[0]
    wb = openpyxl.load_workbook(path)
    wb[workbook.SHEET_MAIN].delete_cols(15, 3)                 # someone removed the expert columns
    wb.save(path)
    workbook.render(sample_evidence(cat), cat, tmp_path)
    assert len([p for p in tmp_path.iterdir() if "备份" in p.name]) == 1


def test_orphan_codes_are_kept_in_their_own_sheet(tmp_path):
    cat = small_catalogue()
    path = workbook.render(sample_evidence(cat), cat, tmp_path)[0]
    wb = openpyxl.load_workbook(path)
    ws = wb[workbook.SHEET_MAIN]
    ws.append(["9 融通贯通", "9.1 联招共培", "9.1.1", "联合招生（人）"] + [None] * 10 + ["已找到", 500, "旧版观测点"])
    wb.save(path)
    workbook.render(sample_evidence(cat), cat, tmp_path)
    wb = openpyxl.load_workbook(path)
    assert workbook.SHEET_ORPHANS in wb.sheetnames
    orphan = [r for r in wb[workbook.SHEET_ORPHANS].iter_rows(min_row=2, values_only=True)]
    assert orphan == [("9.1.1", "联合招生（人）", "已找到", 500, "旧版观测点")]
    workbook.render(sample_evidence(cat), cat, tmp_path)      # and they survive the next run too
    wb = openpyxl.load_workbook(path)
    assert [r for r in wb[workbook.SHEET_ORPHANS].iter_rows(min_row=2, values_only=True)] == orphan


def test_edits_found_when_the_name_changes(tmp_path):
    cat = small_catalogue()
    e = sample_evidence(cat)
    e["consortium"]["name"] = None                             # first run: name unknown -> folder name
    old = workbook.render(e, cat, tmp_path)[0]
    assert old.name == "测试联合体文件夹-证据清单.xlsx"
    _edit(old, {"3.2.1": (None, 330, "核对后")})
    e2 = sample_evidence(cat)                                  # second run: the name is found
    new = workbook.render(e2, cat, tmp_path)[0]
    assert new.name == NAME and old.exists()
    rows, _ = _rows_by_code(new)
    assert rows["3.2.1"]["专家取值"].value == 330
    assert next(p for p in e2["points"] if p["code"] == "3.2.1")["expert"]["value"] == 330


def test_expert_entries_already_in_evidence_are_written(tmp_path):
    cat = small_catalogue()
    e = sample_evidence(cat)
    next(p for p in e["points"] if p["code"] == "3.2.1")["expert"] = {"status": "部分", "value": None, "comment": "x"}
    path = workbook.render(e, cat, tmp_path)[0]
    rows, _ = _rows_by_code(path)
    assert rows["3.2.1"]["专家判定"].value == "部分"


def test_windows_unsafe_name(tmp_path):
    cat = small_catalogue()
    e = sample_evidence(cat)
    e["consortium"]["name"] = 'A/B:C*联合体?<>|"'
    path = workbook.render(e, cat, tmp_path)[0]
    assert path.parent == tmp_path and path.name == "A_B_C_联合体_____-证据清单.xlsx"


def test_doubtful_sheet_lists_reported_points_least_confident_first(tmp_path):
    cat = small_catalogue()
    ev = sample_evidence(cat)
    confs = {}
    for i, p in enumerate(ev["points"]):
        if p["status"] != "missing":
            p["confidence"] = round(0.95 - 0.1 * (i % 7), 2)
            confs[p["code"]] = p["confidence"]
    path = workbook.render(ev, cat, tmp_path)[0]
    wb = openpyxl.load_workbook(path)
    ws = wb[workbook.SHEET_DOUBTFUL]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert [r[2] for r in rows] and {r[2] for r in rows} == set(confs)
    got = [r[0] for r in rows]
    assert got == sorted(got)                                       # least confident first
    for r, cells in zip(rows, ws.iter_rows(min_row=2)):
        band = next(b for b in workbook.CONFIDENCE_BANDS if r[0] >= b[0])
        assert r[1] == band[2] and cells[0].fill.fgColor.rgb.endswith(band[1])
    main = wb[workbook.SHEET_MAIN]
    header = [c.value for c in main[1]]
    low = next(r for r in main.iter_rows(min_row=2) if r[header.index("观测点编号")].value == rows[0][2])
    assert low[header.index("置信度")].fill.fgColor.rgb.endswith(workbook.CONFIDENCE_BANDS[-1][1] if rows[0][0] < 0.5
                                                               else workbook.CONFIDENCE_BANDS[1][1])
