"""PDF reader, OCR fallback: pages without a usable text layer (scans, garbled fonts) are
rendered and recognised (``consortium_review.extractors.ocr``), up to the OCR page cap; the
recognised lines go through the same table and layout stages as text lines.
"""

from __future__ import annotations

from consortium_review.extractors import ocr
from consortium_review.extractors.readers.pdf_layout import merge_items, order_lines
from consortium_review.extractors.readers.pdf_model import PageText, Table, _ranges
from consortium_review.extractors.readers.pdf_tables import aligned_tables


def _ocr_pages(pdf, scan_pages: list[PageText], warnings: list[str]) -> bool:
    """OCR the scanned/garbled pages (up to the OCR page cap). Returns True if any was OCR'd."""
    cap = ocr.max_ocr_pages()
    todo, skipped = scan_pages[:cap], scan_pages[cap:]
    done: list[int] = []
    empty: list[int] = []
    for p in todo:
        lines = ocr.ocr_pdf_page(pdf, p.number - 1)   # raises ReadError if OCR is unavailable
        lines, tables = aligned_tables(order_lines(lines), p.number)
        tables += [it for it in p.items if isinstance(it, Table)]
        p.items = merge_items(lines, tables)
        p.ocr = True
        (done if lines else empty).append(p.number)
    garbled = [p.number for p in todo if p.garbled]
    scans = [p.number for p in todo if not p.garbled]
    if scans:
        warnings.append(f"第{_ranges(scans)}页为扫描页（无文字层），已用 OCR 识别")
    if garbled:
        warnings.append(f"第{_ranges(garbled)}页的文字层为乱码（字体缺少编码映射），已改用 OCR 识别")
    if empty:
        warnings.append(f"第{_ranges(empty)}页 OCR 未识别到文字")
    if skipped:
        warnings.append(f"扫描页超过 OCR 上限（{cap} 页），第{_ranges([p.number for p in skipped])}页未识别")
    return bool(todo)
