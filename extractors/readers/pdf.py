"""PDF reader (PDF 读取): text layer via pypdfium2, ruled tables, OCR for scanned pages.

Modules (one thing each)::

    pdf.py         open, one page's text pass, the file: fallbacks, OCR, layout -> Reading
    pdf_model.py   PdfSettings, PageText / Line / Table, text-quality measures
    pdf_text.py    glyphs -> lines (numpy arrays; fake bold, pieces, reading order in a line)
    pdf_tables.py  ruling lines -> grids -> cells; aligned pieces -> tables; pdfplumber tables
    pdf_layout.py  reading order, running heads, paragraphs, headings, tables across pages
    pdf_ocr.py     OCR fallback for scanned / garbled pages

Pipeline for one file::

    pypdfium2 page ──chars──▶ ruled tables (native grid; pdfplumber fallback)
                   └─────────▶ lines ──▶ (garbled? pdfminer text or OCR) ──▶ layout ──▶ Blocks

* Text comes from pdfium glyph by glyph (the page's text in one call, one plain C call per
  glyph box into a numpy array, lines built on whole arrays: ``pdf_text``), so we control
  line building, de-duplication of over-struck glyphs (fake bold) and spacing.  pdfplumber is only opened for the few pages that need it: a page whose ruling
  lines could not be turned into a grid, or a page whose pdfium text looks garbled (broken
  ToUnicode maps that pdfminer decodes differently).
* Pages without a usable text layer are rendered and OCR'd (``consortium_review.extractors.ocr``).
* ``layout`` turns page lines into blocks: running headers/footers and page numbers are
  separated, wrapped lines are joined back into paragraphs (also across page breaks),
  headings get a level, and tables continued on the next page are joined.

Pages are opened and closed one at a time, so memory does not grow with the page count
(only the extracted text does).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from consortium_review.extractors.readers import ReadError, Reading
# the public surface of the reader (used by ocr, image, tests) is re-exported here
from consortium_review.extractors.readers.pdf_layout import (  # noqa: F401
    _PAGE_NO, layout, merge_items, order_lines,
)
from consortium_review.extractors.readers.pdf_model import (  # noqa: F401
    SETTINGS, _LETTER, Line, PageText, PdfSettings, Table, _latin_junk, _ranges, join_text, text_quality, tidy,
)
from consortium_review.extractors.readers.pdf_ocr import _ocr_pages
from consortium_review.extractors.readers.pdf_tables import (  # noqa: F401
    _Seg, _collect_segments, _grid_table, _grids, _looks_like_table, _merge_segments, _plumber_tables,
    aligned_tables,
)
from consortium_review.extractors.readers.pdf_text import (
    _Char, _chars_as_lines, _extract, _merge_lines_by_order, _page_transform, _plumber_lines,
)

__all__ = [
    "read", "open_pdf", "PdfSettings", "SETTINGS", "PageText", "Line", "Table", "tidy", "join_text",
    "text_quality", "layout", "merge_items", "order_lines", "aligned_tables", "_PAGE_NO",
]

log = logging.getLogger("consortium_review.read.pdf")


# --------------------------------------------------------------------------- opening

def _pdfium():
    import pypdfium2 as pdfium

    return pdfium


def _open_error(exc: Exception) -> ReadError:
    msg = str(exc).lower()
    if "password" in msg:
        return ReadError("PDF 已加密，需要打开密码，无法读取")
    if "security" in msg:
        return ReadError("PDF 使用了不支持的加密方式，无法读取")
    if "format" in msg or "data format" in msg:
        return ReadError("PDF 文件已损坏或格式无效，无法读取")
    if "file access" in msg or "not found" in msg:
        return ReadError("无法打开 PDF 文件（文件不存在或无法访问）")
    return ReadError("PDF 文件无法解析（可能已损坏或不完整）")


def open_pdf(path: Path):
    """Open with an empty password (owner-only encryption reads fine); map pdfium errors."""
    pdfium = _pdfium()
    try:
        return pdfium.PdfDocument(str(path), password=None)
    except pdfium.PdfiumError as exc:
        raise _open_error(exc) from None
    except (OSError, ValueError) as exc:
        raise ReadError(f"无法打开 PDF 文件（{type(exc).__name__}）") from None


# --------------------------------------------------------------------------- one page

def _read_page(pdf, index: int, settings: PdfSettings) -> PageText:
    """Text pass over one page; the page and its text page are closed before returning."""
    pdfium = _pdfium()
    raw = pdfium.raw
    page = pdf[index]
    tables: list[Table] = []
    try:
        width, height = page.get_size()
        tf = _page_transform(raw, page, width, height)
        pt = PageText(number=index + 1, width=width, height=height)
        segs, n_paths, image_area, _ = _collect_segments(raw, page, tf, settings)
        grids = []
        merged: list[_Seg] = []
        if segs:
            merged = _merge_segments(segs, settings.snap_tolerance)
            grids = _grids(merged, settings.snap_tolerance)
        regions = [(xs[0], ys[0], xs[-1], ys[-1]) for xs, ys, _, _ in grids]
        textpage = page.get_textpage()
        try:
            lines, region_chars = _extract(raw, textpage, tf, settings, regions)
        finally:
            textpage.close()
    finally:
        page.close()

    leftover: list[_Char] = []
    for (xs, ys, hsegs, vsegs), chars in zip(grids, region_chars):
        tb = _grid_table(xs, ys, hsegs, vsegs, chars, settings.snap_tolerance)
        if tb is not None:
            tb.page = pt.number
            tables.append(tb)
        else:
            leftover.extend(chars)
    if leftover:
        # a ruled box that is no table (framed note, one-cell layout): its text is body text
        lines = _merge_lines_by_order(lines, _chars_as_lines(leftover))
    if not tables and merged and _looks_like_table(merged):
        pt.need_table_fallback = True
    lines = order_lines(lines)
    lines, loose_tables = aligned_tables(lines, pt.number)
    tables.extend(loose_tables)
    pt.items = merge_items(lines, tables)

    text = "".join(ln.text for ln in lines)
    n, odd, cjk = text_quality(text)
    letters = len(_LETTER.findall(text))
    page_area = max(1.0, width * height)
    if letters < settings.min_text_chars and not tables:
        if image_area / page_area >= settings.min_scan_image_share or (letters == 0 and n_paths >= 200):
            pt.need_ocr = True
    if n >= 10 and odd > 0.3:
        pt.garbled = True
    elif n and odd > 0.02 and odd * n >= 2:
        pt.suspicious = True
    pt.cjk_share, pt.n_chars = cjk, n
    pt.sample = text if (pt.garbled or pt.suspicious or cjk < 0.05) else ""
    return pt


# --------------------------------------------------------------------------- pdfplumber fallbacks

def _plumber_pages(path: Path, numbers: list[int]):
    import pdfplumber

    return pdfplumber.open(str(path), pages=numbers, password="")


def _plumber_fix(path: Path, pages: list[PageText], want_text: list[PageText],
                 want_tables: list[PageText], warnings: list[str]) -> None:
    """Re-read a few pages with pdfplumber: garbled text (different CMap decoding), tables."""
    numbers = sorted({p.number for p in want_text} | {p.number for p in want_tables})
    if not numbers:
        return
    numbers = numbers[:SETTINGS.max_plumber_pages]
    want_text = [p for p in want_text if p.number in numbers]
    want_tables = [p for p in want_tables if p.number in numbers]
    try:
        pl = _plumber_pages(path, numbers)
    except Exception as exc:  # pdfminer may choke where pdfium did not
        log.info("pdfplumber could not open %s: %s", path, exc)
        return
    try:
        by_number = {p.page_number: p for p in pl.pages}
        for pt in want_text:
            ppage = by_number.get(pt.number)
            if ppage is None:
                continue
            try:
                lines = _plumber_lines(ppage.dedupe_chars())
            except Exception as exc:
                log.info("pdfplumber text failed on page %s: %s", pt.number, exc)
                continue
            old = "".join(ln.text for ln in pt.items if isinstance(ln, Line))
            new = "".join(ln.text for ln in lines)
            n_old, odd_old, _ = text_quality(old)
            n_new, odd_new, _ = text_quality(new)
            if n_new >= 0.5 * n_old and odd_new < 0.5 * odd_old and odd_new <= 0.1:
                tables = [it for it in pt.items if isinstance(it, Table)]
                pt.items = merge_items(lines, tables)
                pt.garbled = False
                pt.suspicious = False
        for pt in want_tables:
            ppage = by_number.get(pt.number)
            if ppage is None:
                continue
            try:
                _plumber_tables(ppage, pt)
            except Exception as exc:
                log.info("pdfplumber tables failed on page %s: %s", pt.number, exc)
    finally:
        pl.close()


# --------------------------------------------------------------------------- the reader

def _doc_language_checks(pages: list[PageText]) -> None:
    """A page of Latin junk in a Chinese document is a garbled text layer."""
    cjk_pages = [p for p in pages if p.n_chars >= 20 and p.cjk_share > 0.3]
    if not cjk_pages or len(cjk_pages) < 0.3 * len(pages):
        return
    for p in pages:
        if p.n_chars >= 20 and p.cjk_share < 0.05 and not p.garbled and _latin_junk(p.sample):
            p.garbled = True


def read(path: Path, rel: str, settings: PdfSettings = SETTINGS) -> Reading:
    """Read one PDF into blocks (see module docstring)."""
    path = Path(path)
    warnings: list[str] = []
    pdf = open_pdf(path)
    pages: list[PageText] = []
    try:
        try:
            n = len(pdf)
        except Exception:
            raise ReadError("PDF 文件无法解析（页面树损坏）") from None
        if n <= 0:
            raise ReadError("PDF 没有任何页面（文件可能已损坏）")
        limit = min(n, settings.max_pages)
        if n > limit:
            warnings.append(f"PDF 共 {n} 页，只读取了前 {limit} 页，第{limit + 1}—{n}页未读取")
        t0 = time.monotonic()
        failed: list[int] = []
        for i in range(limit):
            if time.monotonic() - t0 > settings.time_budget:
                warnings.append(f"读取超时：第{i + 1}—{limit}页未读取")
                break
            try:
                pages.append(_read_page(pdf, i, settings))
            except ReadError:
                raise
            except Exception as exc:
                log.info("page %s of %s failed: %s", i + 1, rel, exc)
                failed.append(i + 1)
        if failed:
            warnings.append(f"第{_ranges(failed)}页无法解析，已跳过")
        if not pages:
            raise ReadError("PDF 页面均无法解析（文件可能已损坏）")

        _doc_language_checks(pages)
        want_text = [p for p in pages if (p.garbled or p.suspicious) and not p.need_ocr]
        want_tables = [p for p in pages if p.need_table_fallback and not p.need_ocr and not p.garbled]
        _plumber_fix(path, pages, want_text, want_tables, warnings)
        for p in pages:
            if p.garbled:
                p.need_ocr = True

        scan_pages = [p for p in pages if p.need_ocr]
        ocr_used = False
        if scan_pages:
            try:
                ocr_used = _ocr_pages(pdf, scan_pages, warnings)
            except ReadError as exc:
                # OCR missing or broken: a file with a text layer elsewhere is still read
                others = [p for p in pages if not p.need_ocr and any(isinstance(it, (Line, Table)) for it in p.items)]
                if not others:
                    raise
                for p in scan_pages:
                    p.items = [] if p.garbled else p.items
                warnings.append(f"第{_ranges([p.number for p in scan_pages])}页未能识别：{exc}")
    finally:
        pdf.close()

    blocks = layout(pages, rel, settings)
    if not any(b.kind not in ("header", "footer") for b in blocks):
        if not any(p.need_ocr for p in pages):
            warnings.append("PDF 中没有可提取的文字")
    # pages counts what was read: a file claiming 100 000 pages adds only the pages read to
    # the page totals (the warning above names the pages left out)
    return Reading(blocks=blocks, pages=min(n, len(pages)), ocr=ocr_used, warnings=warnings)
