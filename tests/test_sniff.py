"""Content-based format detection: the extension may lie, the bytes do not."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from consortium_review.extractors.sniff import sniff

FIXTURES = Path(__file__).parent / "fixtures"
MINIMAL_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
               b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def _docx_bytes() -> bytes:
    d = docx.Document()
    d.add_paragraph("建设方案")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _xlsx_bytes() -> bytes:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "自评表"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("name, data, expected", [
    ("方案.docx", MINIMAL_PDF, "pdf"),
    ("方案.pdf", b"junk before header\r\n" + MINIMAL_PDF, "pdf"),
    ("扫描.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image"),
    ("照片.doc", b"\xff\xd8\xff\xe0" + b"\x00" * 32, "image"),
    ("说明.pdf", "这是一个文本文件，不是 PDF。\n第二行\n".encode("utf-8"), "txt"),
    ("说明.docx", "这是 GBK 编码的文本。\n".encode("gbk"), "txt"),
    ("说明.txt", "UTF-16 文本\r\n".encode("utf-16"), "txt"),
    ("数据.xls", "名称\t数值\n联合招生\t597\n".encode("gbk"), "csv"),
    ("数据.csv", "名称,数值\n联合招生,597\n".encode("utf-8-sig"), "csv"),
    ("网页.doc", b"<html xmlns:o='urn:schemas-microsoft-com:office:office'><body><p>x</p></body></html>", "html"),
    ("网页.xls", "<!DOCTYPE html>\n<table><tr><td>名称</td></tr></table>".encode("gbk"), "html"),
    ("网页.doc", "\ufeff<HTML>\n<HEAD><meta charset=gbk></HEAD>".encode("utf-8"), "html"),
    ("表.xls", b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
              b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>', "xml-spreadsheet"),
    ("文.doc", b'<?xml version="1.0"?>\n<?mso-application progid="Word.Document"?>\n'
              b'<w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml"/>', "xml-word"),
    ("说明.rtf", b"{\\rtf1\\ansi hello}", "rtf"),
    ("包.zip", b"Rar!\x1a\x07\x01\x00" + b"\x00" * 16, "rar"),
    ("包.zip", b"7z\xbc\xaf\x27\x1c" + b"\x00" * 16, "7z"),
    ("随机.xlsx", os.urandom(4096), "xlsx"),
    ("随机.pdf", b"\x00\x01\x02" + os.urandom(4096), "pdf"),
    ("空.docx", b"", "docx"),
    ("无扩展名", os.urandom(512) + b"\x00", "unknown"),
])
def test_sniff_by_bytes(tmp_path, name, data, expected):
    assert sniff(_write(tmp_path, name, data)) == expected


@pytest.mark.parametrize("name, builder, expected", [
    ("方案.pdf", _docx_bytes, "docx"),
    ("方案.doc", _docx_bytes, "docx"),
    ("自评表.xls", _xlsx_bytes, "xlsx"),
    ("自评表.docx", _xlsx_bytes, "xlsx"),
    ("自评表.zip", _xlsx_bytes, "xlsx"),
    ("材料.docx", lambda: _zip_bytes({"a.pdf": MINIMAL_PDF}), "zip"),
    ("汇报.pdf", lambda: _zip_bytes({"[Content_Types].xml": b"<x/>", "ppt/presentation.xml": b"<x/>"}), "pptx"),
    ("表.xlsx", lambda: _zip_bytes({"[Content_Types].xml": b"<x/>", "xl/workbook.bin": b"\x00"}), "xlsb"),
    ("文.doc", lambda: _zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text"}), "odt"),
    ("票.pdf", lambda: _zip_bytes({"OFD.xml": b"<x/>"}), "ofd"),
    ("空.docx", lambda: _zip_bytes({}), "docx"),
    ("前缀.zip", lambda: b"MZ stub " * 10 + _zip_bytes({"a.txt": b"x"}), "zip"),
])
def test_sniff_containers(tmp_path, name, builder, expected):
    assert sniff(_write(tmp_path, name, builder())) == expected


def test_truncated_ooxml_keeps_its_extension(tmp_path):
    data = _docx_bytes()
    assert sniff(_write(tmp_path, "半截.docx", data[: len(data) // 2])) == "docx"
    data = _xlsx_bytes()
    assert sniff(_write(tmp_path, "半截.xlsx", data[: len(data) // 2])) == "xlsx"


def test_encrypted_ooxml(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    src = _write(tmp_path, "plain.xlsx", _xlsx_bytes())
    for name in ("加密.xlsx", "加密.docx", "加密.xls"):
        with open(src, "rb") as f, open(tmp_path / name, "wb") as out:
            OOXMLFile(f).encrypt("secret", out)
        assert sniff(tmp_path / name) == "encrypted-ooxml"


def test_legacy_xls_by_content():
    fixture = FIXTURES / "sheet_merged.xls"
    if not fixture.exists():
        pytest.skip("fixture tests/fixtures/sheet_merged.xls missing")
    assert sniff(fixture) == "xls"


def test_legacy_xls_renamed(tmp_path):
    fixture = FIXTURES / "sheet_merged.xls"
    if not fixture.exists():
        pytest.skip("fixture tests/fixtures/sheet_merged.xls missing")
    assert sniff(_write(tmp_path, "自评表.xlsx", fixture.read_bytes())) == "xls"
    assert sniff(_write(tmp_path, "自评表.doc", fixture.read_bytes())) == "xls"


def test_corrupt_ole_keeps_extension(tmp_path):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    assert sniff(_write(tmp_path, "坏.doc", data)) == "doc"
    assert sniff(_write(tmp_path, "坏.xls", data)) == "xls"


def test_every_unsupported_hint_is_one_chinese_line():
    from consortium_review.extractors.sniff import UNSUPPORTED_HINTS

    for fmt, hint in UNSUPPORTED_HINTS.items():
        assert "\n" not in hint and any("\u4e00" <= ch <= "\u9fff" for ch in hint), fmt
