"""PDF reader (PDF 读取): text layer via pypdfium2, ruled tables, OCR for scanned pages.

Pipeline for one file::

    pypdfium2 page ──chars──▶ ruled tables (native grid; pdfplumber fallback)
                   └─────────▶ lines ──▶ (garbled? pdfminer text or OCR) ──▶ layout ──▶ Blocks

* Text comes from pdfium char by char (fast: one C call for the code point and one for the
  box), so we control line building, de-duplication of over-struck glyphs (fake bold) and
  spacing.  pdfplumber is only opened for the few pages that need it: a page whose ruling
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

import bisect
import ctypes
import logging
import re
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from consortium_review.models import Block
from consortium_review.extractors import ocr
from consortium_review.extractors.readers import ReadError, Reading
from consortium_review.extractors.readers.lines import _CJK_RE, Line, join_text, tidy

log = logging.getLogger("consortium_review.read.pdf")


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
    row_pages: list[int] = field(default_factory=list)


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


# --------------------------------------------------------------------------- character classes

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


# --------------------------------------------------------------------------- pdfium text pass

class _Char:
    __slots__ = ("ch", "x0", "x1", "top", "bottom", "size", "brk", "dup")

    def __init__(self, ch, x0, x1, top, bottom, size, brk):
        self.ch, self.x0, self.x1, self.top, self.bottom = ch, x0, x1, top, bottom
        self.size, self.brk, self.dup = size, brk, False


def _page_transform(raw, page, width: float, height: float):
    """Affine map from PDF user space to top-down display coordinates (handles /Rotate)."""
    # pdfium maps user space (any mediabox origin, any /Rotate) to device pixels; three
    # probe points give the affine map. For unrotated pages it is a flip of the y axis.
    dx, dy = ctypes.c_int(), ctypes.c_int()
    scale = 100.0  # device pixels per point: integer rounding stays below 0.01 pt
    W, H = int(width * scale), int(height * scale)

    def dev(x, y):
        raw.FPDF_PageToDevice(page, 0, 0, W, H, 0, x, y, dx, dy)
        return dx.value / scale, dy.value / scale

    ox, oy = dev(0.0, 0.0)
    ax, ay = dev(1000.0, 0.0)
    bx, by = dev(0.0, 1000.0)
    a, b = (ax - ox) / 1000.0, (ay - oy) / 1000.0
    c, d = (bx - ox) / 1000.0, (by - oy) / 1000.0
    return a, b, c, d, ox, oy


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


def out_of_order(xs: list[float], size: float) -> bool:
    """A glyph placed clearly left of the one before it on the same line."""
    if xs == sorted(xs):      # the common case, at C speed
        return False
    back = 0.5 * size if size > 1.0 else 0.5
    return any(xs[k] < xs[k - 1] - back for k in range(1, len(xs)))


def _keep_space(parts: list[str], order: list[int], k: int) -> bool:
    """After re-ordering, a space stays only between two non-CJK glyphs (words)."""
    pos = order.index(k)
    left = next((parts[j] for j in reversed(order[:pos]) if parts[j] != " "), "")
    right = next((parts[j] for j in order[pos + 1:] if parts[j] != " "), "")
    return bool(left and right) and not _is_cjkish(left) and not _is_cjkish(right)


_FAST_BOX: list = []


def _fast_box_fn(raw):
    """FPDFText_GetLooseCharBox as a plain C prototype (no per-call pointer-type checks),
    or None where that cannot be built (then the typed binding is used)."""
    if not _FAST_BOX:
        try:
            addr = ctypes.cast(raw.FPDFText_GetLooseCharBox, ctypes.c_void_p).value
            # no argtypes: ints go as C int, c_void_p objects as pointers (all platforms)
            _FAST_BOX.append(ctypes.CFUNCTYPE(ctypes.c_int)(addr) if addr else None)
        except Exception:  # pragma: no cover - exotic ctypes builds
            _FAST_BOX.append(None)
    return _FAST_BOX[0]


def _glyph_boxes(raw, h, codes: str, n: int, tf, regions, tol: float, fast_box):
    """Boxes of all glyphs of a page in top-down coordinates, as lists (x0, x1, top,
    bottom, size, region index), or None when the page may hold over-struck glyphs (fake
    bold) and needs the exact per-glyph de-duplication.

    The arithmetic is the per-glyph loop's, in the same order on float64, so the values are
    the same to the last bit.
    """
    import numpy as np

    buf = np.zeros((n, 4), dtype=np.float32)     # FS_RECTF: left, top, right, bottom
    base = buf.ctypes.data
    h_ptr = ctypes.cast(h, ctypes.c_void_p)
    out = ctypes.c_void_p(base)
    for i in range(n):
        out.value = base + 16 * i
        fast_box(h_ptr, i, out)
    box = buf.astype(np.float64)
    rl, rt, rr, rb = box[:, 0], box[:, 1], box[:, 2], box[:, 3]
    a, b, c, d, e, f = tf
    if abs(b) < 1e-9 and abs(c) < 1e-9:
        x0, x1 = a * rl + e, a * rr + e
        top, bottom = d * rt + f, d * rb + f
    else:
        x0, top = a * rl + c * rt + e, b * rl + d * rt + f
        x1, bottom = a * rr + c * rb + e, b * rr + d * rb + f
    x0, x1 = np.minimum(x0, x1), np.maximum(x0, x1)
    top, bottom = np.minimum(top, bottom), np.maximum(top, bottom)
    size = bottom - top
    code = np.frombuffer(codes.encode("utf-32-le"), dtype=np.uint32)
    glyph = (code != 10) & (code != 13) & (code != 0) & (code != 0xFFFE)
    real = glyph & (code != 32)
    hit = np.full(n, -1, dtype=np.int64)
    if regions:
        cx, cy = (x0 + x1) * 0.5, (top + bottom) * 0.5
        for k in range(len(regions) - 1, -1, -1):
            rx0, rtop, rx1, rbot = regions[k]
            hit[(rx0 - 1 <= cx) & (cx <= rx1 + 1) & (rtop - 1 <= cy) & (cy <= rbot + 1)] = k
    # over-strike candidates: two equal glyphs within ``tol`` in x and in top lie in one
    # cell of side 4·tol on at least one of the four grids shifted by 2·tol
    body = real & (hit < 0)
    dup = np.zeros(n, dtype=bool)
    if tol <= 0:
        return None
    bi = np.flatnonzero(body)
    if len(bi) > 1:
        bc = code[bi].astype(np.int64) << 42
        bx, by = x0[bi], top[bi]
        cell = 4.0 * tol
        lim = (1 << 20) - 1
        cand = np.zeros(len(bi), dtype=bool)
        for ox in (0.0, 2.0 * tol):
            gx = (np.clip(np.floor((bx + ox) / cell), -lim, lim).astype(np.int64) + (1 << 20)) << 21
            for oy in (0.0, 2.0 * tol):
                gy = np.clip(np.floor((by + oy) / cell), -lim, lim).astype(np.int64) + (1 << 20)
                keys = bc | gx | gy
                order = np.argsort(keys, kind="stable")
                sk = keys[order]
                eq = sk[1:] == sk[:-1]
                if eq.any():
                    cand[order[1:][eq]] = True
                    cand[order[:-1][eq]] = True
        if cand.any():
            # only glyphs with an equal neighbour can be (or make) an over-strike: the
            # sequential rule of the per-glyph loop, run over those glyphs alone
            ci = bi[cand]
            for i in _overstruck(codes, ci.tolist(), x0[ci].tolist(), x1[ci].tolist(), top[ci].tolist(), tol):
                dup[i] = True
    for i in np.flatnonzero(real & (size <= 0.5)).tolist():
        size[i] = raw.FPDFText_GetFontSize(h, i)
    return code, x0, x1, top, bottom, size, hit, dup


def _overstruck(codes: str, idx: list[int], X0: list[float], X1: list[float], TOP: list[float],
                tol: float) -> list[int]:
    """Indices (of ``idx``, in content order) of glyphs drawn again over an earlier glyph:
    the same character within ``tol`` in x and in top, overlapping most of its width."""
    seen: dict[int, list] = {}
    out = []
    for i, x0, x1, top in zip(idx, X0, X1, TOP):
        ch = codes[i]
        gx, gy = x0 * 0.25, top * 0.25
        kx, ky = int(gx), int(gy)
        key = (kx << 16) + ky
        lst0 = seen.get(key)
        if seen:
            fx, fy = gx - kx, gy - ky
            cand = [lst0] if lst0 is not None else []
            nx = kx - 1 if fx < 0.25 else (kx + 1 if fx > 0.75 else kx)
            ny = ky - 1 if fy < 0.25 else (ky + 1 if fy > 0.75 else ky)
            if nx != kx:
                other = seen.get((nx << 16) + ky)
                if other is not None:
                    cand.append(other)
            if ny != ky:
                other = seen.get((kx << 16) + ny)
                if other is not None:
                    cand.append(other)
                if nx != kx:
                    other = seen.get((nx << 16) + ny)
                    if other is not None:
                        cand.append(other)
            dup = False
            for lst in cand:
                for (och, ox0, otop, ow) in lst:
                    if och == ch:
                        dx = ox0 - x0 if ox0 > x0 else x0 - ox0
                        if dx <= tol and -tol <= otop - top <= tol and dx < 0.6 * min(ow, x1 - x0) + 0.05:
                            dup = True
                            break
                if dup:
                    break
            if dup:
                out.append(i)
                continue
        if lst0 is None:
            seen[key] = [(ch, x0, top, x1 - x0)]
        else:
            lst0.append((ch, x0, top, x1 - x0))
    return out


def _build_lines(raw, h, codes: str, arrays, regions) -> tuple[list[Line], list[list[_Char]]]:
    """The per-glyph line building of ``_extract`` done on whole arrays (pages without
    over-struck glyphs). Same rules, same float arithmetic, same result:

    * a glyph starts a new line after one of pdfium's generated line breaks, after glyphs
      of a table region, or when it jumps in height against the glyph before;
    * a space is kept when it follows a glyph of the current line with nothing between;
    * wide gaps split a line into pieces (``Line.segs``); lines drawn out of reading order
      are put back left to right (``_reorder_parts``).
    """
    import numpy as np

    code, x0, x1, top, bottom, size, hit, dup = arrays
    n = len(code)
    lines: list[Line] = []
    region_chars: list[list[_Char]] = [[] for _ in regions]
    nl = (code == 10) | (code == 13)
    skip = (code == 0) | (code == 0xFFFE)
    reg = (hit >= 0) & ~nl & ~skip
    sp = (code == 32) & ~reg & ~nl & ~skip
    real = ~nl & ~skip & ~reg & ~sp & ~dup
    idx = np.arange(n)
    # previous glyph among region/space/real/over-strike: was it a region glyph
    # (``was_in_region``)?
    active = reg | sp | real | dup
    prev_active = np.maximum.accumulate(np.where(active, idx, -1))
    prev_active = np.concatenate(([-1], prev_active[:-1]))
    after_reg = (prev_active >= 0) & reg[np.maximum(prev_active, 0)]
    # events that set the pending line break: newline -> on, region glyph -> off, first
    # space or over-strike after a region -> on, real glyph -> off (consumed)
    event = nl | reg | ((sp | dup) & after_reg) | real
    ev_on = nl | ((sp | dup) & after_reg)
    last_ev = np.maximum.accumulate(np.where(event, idx, -1))
    last_ev = np.concatenate(([-1], last_ev[:-1]))          # last event strictly before i
    brk_before = (last_ev < 0) | ev_on[np.maximum(last_ev, 0)]
    for k in np.flatnonzero(reg & (code != 32)).tolist():
        region_chars[int(hit[k])].append(_Char(codes[k], float(x0[k]), float(x1[k]), float(top[k]),
                                               float(bottom[k]), float(size[k]), bool(brk_before[k])))
    ri = np.flatnonzero(real)
    if not len(ri):
        return lines, region_chars
    kept_sp = sp & ~after_reg & (last_ev >= 0) & real[np.maximum(last_ev, 0)]
    # a real glyph: break when the break is pending or a region glyph came after the last one
    brk_real = brk_before[ri] | after_reg[ri]
    rt, rb, rs = top[ri], bottom[ri], size[ri]
    start = brk_real.copy()
    start[0] = True
    if len(ri) > 1:
        ptop, pbot = rt[:-1], rb[:-1]
        hh = np.maximum(np.maximum(pbot - ptop, rs[1:]), 1.0)
        jump = (rt[1:] > pbot + 0.3 * hh) | (rb[1:] < ptop - 0.3 * hh)
        start[1:] |= jump
    line_of_real = np.cumsum(start) - 1
    starts = np.flatnonzero(start)
    rx0, rx1 = x0[ri], x1[ri]
    lx0 = np.minimum.reduceat(rx0, starts)
    lx1 = np.maximum.reduceat(rx1, starts)
    ltop = np.minimum.reduceat(rt, starts)
    lbot = np.maximum.reduceat(rb, starts)
    lsize = np.maximum.reduceat(rs, starts)
    # kept glyphs in order: real glyphs and kept spaces; a space belongs to the line of the
    # real glyph before it and sits at that glyph's right edge
    kept = real | kept_sp
    ki = np.flatnonzero(kept)
    real_count = np.cumsum(real)                              # real glyphs up to i
    k_line = line_of_real[real_count[ki] - 1]
    last_real = np.maximum.accumulate(np.where(real, idx, -1))
    k_xs = np.where(real[ki], x0[ki], x1[last_real[ki]])
    text_all = code[ki].astype("<u4").tobytes().decode("utf-32-le")
    k_start = np.flatnonzero(np.concatenate(([True], k_line[1:] != k_line[:-1])))
    k_end = np.append(k_start[1:], len(ki))
    # out of reading order: a glyph clearly left of the one before it in the same line
    back = np.where(lsize > 1.0, 0.5 * lsize, 0.5)
    same = k_line[1:] == k_line[:-1]
    went_back = same & (k_xs[1:] < k_xs[:-1] - back[k_line[1:]])
    bad_lines = set(k_line[1:][went_back].tolist())
    # wide gaps between consecutive real glyphs of a line start a new piece
    gap_new = np.zeros(len(ri), dtype=bool)
    if len(ri) > 1:
        thr = np.where(rs[1:] > 4.0, 1.2 * rs[1:], 4.8)
        gap_new[1:] = ~start[1:] & ((rx0[1:] - rx1[:-1]) > thr)
    pos_in_kept = np.searchsorted(ki, ri)                     # index of each real glyph in ki
    # over-struck glyphs count for the line of the real glyph before them (none: dropped)
    bold_lines: set = set()
    if dup.any():
        di = np.flatnonzero(dup)
        before = real_count[di]
        di_line = line_of_real[before[before > 0] - 1]
        ndup = np.bincount(di_line, minlength=len(starts))
        nreal = np.diff(np.append(starts, len(ri)))
        bold_lines = set(np.flatnonzero(ndup > 0.5 * (nreal + ndup)).tolist())
    seg_lines = set(line_of_real[gap_new].tolist())
    font_buf = ctypes.create_string_buffer(128)
    font_flags = ctypes.c_int()
    first_real = ri[starts].tolist()
    k_start_l, k_end_l = k_start.tolist(), k_end.tolist()
    lx0_l, lx1_l, ltop_l, lbot_l, lsize_l = lx0.tolist(), lx1.tolist(), ltop.tolist(), lbot.tolist(), lsize.tolist()
    line_starts_real = starts.tolist() + [len(ri)]
    for L in range(len(starts)):
        ks, ke = k_start_l[L], k_end_l[L]
        text = text_all[ks:ke]
        got = raw.FPDFText_GetFontInfo(h, first_real[L], font_buf, 128, font_flags)
        font = _font_name(font_buf.raw[:max(0, min(got, 128) - 1)])
        ln = Line(text, lx0_l[L], lx1_l[L], ltop_l[L], lbot_l[L], lsize_l[L], L in bold_lines, font=font)
        if L in bad_lines:
            parts = list(text)
            xs = k_xs[ks:ke].tolist()
            order = sorted(range(len(parts)), key=lambda k: xs[k])
            ln.text = "".join(parts[k] for k in order if parts[k] != " " or _keep_space(parts, order, k))
        elif L in seg_lines:
            a, b = line_starts_real[L], line_starts_real[L + 1]
            cuts = [a] + [j for j in range(a + 1, b) if gap_new[j]]
            ends = cuts[1:] + [b]
            segs = []
            for c0, c1 in zip(cuts, ends):
                p0 = int(pos_in_kept[c0]) - ks
                p1 = (int(pos_in_kept[c1]) - ks) if c1 < b else ke - ks
                segs.append((float(rx0[c0]), float(rx1[c1 - 1]), text[p0:p1].strip()))
            ln.segs = segs
        ln.text = ln.text.rstrip()
        lines.append(ln)
    return lines, region_chars


def _extract(raw, textpage, tf, settings: PdfSettings,
             regions: list[tuple[float, float, float, float]]) -> tuple[list[Line], list[list[_Char]]]:
    """One pass over a page's glyphs: body lines, plus the glyphs inside each table region.

    Over-struck duplicates (the same glyph drawn again within ``dedupe_tolerance``: fake
    bold) are dropped; ``Line.bold`` is set when most of a line was over-struck.
    pdfium's own line breaks (generated CR/LF) start new lines; so does a jump in height.
    """
    h = textpage.raw
    n = raw.FPDFText_CountChars(h)
    lines: list[Line] = []
    region_chars: list[list[_Char]] = [[] for _ in regions]
    if n <= 0:
        return lines, region_chars
    # the whole text in one call is ~50x cheaper than one call per code point; trust it only
    # when it lines up with pdfium's char indices (spot-checked)
    text = textpage.get_text_range()
    get_u = raw.FPDFText_GetUnicode
    if len(text) == n and all(ord(text[i]) == get_u(h, i) for i in {0, n // 3, n // 2, n - 1}):
        codes = text
    else:
        codes = None
    a, b, c, d, e, f = tf
    identity_like = abs(b) < 1e-9 and abs(c) < 1e-9
    rect = raw.FS_RECTF()
    get_box, get_size = raw.FPDFText_GetLooseCharBox, raw.FPDFText_GetFontSize
    tol = settings.dedupe_tolerance
    seen: dict[int, list] = {}
    if regions:   # union box: most glyphs are rejected with one test
        ux0 = min(r[0] for r in regions) - 1
        utop = min(r[1] for r in regions) - 1
        ux1 = max(r[2] for r in regions) + 1
        ubot = max(r[3] for r in regions) + 1

    # current line state
    parts: list[str] = []
    lx0 = lx1 = ltop = lbot = 0.0
    lsize = 0.0
    nreal = ndup = 0
    ptop = pbot = 0.0          # previous real glyph's vertical extent
    have_prev = False
    brk = True
    size = 0.0
    was_in_region = False

    seg_bounds: list[list] = []   # [x0, x1, start index in parts] per wide-gap piece
    px1 = 0.0                     # previous real glyph's right edge
    font_buf = ctypes.create_string_buffer(128)
    font_flags = ctypes.c_int()
    lfont = ""

    xs: list[float] = []          # left edge of each entry of parts (a space: the previous glyph's right edge)

    def flush():
        nonlocal parts, nreal, ndup, have_prev, seg_bounds, xs
        if nreal and not out_of_order(xs, lsize):
            pass
        elif nreal:
            # glyphs drawn out of reading order (LibreOffice writes a line's CJK text first and
            # then goes back for the full-width quotes in another font): read them left to right
            order = sorted(range(len(parts)), key=lambda k: xs[k])
            parts = [parts[k] for k in order if parts[k] != " " or _keep_space(parts, order, k)]
            seg_bounds = [[lx0, lx1, 0]]
        if nreal:
            ln = Line("".join(parts), lx0, lx1, ltop, lbot, lsize, ndup > 0.5 * (nreal + ndup), font=lfont)
            if len(seg_bounds) > 1:
                ends = [sb[2] for sb in seg_bounds[1:]] + [len(parts)]
                ln.segs = [(sb[0], sb[1], "".join(parts[sb[2]:end]).strip())
                           for sb, end in zip(seg_bounds, ends)]
            lines.append(ln)
        parts = []
        xs = []
        nreal = ndup = 0
        have_prev = False
        seg_bounds = []

    fast_box = _fast_box_fn(raw)
    boxes = None
    if codes is not None and fast_box is not None:
        boxes = _glyph_boxes(raw, h, codes, n, tf, regions, tol, fast_box)
    if boxes is not None:
        return _build_lines(raw, h, codes, boxes, regions)

    # the per-glyph loop: pages whose text range does not line up with pdfium's glyph
    # indices (or where the fast box call is unavailable)
    # one raw C call per glyph box: the typed binding converts its pointer arguments on
    # every call, a plain prototype on a float[4] buffer costs about half
    box = (ctypes.c_float * 4)()          # FS_RECTF: left, top, right, bottom
    box_ptr = ctypes.cast(box, ctypes.c_void_p)
    h_ptr = ctypes.cast(h, ctypes.c_void_p)
    for i in range(n):
        ch = codes[i] if codes is not None else None
        if ch is None:
            u = get_u(h, i)
            if u == 0 or u == 0xFFFE or u > 0x10FFFF:
                continue
            ch = chr(u)
        if ch == "\n" or ch == "\r":
            brk = True
            continue
        if ch == "\x00" or ch == "\ufffe":
            continue
        if ch == " " and not regions:
            # a space's box only matters for table regions
            if nreal and not brk:
                parts.append(" ")
                xs.append(px1)
            continue
        if fast_box is not None:
            fast_box(h_ptr, i, box_ptr)
            rl, rt, rr, rb = box
        else:
            get_box(h, i, rect)
            rl, rr, rb, rt = rect.left, rect.right, rect.bottom, rect.top
        if identity_like:
            x0, x1 = a * rl + e, a * rr + e
            top, bottom = d * rt + f, d * rb + f
        else:
            x0, top = a * rl + c * rt + e, b * rl + d * rt + f
            x1, bottom = a * rr + c * rb + e, b * rr + d * rb + f
        if x0 > x1:
            x0, x1 = x1, x0
        if top > bottom:
            top, bottom = bottom, top
        # the loose box spans the font's ascent..descent, i.e. about one em: the size as
        # drawn (FPDFText_GetFontSize ignores the CTM and can say 360 for 12 pt text)
        size = bottom - top
        if size <= 0.5:
            size = get_size(h, i)
        if regions:
            cx, cy = (x0 + x1) * 0.5, (top + bottom) * 0.5
            hit = -1
            if ux0 <= cx <= ux1 and utop <= cy <= ubot:
                for k, (rx0, rtop, rx1, rbot) in enumerate(regions):
                    if rx0 - 1 <= cx <= rx1 + 1 and rtop - 1 <= cy <= rbot + 1:
                        hit = k
                        break
            if hit >= 0:
                if ch != " ":
                    region_chars[hit].append(_Char(ch, x0, x1, top, bottom, size, brk))
                brk = False
                was_in_region = True
                continue
            if was_in_region:
                brk = True  # text after a table starts a new line
                was_in_region = False
            if ch == " ":
                if nreal and not brk:
                    parts.append(" ")
                    xs.append(px1)
                continue
        # fake bold: the same glyph again at (almost) the same place
        # grid of 4 pt cells: a glyph within 1 pt (the tolerance) of this one lies in this
        # cell or, near a cell edge, in the neighbour across that edge
        gx, gy = x0 * 0.25, top * 0.25
        kx, ky = int(gx), int(gy)
        key = (kx << 16) + ky
        lst0 = seen.get(key)
        if seen:
            fx, fy = gx - kx, gy - ky
            if lst0 is not None:
                cand = [lst0]
            else:
                cand = []
            if fx < 0.25 or fx > 0.75 or fy < 0.25 or fy > 0.75:
                nx = kx - 1 if fx < 0.25 else (kx + 1 if fx > 0.75 else kx)
                ny = ky - 1 if fy < 0.25 else (ky + 1 if fy > 0.75 else ky)
                if nx != kx:
                    other = seen.get((nx << 16) + ky)
                    if other is not None:
                        cand.append(other)
                if ny != ky:
                    other = seen.get((kx << 16) + ny)
                    if other is not None:
                        cand.append(other)
                    if nx != kx:
                        other = seen.get((nx << 16) + ny)
                        if other is not None:
                            cand.append(other)
            dup = False
            for lst in cand:
                for (och, ox0, otop, ow) in lst:
                    if och == ch:
                        dx = ox0 - x0 if ox0 > x0 else x0 - ox0
                        if dx <= tol and -tol <= otop - top <= tol and dx < 0.6 * min(ow, x1 - x0) + 0.05:
                            dup = True
                            break
                if dup:
                    break
            if dup:
                ndup += 1
                continue
        if lst0 is None:
            seen[key] = [(ch, x0, top, x1 - x0)]
        else:
            lst0.append((ch, x0, top, x1 - x0))
        if brk:
            flush()
            brk = False
        elif have_prev:
            hh = pbot - ptop
            if size > hh:
                hh = size
            if hh < 1.0:
                hh = 1.0
            if top > pbot + 0.3 * hh or bottom < ptop - 0.3 * hh:
                flush()
        if nreal == 0:
            # drop a leading space carried over
            if parts and parts[-1] == " ":
                parts.pop()
            lx0, lx1, ltop, lbot, lsize = x0, x1, top, bottom, size
            seg_bounds = [[x0, x1, 0]]
            got = raw.FPDFText_GetFontInfo(h, i, font_buf, 128, font_flags)
            lfont = _font_name(font_buf.raw[:max(0, min(got, 128) - 1)])
        else:
            if size > lsize:
                lsize = size
            if x0 - px1 > (1.2 * size if size > 4.0 else 4.8):
                seg_bounds.append([x0, x1, len(parts)])
            else:
                seg_bounds[-1][1] = x1
            if x0 < lx0:
                lx0 = x0
            if x1 > lx1:
                lx1 = x1
            if top < ltop:
                ltop = top
            if bottom > lbot:
                lbot = bottom
        parts.append(ch)
        xs.append(x0)
        nreal += 1
        ptop, pbot = top, bottom
        px1 = x1
        have_prev = True
    flush()
    for ln in lines:
        ln.text = ln.text.rstrip()
    return lines, region_chars


# --------------------------------------------------------------------------- ruling lines & grids

@dataclass(slots=True)
class _Seg:
    horizontal: bool
    pos: float        # y for horizontal, x for vertical (top-down coords)
    a: float          # start along the line
    b: float          # end along the line


def _collect_segments(raw, page, tf, settings: PdfSettings) -> tuple[list[_Seg], int, float, int]:
    """Axis-aligned ruling segments, image area and path count of a page's top-level objects."""
    a, b, c, d, e, f = tf
    segs: list[_Seg] = []
    image_area = 0.0
    n_paths = 0
    budget = [settings.max_path_segments]
    fx, fy = ctypes.c_float(), ctypes.c_float()
    m = raw.FS_MATRIX()
    lb, bb, rb, tb = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()

    def apply(mat, x, y):
        ma, mb, mc, md, me, mf = mat
        return ma * x + mc * y + me, mb * x + md * y + mf

    def compose(m1, m2):
        # m1 applied first, then m2 (row-vector convention of PDF)
        a1, b1, c1, d1, e1, f1 = m1
        a2, b2, c2, d2, e2, f2 = m2
        return (a1 * a2 + b1 * c2, a1 * b2 + b1 * d2, c1 * a2 + d1 * c2, c1 * b2 + d1 * d2,
                e1 * a2 + f1 * c2 + e2, e1 * b2 + f1 * d2 + f2)

    page_tf = (a, b, c, d, e, f)

    def add_edge(p, q):
        (x1, y1), (x2, y2) = p, q
        if abs(y1 - y2) <= 0.5 and abs(x2 - x1) >= 3:
            segs.append(_Seg(True, (y1 + y2) / 2, min(x1, x2), max(x1, x2)))
        elif abs(x1 - x2) <= 0.5 and abs(y2 - y1) >= 3:
            segs.append(_Seg(False, (x1 + x2) / 2, min(y1, y2), max(y1, y2)))

    def add_path(obj, to_page):
        nseg = raw.FPDFPath_CountSegments(obj)
        if nseg <= 0:
            return
        if nseg > budget[0]:
            budget[0] = -1
            return
        budget[0] -= nseg
        pts: list[tuple[float, float]] = []
        start = None
        sub: list[tuple[float, float]] = []
        subpaths: list[list[tuple[float, float]]] = []
        curve = False
        for k in range(nseg):
            sg = raw.FPDFPath_GetPathSegment(obj, k)
            raw.FPDFPathSegment_GetPoint(sg, fx, fy)
            typ = raw.FPDFPathSegment_GetType(sg)
            pt = apply(to_page, fx.value, fy.value)
            if typ == raw.FPDF_SEGMENT_MOVETO:
                if sub:
                    subpaths.append(sub)
                sub = [pt]
                start = pt
                continue
            if typ == raw.FPDF_SEGMENT_BEZIERTO:
                curve = True
            if sub:
                if typ == raw.FPDF_SEGMENT_LINETO:
                    add_edge(sub[-1], pt)
                sub.append(pt)
            else:
                sub = [pt]
                start = pt
            if raw.FPDFPathSegment_GetClose(sg) and start is not None:
                add_edge(pt, start)
                sub.append(start)
        if sub:
            subpaths.append(sub)
        # a thin filled rectangle is a ruling line drawn as a fill
        if not curve:
            t = settings.ruling_max_thickness
            for sp in subpaths:
                if len(sp) < 4:
                    continue
                xs = [p[0] for p in sp]
                ys = [p[1] for p in sp]
                w, h = max(xs) - min(xs), max(ys) - min(ys)
                if h <= t and w >= 3:
                    segs.append(_Seg(True, (max(ys) + min(ys)) / 2, min(xs), max(xs)))
                elif w <= t and h >= 3:
                    segs.append(_Seg(False, (max(xs) + min(xs)) / 2, min(ys), max(ys)))

    def matrix(obj):
        if raw.FPDFPageObj_GetMatrix(obj, m):
            return (m.a, m.b, m.c, m.d, m.e, m.f)
        return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)

    def walk(get_count, get_obj, owner, to_page, depth):
        nonlocal image_area, n_paths
        for k in range(get_count(owner)):
            obj = get_obj(owner, k)
            typ = raw.FPDFPageObj_GetType(obj)
            if typ == raw.FPDF_PAGEOBJ_PATH:
                n_paths += 1
                if budget[0] >= 0:
                    # path points are in the path's own space: its matrix, then the container's
                    add_path(obj, compose(matrix(obj), to_page))
            elif typ == raw.FPDF_PAGEOBJ_IMAGE:
                if raw.FPDFPageObj_GetBounds(obj, lb, bb, rb, tb):
                    if depth == 0:
                        image_area += max(0.0, rb.value - lb.value) * max(0.0, tb.value - bb.value)
                    else:
                        image_area += 1.0  # nested: count presence only
            elif typ == raw.FPDF_PAGEOBJ_FORM and depth < 4:
                walk(raw.FPDFFormObj_CountObjects, raw.FPDFFormObj_GetObject, obj,
                     compose(matrix(obj), to_page), depth + 1)

    walk(raw.FPDFPage_CountObjects, raw.FPDFPage_GetObject, page, page_tf, 0)
    if budget[0] < 0:
        segs = []
    # image area was measured in user space: scale by the page transform's determinant
    image_area *= abs(a * d - b * c)
    return segs, n_paths, image_area, max(0, budget[0])


def _merge_segments(segs: list[_Seg], tol: float) -> list[_Seg]:
    """Snap segments at (almost) the same position together and merge overlaps."""
    out: list[_Seg] = []
    for horizontal in (True, False):
        group = sorted((s for s in segs if s.horizontal == horizontal), key=lambda s: s.pos)
        clusters: list[list[_Seg]] = []
        for s in group:
            if clusters and s.pos - clusters[-1][-1].pos <= tol:
                clusters[-1].append(s)
            else:
                clusters.append([s])
        for cl in clusters:
            pos = sum(s.pos for s in cl) / len(cl)
            spans = sorted((s.a, s.b) for s in cl)
            cur_a, cur_b = spans[0]
            for sa, sb in spans[1:]:
                if sa <= cur_b + tol:
                    cur_b = max(cur_b, sb)
                else:
                    out.append(_Seg(horizontal, pos, cur_a, cur_b))
                    cur_a, cur_b = sa, sb
            out.append(_Seg(horizontal, pos, cur_a, cur_b))
    return [s for s in out if s.b - s.a >= 4]


def _cluster_values(values: Iterable[float], tol: float) -> list[float]:
    vals = sorted(values)
    out: list[list[float]] = []
    for v in vals:
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


def _covers(seg_list: list[_Seg], pos: float, a: float, b: float, tol: float) -> bool:
    """Is [a, b] at ``pos`` covered (mostly) by one of the segments?"""
    need = (b - a) * 0.6
    for s in seg_list:
        if abs(s.pos - pos) <= tol:
            overlap = min(s.b, b) - max(s.a, a)
            if overlap >= need:
                return True
    return False


def _grids(segs: list[_Seg], tol: float) -> list[tuple[list[float], list[float], list[_Seg], list[_Seg]]]:
    """Connected groups of horizontal+vertical rulings -> (xs, ys, hsegs, vsegs) per table."""
    hs = [s for s in segs if s.horizontal]
    vs = [s for s in segs if not s.horizontal]
    if len(hs) < 2 or len(vs) < 2:
        return []
    parent = list(range(len(hs) + len(vs)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(hs):
        for j, v in enumerate(vs):
            if h.a - tol <= v.pos <= h.b + tol and v.a - tol <= h.pos <= v.b + tol:
                ri, rj = find(i), find(len(hs) + j)
                if ri != rj:
                    parent[ri] = rj
    groups: dict[int, tuple[list[_Seg], list[_Seg]]] = defaultdict(lambda: ([], []))
    for i, h in enumerate(hs):
        groups[find(i)][0].append(h)
    for j, v in enumerate(vs):
        groups[find(len(hs) + j)][1].append(v)
    out = []
    for gh, gv in groups.values():
        if len(gh) < 2 or len(gv) < 2:
            continue
        ys = _cluster_values((h.pos for h in gh), tol)
        xs = _cluster_values((v.pos for v in gv), tol)
        if len(ys) < 3 or len(xs) < 3:
            continue  # a single box (framed paragraph) or a single row/column is no table
        out.append((xs, ys, gh, gv))
    return out


def _cell_text(chars: list[_Char]) -> str:
    """Text of one cell: its glyphs in content order, wrapped lines joined.

    Content order (not a geometric sort) keeps rotated or vertical header text readable.
    """
    if not chars:
        return ""
    pieces: list[list[_Char]] = []
    for ch in chars:
        if pieces and not ch.brk and not _jumped(pieces[-1][-1], ch):
            pieces[-1].append(ch)
        else:
            pieces.append([ch])
    text = ""
    for piece in pieces:
        text = join_text(text, tidy(_pieces_text(piece)))
    return tidy(text)


def _grid_table(xs: list[float], ys: list[float], hsegs: list[_Seg], vsegs: list[_Seg],
                chars: list[_Char], tol: float) -> Optional[Table]:
    """Cells of one ruled grid; merged cells keep their text once (top-left cell)."""
    nr, nc = len(ys) - 1, len(xs) - 1
    parent = list(range(nr * nc))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i, j):
        ri, rj = find(i), find(j)
        if ri != rj:
            # keep the smaller index (top-left) as the anchor
            if ri < rj:
                parent[rj] = ri
            else:
                parent[ri] = rj

    for r in range(nr):
        for cidx in range(nc):
            if cidx + 1 < nc and not _covers(vsegs, xs[cidx + 1], ys[r], ys[r + 1], tol):
                union(r * nc + cidx, r * nc + cidx + 1)
            if r + 1 < nr and not _covers(hsegs, ys[r + 1], xs[cidx], xs[cidx + 1], tol):
                union(r * nc + cidx, (r + 1) * nc + cidx)
    cell_chars: dict[int, list[_Char]] = defaultdict(list)
    for ch in chars:
        cx, cy = (ch.x0 + ch.x1) / 2, (ch.top + ch.bottom) / 2
        ci = bisect.bisect_right(xs, cx) - 1
        ri = bisect.bisect_right(ys, cy) - 1
        if 0 <= ci < nc and 0 <= ri < nr:
            cell_chars[find(ri * nc + ci)].append(ch)
    rows: list[list[str]] = []
    for r in range(nr):
        row = []
        for cidx in range(nc):
            idx = r * nc + cidx
            row.append(_cell_text(cell_chars.get(idx, [])) if find(idx) == idx else "")
        rows.append(row)
    # drop columns that are empty everywhere (double borders, decorative slivers)
    keep = [j for j in range(nc) if any(row[j] for row in rows)]
    if len(keep) < 2:
        return None
    rows = [[row[j] for j in keep] for row in rows]
    cols = [xs[j] for j in keep] + [xs[-1]]
    rows = [row for row in rows if any(row)]
    if len(rows) < 2:
        return None
    return Table(rows=rows, x0=xs[0], x1=xs[-1], top=ys[0], bottom=ys[-1], cols=cols)


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


def _chars_as_lines(chars: list[_Char]) -> list[Line]:
    """Glyphs (in stream order) -> lines, breaking where pdfium broke or the height jumps."""
    out: list[Line] = []
    cur: list[_Char] = []

    def flush():
        if cur:
            text = _pieces_text(cur)
            if text:
                out.append(Line(text, min(c.x0 for c in cur), max(c.x1 for c in cur),
                                min(c.top for c in cur), max(c.bottom for c in cur), cur[0].size))
            cur.clear()

    for ch in chars:
        if cur and (ch.brk or _jumped(cur[-1], ch)):
            flush()
        cur.append(ch)
    flush()
    return out


def _merge_lines_by_order(a: list[Line], b: list[Line]) -> list[Line]:
    if not a:
        return b
    return sorted(a + b, key=lambda ln: (ln.top, ln.x0)) if b else a


def _jumped(prev: _Char, ch: _Char) -> bool:
    hh = max(prev.bottom - prev.top, ch.bottom - ch.top, 1.0)
    return ch.top > prev.bottom + 0.3 * hh or ch.bottom < prev.top - 0.3 * hh


def _pieces_text(chars: list[_Char]) -> str:
    """Glyphs of one visual line -> text, with a space where a gap separates Latin words."""
    parts = [chars[0].ch]
    for prev, cur in zip(chars, chars[1:]):
        gap = cur.x0 - prev.x1
        sz = max(prev.size, cur.size, 1.0)
        if gap > 0.2 * sz and not (_is_cjkish(prev.ch) and _is_cjkish(cur.ch)):
            parts.append(" ")
        parts.append(cur.ch)
    return "".join(parts)


def _multi(ln: Line) -> bool:
    return bool(ln.segs) and len(ln.segs) >= 2


def aligned_tables(lines: list[Line], page_no: int, min_rows: int = 3) -> tuple[list[Line], list[Table]]:
    """Tables without ruling lines: runs of lines whose pieces line up in columns.

    A run is ≥ ``min_rows`` consecutive lines that each have a wide gap; a short single
    piece inside a run (a wrapped cell) joins the row above. Columns are the x ranges that
    (almost) no line of the run covers.
    """
    out: list[Line] = []
    tables: list[Table] = []
    i = 0
    n = len(lines)
    while i < n:
        if not _multi(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        j = i + 1
        run_x0 = lines[i].x0
        while j < n:
            ln, prev = lines[j], lines[j - 1]
            if ln.top < prev.top - 1 or ln.top - prev.bottom > 2.5 * max(ln.size, prev.size, 4.0):
                break
            if _multi(ln):
                j += 1
                continue
            # a lone piece not at the left edge, followed by more rows: a wrapped cell
            if ln.x0 > run_x0 + 2 * max(ln.size, 4.0) and j + 1 < n and _multi(lines[j + 1]):
                j += 1
                continue
            break
        run = lines[i:j]
        tb = _run_table(run, page_no) if sum(1 for ln in run if _multi(ln)) >= min_rows else None
        if tb is not None:
            tables.append(tb)
        else:
            out.extend(run)
        i = j
    return out, tables


def _run_table(run: list[Line], page_no: int) -> Optional[Table]:
    sizes = sorted(max(ln.size, 4.0) for ln in run)
    size = sizes[len(sizes) // 2]
    x0 = min(ln.x0 for ln in run)
    x1 = max(ln.x1 for ln in run)
    width = int(x1 - x0) + 2
    if width <= 0 or width > 5000:
        return None
    cover = [0] * width
    multi = [ln for ln in run if _multi(ln)]
    for ln in multi:
        for sx0, sx1, _t in ln.segs:
            for k in range(max(0, int(sx0 - x0)), min(width, int(sx1 - x0) + 1)):
                cover[k] += 1
    allowed = len(multi) // 10
    seps: list[float] = []
    k = 0
    while k < width:
        if cover[k] <= allowed:
            start = k
            while k < width and cover[k] <= allowed:
                k += 1
            if start > 0 and k < width and (k - start) >= 0.6 * size:
                seps.append(x0 + (start + k) / 2)
        else:
            k += 1
    if not seps:
        return None
    ncols = len(seps) + 1
    rows: list[list[str]] = []
    for ln in run:
        pieces = ln.segs if _multi(ln) else [(ln.x0, ln.x1, ln.text.strip())]
        cells = [""] * ncols
        for sx0, sx1, t in pieces:
            col = bisect.bisect_left(seps, (sx0 + sx1) / 2)
            if any(sx0 < sp < sx1 for sp in seps):
                col = bisect.bisect_left(seps, sx0 + 1)
            cells[col] = join_text(cells[col], t) if not cells[col] else cells[col] + " " + t
        if not _multi(ln) and rows:
            # wrapped cell text continues the row above
            prev = rows[-1]
            for c, t in enumerate(cells):
                if t:
                    prev[c] = join_text(prev[c], t)
            continue
        rows.append([tidy(c) for c in cells])
    good = sum(1 for r in rows if sum(1 for c in r if c) >= 2)
    if len(rows) < 3 or good < 0.6 * len(rows):
        return None
    return Table(rows=rows, x0=x0, x1=x1, top=min(ln.top for ln in run), bottom=max(ln.bottom for ln in run),
                 cols=[x0] + seps + [x1], page=page_no)


def _looks_like_table(segs: list[_Seg]) -> bool:
    """Horizontal and vertical rulings that did not form a grid: let pdfplumber try."""
    hs = [s for s in segs if s.horizontal and s.b - s.a >= 40]
    vs = [s for s in segs if not s.horizontal and s.b - s.a >= 10]
    return len(hs) >= 2 and len(vs) >= 2


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


def _plumber_lines(ppage) -> list[Line]:
    out = []
    for tl in ppage.extract_text_lines(return_chars=True, strip=True):
        chars = tl.get("chars") or []
        size = Counter(round(c.get("size", 0), 1) for c in chars).most_common(1)[0][0] if chars else 0.0
        out.append(Line(tl["text"], tl["x0"], tl["x1"], tl["top"], tl["bottom"], size))
    return out


def _plumber_tables(ppage, pt: PageText) -> None:
    """Tables by pdfplumber's lattice finder; lines inside them leave the body."""
    found = ppage.find_tables()
    tables: list[Table] = []
    for ft in found:
        rows = [[tidy(join_cell(c)) for c in row] for row in ft.extract()]
        rows = [r for r in rows if any(r)]
        if len(rows) < 2 or max(len(r) for r in rows) < 2:
            continue
        x0, top, x1, bottom = ft.bbox
        cols = sorted({round(c[0], 1) for c in ft.cells}) + [x1]
        tables.append(Table(rows=rows, x0=x0, x1=x1, top=top, bottom=bottom, cols=cols, page=pt.number))
    if not tables:
        return
    lines = [it for it in pt.items if isinstance(it, Line)
             and not any(t.x0 - 1 <= (it.x0 + it.x1) / 2 <= t.x1 + 1 and t.top - 1 <= (it.top + it.bottom) / 2 <= t.bottom + 1
                         for t in tables)]
    pt.items = merge_items(lines, tables)


def join_cell(text: Optional[str]) -> str:
    """A pdfplumber cell's text with its wrapped lines joined."""
    if not text:
        return ""
    out = ""
    for part in text.split("\n"):
        out = join_text(out, part.strip())
    return out


# --------------------------------------------------------------------------- layout: lines -> blocks

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


# --------------------------------------------------------------------------- the reader

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
