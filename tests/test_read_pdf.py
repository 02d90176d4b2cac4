"""PDF reader: page numbers, paragraphs, running headers, tables, fake bold, encryption.

Fixtures in tests/fixtures/pdf/ were made by tests/fixtures/pdf/make_fixtures.py
(python-docx -> LibreOffice, matplotlib); one test also builds a PDF live when soffice is
installed. The dev corpus checks skip when ../shared is absent.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from consortium_review.extractors.read import read_file
from consortium_review.extractors.readers import ReadError
from consortium_review.extractors.readers import pdf as pdf_reader
from consortium_review.extractors.readers.pdf import PdfSettings, text_quality, tidy

FIX = Path(__file__).parent / "fixtures" / "pdf"
DEV = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "dev" / "input"


def _load_builders():
    spec = importlib.util.spec_from_file_location("make_fixtures", FIX / "make_fixtures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


MF = _load_builders()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _page_texts(path: Path) -> list[str]:
    """Raw pdfium text per page (independent of our reader), whitespace removed."""
    doc = pdfium.PdfDocument(str(path))
    try:
        out = []
        for i in range(len(doc)):
            page = doc[i]
            tp = page.get_textpage()
            out.append(tp.get_text_range())
            tp.close()
            page.close()
        return out
    finally:
        doc.close()


@pytest.fixture(scope="module")
def report():
    path = FIX / "report.pdf"
    return path, pdf_reader.read(path, "report.pdf")


def _body(reading):
    return [b for b in reading.blocks if b.kind not in ("header", "footer")]


# --------------------------------------------------------------------------- page numbers

def test_page_numbers_match_the_pages_text(report):
    path, reading = report
    raw_pages = [_squash(t) for t in _page_texts(path)]
    assert reading.pages == len(raw_pages) >= 5
    checked = 0
    for b in _body(reading):
        assert b.page is not None and 1 <= b.page <= len(raw_pages)
        probe = _squash(b.cells[1] if b.kind == "table_row" and b.cells[1] else b.text)[:8]
        if b.kind == "table_row" and probe in "".join(raw_pages[b.page - 2:b.page - 1]):
            # a split row may start on the previous page
            continue
        assert probe in raw_pages[b.page - 1], (b.page, b.text)
        checked += 1
    assert checked > 50
    # the document really spreads over several pages
    assert len({b.page for b in _body(reading)}) >= 5


# --------------------------------------------------------------------------- paragraphs

def test_wrapped_lines_are_joined_into_paragraphs(report):
    path, reading = report
    texts = [b.text for b in reading.blocks if b.kind == "paragraph"]
    raw = re.sub(r"[ \t\u00a0]", "", "\n".join(_page_texts(path)))
    for para in MF.PARAGRAPHS:
        expected = tidy(para)
        assert expected in texts, f"paragraph not rebuilt: {expected[:30]}…"
        # and the PDF really wrapped it over several lines
        start = raw.find(para[:6])
        assert start >= 0 and "\n" in raw[start:start + len(para)]


def test_sentence_wrapped_inside_a_number_phrase(report):
    _, reading = report
    joined = [b for b in reading.blocks if "企业职工培训量达22,434人日" in b.text]
    assert len(joined) == 1 and joined[0].kind == "paragraph"


def test_headings_levels_and_sections(report):
    _, reading = report
    heads = {b.text: b for b in reading.blocks if b.kind == "heading"}
    assert heads["一、总体情况"].level == 1
    assert heads["二、政策供给与条件保障"].level == 1
    assert heads["（一）经费投入"].level == 2
    money = next(b for b in reading.blocks if b.text.startswith("2024年联合体专项经费实际到位"))
    assert money.section == "（一）经费投入"
    assert any(b.kind == "caption" and b.text.startswith("表1") for b in reading.blocks)
    # paragraph locators count body paragraphs 1..n without gaps
    numbers = [int(re.match(r"第(\d+)段", b.locator).group(1)) for b in reading.blocks
               if b.kind in ("paragraph", "heading", "caption")]
    assert numbers == list(range(1, len(numbers) + 1))


def test_running_header_and_page_numbers_are_not_body_text(report):
    path, reading = report
    raw_pages = _page_texts(path)
    # every page of the PDF carries the running header and a 「— n —」 footer
    for n, t in enumerate(raw_pages, 1):
        assert MF.RUNNING_HEADER in _squash(t)
        assert re.search(rf"—\s*{n}\s*—", t)
    headers = [b for b in reading.blocks if b.kind == "header"]
    assert headers and headers[0].text == MF.RUNNING_HEADER
    for b in _body(reading):
        assert not re.search(r"—\s*\d+\s*—", b.text), b.text
        if b.text == MF.RUNNING_HEADER:
            assert b.kind == "heading" and b.page == 1   # the title, not the running header
        else:
            assert MF.RUNNING_HEADER not in b.text


@pytest.mark.parametrize("text", ["— 3 —", "-3-", "第 3 页", "第3页 共18页", "第3页，共18页", "3/18", "3 / 18",
                                  "Page 3 of 18", "12", "· 7 ·", "iv"])
def test_page_number_patterns(text):
    assert pdf_reader._PAGE_NO.match(text)


@pytest.mark.parametrize("text", ["第三章 总则", "2024年", "共计3家", "3.2万元", "表3"])
def test_not_page_numbers(text):
    assert not pdf_reader._PAGE_NO.match(text)


# --------------------------------------------------------------------------- tables

def _rows(reading, table_id):
    return [b for b in reading.blocks if b.kind == "table_row" and b.table == table_id]


def test_table_rows_with_header(report):
    _, reading = report
    rows = _rows(reading, 1)
    assert [r.cells for r in rows] == [MF.TABLE1_HEADER] + MF.TABLE1_ROWS
    for r in rows:
        assert r.header == MF.TABLE1_HEADER
        assert r.locator == f"表1第{r.row}行"
        assert r.text == " | ".join(c for c in r.cells if c)


def test_table_continued_over_page_breaks_with_repeated_header(report):
    _, reading = report
    rows = _rows(reading, 2)
    assert [r.cells for r in rows] == [MF.TABLE2_HEADER] + MF.TABLE2_ROWS
    assert [r.row for r in rows] == list(range(1, len(rows) + 1))
    pages = [r.page for r in rows]
    assert pages == sorted(pages) and len(set(pages)) >= 3   # later rows keep their own page


def test_table_continued_without_repeated_header(report):
    path, reading = report
    rows = _rows(reading, 3)
    assert [r.cells for r in rows] == [MF.TABLE3_HEADER] + MF.TABLE3_ROWS
    assert len({r.page for r in rows}) >= 2
    # the PDF does not repeat the header on the next page
    raw = _page_texts(path)
    assert "培训项目" not in raw[rows[-1].page - 1]
    assert max(r.table for r in reading.blocks if r.kind == "table_row") == 3


def test_pdfplumber_fallback_gives_the_same_tables(report, monkeypatch):
    """Pages whose rulings do not form a grid natively go to pdfplumber's table finder."""
    path, reading = report
    native = [(b.table, b.row, b.page, b.cells, b.header) for b in reading.blocks if b.kind == "table_row"]
    monkeypatch.setattr(pdf_reader, "_grids", lambda *a, **k: [])   # native grid finder "fails"
    calls = []
    real = pdf_reader._plumber_tables
    monkeypatch.setattr(pdf_reader, "_plumber_tables", lambda ppage, pt: (calls.append(pt.number), real(ppage, pt)))
    fallback = pdf_reader.read(path, "report.pdf")
    got = [(b.table, b.row, b.page, b.cells, b.header) for b in fallback.blocks if b.kind == "table_row"]
    assert calls and got == native
    prose = " ".join(b.text for b in fallback.blocks if b.kind == "paragraph")
    assert "成员单位07有限公司" not in prose


def test_table_text_is_not_repeated_as_paragraphs(report):
    _, reading = report
    para = " ".join(b.text for b in reading.blocks if b.kind != "table_row")
    for probe in ("成员单位07有限公司", "专项培训第3期", "联合建设教学资源库", "74,543人日"):
        assert probe not in para


# --------------------------------------------------------------------------- CJK hygiene

def test_fake_bold_duplicates_removed():
    path = FIX / "fakebold.pdf"
    raw = _page_texts(path)[0]
    assert raw.count("股票代码") == 2 and raw.count("名模意义") == 2   # pdfium alone keeps the over-strike
    reading = pdf_reader.read(path, "fakebold.pdf")
    assert [b.text for b in reading.blocks] == ["股票代码：300218", "微软培训课程：名模意义"]


def test_no_spaces_between_cjk_and_numbers(report):
    _, reading = report
    for b in reading.blocks:
        assert not re.search(r"[\u4e00-\u9fff] +[\u4e00-\u9fff0-9]", b.text), b.text
        assert not re.search(r"[0-9] +[\u4e00-\u9fff]", b.text), b.text


def test_text_quality_flags_junk():
    n, odd, cjk = text_quality("联合体专项经费到位3846万元。")
    assert n == 16 and odd == 0 and cjk > 0.5
    _, odd, _ = text_quality("\ue000\ue001\ue002\ufffd\ue003 abc")
    assert odd > 0.5
    _, odd, _ = text_quality("(cid:12)(cid:13)(cid:14)(cid:15)年")
    assert odd == 0.8
    assert pdf_reader._latin_junk("!\"#$%&'()*+,-./ !\"#$%&'()*+ ,-./0!\"#$") is True
    assert pdf_reader._latin_junk("Although practicality beats purity, errors should never pass silently.") is False


def test_latin_junk_page_in_a_chinese_document_is_garbled():
    def page(n, cjk, sample=""):
        return pdf_reader.PageText(number=n, width=595, height=842, n_chars=300, cjk_share=cjk, sample=sample)

    junk = page(4, 0.0, "!\"#$%&'()*+,-./0123 !\"#$%&'()*+,-./ 456789:;<=>?@ABC")
    english = page(5, 0.0, "The consortium signed cooperation agreements with twelve enterprises this year.")
    pages = [page(1, 0.8), page(2, 0.7), page(3, 0.9), junk, english]
    pdf_reader._doc_language_checks(pages)
    assert junk.garbled and not english.garbled
    assert not any(p.garbled for p in pages[:3])


# --------------------------------------------------------------------------- encryption / damage

def test_user_password_refused():
    with pytest.raises(ReadError) as err:
        pdf_reader.read(FIX / "enc-user-password.pdf", "x.pdf")
    assert str(err.value) == "PDF 已加密，需要打开密码，无法读取"
    doc = read_file(FIX / "enc-user-password.pdf", "x.pdf")[0]
    assert doc.status == "error" and "密码" in doc.error


def test_owner_only_encryption_reads():
    path = FIX / "enc-owner-only.pdf"
    assert b"/Encrypt" in path.read_bytes()
    reading = pdf_reader.read(path, "x.pdf")
    assert [b.text for b in reading.blocks] == ["权限加密文件正文：联合体专项经费到位3846万元。"]


@pytest.mark.parametrize("data", [
    b"%PDF-1.4\n1 0 obj <<>> garbage",
    b"%PDF-1.7\n" + b"\x00\xff" * 500,
])
def test_corrupt_pdf_gives_one_line_chinese_error(tmp_path, data):
    p = tmp_path / "坏文件.pdf"
    p.write_bytes(data)
    with pytest.raises(ReadError) as err:
        pdf_reader.read(p, p.name)
    msg = str(err.value)
    assert "\n" not in msg and re.search(r"[\u4e00-\u9fff]", msg)


def test_truncated_pdf_never_raises_anything_else(tmp_path):
    data = (FIX / "report.pdf").read_bytes()
    for cut in (len(data) // 3, len(data) // 2, len(data) - 200):
        p = tmp_path / f"cut{cut}.pdf"
        p.write_bytes(data[:cut])
        doc = read_file(p, p.name)[0]
        assert doc.status in ("ok", "error")
        if doc.status == "error":
            assert re.search(r"[\u4e00-\u9fff]", doc.error) and "\n" not in doc.error


def test_page_cap_warns_and_stops(report):
    path, _ = report
    reading = pdf_reader.read(path, "r.pdf", PdfSettings(max_pages=2))
    assert reading.pages == 2          # pages read, not pages claimed (issue 15); the warning names the rest
    assert {b.page for b in reading.blocks} <= {1, 2}
    assert any("只读取了前 2 页" in w for w in reading.warnings)


# --------------------------------------------------------------------------- live LibreOffice

@pytest.mark.skipif(MF.soffice() is None, reason="LibreOffice (soffice) 未安装：跳过现场生成 PDF 的测试")
def test_live_libreoffice_pdf(tmp_path):
    docx = MF.build_report_docx(tmp_path / "年度总结.docx")
    pdf = MF.to_pdf(docx, tmp_path)
    doc = read_file(pdf, "年度总结.pdf")[0]
    assert doc.status == "ok" and doc.format == "pdf"
    texts = [b.text for b in doc.blocks]
    for para in MF.PARAGRAPHS:
        assert tidy(para) in texts
    rows = [b for b in doc.blocks if b.kind == "table_row" and b.table == 2]
    assert len(rows) == 61 and rows[0].header == MF.TABLE2_HEADER


# --------------------------------------------------------------------------- dev corpus

SUMMARIES = sorted(DEV.glob("*/2024年度工作总结.pdf")) if DEV.exists() else []


@pytest.mark.skipif(not SUMMARIES, reason="dev corpus (../shared/corpus/dev) not present")
@pytest.mark.parametrize("path", SUMMARIES, ids=lambda p: p.parent.name)
def test_dev_summary_table_rows(path):
    doc = read_file(path, path.name)[0]
    assert doc.status == "ok" and doc.pages >= 4
    rows = [b for b in doc.blocks if b.kind == "table_row"]
    assert rows, "the summary's task table was not found"
    assert rows[0].cells == ["序号", "建设任务", "完成数量", "备注"]
    assert all(r.header == ["序号", "建设任务", "完成数量", "备注"] for r in rows)
    assert [r.cells[0] for r in rows[1:]] == [str(i) for i in range(1, len(rows))]
    assert all(r.cells[1] and r.cells[2] for r in rows[1:])
    # the table's text is not also in the paragraphs
    prose = " ".join(b.text for b in doc.blocks if b.kind == "paragraph")
    assert rows[1].cells[1] not in prose
    # the running header is separated and page numbers 「—1—」 never reach the body
    assert any(b.kind == "header" for b in doc.blocks)
    assert not any(re.fullmatch(r"—\s*\d+\s*—", b.text) for b in doc.blocks)


@pytest.mark.skipif(not SUMMARIES, reason="dev corpus (../shared/corpus/dev) not present")
def test_dev_summary_known_rows_and_wraps():
    lz = read_file(DEV / "临渚生物医药产教联合体" / "2024年度工作总结.pdf", "s.pdf")[0]
    cells = [b.cells for b in lz.blocks if b.kind == "table_row"]
    assert ["2", "实训基地覆盖学生", "1万人", "2026年目标16542人"] in cells   # cell text wrapped in the PDF
    assert ["3", "联合培养", "2436人", ""] in cells
    row = next(b for b in lz.blocks if b.kind == "table_row" and b.cells[0] == "3")
    assert row.page == 3 and row.locator == "表1第4行"
    # 「…还需提」/「升。」 and 「深化“四个合作”」/「，持续…」 are wrapped in the PDF
    lj = read_file(DEV / "鹭江海洋装备产教联合体" / "2024年度工作总结.pdf", "s.pdf")[0]
    text = {b.text: b for b in lj.blocks}
    # a sentence wrapped across the page break 1→2 (「…抵免教育」|「费附加…」)
    hit = [b for b in lj.blocks if "13家企业依规抵免教育费附加和地方教育附加共计240,000元" in b.text]
    assert len(hit) == 1 and hit[0].page == 1
    assert not any(t.startswith("费附加") for t in text)
    tc = read_file(DEV / "太仓中德智能制造产教联合体" / "2024年度工作总结.pdf", "s.pdf")[0]
    assert any("教育附加共计2,320,000元。2024年度联合体日常运行经费到位2,485,000元" in b.text for b in tc.blocks)


def test_full_width_quotes_stay_in_place_at_line_breaks():
    """LibreOffice draws a line's CJK text first and its full-width quotes (another font)
    afterwards; the reader puts every glyph back in left-to-right order (fixture made from a
    .docx by LibreOffice: five paragraphs whose quotes fall at different places of the lines)."""
    from consortium_review.extractors.read import read_file
    path = Path(__file__).parent / "fixtures" / "pdf" / "quotes_at_line_breaks.pdf"
    doc = read_file(path, path.parent)[0]
    text = "".join(b.text for b in doc.blocks)
    assert text.count("国家“双高计划”建设单位") == 5
    assert text.count("成立“秘书处、工作专班”等机构") == 5
    assert "“ ”" not in text and "” “" not in text


# --------------------------------------------------------------------------- glyph pass: arrays vs loop

@pytest.mark.parametrize("name", sorted(p.name for p in FIX.glob("*.pdf") if not p.name.startswith(("scan", "enc"))))
def test_array_line_builder_matches_the_per_glyph_loop(name, monkeypatch):
    """The glyph pass builds lines on whole arrays; the per-glyph loop it replaced (still used
    for text ranges that do not line up with pdfium's glyph indices) is the reference: the same
    blocks, cells, levels and page breaks on every fixture (tables, fake bold, quotes drawn
    out of order, garbled fonts)."""
    from consortium_review.extractors.readers import pdf_text

    path = FIX / name

    def blocks():
        r = pdf_reader.read(path, name)
        return [(b.kind, b.page, b.locator, b.level, b.section, b.text, b.cells, b.header, b.page_breaks)
                for b in r.blocks], r.warnings

    fast = blocks()
    calls = []
    real = pdf_text._glyph_boxes
    monkeypatch.setattr(pdf_text, "_glyph_boxes", lambda *a, **k: (calls.append(1), real(*a, **k))[1] and None)
    slow = blocks()
    assert calls, "the array path was not taken"
    assert fast == slow and fast[0]
