"""A piece of evidence shown in its source (原文定位).

* PDF with a text layer: the page rendered by pypdfium2, plus the boxes of the snippet's
  characters (``PdfTextPage.get_charbox``) as fractions of the page, drawn over the image;
* Word / text / a PDF without a text layer: the block the evidence came from with the blocks
  around it (from the read cache, so nothing is read twice);
* Excel / table rows: the row with its table header.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from consortium_review.models import Block, Document

RENDER_SCALE = 1.6         # 595 pt A4 width -> about 950 px
_WS = re.compile(r"\s+")
_PIECES = re.compile(r"…+|\.\.\.|\s\|\s")


def _squash(text: str) -> tuple[str, list[int]]:
    """Text without whitespace, and for each kept character its index in ``text``."""
    keep, idx = [], []
    for i, ch in enumerate(text):
        if ch.isspace() or ch in "\ufffe\u00ad":
            continue
        keep.append(ch)
        idx.append(i)
    return "".join(keep), idx


def _spans(haystack: str, snippet: str, min_len: int = 4) -> list[tuple[int, int]]:
    """Character spans of ``snippet`` in ``haystack`` ignoring whitespace; pieces when cut with 「…」."""
    flat, idx = _squash(haystack)
    spans = []
    for piece in _PIECES.split(snippet):
        p, _ = _squash(piece)
        if len(p) < min_len:
            continue
        pos = flat.find(p)
        if pos < 0:
            # the reader may have cleaned a character or two: fall back on the longest prefix found
            for n in range(len(p) - 1, min_len - 1, -1):
                pos = flat.find(p[:n])
                if pos >= 0:
                    p = p[:n]
                    break
        if pos >= 0:
            spans.append((idx[pos], idx[pos + len(p) - 1] + 1))
    return spans


@dataclass
class PageView:
    """A rendered page and the highlight boxes (fractions of width/height, top-left origin)."""

    png: bytes
    width: int
    height: int
    boxes: list[dict[str, float]] = field(default_factory=list)


def pdf_page(path: Path, page: int, snippet: str = "", scale: float = RENDER_SCALE, render: bool = True) -> PageView:
    """Render ``page`` (1-based) of a PDF and locate ``snippet`` on it (``render=False``: boxes only)."""
    import pypdfium2 as pdfium
    from PIL import ImageDraw

    pdf = pdfium.PdfDocument(str(path))
    try:
        if not 1 <= page <= len(pdf):
            raise ValueError(f"页码超出范围（共 {len(pdf)} 页）")
        pg = pdf[page - 1]
        w, h = pg.get_size()
        boxes: list[dict[str, float]] = []
        if snippet:
            tp = pg.get_textpage()
            n = tp.count_chars()
            text = "".join(tp.get_text_range(i, 1) for i in range(n)) if n else ""
            for a, b in _spans(text, snippet):
                for i in range(a, b):
                    if text[i].isspace():
                        continue
                    left, bottom, right, top = tp.get_charbox(i)
                    if right <= left or top <= bottom:
                        continue
                    boxes.append({"x": left / w, "y": (h - top) / h, "w": (right - left) / w, "h": (top - bottom) / h})
            tp.close()
        boxes = _merge_boxes(boxes)
        if not render:
            return PageView(png=b"", width=int(w * scale), height=int(h * scale), boxes=boxes)
        image = pg.render(scale=scale).to_pil().convert("RGB")
        if boxes:
            # a highlighter pen: multiply with yellow, so the text under it stays black
            from PIL import Image, ImageChops

            marker = Image.new("RGB", image.size, (255, 255, 255))
            draw = ImageDraw.Draw(marker)
            W, H = image.size
            for bx in boxes:
                draw.rectangle([bx["x"] * W - 2, bx["y"] * H - 2, (bx["x"] + bx["w"]) * W + 2,
                                (bx["y"] + bx["h"]) * H + 2], fill=(255, 226, 60))
            image = ImageChops.multiply(image, marker)
        buf = io.BytesIO()
        image.save(buf, format="PNG", optimize=False)
        pg.close()
        return PageView(png=buf.getvalue(), width=image.size[0], height=image.size[1], boxes=boxes)
    finally:
        pdf.close()


def _merge_boxes(boxes: list[dict[str, float]]) -> list[dict[str, float]]:
    """Consecutive characters on one line become one box (text order, not sorted: digits sit lower)."""
    lines: list[dict[str, float]] = []
    for b in boxes:
        last = lines[-1] if lines else None
        if last:
            overlap = min(last["y"] + last["h"], b["y"] + b["h"]) - max(last["y"], b["y"])
            gap = b["x"] - (last["x"] + last["w"])
            if overlap > 0.3 * min(last["h"], b["h"]) and -0.01 < gap < 0.03:
                right = max(last["x"] + last["w"], b["x"] + b["w"])
                top = min(last["y"], b["y"])
                bottom = max(last["y"] + last["h"], b["y"] + b["h"])
                last.update(w=right - last["x"], y=top, h=bottom - top)
                continue
        lines.append(dict(b))
    return [{k: round(v, 5) for k, v in b.items()} for b in lines]


def image_png(path: Path) -> bytes:
    """A scanned image as PNG (the browser shows it next to the OCR text)."""
    from PIL import Image

    with Image.open(path) as im:
        im.thumbnail((1600, 1600))
        buf = io.BytesIO()
        im.convert("RGB").save(buf, format="PNG")
        return buf.getvalue()


# --------------------------------------------------------------------------- text context

def real_file(folder: Path, rel: str) -> tuple[Optional[Path], str]:
    """The file on disk holding ``rel`` (a member 'a.zip/b.docx' lives in 'a.zip') and its rel."""
    parts = rel.split("/")
    for n in range(len(parts), 0, -1):
        cand = folder.joinpath(*parts[:n])
        if cand.is_file() and not cand.is_symlink():
            return cand, "/".join(parts[:n])
    return None, rel


def read_documents(folder: Path, rel: str, cache_dir: Optional[Path]) -> list[Document]:
    """The documents of the file holding ``rel``, from the read cache when possible."""
    from consortium_review.extractors.read import read_file

    path, top_rel = real_file(folder, rel)
    if path is None:
        return []
    if cache_dir is not None:
        from consortium_review.cache import ReadCache

        cache = ReadCache(cache_dir)
        hit = cache.get(path, top_rel)
        if hit is not None:
            return hit
        docs = read_file(path, top_rel)
        cache.put(path, top_rel, docs)
        return docs
    return read_file(path, top_rel)


@dataclass
class TextContext:
    """The evidence's block and its neighbours; ``hit`` marks the block the snippet came from."""

    rows: list[dict[str, Any]] = field(default_factory=list)   # {"text", "hit", "kind", "cells", "header", "locator", "marks"}
    header: list[str] = field(default_factory=list)            # table header when the hit is a row
    found: bool = False


def _same(a: str, b: str) -> bool:
    return _WS.sub("", a) == _WS.sub("", b)


def text_context(docs: list[Document], ev: dict, around: int = 2) -> TextContext:
    doc = next((d for d in docs if d.file == ev.get("file")), None)
    ctx = TextContext()
    if doc is None or not doc.blocks:
        return ctx
    blocks = doc.blocks
    hit_i = None
    loc, page = ev.get("locator") or "", ev.get("page")
    snippet = str(ev.get("snippet") or "")
    for i, b in enumerate(blocks):
        if loc and _same(b.locator, loc) and (page is None or b.page is None or b.page == page):
            hit_i = i
            break
    if hit_i is None:
        for i, b in enumerate(blocks):
            if _spans(b.text, snippet, 6):
                hit_i = i
                break
    if hit_i is None:
        return ctx
    ctx.found = True
    hit = blocks[hit_i]
    if hit.kind == "table_row" and (hit.cells or hit.header):
        # a table row: the rows of the same table around it, under its header
        same = [i for i, b in enumerate(blocks) if b.kind == "table_row" and b.table == hit.table
                and b.sheet == hit.sheet and b.file == hit.file]
        pos = same.index(hit_i) if hit_i in same else 0
        chosen = same[max(0, pos - around):pos + around + 1]
        ctx.header = list(hit.header)
        for i in chosen:
            ctx.rows.append(_row(blocks[i], i == hit_i, snippet))
        return ctx
    for i in range(max(0, hit_i - around), min(len(blocks), hit_i + around + 1)):
        ctx.rows.append(_row(blocks[i], i == hit_i, snippet))
    return ctx


def _row(b: Block, hit: bool, snippet: str) -> dict[str, Any]:
    """A block for the template; the hit's text split into (text, marked) pieces."""
    marks: list[tuple[str, bool]] = []
    if hit:
        spans = sorted(_spans(b.text, snippet, 4))
        pos = 0
        for a, z in spans:
            if a < pos:
                continue
            marks.append((b.text[pos:a], False))
            marks.append((b.text[a:z], True))
            pos = z
        marks.append((b.text[pos:], False))
    return {"text": b.text, "hit": hit, "kind": b.kind, "cells": list(b.cells), "locator": b.locator,
            "page": b.page, "marks": marks or [(b.text, hit)]}
