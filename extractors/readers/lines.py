"""Text-line primitives shared by the PDF reader and OCR: ``Line`` and the two text joiners.

A module of its own so that ``ocr`` (which builds ``Line`` s from recognised boxes) and
``readers.pdf`` (which calls OCR for scanned pages) do not import each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from consortium_review.extractors.textclean import clean_text


@dataclass(slots=True)
class Line:
    """One visual text line in top-down page coordinates (points)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float = 0.0       # font size (pt); for OCR the box height
    bold: bool = False
    # pieces separated by wide gaps (x0, x1, text): table columns without ruling lines
    segs: Optional[list] = None
    font: str = ""          # font name of the line's first glyph (subset prefix removed)


_CJK_RE = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PUNCT_RE = r"\u3000-\u303f\uff00-\uffef\u2014\u2026\u2018\u2019\u201c\u201d\u00b7"
_SPACE_CJK_NUM = re.compile(
    rf"(?<=[{_CJK_RE}{_CJK_PUNCT_RE}])[ \u00a0\u3000]+(?=[0-9０-９%％])"
    rf"|(?<=[0-9０-９%％.])[ \u00a0\u3000]+(?=[{_CJK_RE}{_CJK_PUNCT_RE}])"
    rf"|(?<=[{_CJK_RE}])[ \u00a0\u3000]+(?=[{_CJK_PUNCT_RE}])"
    rf"|(?<=[{_CJK_PUNCT_RE}])[ \u00a0\u3000]+(?=[{_CJK_RE}A-Za-z])"
)


# any character tidy() could change or strip (spaces of all kinds, controls, surrogates)
_TIDY_TOUCHES = re.compile("[\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200b\u2028\u2029\u202f"
                           "\u205f\u3000\ud800-\udfff\ufeff\ufffe\uffff]")


def tidy(text: str) -> str:
    """clean_text plus: no space between CJK and numbers (「2024 年」→「2024年」)."""
    if _TIDY_TOUCHES.search(text) is None:
        return text             # nothing to clean (most table cells, many lines)
    return clean_text(_SPACE_CJK_NUM.sub("", text))


def join_text(a: str, b: str) -> str:
    """Join two wrapped pieces of one sentence: no space after CJK, a space between words."""
    if not a:
        return b
    if not b:
        return a
    if a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum():
        return a + " " + b
    if a[-1] in ",;:)" and b[0].isascii() and b[0].isalnum():
        return a + " " + b
    return a + b
