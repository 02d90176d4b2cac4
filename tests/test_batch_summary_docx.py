"""汇总说明.docx: the official format of the opinions, a table of every consortium that agrees
with 汇总.xlsx, and no self-contradiction (the count of consortia needing attention is the
number listed)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
from docx import Document
from docx.shared import Mm
from lxml import etree

from consortium_review import batch_summary as bs
from test_assess import ev, sample_evidence, small_catalogue

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _entries(cat):
    clean = sample_evidence(cat)
    flagged = sample_evidence(cat)
    flagged["consortium"]["name"] = "乙市域产教联合体"
    flagged["negative_list"][1].update(flagged=True, evidence=[ev("审计报告.pdf", 2, "连续两年未落实经费投入")],
                                       expert={"status": "触发"})
    return [
        {"folder": "甲", "status": "ok", "out_dir": "结果/甲", "problems": [], "row": bs.consortium_row(clean, cat, {})},
        {"folder": "乙", "status": "warn", "out_dir": "结果/乙", "problems": ["1 份材料无法读取"],
         "row": bs.consortium_row(flagged, cat, {})},
        {"folder": "丙", "status": "failed", "out_dir": "", "problems": ["读取失败：文件夹为空"], "row": None},
    ]


def test_summary_docx_format_and_agreement_with_workbook(tmp_path: Path):
    cat = small_catalogue()
    entries = _entries(cat)
    bs.write_workbook(tmp_path, entries, cat, None)
    path = bs.write_docx(tmp_path, entries, cat, None, date=dt.date(2025, 3, 8))
    doc = Document(str(path))
    # GB/T 9704 page and fonts (the opinions' styles), odd/even page numbers
    for s in doc.sections:
        assert abs(s.page_width - Mm(210)) < Mm(0.5) and abs(s.page_height - Mm(297)) < Mm(0.5)
        assert [round(x / 36000) for x in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)] == [37, 35, 28, 26]
        assert "PAGE" in "".join(t.text or "" for t in s.footer._element.iter(f"{W}instrText"))
        assert "PAGE" in "".join(t.text or "" for t in s.even_page_footer._element.iter(f"{W}instrText"))
    with zipfile.ZipFile(path) as z:
        assert etree.fromstring(z.read("word/settings.xml")).find(f"{W}evenAndOddHeaders") is not None
        styles = z.read("word/styles.xml").decode("utf-8")
    assert "仿宋_GB2312" in styles and "Times New Roman" not in styles
    paras = [(p.style.name, p.text) for p in doc.paragraphs]
    assert paras[0] == ("公文标题", "市域产教联合体批量评审汇总说明")
    assert ("落款", "2025年3月8日") == paras[-1]
    # every consortium in the table, agreeing with 汇总.xlsx
    table = next(t for t in doc.tables if t.rows[0].cells[1].text == "联合体")
    assert [c.text for c in table.rows[0].cells] == ["序号", "联合体", "建议结论", "理由", "负面清单"]
    drows = [[c.text for c in r.cells] for r in table.rows[1:]]
    ws = openpyxl.load_workbook(tmp_path / bs.SUMMARY_XLSX)["汇总"]
    head = [c.value for c in ws[1]]
    xrows = [dict(zip(head, r)) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert len(drows) == len(xrows) == len(entries)
    for d, x, e in zip(drows, xrows, entries):
        if e["row"]:
            assert d[1] == x["联合体名称"] and d[2] == x["建议结论（自动初判）"]
            assert d[3] == x["结论依据"] and d[4] == x["负面清单触发项"]
        else:
            assert d[1] == "丙" and d[2] == "未完成（失败）" and "文件夹为空" in d[3]
    assert drows[0][2] == "建议通过" and drows[0][4] == "无"
    assert drows[1][2] == "不予通过" and drows[1][4] == "16.3 连续两年没有按计划落实经费投入（确认触发）"
    text = "\n".join(t for _, t in paras)
    assert "疑似" not in drows[1][4] and "疑似" not in xrows[1]["负面清单触发项"]
    # no self-contradiction: the stated count is the number of consortia needing attention
    assert "需要关注的联合体共 2 个" in text and "其中 1 个涉及负面清单" in text
    assert "本次共处理 3 个联合体" in text and "失败 1 个" in text


def test_summary_docx_nothing_to_flag(tmp_path: Path):
    cat = small_catalogue()
    entries = _entries(cat)[:1]
    text = "\n".join(p.text for p in Document(str(bs.write_docx(tmp_path, entries, cat, None))).paragraphs)
    assert "需要关注的联合体：无" in text and "负面清单均未发现触发情形" in text
    today = dt.date.today()
    assert f"{today.year}年{today.month}月{today.day}日" in text
