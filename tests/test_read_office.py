""".doc/.wps/.rtf: the LibreOffice path (skipped when soffice is absent) and the pure-Python path
(always tested: forced with ``use_libreoffice=False`` or by hiding soffice)."""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from pathlib import Path

import pytest

from consortium_review.extractors.readers import ReadError, msdoc, office
from consortium_review.extractors.readers import docx as docx_reader

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "word" / "word97_features.doc"
SHARED = HERE.parents[1] / "shared" / "corpus"
PEER = SHARED / "peer"
DEV_DOCS = sorted((SHARED / "dev" / "input").glob("*/*.doc"))

HAS_LO = office.find_soffice() is not None
needs_lo = pytest.mark.skipif(not HAS_LO, reason="LibreOffice (soffice) not installed")


def peer(name: str) -> Path:
    p = PEER / name
    if not p.is_file():
        pytest.skip(f"peer corpus file {name} not present ({PEER})")
    return p


def fallback(path: Path):
    return office.read(path, path.name, use_libreoffice=False)


def key(reading) -> list[tuple]:
    """What must agree between the two paths: kind, place, whitespace-free text, section."""
    return [(b.kind, b.locator, re.sub(r"\s+", "", b.text), b.section, b.table, b.row) for b in reading.blocks]


@pytest.fixture
def no_libreoffice_call(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("LibreOffice must not be started for this file")
    monkeypatch.setattr(office, "_via_libreoffice", boom)


# --------------------------------------------------------------------------- pure-Python .doc

def test_fallback_reads_word97_structure():
    got = fallback(FIXTURE)
    seq = [(b.kind, b.locator, b.text) for b in got.blocks]
    assert seq == [
        ("paragraph", "第1段", "宜宾临港市域产教联合体建设方案"),
        ("heading", "第2段", "基本情况"),
        ("paragraph", "第3段", "联合体成员单位共52家。"),
        ("paragraph", "第4段", "共建实训基地7个，表情😀不影响位置。"),   # deletion "5" dropped, insertion kept
        ("paragraph", "第5段", "详见联合体网站。"),                        # HYPERLINK field code dropped
        ("caption", "第6段", "表1 成员单位"),
        ("table_row", "表1第1行", "类别 | 成员单位 | 人数"),
        ("table_row", "表1第2行", "中职 | 宜宾技师学院 | 120"),
        ("table_row", "表1第3行", "宜宾中等专业学校 | 80"),
        ("table_row", "表1第4行", "高职 | 宜宾职业技术学院 | 300"),
        ("table_row", "表2第1行", "专业群 | 学生数"),                       # nested table after its row
        ("table_row", "表2第2行", "智能制造 | 1200"),
        ("table_row", "表1第5行", "合计 | 500"),
        ("paragraph", "第7段", "分页之前"),
        ("heading", "第8段", "建设目标"),
        ("heading", "第9段", "（一）组织架构"),
        ("paragraph", "第10段", "联合体实行理事会领导下的秘书长负责制。"),
        ("heading", "第11段", "（一）理事会"),                            # automatic list labels
        ("heading", "第12段", "（二）秘书处"),
        ("header", "页眉", "宜宾临港市域产教联合体"),
        ("footer", "页脚", "联合体秘书处第页"),                          # PAGE field result dropped
        ("footnote", "脚注1", "数据来源：2024年统计年报。"),
    ]
    rows = {b.locator: b for b in got.blocks if b.kind == "table_row"}
    assert rows["表1第3行"].cells == ["", "宜宾中等专业学校", "80"]          # vertical merge: once
    assert rows["表1第5行"].cells == ["合计", "", "500"]                     # horizontal span on the grid
    assert rows["表1第4行"].cells == ["高职", "宜宾职业技术学院", "300"]      # nested text not repeated
    assert rows["表1第5行"].header == ["类别", "成员单位", "人数"]
    assert rows["表2第2行"].header == ["专业群", "学生数"]
    levels = {b.text: b.level for b in got.blocks if b.kind == "heading"}
    assert levels == {"基本情况": 1, "建设目标": 1, "（一）组织架构": 2, "（一）理事会": 2, "（二）秘书处": 2}
    assert got.blocks[3].section == "基本情况"
    assert office.FALLBACK_WARNING in got.warnings
    assert any("修订" in w for w in got.warnings)
    assert all(b.file == FIXTURE.name for b in got.blocks)


def test_missing_soffice_means_fallback(monkeypatch):
    monkeypatch.setattr(office, "find_soffice", lambda: None)
    got = office.read(FIXTURE, "材料/纪要.doc")
    assert office.FALLBACK_WARNING in got.warnings
    assert got.blocks[0].file == "材料/纪要.doc"


def test_fallback_guesses_rows_without_paragraph_properties(monkeypatch):
    monkeypatch.setattr(msdoc._Doc, "_read_papx", lambda self: False)
    got = fallback(FIXTURE)
    rows = [b for b in got.blocks if b.kind == "table_row"]
    assert rows[0].cells == ["类别", "成员单位", "人数"]
    text = "\n".join(b.text for b in got.blocks)
    for word in ("宜宾技师学院", "宜宾中等专业学校", "智能制造", "合计"):
        assert text.count(word) == 1


@pytest.mark.parametrize("path", DEV_DOCS, ids=lambda p: p.parent.name + "/" + p.name)
def test_dev_doc_fallback_full_text(path):
    got = fallback(path)
    body = [b for b in got.blocks if b.kind in ("paragraph", "heading")]
    assert body[0].text.endswith(path.stem)            # the title names the document
    assert len(body) >= 10
    assert all(b.text.strip() for b in body)
    if path.stem == "理事会章程":
        assert [b.text for b in body if b.kind == "heading"][:2] == ["第一章总则", "第二章成员"]
        assert sum(1 for b in body if b.text.startswith("第") and "条" in b.text[:4]) == 8


@needs_lo
@pytest.mark.parametrize("path", DEV_DOCS + [FIXTURE, PEER / "cn-asian-text.doc"], ids=lambda p: p.name)
def test_fallback_matches_libreoffice(path):
    if not path.is_file():
        pytest.skip(f"{path} not present")
    before = path.read_bytes()
    via_lo = office.read(path, path.name)
    assert office.FALLBACK_WARNING not in via_lo.warnings
    assert key(fallback(path)) == key(via_lo)
    assert path.read_bytes() == before


def test_peer_cn_asian_text_doc():
    expected = [ln.strip() for ln in peer("cn-asian-text.expected.txt").read_text("utf-8").splitlines() if ln.strip()]
    assert [b.text for b in fallback(peer("cn-asian-text.doc")).blocks] == expected


def test_peer_tracked_changes_emoji_doc():
    expected = [ln.strip() for ln in peer("tracked-changes-emoji.expected.txt").read_text("utf-8").splitlines()
                if ln.strip()]
    got = fallback(peer("tracked-changes-emoji.doc"))
    assert [b.text for b in got.blocks] == expected
    assert "deleted" not in "\n".join(b.text for b in got.blocks)


def test_peer_tracked_changes_big_doc_equals_docx_body():
    doc_body = [re.sub(r"\s+", " ", b.text) for b in fallback(peer("tracked-changes-big.doc")).blocks
                if b.kind in ("paragraph", "heading", "caption", "table_row")]
    docx_body = [re.sub(r"\s+", " ", b.text) for b in docx_reader.read(peer("tracked-changes-big.docx"), "x").blocks
                 if b.kind in ("paragraph", "heading", "caption", "table_row")]
    assert len(doc_body) > 200
    assert doc_body == docx_body


def test_encrypted_doc_is_refused_before_conversion(no_libreoffice_call):
    for use in (None, False):
        with pytest.raises(ReadError, match="文件已加密（需要密码）"):
            office.read(peer("enc-rc4cryptoapi.doc"), "x.doc", use_libreoffice=use)


def test_corrupt_doc_is_a_clean_error(no_libreoffice_call):
    with pytest.raises(ReadError, match="损坏"):
        office.read(peer("corrupt-bad-header.doc"), "x.doc")


def test_truncated_doc_is_a_clean_error(tmp_path, no_libreoffice_call):
    cut = tmp_path / "cut.doc"
    cut.write_bytes(FIXTURE.read_bytes()[:3000])
    with pytest.raises(ReadError):
        office.read(cut, "cut.doc")


def test_no_reader_names_what_to_install(tmp_path):
    odd = tmp_path / "旧版.wps"
    odd.write_bytes(b"\x00WPS binary that no reader understands" * 20)
    with pytest.raises(ReadError) as exc:
        office.read(odd, odd.name, use_libreoffice=False)
    assert str(exc.value) == office.INSTALL_HINT
    assert "\n" not in str(exc.value)
    xls = HERE / "fixtures" / "sheet_merged.xls"   # an OLE file without a WordDocument stream
    if xls.is_file():
        renamed = tmp_path / "表格.wps"
        shutil.copyfile(xls, renamed)
        with pytest.raises(ReadError, match="LibreOffice"):
            office.read(renamed, renamed.name, use_libreoffice=False)


def test_docx_content_with_doc_name(tmp_path):
    from docx import Document

    d = Document()
    d.add_paragraph("其实是 docx")
    path = tmp_path / "改名.doc"
    d.save(path)
    assert [b.text for b in office.read(path, path.name, use_libreoffice=False).blocks] == ["其实是 docx"]


# --------------------------------------------------------------------------- RTF

def test_rtf_fallback_unicode_escapes():
    got = fallback(peer("cjk-unicode-escapes.rtf"))
    assert [b.text for b in got.blocks] == ["柔道"]
    assert office.FALLBACK_WARNING in got.warnings


def test_rtf_fallback_tables():
    got = fallback(peer("nested-table.rtf"))
    rows = [b.cells for b in got.blocks if b.kind == "table_row"]
    assert ["RCA", "keine Stenose"] in rows and ["Coronararterie", "führender Befund"] in rows
    assert "Extracardiale Strukturen" in [b.text for b in got.blocks]


def test_rtf_fallback_gbk_codepage(tmp_path):
    rtf = tmp_path / "说明.rtf"
    body = "联合体共建实训基地7个".encode("gbk")
    escaped = "".join(f"\\'{b:02x}" for b in body)
    second = "".join(f"\\u{ord(ch)}?" for ch in "第二段成员")      # \\uN escapes with a fallback byte
    rtf.write_text("{\\rtf1\\ansi\\ansicpg936\\deff0{\\fonttbl{\\f0 \\'cb\\'ce\\'cc\\'e5;}}\\f0 "
                   + escaped + "\\par " + second + "\\par}", encoding="ascii")
    got = fallback(rtf)
    assert [b.text for b in got.blocks][0] == "联合体共建实训基地7个"
    assert got.blocks[-1].text == "第二段成员"


@needs_lo
def test_rtf_via_libreoffice_keeps_tables():
    got = office.read(peer("nested-table.rtf"), "x.rtf")
    assert office.FALLBACK_WARNING not in got.warnings
    rows = [b.cells for b in got.blocks if b.kind == "table_row"]
    assert ["RCA", "keine Stenose"] in rows and ["RCA", "0"] in rows


# --------------------------------------------------------------------------- LibreOffice process handling

def _fake_soffice(tmp_path: Path, body: str) -> str:
    script = tmp_path / "fake-soffice"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return str(script)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell script stands in for soffice")
def test_conversion_timeout_kills_the_process_group_and_falls_back(tmp_path, monkeypatch):
    pidfile = tmp_path / "child.pid"
    monkeypatch.setenv("FAKE_PIDFILE", str(pidfile))
    fake = _fake_soffice(tmp_path, 'sleep 60 &\necho $! > "$FAKE_PIDFILE"\nwait\n')
    monkeypatch.setattr(office, "find_soffice", lambda: fake)
    monkeypatch.setattr(office, "CONVERT_TIMEOUT", 1)
    got = office.read(FIXTURE, FIXTURE.name)
    assert any("超时" in w for w in got.warnings)
    assert office.FALLBACK_WARNING in got.warnings
    assert [b.text for b in got.blocks][0] == "宜宾临港市域产教联合体建设方案"
    child = int(pidfile.read_text())
    for _ in range(50):                       # the grandchild died with its process group
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        if Path(f"/proc/{child}/stat").is_file() and ") Z " in Path(f"/proc/{child}/stat").read_text():
            break                             # a zombie waiting for init to reap it is dead too
        time.sleep(0.1)
    else:
        pytest.fail("the child of the timed-out converter is still running")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell script stands in for soffice")
def test_failed_conversion_falls_back_with_reason(tmp_path, monkeypatch):
    fake = _fake_soffice(tmp_path, "exit 3\n")
    monkeypatch.setattr(office, "find_soffice", lambda: fake)
    got = office.read(FIXTURE, FIXTURE.name)
    assert any("LibreOffice 转换失败" in w for w in got.warnings)
    assert len(got.blocks) == 22


# --------------------------------------------------------------------------- Word-named files that are HTML / XML

WORDML_2003 = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<?mso-application progid="Word.Document"?>
<w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml"
 xmlns:wx="http://schemas.microsoft.com/office/word/2003/auxHint" xmlns:aml="http://schemas.microsoft.com/aml/2001/core">
<w:styles><w:style w:type="paragraph" w:styleId="1"><w:name w:val="heading 1"/></w:style></w:styles>
<w:body><wx:sect>
<w:p><w:pPr><w:pStyle w:val="1"/></w:pPr><w:r><w:t>基本情况</w:t></w:r></w:p>
<w:p><w:r><w:t>成员单位</w:t></w:r><aml:annotation w:type="Word.Deletion"><aml:content><w:r><w:delText>50</w:delText>
</w:r></aml:content></aml:annotation><aml:annotation w:type="Word.Insertion"><aml:content><w:r><w:t>52</w:t></w:r>
</aml:content></aml:annotation><w:r><w:t>家。</w:t></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>指标</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>数值</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p><w:r><w:t>合计</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
<w:sectPr><w:hdr w:type="odd"><w:p><w:r><w:t>页眉文字</w:t></w:r></w:p></w:hdr></w:sectPr>
</wx:sect></w:body></w:wordDocument>"""


def test_word2003_xml_named_doc_is_read_directly(tmp_path, no_libreoffice_call):
    path = tmp_path / "模板导出.doc"
    path.write_text(WORDML_2003, encoding="utf-8")
    got = office.read(path, path.name)
    assert [(b.kind, b.locator, b.text, b.cells) for b in got.blocks] == [
        ("heading", "第1段", "基本情况", []),
        ("paragraph", "第2段", "成员单位52家。", []),
        ("table_row", "表1第1行", "指标 | 数值", ["指标", "数值"]),
        ("table_row", "表1第2行", "合计", ["合计", ""]),
        ("header", "页眉", "页眉文字", []),
    ]
    assert office.FALLBACK_WARNING not in got.warnings


def test_word2003_xml_with_dtd_is_refused(tmp_path):
    path = tmp_path / "x.doc"
    path.write_text(WORDML_2003.replace('<?mso-application progid="Word.Document"?>',
                                        '<?mso-application progid="Word.Document"?><!DOCTYPE w:wordDocument '
                                        '[<!ENTITY x SYSTEM "file:///etc/passwd">]>'), encoding="utf-8")
    with pytest.raises(ReadError, match="DTD"):
        office.read(path, path.name, use_libreoffice=False)


WORD_HTML = """<html xmlns:w="urn:schemas-microsoft-com:office:word"><head>
<meta http-equiv=Content-Type content="text/html; charset=gb2312"><style>p.MsoNormal {margin:0}</style></head>
<body lang=ZH-CN><div class=WordSection1>
<h1>一、建设背景</h1>
<p class=MsoNormal><span>联合体成员单位共</span><span>52</span><span>家。</span></p>
<p class=MsoNormal>（一）组织架构</p>
<table class=MsoTableGrid border=1>
 <tr><td>类别</td><td>成员单位</td><td>人数</td></tr>
 <tr><td rowspan=2>中职</td><td>宜宾技师学院</td><td>120</td></tr>
 <tr><td>宜宾中等专业学校<table><tr><td>内嵌</td><td>表格</td></tr></table></td><td>80</td></tr>
 <tr><td colspan=2>合计</td><td>200</td></tr>
</table>
<p class=MsoNormal>第一行<br>第二行</p>
<script>document.write("不是正文")</script>
</div></body></html>"""


def _check_word_html(got) -> None:
    assert [(b.kind, b.text) for b in got.blocks] == [
        ("heading", "一、建设背景"),
        ("paragraph", "联合体成员单位共52家。"),
        ("heading", "（一）组织架构"),
        ("table_row", "类别 | 成员单位 | 人数"),
        ("table_row", "中职 | 宜宾技师学院 | 120"),
        ("table_row", "宜宾中等专业学校 | 80"),
        ("table_row", "内嵌 | 表格"),
        ("table_row", "合计 | 200"),
        ("paragraph", "第一行"),
        ("paragraph", "第二行"),
    ]
    rows = [b for b in got.blocks if b.kind == "table_row"]
    assert rows[2].cells == ["", "宜宾中等专业学校", "80"]       # rowspan: the merged cell appears once
    assert rows[4].cells == ["合计", "", "200"] and rows[4].table == 1 and rows[4].row == 4
    assert rows[3].table == 2 and rows[3].header == ["内嵌", "表格"]


def test_html_saved_as_doc_without_libreoffice(tmp_path):
    path = tmp_path / "导出.doc"
    path.write_bytes(WORD_HTML.encode("gbk"))
    got = fallback(path)
    _check_word_html(got)
    assert office.FALLBACK_WARNING in got.warnings


def test_mht_saved_as_doc_without_libreoffice(tmp_path):
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    msg = MIMEMultipart("related")
    msg.attach(MIMEText(WORD_HTML.replace("gb2312", "utf-8"), "html", "utf-8"))
    path = tmp_path / "单个网页.doc"
    path.write_bytes(msg.as_bytes())
    _check_word_html(fallback(path))
