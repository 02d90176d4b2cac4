"""PDF reader, layout: page lines and tables -> blocks.

Reading order within a page (``order_lines``, ``merge_items``); running headers, footers and
page numbers (``_split_running``); wrapped lines joined back into paragraphs, also across
page breaks (``_continues``); heading levels; tables continued on the next page joined, a
row cut by the page break put back together.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Optional

from consortium_review.models import Block
from consortium_review.extractors.readers.pdf_model import (
    SETTINGS, Line, PageText, PdfSettings, Table, _BOLD_FONT, join_text, tidy,
)


# --------------------------------------------------------------------------- reading order

def order_lines(lines: list[Line]) -> list[Line]:
    """Reading order: pdfium's content order, sorted top-down when the page is one column.

    Generators often draw tables, headers or boxes out of visual order; a single-column
    page is safely read top to bottom. Pages with text side by side keep content order.
    """
    if len(lines) < 2:
        return lines
    by_top = sorted(lines, key=lambda ln: ln.top)
    if all(a.top <= b.top + 0.5 for a, b in zip(lines, lines[1:])):
        return lines
    side_by_side = 0
    for a, b in zip(by_top, by_top[1:]):
        overlap = min(a.bottom, b.bottom) - max(a.top, b.top)
        if overlap > 0.5 * min(a.bottom - a.top, b.bottom - b.top) and (a.x1 < b.x0 or b.x1 < a.x0):
            side_by_side += 1
    if side_by_side >= 3:
        return lines
    # same visual row: left to right
    rows: list[list[Line]] = []
    for ln in by_top:
        if rows:
            last = rows[-1][0]
            if ln.top < last.bottom - 0.5 * (last.bottom - last.top) and abs(ln.top - last.top) < 0.5 * max(ln.size, last.size, 4.0):
                rows[-1].append(ln)
                continue
        rows.append([ln])
    out: list[Line] = []
    for row in rows:
        out.extend(sorted(row, key=lambda ln: ln.x0))
    return out


def merge_items(lines: list[Line], tables: list[Table]) -> list:
    """Put each table right after the last line that lies above it."""
    if not tables:
        return list(lines)
    slots: dict[int, list[Table]] = defaultdict(list)
    for tb in sorted(tables, key=lambda t: t.top):
        pos = -1
        for k, ln in enumerate(lines):
            if ln.bottom <= tb.top + 2 and (pos < 0 or ln.bottom >= lines[pos].bottom - 0.5):
                pos = k
        slots[pos].append(tb)
    items: list = list(slots.get(-1, []))
    for k, ln in enumerate(lines):
        items.append(ln)
        items.extend(slots.get(k, []))
    return items


# --------------------------------------------------------------------------- running heads, headings, paragraphs

_PAGE_NO = re.compile(
    r"^\s*(?:[-—–－一_·•\s]*\d{1,4}[-—–－一_·•\s]*|第\s*\d{1,4}\s*页(?:\s*[,，/共]\s*共?\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|page\s*\d{1,4}(?:\s*of\s*\d{1,4})?|[-—–－]?\s*[ivxlcIVXLC]{1,6}\s*[-—–－]?)\s*$",
    re.I)

_HEADING_PATTERNS = [
    (re.compile(r"^第[一二三四五六七八九十百零〇\d]+[章部篇节]"), 1),
    (re.compile(r"^[一二三四五六七八九十百]+\s*[、.．]"), 1),
    (re.compile(r"^[（(]\s*[一二三四五六七八九十]+\s*[)）]"), 2),
    (re.compile(r"^\d{1,2}\s*[.．、](?!\d)"), 3),
    (re.compile(r"^[（(]\s*\d{1,2}\s*[)）]"), 4),
]

_CAPTION = re.compile(r"^(?:表|图|附表|续表)\s*[0-9０-９一二三四五六七八九十]+(?:[-—.．][0-9]+)?(?=\s|[^0-9]|$)")

_SENTENCE_END = tuple("。！？；：!?;:")

_DATE_ONLY = re.compile(r"^\d{4}\s*年(\s*\d{1,2}\s*月)?(\s*\d{1,2}\s*日)?$|^\d{4}[-./]\d{1,2}([-./]\d{1,2})?$")

_DIGITS = re.compile(r"\d+")


def _norm_running(text: str) -> str:
    return _DIGITS.sub("#", re.sub(r"\s+", "", text))


def _split_running(pages: list[PageText], settings: PdfSettings) -> dict[int, dict[int, str]]:
    """Classify lines in the top/bottom zones: running header/footer or page number.

    Returns {page number: {id(line): "header"|"footer"|"pageno"}}.
    """
    cands: list[tuple[PageText, Line, str]] = []
    for pt in pages:
        for it in pt.items:
            if not isinstance(it, Line):
                continue
            if it.bottom <= pt.height * settings.header_zone:
                cands.append((pt, it, "header"))
            elif it.top >= pt.height * (1 - settings.footer_zone):
                cands.append((pt, it, "footer"))
    result: dict[int, dict[int, str]] = defaultdict(dict)
    n_pages = len(pages)
    by_key: dict[tuple[str, str], list[tuple[PageText, Line]]] = defaultdict(list)
    for pt, ln, zone in cands:
        if _PAGE_NO.match(ln.text):
            result[pt.number][id(ln)] = "pageno"
            continue
        by_key[(zone, _norm_running(ln.text))].append((pt, ln))
    need = max(2, int(round(settings.repeat_share * n_pages))) if n_pages > 1 else 10 ** 9
    for (zone, _), occ in by_key.items():
        if len({pt.number for pt, _ in occ}) < need:
            continue
        # the same text at (about) the same height: a real running header, not a title
        tops = sorted(ln.top for _, ln in occ)
        med = tops[len(tops) // 2]
        for pt, ln in occ:
            if abs(ln.top - med) <= max(8.0, ln.size):
                result[pt.number][id(ln)] = zone
    return result


@dataclass
class _Metrics:
    body_size: float
    left: float
    right: float
    gap: float


def _metrics(lines: list[Line], width: float, fallback: Optional[_Metrics]) -> _Metrics:
    long_lines = [ln for ln in lines if len(ln.text) >= 8]
    few = len(long_lines) < 5
    if few:
        if fallback is not None:
            return fallback
        long_lines = lines or [Line("", 0.1 * width, 0.9 * width, 0, 0, 10.0)]
    sizes = Counter()
    for ln in long_lines:
        sizes[round(ln.size * 2) / 2] += len(ln.text)
    body = sizes.most_common(1)[0][0] or 10.0
    body_lines = [ln for ln in long_lines if abs(ln.size - body) <= max(1.0, 0.15 * body)] or long_lines
    lefts = Counter(round(ln.x0 / 3) * 3 for ln in body_lines)
    left = min(v for v, cnt in lefts.items() if cnt >= max(1, lefts.most_common(1)[0][1] // 3))
    rights = sorted(ln.x1 for ln in body_lines)
    right = rights[min(len(rights) - 1, int(len(rights) * 0.9))]
    if fallback is not None and len(body_lines) < 4:
        right = max(right, fallback.right) if abs(fallback.right - right) < 3 * body else right
        left = min(left, fallback.left) if abs(fallback.left - left) < 3 * body else left
    gaps = sorted(b.top - a.bottom for a, b in zip(body_lines, body_lines[1:]) if 0 <= b.top - a.bottom < 3 * body)
    gap = gaps[len(gaps) // 2] if gaps else 0.5 * body
    if fallback is not None:
        body = fallback.body_size   # font size is a property of the document, not the page
    if few or len(body_lines) < 8:
        right = max(right, 0.8 * width)   # too few lines to know the margin: be strict
    return _Metrics(body, left, right, gap)


def _heading_level(text: str, ln: Line, m: _Metrics, settings: PdfSettings, ocr: bool = False) -> Optional[int]:
    t = text.strip()
    if not t or len(t) > settings.heading_max_chars:
        return None
    if t[-1] in "，,、；;" or _PAGE_NO.match(t) or _DATE_ONLY.match(t):
        return None
    if t[-1] in "。." and len(t) > 16:
        return None
    for pat, level in _HEADING_PATTERNS:
        if pat.match(t):
            rest = pat.sub("", t, count=1).strip()
            if not rest or len(rest) > settings.heading_max_chars - 4:
                return None
            if level == 3 and t[-1] in "。.":
                return None
            return level
    if t[-1] in "。.":
        return None
    # OCR box heights are noisy: a smaller margin, and a centred short line helps
    ratio = ln.size / max(m.body_size, 1.0)
    centred = (ln.x0 > m.left + 2 * ln.size
               and abs((ln.x0 + ln.x1) / 2 - (m.left + m.right) / 2) < 0.06 * max(m.right - m.left, 1.0))
    if ratio >= (1.14 if ocr else 1.2) or (centred and ratio >= 1.08):
        return 1
    if ln.bold and len(t) <= 25 and t[-1] not in "。.:：":
        return 2
    return None


_NO_LINE_START = set("。，、；：！？）》」』】〉”’%％.,;:!?)")


def _ran_to_margin(ln: Line, nxt_text: str, m: _Metrics, ocr: bool) -> bool:
    size = max(ln.size, 4.0)
    tol = (2.6 if ocr else 2.0) * size
    if nxt_text and (nxt_text[0] in _NO_LINE_START or (len(nxt_text) > 1 and nxt_text[1] in _NO_LINE_START)):
        # line-breaking rules (禁则) pushed a char plus its closing punctuation to the next line
        tol += 2.2 * size
    elif nxt_text and re.match(r"[0-9][0-9,.]{3,}", nxt_text):
        tol += 0.45 * size * len(re.match(r"[0-9][0-9,.]*", nxt_text).group(0))
    if ln.text and ln.text[-1].isascii() and ln.text[-1].isalnum():
        word = re.match(r"[A-Za-z0-9\-]+", nxt_text or "")
        if word:
            tol = max(tol, len(word.group(0)) * 0.6 * size + size)
    return ln.x1 >= m.right - tol


def layout(pages: list[PageText], rel: str, settings: PdfSettings = SETTINGS) -> list[Block]:
    """Lines and tables of all pages -> blocks with page, locator, level and section."""
    running = _split_running(pages, settings)
    blocks: list[Block] = []
    seen_running: set[tuple[str, str]] = set()
    doc_metrics: Optional[_Metrics] = None
    all_body = [it for pt in pages for it in pt.items
                if isinstance(it, Line) and id(it) not in running.get(pt.number, {})]
    if all_body:
        widest = max(pt.width for pt in pages)
        doc_metrics = _metrics(all_body, widest, None)
        _mark_bold(all_body)

    para_no = 0
    table_no = 0
    section = ""
    # paragraph under construction: (text, first line, last line, page, ocr, metrics)
    cur: Optional[dict] = None
    last_table: Optional[dict] = None     # the table a next-page table may continue
    last_item_was_table = False

    def emit_paragraph():
        nonlocal cur, para_no, section
        if cur is None:
            return
        text = tidy(cur["text"])
        breaks = [len(tidy(cur["text"][:off])) for off in cur.get("breaks", [])]
        first: Line = cur["first"]
        m: _Metrics = cur["m"]
        cur = None
        if not text:
            return
        para_no += 1
        kind = "paragraph"
        level = None
        if _CAPTION.match(text) and len(text) <= 60:
            kind = "caption"          # 「表1 …」 even when set in bold
        elif cur_lines_single[0]:
            level = _heading_level(text, first, m, settings, cur_ocr[0])
            if level is not None:
                kind = "heading"
        b = Block(text=text, file=rel, kind=kind, page=page_of_para[0], locator=f"第{para_no}段",
                  level=level, section=section, page_breaks=breaks)
        blocks.append(b)
        if kind == "heading":
            section = text

    cur_lines_single = [True]
    page_of_para = [1]
    cur_ocr = [False]

    def emit_table(tb: Table, page_no: int, continued: bool):
        nonlocal table_no, last_table
        rows = tb.rows
        if continued and last_table is not None:
            header = last_table["header"]
            tid = last_table["id"]
            if rows and [_norm_running(c) for c in rows[0]] == [_norm_running(c) for c in header]:
                rows = rows[1:]  # header repeated on the new page
            row_no = last_table["rows"]
            prev = blocks[-1] if blocks and blocks[-1].kind == "table_row" and blocks[-1].table == tid else None
            if rows and prev is not None and _split_row(prev.cells, rows[0]):
                # the page break cut a row in two: its rest joins the row on the previous page
                prev.cells = [join_text(a, b) for a, b in zip(prev.cells, rows[0])]
                prev.text = tidy(" | ".join(c for c in prev.cells if c))
                rows = rows[1:]
        else:
            table_no += 1
            tid = table_no
            header = rows[0]
            row_no = 0
        for cells in rows:
            row_no += 1
            text = " | ".join(c for c in cells if c)
            blocks.append(Block(text=tidy(text), file=rel, kind="table_row", page=page_no,
                                locator=f"表{tid}第{row_no}行", table=tid, row=row_no,
                                cells=list(cells), header=list(header), section=section))
        last_table = {"id": tid, "header": header, "rows": row_no, "ncols": len(tb.cols) - 1,
                      "cols": tb.cols, "page": page_no}

    for pt in pages:
        kinds = running.get(pt.number, {})
        body_lines = [it for it in pt.items if isinstance(it, Line) and id(it) not in kinds]
        m = _metrics(body_lines, pt.width, doc_metrics)
        seen_body_on_page = False
        items = pt.items
        for idx, it in enumerate(items):
            if isinstance(it, Table):
                continued = (not seen_body_on_page and last_item_was_table and last_table is not None
                             and last_table["page"] == pt.number - 1
                             and last_table["ncols"] == len(it.cols) - 1
                             and _same_columns(last_table["cols"], it.cols))
                emit_paragraph()
                emit_table(it, pt.number, continued)
                last_item_was_table = True
                seen_body_on_page = True
                continue
            kind = kinds.get(id(it))
            if kind is not None:
                if kind in ("header", "footer"):
                    key = (kind, _norm_running(it.text))
                    if key not in seen_running:
                        seen_running.add(key)
                        t = tidy(it.text)
                        if t:
                            blocks.append(Block(text=t, file=rel, kind=kind, page=pt.number,
                                                locator="页眉" if kind == "header" else "页脚"))
                continue
            seen_body_on_page = True
            last_item_was_table = False
            text = it.text.strip()
            if not text:
                continue
            if cur is not None and _continues(cur, it, pt, m, settings):
                if cur["page_last"] != pt.number:
                    cur.setdefault("breaks", []).append(len(cur["text"]))   # paragraph runs onto this page
                cur["text"] = join_text(cur["text"], text)
                cur["last"] = it
                cur["page_last"] = pt.number
                cur_lines_single[0] = False
                continue
            emit_paragraph()
            cur = {"text": text, "first": it, "last": it, "m": m, "ocr": pt.ocr,
                   "page_last": pt.number}
            cur_lines_single[0] = True
            page_of_para[0] = pt.number
            cur_ocr[0] = pt.ocr
        if not seen_body_on_page:
            pass
    emit_paragraph()
    return blocks


def _split_row(prev: list[str], frag: list[str]) -> bool:
    """Is ``frag`` (first row on the new page) the rest of row ``prev`` cut by the page break?"""
    if len(prev) != len(frag) or frag[0]:
        return False
    filled = [i for i, c in enumerate(frag) if c]
    return bool(filled) and len(filled) <= len(frag) // 2 and all(prev[i] for i in filled)


def _mark_bold(lines: list[Line]) -> None:
    """Lines set in a bold face (by font name) that the body text does not use are bold."""
    fonts: Counter = Counter()
    for ln in lines:
        if ln.font:
            fonts[ln.font] += len(ln.text)
    if not fonts:
        return
    body_font = fonts.most_common(1)[0][0]
    if _BOLD_FONT.search(body_font):
        return
    for ln in lines:
        if ln.font and ln.font != body_font and _BOLD_FONT.search(ln.font):
            ln.bold = True


def _same_columns(a: list[float], b: list[float]) -> bool:
    if len(a) != len(b):
        return False
    wa, wb = a[-1] - a[0], b[-1] - b[0]
    if wa <= 0 or wb <= 0:
        return False
    return all(abs((x - a[0]) / wa - (y - b[0]) / wb) <= 0.04 for x, y in zip(a, b))


def _continues(cur: dict, ln: Line, pt: PageText, m: _Metrics, settings: PdfSettings) -> bool:
    """Does line ``ln`` continue the paragraph ``cur`` (a line the PDF wrapped)?"""
    last: Line = cur["last"]
    prev_text = cur["text"]
    text = ln.text.strip()
    if not prev_text or not text:
        return False
    if prev_text.rstrip()[-1] in _SENTENCE_END:
        return False
    pm: _Metrics = cur["m"]
    ocr = cur["ocr"] or pt.ocr
    if not _ran_to_margin(last, text, pm, ocr):
        return False
    size = max(last.size, ln.size, 4.0)
    # a new paragraph is indented (Chinese first-line indent) or is a heading
    if ln.x0 > m.left + (0.9 if not ocr else 1.2) * size:
        return False
    # sizes come from glyph boxes, which vary with the characters of a short line
    if abs(ln.size - last.size) > (max(1.5, 0.15 * size) if not ocr else 0.35 * size):
        return False
    for pat, _level in _HEADING_PATTERNS:
        if pat.match(text) and len(text) <= settings.heading_max_chars and not _ran_to_margin(ln, "", m, ocr):
            return False
    same_page = cur["page_last"] == pt.number
    if same_page:
        gap = ln.top - last.bottom
        if gap < -0.5 * size:
            return False  # went back up: another column or a float
        if gap > max(1.8 * pm.gap, 0.9 * size) + 2:
            return False
    else:
        if cur["page_last"] != pt.number - 1:
            return False
    # a centred or right-aligned first line (title, signature, date) stands alone
    if last is cur["first"] and last.x0 > pm.left + 3.5 * size:
        return False
    # a short heading-like previous line never swallows the next line
    if len(prev_text) <= 6 and not _ran_to_margin(last, text, pm, ocr):
        return False
    return True
