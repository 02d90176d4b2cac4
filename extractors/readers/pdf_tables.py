"""PDF reader, tables: ruled tables from pdfium's path objects, tables without rulings
from aligned line pieces, and pdfplumber's lattice finder for the pages where the native
finder cannot decide (rulings that form no grid).

Ruling lines: the axis-aligned edges of every path object (and thin filled rectangles) of a
page, followed into form XObjects; snapped, merged, and grouped into grids of connected
horizontal and vertical lines. A grid's cells take the glyphs whose centre lies in them;
merged cells (a missing inner ruling) keep their text once, in the top-left cell.
"""

from __future__ import annotations

import bisect
import ctypes
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Optional

from consortium_review.extractors.readers.pdf_layout import merge_items
from consortium_review.extractors.readers.pdf_model import Line, PdfSettings, PageText, Table, join_text, tidy
from consortium_review.extractors.readers.pdf_text import _Char, _jumped, _pieces_text


# --------------------------------------------------------------------------- ruling lines and grids

@dataclass(slots=True)
class _Seg:
    horizontal: bool
    pos: float        # y for horizontal, x for vertical (top-down coords)
    a: float          # start along the line
    b: float          # end along the line


_FAST_FNS: dict = {}


def _fast_fn(raw, name: str, restype, *argtypes):
    """A pdfium function as a plain C prototype on void pointers and ints (cheaper per call
    than the typed binding's pointer-type checks)."""
    fn = _FAST_FNS.get(name)
    if fn is None:
        addr = ctypes.cast(getattr(raw, name), ctypes.c_void_p).value
        fn = _FAST_FNS[name] = ctypes.CFUNCTYPE(restype, *argtypes)(addr)
    return fn


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

    kinds = (raw.FPDF_PAGEOBJ_PATH, raw.FPDF_PAGEOBJ_IMAGE, raw.FPDF_PAGEOBJ_FORM)
    obj_type = _fast_fn(raw, "FPDFPageObj_GetType", ctypes.c_int, ctypes.c_void_p)

    def walk(get_count, get_obj, owner, to_page, depth):
        nonlocal image_area, n_paths
        # most objects of a page are text: their type through plain C prototypes, the typed
        # binding only for the paths, images and forms looked into
        get_obj_fast = _fast_fn(raw, get_obj.__name__, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)
        owner_ptr = ctypes.cast(owner, ctypes.c_void_p)
        for k in range(get_count(owner)):
            typ = obj_type(get_obj_fast(owner_ptr, k))
            if typ not in kinds:
                continue
            obj = get_obj(owner, k)
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


def _looks_like_table(segs: list[_Seg]) -> bool:
    """Horizontal and vertical rulings that did not form a grid: let pdfplumber try."""
    hs = [s for s in segs if s.horizontal and s.b - s.a >= 40]
    vs = [s for s in segs if not s.horizontal and s.b - s.a >= 10]
    return len(hs) >= 2 and len(vs) >= 2


# --------------------------------------------------------------------------- tables without ruling lines

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


# --------------------------------------------------------------------------- pdfplumber fallback

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
