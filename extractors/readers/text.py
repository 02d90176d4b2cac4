"""Plain text (.txt/.md): one block per non-empty paragraph. Encoding: UTF-8, else GB18030."""

from __future__ import annotations

from pathlib import Path

from consortium_review.models import Block
from consortium_review.extractors.readers import ReadError, Reading
from consortium_review.extractors.textclean import clean_text

MAX_TEXT_BYTES = 50 * 1024 * 1024


def decode_bytes(raw: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def read(path: Path, rel: str) -> Reading:
    if path.stat().st_size > MAX_TEXT_BYTES:
        raise ReadError("文本文件过大，未读取")
    from consortium_review.extractors.read import LIMITS, doc_over_budget

    text = decode_bytes(path.read_bytes())
    if len(text) > LIMITS.doc_chars:       # refused before a million blocks are built
        raise ReadError(doc_over_budget(len(text), 0))
    blocks = []
    for i, para in enumerate((p for p in text.splitlines() if p.strip()), 1):
        if i > LIMITS.doc_blocks:
            raise ReadError(doc_over_budget(0, i))
        blocks.append(Block(text=clean_text(para), file=rel, kind="paragraph", locator=f"第{i}段"))
    return Reading(blocks=blocks)
