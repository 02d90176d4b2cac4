"""PDF reader, page model: the reader's settings, what one page's text pass yields
(``PageText`` with its ``Line`` s and ``Table`` s) and the text-quality measures that decide
whether a page's text layer is usable.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from consortium_review.extractors.readers.lines import _CJK_RE, Line, join_text, tidy

__all__ = ["PdfSettings", "SETTINGS", "Line", "Table", "PageText", "tidy", "join_text", "text_quality"]


# --------------------------------------------------------------------------- settings

@dataclass(frozen=True)
class PdfSettings:
    """Tunable knobs of the PDF reader (documented defaults, one visible place)."""

    max_pages: int = 3000            # read at most this many pages; a warning names the rest
    time_budget: float = 900.0       # seconds for the text pass of one file
    header_zone: float = 0.11        # top fraction of the page where running headers live
    footer_zone: float = 0.11        # bottom fraction of the page for footers / page numbers
    repeat_share: float = 0.5        # a header/footer repeats on at least this share of pages
    dedupe_tolerance: float = 1.0    # pt: same glyph drawn again within this offset = fake bold
    min_scan_image_share: float = 0.35  # page area covered by images for a scan
    min_text_chars: int = 12         # fewer letters than this on an image page = scan
    max_path_segments: int = 20000   # per page; beyond this the page is a drawing, not a table
    max_plumber_pages: int = 30      # pages per file re-read with pdfplumber (tables / garbled)
    ruling_max_thickness: float = 3.0  # pt: a filled rect thinner than this is a ruling line
    snap_tolerance: float = 2.5      # pt: ruling lines closer than this are the same line
    heading_max_chars: int = 40


SETTINGS = PdfSettings()


# --------------------------------------------------------------------------- page model

@dataclass(slots=True)
class Table:
    """One table found on one page (rows of cell texts, top to bottom)."""

    rows: list[list[str]]
    x0: float
    x1: float
    top: float
    bottom: float
    cols: list[float] = field(default_factory=list)   # column boundaries (x)
    page: int = 0


@dataclass
class PageText:
    """What the text pass learned about one page."""

    number: int                       # 1-based
    width: float
    height: float
    items: list = field(default_factory=list)   # Line | Table, in reading order
    ocr: bool = False
    need_ocr: bool = False
    garbled: bool = False
    suspicious: bool = False
    need_table_fallback: bool = False
    n_chars: int = 0                  # non-space characters of the text layer
    cjk_share: float = 0.0            # share of CJK ideographs among them
    sample: str = ""                  # the page text, kept only when it may be junk


# --------------------------------------------------------------------------- character classes and text quality

def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF


def _is_cjkish(ch: str) -> bool:
    """CJK ideograph or CJK/full-width punctuation (no space needed next to it)."""
    o = ord(ch)
    return _is_cjk(ch) or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF or ch in "—…“”‘’·"


_GBK_OK: dict[str, bool] = {}


def _char_ok(ch: str) -> bool:
    """A character a normal Chinese/English document would contain."""
    o = ord(ch)
    if 0x20 <= o < 0x7F or ch in "\t\n":
        return True
    got = _GBK_OK.get(ch)
    if got is None:
        if 0xE000 <= o <= 0xF8FF or o >= 0xF0000 or o == 0xFFFD or o < 0x20:
            got = False
        elif 0x2000 <= o <= 0x206F or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF:
            got = True
        else:
            try:
                ch.encode("gbk")
                got = True
            except UnicodeEncodeError:
                got = unicodedata.category(ch) in ("Zs",)
        _GBK_OK[ch] = got
    return got


_FAST_OK = re.compile(r"[\x21-\x7e\u4e00-\u9fa5\u3000-\u303f\uff01-\uff5e\u2010-\u2027]+")

_CJK_RUN = re.compile(rf"[{_CJK_RE}]")

_WS = re.compile(r"\s+")

_CID = re.compile(r"\(cid:\d+\)")

_LETTER = re.compile(r"[^\W_]")


def text_quality(text: str) -> tuple[int, float, float]:
    """(non-space chars, share of odd chars, share of CJK ideographs) of a page's text.

    Odd: private-use and replacement characters, controls, pdfminer's 「(cid:NN)」 for
    unmapped glyphs, and anything a GBK/ASCII document would not contain.
    """
    text = _CID.sub("\ufffd", _WS.sub("", text))
    n = len(text)
    if not n:
        return 0, 0.0, 0.0
    rest = _FAST_OK.sub("", text)
    odd = sum(1 for ch in rest if not _char_ok(ch))
    cjk = len(_CJK_RUN.findall(text))
    return n, odd / n, cjk / n


def _latin_junk(text: str) -> bool:
    """Text that is Latin-looking but not words (a CID font read without its map)."""
    chars = [c for c in text if not c.isspace()]
    if len(chars) < 20:
        return False
    letters = [c for c in chars if c.isascii() and c.isalpha()]
    if len(letters) < 0.5 * len(chars):
        return True
    vowels = sum(1 for c in letters if c in "aeiouyAEIOUY")
    share = vowels / max(1, len(letters))
    return share < 0.18 or share > 0.65


_FONT_NAMES: dict[bytes, str] = {}

_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demibold|[-,]B$|黑体|SimHei|Heiti|STHeiti|HYQiHei|FZHei", re.I)


def _font_name(raw_name: bytes) -> str:
    """Font name without the subset tag (「ABCDEF+SimSun」→「SimSun」), interned."""
    name = _FONT_NAMES.get(raw_name)
    if name is None:
        text = raw_name.decode("utf-8", "replace")
        name = text.split("+", 1)[1] if len(text) > 7 and text[6] == "+" else text
        _FONT_NAMES[raw_name] = name
    return name


def _ranges(numbers: list[int]) -> str:
    """[1,2,3,7] -> 「1—3、7」"""
    parts = []
    nums = sorted(numbers)
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        parts.append(str(nums[i]) if i == j else f"{nums[i]}—{nums[j]}")
        i = j + 1
    return "、".join(parts)
