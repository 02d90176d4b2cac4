"""PDF reader, text pass: pdfium's glyphs of one page -> visual lines.

* The glyph boxes of a page are fetched with one plain C call per glyph into a numpy array;
  the transform to top-down coordinates, font sizes, table-region membership and
  over-strike candidates are computed on whole arrays, and ``_build_lines`` turns them into
  lines with the rules of the per-glyph loop (``_extract``), which stays for pages whose
  text range does not line up with pdfium's glyph indices.
* Over-struck duplicates (fake bold) are dropped; ``Line.bold`` when most of a line was
  over-struck. Wide gaps split a line into pieces (``Line.segs``: columns of tables without
  rulings); lines drawn out of reading order are read left to right.
* ``_plumber_lines``: pdfplumber's text lines, for the few pages whose pdfium text is
  garbled (pdfminer decodes some broken ToUnicode maps differently).
"""

from __future__ import annotations

import ctypes
from collections import Counter

import numpy as np

from consortium_review.extractors.readers.pdf_model import (
    Line, PdfSettings, _font_name, _is_cjkish,
)


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
    """All glyphs of a page as arrays: code point, box in top-down coordinates (x0, x1,
    top, bottom), size, table region index (-1: body) and over-strike mask; None when
    de-duplication is switched off (then the per-glyph loop reads the page).

    The arithmetic is the per-glyph loop's, in the same order on float64, so the values are
    the same to the last bit. Over-strikes (fake bold) are looked for only among glyphs with
    an equal glyph within reach (``_overstruck``, the loop's sequential rule).
    """
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
    code = np.frombuffer(codes.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
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
    rk = np.flatnonzero(reg & (code != 32))
    if len(rk):
        for k, r, a, b, t, u, z, br in zip(rk.tolist(), hit[rk].tolist(), x0[rk].tolist(), x1[rk].tolist(),
                                            top[rk].tolist(), bottom[rk].tolist(), size[rk].tolist(),
                                            brk_before[rk].tolist()):
            region_chars[r].append(_Char(codes[k], a, b, t, u, z, br))
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


def _plumber_lines(ppage) -> list[Line]:
    out = []
    for tl in ppage.extract_text_lines(return_chars=True, strip=True):
        chars = tl.get("chars") or []
        size = Counter(round(c.get("size", 0), 1) for c in chars).most_common(1)[0][0] if chars else 0.0
        out.append(Line(tl["text"], tl["x0"], tl["x1"], tl["top"], tl["bottom"], size))
    return out
