"""The read stage on hostile and broken input: every bad file gets a one-line Chinese error,
the good files next to it are still read, and the input folder is never touched."""

from __future__ import annotations

import hashlib
import io
import random
import re
import tempfile
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from consortium_review.extractors.read import read_folder
from consortium_review.extractors.readers import archive, sheet

CJK = re.compile(r"[\u4e00-\u9fff]")
RNG = random.Random(20240611)
EMPTY_EXTS = (".pdf", ".docx", ".doc", ".wps", ".rtf", ".xlsx", ".xls", ".csv", ".txt", ".zip", ".png", ".jpg")


def _xlsx_bytes() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评"
    ws["A1"] = "某产教联合体建设自评表"
    ws.merge_cells("A1:C1")
    ws.append(["观测点", "完成情况", "佐证材料"])
    ws.append(["联合招生（人）", 597, "附件9-6"])
    ws.append(["专项经费实际到位资金（万元）", 1290, "附件6-8"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _docx_bytes() -> bytes:
    d = docx.Document()
    for i in range(30):
        d.add_paragraph(f"第{i}段：联合体召开理事会会议，审议通过年度工作计划。")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _zip_bytes(members: dict, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _encrypted(plain: bytes) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(plain)).encrypt("密码123", out)
    return out.getvalue()


def _xlsx_bomb() -> bytes:
    """A well-formed workbook whose sheet XML inflates ~1000:1 (whitespace padding)."""
    with zipfile.ZipFile(io.BytesIO(_xlsx_bytes())) as z:
        items = {i.filename: z.read(i.filename) for i in z.infolist()}
    sheet_xml = items["xl/worksheets/sheet1.xml"]
    pad = b" " * (archive.RATIO_MIN_BYTES + 1024)
    items["xl/worksheets/sheet1.xml"] = sheet_xml.replace(b"<sheetData>", b"<sheetData>" + pad, 1)
    return _zip_bytes(items)


def _gbk_named_zip() -> bytes:
    gbk = "理事会纪要.txt".encode("gbk")
    placeholder = ("Q" * (len(gbk) - 4) + ".txt").encode()
    data = _zip_bytes({placeholder.decode(): "理事会第三次会议纪要".encode("gbk")})
    assert data.count(placeholder) == 2
    return data.replace(placeholder, gbk)


def _big_csv() -> bytes:
    lines = ["序号,名称,数值"] + [f"{i},企业{i},{i * 3}" for i in range(1, 200_001)]
    return ("\n".join(lines) + "\n").encode("utf-8")


LONG_NAME = "市域产教联合体年度工作总结佐证材料汇编" * 4 + ".csv"     # ~230 UTF-8 bytes


def _build_folder(root: Path) -> dict[str, str]:
    """Write the mixed folder; returns {relative path: what it is}."""
    good_xlsx = _xlsx_bytes()
    good_docx = _docx_bytes()
    files: dict[str, tuple[bytes, str]] = {
        "好/自评表.xlsx": (good_xlsx, "good-xlsx"),
        "好/数据.csv": ("名称,数值\n平台注册企业数,12\n".encode("gbk"), "good-csv"),
        "好/说明.txt": ("理事会章程已于2024年3月审议通过。\n".encode("utf-8"), "good-txt"),
        "好/建设方案.docx": (good_docx, "other"),
        "好/材料包.zip": (_zip_bytes({"附件/自评表.xlsx": good_xlsx, "附件/说明.txt": "附件说明".encode()}), "good-zip"),
        "坏/半截.xlsx": (good_xlsx[: len(good_xlsx) // 2], "bad"),
        "坏/半截.docx": (good_docx[: len(good_docx) // 2], "bad-other"),
        "坏/随机.xlsx": (RNG.randbytes(20_000), "bad"),
        "坏/随机.pdf": (b"\x00" + RNG.randbytes(20_000), "bad-other"),
        "坏/随机.docx": (RNG.randbytes(20_000), "bad-other"),
        "坏/随机.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + RNG.randbytes(4000), "bad"),
        "坏/加密.xlsx": (_encrypted(good_xlsx), "encrypted"),
        "坏/加密.docx": (_encrypted(good_docx), "encrypted"),
        "坏/炸弹.zip": (_zip_bytes({"zeros.bin": b"\x00" * (archive.RATIO_MIN_BYTES + 1024)}), "bomb"),
        "坏/炸弹.xlsx": (_xlsx_bomb(), "bomb"),
        "坏/路径.zip": (_zip_bytes({"../逃逸.txt": b"evil", "/abs.txt": b"evil", "正常.txt": "正常".encode()}), "traversal"),
        "坏/网页.doc": ("<html><body><p>理事会章程</p></body></html>".encode("gbk"), "other"),
        "怪名/gbk名.zip": (_gbk_named_zip(), "gbk-zip"),
        "怪名/😀 自评 表（全角）.csv": ("名称,数值\n联合招生,597\n".encode("utf-8"), "good-csv"),
        f"怪名/{LONG_NAME}": ("名称,数值\n联合培养,2436\n".encode("utf-8"), "good-csv"),
        "怪名/  前后 空格 .txt": ("空格文件名".encode("utf-8"), "good-txt"),
        "大/大表.csv": (_big_csv(), "big-csv"),
    }
    for ext in EMPTY_EXTS:
        files[f"空/空文件{ext}"] = (b"", "empty")
    for rel, (data, _) in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return {rel: kind for rel, (_, kind) in files.items()}


def _snapshot(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("input")
    sandbox = tmp_path_factory.mktemp("tmp")
    kinds = _build_folder(root)
    before = _snapshot(root)
    saved = tempfile.tempdir
    tempfile.tempdir = str(sandbox)
    try:
        docs = read_folder(root)
    finally:
        tempfile.tempdir = saved
    return root, kinds, before, docs, sandbox


def _docs(batch):
    return {d.file: d for d in batch[3]}


def test_input_folder_is_untouched(batch):
    root, _, before, _, sandbox = batch
    after = _snapshot(root)
    assert after == before                                      # same files, same bytes
    assert sorted(p.name for p in root.rglob("*") if p.name.startswith((".", "~"))) == []
    assert [p for p in sandbox.iterdir() if p.name.startswith("cr-zip-")] == []
    assert not any("逃逸" in p.name for p in sandbox.parent.rglob("*"))


def test_every_file_has_a_document(batch):
    _, kinds, _, _, _ = batch
    docs = _docs(batch)
    assert set(kinds) <= set(docs)


def test_every_error_is_one_chinese_line(batch):
    bad = [d for d in batch[3] if d.status in ("error", "skipped")]
    assert len(bad) >= len(EMPTY_EXTS) + 8
    for d in bad:
        assert d.error and "\n" not in d.error and CJK.search(d.error), (d.file, d.error)
        assert len(d.error) < 200, (d.file, d.error)
        assert d.blocks == [], d.file


def test_bad_files_fail_alone(batch):
    _, kinds, _, _, _ = batch
    docs = _docs(batch)
    for rel, kind in kinds.items():
        d = docs[rel]
        if kind == "empty":
            assert d.status == "error" and "文件为空" in d.error, rel
        elif kind in ("bad", "bad-other"):
            assert d.status in ("error", "skipped"), (rel, d.status)
        elif kind == "encrypted":
            assert d.status == "error" and "加密" in d.error, (rel, d.error)
        elif kind == "bomb":
            assert d.status == "error" and "疑似压缩炸弹" in d.error, (rel, d.error)
        elif kind == "other":    # readers owned elsewhere: only the never-raise contract
            assert d.status in ("ok", "ocr", "error", "skipped") and (d.status in ("ok", "ocr") or d.error)


def test_truncated_and_random_spreadsheets_say_why(batch):
    docs = _docs(batch)
    assert "损坏" in docs["坏/半截.xlsx"].error
    assert "损坏" in docs["坏/随机.xlsx"].error or "不是有效" in docs["坏/随机.xlsx"].error
    assert docs["坏/随机.xls"].status == "error"


def test_good_files_are_read(batch):
    docs = _docs(batch)
    x = docs["好/自评表.xlsx"]
    assert x.status == "ok" and x.error is None
    rows = {b.row: b for b in x.blocks}
    assert rows[1].kind == "caption"
    assert rows[3].cells == ["联合招生（人）", "597", "附件9-6"] and rows[3].header == ["观测点", "完成情况", "佐证材料"]
    assert docs["好/数据.csv"].blocks[1].cells == ["平台注册企业数", "12"]
    assert docs["好/说明.txt"].blocks[0].text == "理事会章程已于2024年3月审议通过。"
    z = docs["好/材料包.zip"]
    assert z.status == "ok" and z.format == "zip" and z.pages is None
    assert docs["好/材料包.zip/附件/自评表.xlsx"].status == "ok"
    assert docs["好/材料包.zip/附件/说明.txt"].blocks[0].text == "附件说明"


def test_traversal_and_gbk_members(batch):
    docs = _docs(batch)
    assert docs["坏/路径.zip"].status == "ok"
    assert docs["坏/路径.zip/正常.txt"].blocks[0].text == "正常"
    unsafe = [d for f, d in docs.items() if f.startswith("坏/路径.zip/") and d.error and "路径不安全" in d.error]
    assert len(unsafe) == 2
    assert docs["怪名/gbk名.zip/理事会纪要.txt"].blocks[0].text == "理事会第三次会议纪要"


def test_odd_file_names(batch):
    docs = _docs(batch)
    assert docs["怪名/😀 自评 表（全角）.csv"].blocks[1].cells == ["联合招生", "597"]
    assert docs[f"怪名/{LONG_NAME}"].blocks[1].cells == ["联合培养", "2436"]
    assert docs["怪名/  前后 空格 .txt"].blocks[0].text == "空格文件名"


def test_huge_csv_is_capped(batch):
    d = _docs(batch)["大/大表.csv"]
    assert d.status == "ok"
    assert len(d.blocks) == sheet.MAX_ROWS
    assert d.blocks[-1].cells == [str(sheet.MAX_ROWS - 1), f"企业{sheet.MAX_ROWS - 1}", str((sheet.MAX_ROWS - 1) * 3)]
    assert any(f"只读取了前 {sheet.MAX_ROWS} 行" in w for w in d.warnings)
