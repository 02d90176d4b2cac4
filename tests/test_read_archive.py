"""Zip archives: members read as documents, safely, within limits."""

from __future__ import annotations

import io
import stat
import struct
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest

from consortium_review.extractors.read import read_file
from consortium_review.extractors.readers import archive
from consortium_review.extractors.readers.archive import eocd_entry_count, member_name, safe_member_path


def _xlsx_bytes(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评"
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _zip(path: Path, members: dict, compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members.items():
            if isinstance(name, zipfile.ZipInfo):
                z.writestr(name, data)
            else:
                z.writestr(name, data)
    return path


def _zip_bytes(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _by_file(docs):
    return {d.file: d for d in docs}


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """Route tempfile into a folder we can inspect afterwards."""
    sandbox = tmp_path / "tmp-sandbox"
    sandbox.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(sandbox))
    return sandbox


def test_members_become_documents(tmp_path, private_tmp):
    z = _zip(tmp_path / "材料.zip", {
        "自评表.xlsx": _xlsx_bytes([["观测点", "完成情况"], ["联合招生（人）", 597]]),
        "附件/说明.txt": "理事会章程已于2024年3月通过。\n".encode("gbk"),
        "附件/数据.csv": "名称,数值\n平台注册企业数,12\n".encode("utf-8"),
        "__MACOSX/附件/._说明.txt": b"\x00\x05\x16\x07junk",
        "附件/.DS_Store": b"\x00\x00\x00\x01Bud1",
        "Thumbs.db": b"\xd0\xcf\x11\xe0",
        "空目录/": b"",
    })
    docs = read_file(z, "材料.zip")
    first = docs[0]
    assert first.file == "材料.zip" and first.format == "zip" and first.status == "ok"
    assert first.pages is None and first.error is None and first.sha256
    assert any("跳过了 3 个系统文件" in w for w in first.warnings)
    by = _by_file(docs)
    assert set(by) == {"材料.zip", "材料.zip/自评表.xlsx", "材料.zip/附件/说明.txt", "材料.zip/附件/数据.csv"}
    sheet = by["材料.zip/自评表.xlsx"]
    assert sheet.status == "ok" and sheet.format == "xlsx"
    row = [b for b in sheet.blocks if b.row == 2][0]
    assert row.cells == ["联合招生（人）", "597"] and row.file == "材料.zip/自评表.xlsx"
    assert by["材料.zip/附件/说明.txt"].blocks[0].text == "理事会章程已于2024年3月通过。"
    assert [b.cells for b in by["材料.zip/附件/数据.csv"].blocks][1] == ["平台注册企业数", "12"]
    assert list(private_tmp.iterdir()) == []          # temporary files are gone


def _with_raw_name(data: bytes, placeholder: str, raw: bytes) -> bytes:
    """Replace a member's ASCII placeholder name by raw (e.g. GBK) bytes of the same length."""
    ph = placeholder.encode("ascii")
    assert len(ph) == len(raw) and data.count(ph) == 2      # local header + central directory
    return data.replace(ph, raw)


def test_gbk_member_names_are_decoded(tmp_path):
    gbk = "自评表.txt".encode("gbk")
    placeholder = "X" * (len(gbk) - 4) + ".txt"
    data = _zip_bytes({placeholder: "联合招生597人".encode("utf-8"),
                       "理事会/章程.txt": "章程".encode("utf-8")})   # this one has the UTF-8 flag
    p = tmp_path / "gbk.zip"
    p.write_bytes(_with_raw_name(data, placeholder, gbk))
    with zipfile.ZipFile(p) as z:
        info = z.infolist()[0]
        assert not info.flag_bits & 0x800 and info.filename != "自评表.txt"   # mojibake in zipfile
        assert member_name(info) == "自评表.txt"
    by = _by_file(read_file(p, "gbk.zip"))
    assert by["gbk.zip/自评表.txt"].blocks[0].text == "联合招生597人"
    assert "gbk.zip/理事会/章程.txt" in by


def test_unicode_path_extra_field_wins(tmp_path):
    info = zipfile.ZipInfo("????.txt")
    name = "说明.txt".encode("utf-8")
    body = b"\x01" + struct.pack("<I", zipfile.crc32(b"????.txt")) + name
    info.extra = struct.pack("<HH", 0x7075, len(body)) + body
    p = _zip(tmp_path / "u.zip", {info: b"hello"})
    with zipfile.ZipFile(p) as z:
        assert member_name(z.infolist()[0]) == "说明.txt"


def test_unsafe_paths_never_leave_the_temp_folder(tmp_path, private_tmp, monkeypatch):
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    evil = {"../evil.txt": b"evil", "/abs_evil.txt": b"evil", "C:/x/drive_evil.txt": b"evil",
            "a/../../up_evil.txt": b"evil", "..\\win_evil.txt": b"evil", "好/正常.txt": "正常文本".encode()}
    link = zipfile.ZipInfo("链接.txt")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    inbox = tmp_path / "in"
    inbox.mkdir()
    p = _zip(inbox / "路径.zip", {**evil, link: b"/etc/passwd"})
    before = sorted(str(q) for q in tmp_path.rglob("*"))
    docs = read_file(p, "路径.zip")
    by = _by_file(docs)
    assert by["路径.zip"].status == "ok"
    assert by["路径.zip/好/正常.txt"].blocks[0].text == "正常文本"
    unsafe = [d for d in docs if d.error and "路径不安全" in d.error]
    assert len(unsafe) == 5
    assert all(".." not in d.file for d in docs)
    assert by["路径.zip/链接.txt"].status == "error" and "符号链接" in by["路径.zip/链接.txt"].error
    after = sorted(str(q) for q in tmp_path.rglob("*"))
    assert after == before                                    # nothing new anywhere
    assert not any("evil" in q for q in after)
    assert list(private_tmp.iterdir()) == []


def test_zip_bomb_ratio(tmp_path):
    p = _zip(tmp_path / "炸弹.zip", {"zeros.txt": b"\x00" * (archive.RATIO_MIN_BYTES + 1024), "ok.txt": b"ok"})
    [doc] = read_file(p, "炸弹.zip")
    assert doc.status == "error" and "疑似压缩炸弹" in doc.error and "\n" not in doc.error


def test_total_size_limit_shared_with_nested_archives(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 60_000)
    inner = _zip_bytes({"a.txt": b"a" * 30_000, "b.txt": b"b" * 30_000})
    p = _zip(tmp_path / "外.zip", {"内.zip": inner, "c.txt": b"c" * 1000})
    by = _by_file(read_file(p, "外.zip"))
    assert by["外.zip"].status == "ok"
    assert by["外.zip/c.txt"].status == "ok"
    assert by["外.zip/内.zip"].status == "error" and "疑似压缩炸弹" in by["外.zip/内.zip"].error
    p2 = _zip(tmp_path / "大.zip", {"a.txt": b"a" * 70_000})
    [doc] = read_file(p2, "大.zip")
    assert doc.status == "error" and "疑似压缩炸弹" in doc.error


def test_member_count_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_MEMBERS", 10)
    p = _zip(tmp_path / "多.zip", {f"{i}.txt": b"x" for i in range(20)})
    assert eocd_entry_count(p) == 20
    [doc] = read_file(p, "多.zip")
    assert doc.status == "error" and "文件过多" in doc.error


def test_nested_archives_up_to_depth_three(tmp_path):
    level3 = _zip_bytes({"三层.txt": "第三层".encode()})
    level2 = _zip_bytes({"三.zip": level3, "二层.txt": "第二层".encode()})
    level1 = _zip(tmp_path / "一.zip", {"二.zip": level2})
    by = _by_file(read_file(level1, "一.zip"))
    assert by["一.zip/二.zip/二层.txt"].blocks[0].text == "第二层"
    assert by["一.zip/二.zip/三.zip/三层.txt"].blocks[0].text == "第三层"
    assert by["一.zip/二.zip"].format == "zip" and by["一.zip/二.zip"].status == "ok"

    level4 = _zip(tmp_path / "零.zip", {"一.zip": level1.read_bytes()})
    by = _by_file(read_file(level4, "零.zip"))
    deep = by["零.zip/一.zip/二.zip/三.zip"]
    assert deep.status == "error" and "嵌套" in deep.error
    assert by["零.zip/一.zip/二.zip/二层.txt"].status == "ok"


def _set_encrypted_flag(data: bytes) -> bytes:
    """Mark every member as encrypted (general purpose bit 0) in local and central headers."""
    out = bytearray(data)
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = out.find(sig)
        while i >= 0:
            flags = struct.unpack_from("<H", out, i + off)[0]
            struct.pack_into("<H", out, i + off, flags | 0x1)
            i = out.find(sig, i + 4)
    return bytes(out)


def test_encrypted_members(tmp_path):
    p = tmp_path / "加密.zip"
    p.write_bytes(_set_encrypted_flag(_zip_bytes({"说明.txt": b"secret"})))
    docs = read_file(p, "加密.zip")
    by = _by_file(docs)
    assert by["加密.zip"].status == "ok"
    assert by["加密.zip/说明.txt"].status == "error" and "压缩包已加密" in by["加密.zip/说明.txt"].error
    assert any("加密" in w for w in by["加密.zip"].warnings)


def test_corrupt_member_and_corrupt_archive(tmp_path):
    data = bytearray(_zip_bytes({"a.txt": "完好的文件".encode() * 50, "b.txt": b"B" * 5000}))
    # flip bytes inside b.txt's compressed data: CRC/zlib error on that member only
    start = data.find(b"b.txt", data.find(b"PK\x03\x04", 10)) + 5
    for k in range(start + 2, start + 12):
        data[k] ^= 0xFF
    p = tmp_path / "坏.zip"
    p.write_bytes(bytes(data))
    by = _by_file(read_file(p, "坏.zip"))
    assert by["坏.zip/a.txt"].status == "ok"
    assert by["坏.zip/b.txt"].status == "error" and "损坏" in by["坏.zip/b.txt"].error

    half = tmp_path / "半截.zip"
    full = _zip_bytes({"a.txt": b"x" * 1000})
    half.write_bytes(full[: len(full) // 2])
    [doc] = read_file(half, "半截.zip")
    assert doc.status == "error" and "损坏" in doc.error


@pytest.mark.parametrize("name, expected", [
    ("a/b.txt", "a/b.txt"), ("a\\b.txt", "a/b.txt"), ("./a//b.txt", "a/b.txt"),
    ("../x", None), ("/etc/x", None), ("C:\\x", None), ("c:x", None), ("\\\\server\\x", None),
    ("a/../../x", None), ("a\x00b", None), ("", None),
])
def test_safe_member_path(name, expected):
    assert safe_member_path(name) == expected


def test_odd_member_names(tmp_path):
    long_name = "很长的文件名" * 30 + ".txt"
    p = _zip(tmp_path / "名.zip", {"😀 表情 材料（全角）.txt": "表情".encode(), long_name: "长".encode(),
                                   "CON.txt": "保留名".encode(), "说明:第2版?.txt": "冒号".encode()})
    by = _by_file(read_file(p, "名.zip"))
    assert by["名.zip/😀 表情 材料（全角）.txt"].blocks[0].text == "表情"
    assert by[f"名.zip/{long_name}"].blocks[0].text == "长"
    assert by["名.zip/CON.txt"].status == "ok" and by["名.zip/说明:第2版?.txt"].status == "ok"
