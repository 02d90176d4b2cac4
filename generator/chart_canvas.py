"""Fast drawing of the chart PNGs: one draw per chart, static parts drawn once per process.

The charts (``charts``, ``annual_charts``) are ordinary matplotlib figures; this module only
changes how they are turned into PNGs:

* a bare ``Figure`` on an Agg canvas (no pyplot: no figure registry, no backend switching);
* renderers shared by the figures of the process (``_PooledCanvas``), and the text metrics
  shared by all renderers: labels every consortium has are measured once, not once per chart;
* the tight crop box comes from ``Figure.get_tightbbox`` and the figure is drawn once —
  ``savefig(bbox_inches="tight")`` draws it twice;
* the PNG is written here (``png_bytes``): RGB, rows unfiltered, zlib level 3 — Pillow's
  adaptive row filtering cost more than drawing, for larger files;
* ``draw_chart``: a chart is split into a *static* part (axes, ticks, tick labels, axis
  titles, legend: the same for every consortium of a catalogue) and a *dynamic* part (bars,
  numbers).  The static part is laid out and drawn once per process and kept as a pixel
  background (a template); each further consortium restores that background and draws only its
  dynamic artists, in the order a full draw would.  The picture is the one a full draw gives
  (``tests/test_charts.py`` compares them pixel by pixel); whenever a dynamic artist reaches out
  of the area the static layout covers (a long number next to a bar), the chart is drawn the
  full way instead.

matplotlib is imported lazily: importing this module costs nothing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Hashable, Optional, Sequence

from consortium_review.fileio import atomic_path

#: PNG zlib level: 3 compresses charts (large flat areas) as well as 6 at a third of the time
PNG_LEVEL = 3
#: renderers kept (a 6.2 in x 6 in one at 200 dpi holds ~6 MB)
POOL_SIZE = 6
#: templates kept (a catalogue needs 3; threshold charts vary with the items shown); each holds
#: its figure, its background pixels and its renderer: ~2 x the PNG's pixels x 4 bytes
TEMPLATE_CACHE_SIZE = 6

#: one drawing at a time per process: the renderers and templates are shared, and a web
#: server draws from several threads (charts are a small part of a review: no contention)
_LOCK = threading.RLock()
_RENDERERS: "OrderedDict[tuple, Any]" = OrderedDict()
_TEMPLATES: "OrderedDict[Hashable, _Template]" = OrderedDict()
_CANVAS_CLASS = None
_RASTER_ONLY = object()         # savefig target: draw into the renderer, write nothing


# --------------------------------------------------------------------------- figures

def new_figure(width_in: float, height_in: float, dpi: float):
    """A ``Figure`` on a pooled Agg canvas."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    _canvas_class()(fig)
    return fig


def tight_layout(fig) -> None:
    """``fig.tight_layout()`` without leaving a layout engine on the figure (with one, every
    savefig runs a whole extra draw first)."""
    from matplotlib.layout_engine import TightLayoutEngine

    TightLayoutEngine().execute(fig)


#: text metrics shared by every renderer of the process: {(text, font, dpi, hinting): (w, h, d)}
_METRICS: dict = {}
_METRICS_MAX = 20000


def _canvas_class():
    global _CANVAS_CLASS
    if _CANVAS_CLASS is None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag

        class _SharedMetricsRenderer(RendererAgg):
            """matplotlib caches a string's size per renderer; the size depends only on the text,
            the font and the dpi, so one cache serves every renderer (the layout renderer of a
            figure and the one of its cropped print differ)."""

            def get_text_width_height_descent(self, s, prop, ismath):
                if ismath:
                    return super().get_text_width_height_descent(s, prop, ismath)
                key = (s, prop.copy(), self.dpi, get_hinting_flag())
                hit = _METRICS.get(key)
                if hit is None:
                    if len(_METRICS) >= _METRICS_MAX:
                        _METRICS.clear()
                    hit = _METRICS[key] = super().get_text_width_height_descent(s, prop, ismath)
                return hit

        class _PooledCanvas(FigureCanvasAgg):
            """Agg canvas with per-thread shared renderers and a template-aware raw print."""

            plan: Optional["_Template"] = None       # set while a template is being printed

            def get_renderer(self):
                w, h = self.get_width_height(physical=True)
                key = (w, h, self.figure.dpi)
                pool = _RENDERERS
                renderer = pool.pop(key, None)
                if renderer is None:
                    renderer = _SharedMetricsRenderer(w, h, self.figure.dpi)
                    while len(pool) >= POOL_SIZE:
                        pool.popitem(last=False)          # least recently used
                pool[key] = renderer
                self.renderer, self._lastKey = renderer, key
                return renderer

            def print_raw(self, filename_or_obj, *, metadata=None, **_print_kwargs):
                # savefig hands a print method outside matplotlib every keyword (facecolor, ...);
                # the figure's state already reflects them
                if filename_or_obj is not _RASTER_ONLY:
                    return super().print_raw(filename_or_obj, metadata=metadata)
                renderer = self.get_renderer()
                plan = self.plan
                if plan is None:
                    renderer.clear()
                    self.figure.draw(renderer)
                else:
                    plan.paint(self.figure, renderer)

            print_rgba = print_raw

        _CANVAS_CLASS = _PooledCanvas
    return _CANVAS_CLASS


# --------------------------------------------------------------------------- PNG output

def _raster(fig, bbox, dpi: float):
    """Draw ``fig`` cropped to ``bbox`` (inches; None: whole figure); the (h, w, 4) RGBA pixels."""
    import numpy as np

    fig.savefig(_RASTER_ONLY, format="rgba", dpi=dpi, bbox_inches=bbox, facecolor="white")
    return np.asarray(fig.canvas.renderer.buffer_rgba())     # the renderer print_raw drew on


def _write_png(rgba, path: Path, dpi: float, software: Optional[str]) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(png_bytes(rgba[:, :, :3], dpi, software))
    return path


def save_png(fig, path: Path, *, dpi: float, pad_inches: float, tight: bool = True,
             software: Optional[str] = "consortium-review") -> Path:
    """Write ``fig`` as a PNG: the picture of ``savefig(bbox_inches="tight")``, one draw."""
    with _LOCK:                       # the pixels are the pooled renderer's until encoded
        bbox = fig.get_tightbbox(fig.canvas.get_renderer()).padded(pad_inches) if tight else None
        return _write_png(_raster(fig, bbox, dpi), path, dpi, software)


def png_bytes(rgb, dpi: float, software: Optional[str] = None, level: int = PNG_LEVEL) -> bytes:
    """An 8-bit RGB PNG of the (h, w, 3) uint8 array ``rgb``, with its dpi (pHYs).

    The output marker of ``consortium_review.fileio`` is written in the same pass (so that
    ``mark_generated`` does not rewrite the file).
    """
    import struct
    import zlib

    import numpy as np

    from consortium_review.fileio import _PNG_KEY, _PNG_SIG

    h, w, _ = rgb.shape
    rows = np.zeros((h, 1 + 3 * w), dtype=np.uint8)    # filter byte 0 (None) per row
    rows[:, 1:].reshape(h, w, 3)[...] = rgb              # one strided copy (a view of the rows)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ppm = int(dpi / 0.0254 + 0.5)                        # pixels per metre, as Pillow writes it
    out = [_PNG_SIG, chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)),
           chunk(b"tEXt", _PNG_KEY + b"\0output"), chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1))]
    if software:
        out.append(chunk(b"tEXt", b"Software\0" + software.encode("latin-1", "replace")))
    out += [chunk(b"IDAT", zlib.compress(rows, level)), chunk(b"IEND", b"")]
    return b"".join(out)


# --------------------------------------------------------------------------- templates

@dataclass
class _Template:
    """A figure whose static part is laid out once; see the module docstring."""

    fig: Any
    handle: Any                       # what the static builder returned (axes), for the dynamic one
    crop: Any                         # Bbox (inches) the PNG shows
    static_box: Any                   # Bbox (inches): union of the static artists (+ anchors)
    dynamic: list = field(default_factory=list)
    overlay: list = field(default_factory=list)   # static artists drawn over dynamic ones (spines)
    anchors: list = field(default_factory=list)   # Bbox (inches) each anchored artist must cover
    #: {id(axes): (axes box, static tight box)} in pixels at the layout tight_layout starts from
    initial: dict = field(default_factory=dict)
    background: Any = None            # pixels of the static part (a BufferRegion), once drawn

    def paint(self, fig, renderer) -> None:
        """Draw into ``renderer`` (the figure is cropped to ``self.crop`` by savefig)."""
        if self.background is None:
            hidden = [a for a in self.dynamic + self.overlay if a.get_visible()]
            for a in hidden:
                a.set_visible(False)
            try:
                renderer.clear()
                fig.draw(renderer)
            finally:
                for a in hidden:
                    a.set_visible(True)
            self.background = renderer.copy_from_bbox(fig.bbox)
        else:
            renderer.restore_region(self.background)
        rank = _draw_ranks(fig)
        for a in sorted(self.dynamic + self.overlay, key=lambda a: rank[id(a)]):
            a.draw(renderer)


def _draw_ranks(fig) -> dict[int, tuple]:
    """{id(artist): position in a full draw} for the figure's and its axes' artists.

    ``Figure.draw`` draws its children by zorder (axes are children, zorder 0), each
    ``Axes.draw`` its own children by zorder; both sorts are stable.
    """
    from matplotlib.axes import Axes

    ranks: dict[int, tuple] = {}
    tops = sorted((a for a in fig.get_children() if a is not fig.patch), key=lambda a: a.get_zorder())
    for i, top in enumerate(tops):
        ranks[id(top)] = (i, 0)
        if isinstance(top, Axes):
            for j, sub in enumerate(sorted(top.get_children(), key=lambda a: a.get_zorder())):
                ranks[id(sub)] = (i, 1 + j)
    return ranks


def _overlay(fig) -> list:
    """Static artists a full draw paints over the data: the drawn spines of each axes."""
    return [s for ax in fig.axes if ax.axison and ax.get_frame_on()
            for s in ax.spines.values() if s.get_visible()]


def _anchored(artists: Sequence) -> list:
    """Dynamic artists placed relative to the figure that may extend the crop: figure legends
    (their height and vertical place do not depend on their labels; their width does)."""
    from matplotlib.legend import Legend

    return [a for a in artists if isinstance(a, Legend) and a.axes is None]


def _extent(a, renderer):
    """The artist's tight box (display pixels), or None when it takes no part in the tight box
    (invisible, clipped to its axes, or without a finite extent such as an empty label) —
    the artists ``Axes.get_tightbbox`` leaves out."""
    import numpy as np

    if not a.get_visible():
        return None
    clipped = getattr(a, "_fully_clipped_to_axes", None)    # matplotlib's own test, when it has one
    if callable(clipped) and clipped():
        return None
    bb = a.get_tightbbox(renderer)
    if bb is None or not np.isfinite(bb.get_points()).all():
        return None
    return bb


def _inside(inner, outer, eps: float = 1e-6) -> bool:
    return (inner.x0 >= outer.x0 - eps and inner.y0 >= outer.y0 - eps
            and inner.x1 <= outer.x1 + eps and inner.y1 <= outer.y1 + eps)


def clear_templates() -> None:
    """Forget the templates, renderers and text metrics (tests; memory)."""
    with _LOCK:
        _TEMPLATES.clear()
        _RENDERERS.clear()
        _METRICS.clear()


def _fits(tpl: _Template, renderer) -> bool:
    """Would the plain way (every artist in the layout) give the template's layout and crop?

    Yes when every dynamic artist lies within the box of the static part — where the crop is
    taken, and where ``tight_layout`` measures: at the default subplot layout it starts from
    (``tpl.initial``) — for then neither moves; and every anchored artist still covers its
    anchor.  Otherwise the chart is drawn the plain way.
    """
    fig = tpl.fig
    inch = fig.dpi_scale_trans.inverted()
    anchored = _anchored(tpl.dynamic)
    if len(anchored) != len(tpl.anchors):
        return False
    for a in tpl.dynamic:
        bb = _extent(a, renderer)
        if bb is None or a in anchored:
            continue
        if not _inside(bb.transformed(inch), tpl.static_box):
            return False
        if tpl.initial and not _inside_initially(a, bb, tpl.initial):
            return False
    for a, anchor in zip(anchored, tpl.anchors):
        bb = _extent(a, renderer)
        if bb is None or not _inside(anchor, bb.transformed(inch)) or not _inside(bb.transformed(inch),
                                                                                 tpl.static_box):
            return False
    return True


def _inside_initially(a, bb, initial: dict) -> bool:
    """Is the artist (tight box ``bb`` now) inside its axes' static box at the default layout?

    Known for text placed in data coordinates: its box keeps its size and its offset from the
    anchor point, which moves with the axes.  Anything else counts as not inside.
    """
    from matplotlib.text import Text

    ax = a.axes
    if ax is None or id(ax) not in initial or not isinstance(a, Text) or a.get_transform() is not ax.transData:
        return False
    axes_box, static_box = initial[id(ax)]
    pos = a.get_unitless_position()
    now_x, now_y = ax.transData.transform(pos)
    fx, fy = ax.transLimits.transform(pos)                  # data -> axes fraction
    then_x, then_y = axes_box.x0 + fx * axes_box.width, axes_box.y0 + fy * axes_box.height
    return _inside(bb.translated(then_x - now_x, then_y - now_y), static_box, eps=1e-3)


def draw_chart(key: Hashable, size_in: tuple[float, float], static: Callable[[Any], Any],
               dynamic: Callable[[Any], list], path: Path, *, dpi: float, pad_inches: float,
               layout: bool = True, software: Optional[str] = "consortium-review") -> Path:
    """Draw a chart from its static and dynamic builders and write it to ``path`` (PNG).

    ``static(fig)`` builds everything that depends on ``key`` only (axes, limits, ticks, axis
    titles, legends) and returns a handle (usually the axes); ``dynamic(handle)`` adds the data
    artists and returns them.  ``key`` must capture every input of ``static``.  ``layout``:
    run tight_layout (figures whose axes are placed by hand pass False).  The PNG is the
    picture of: build both parts, tight_layout, ``savefig(bbox_inches="tight")``.
    """
    with _LOCK:
        cache = _TEMPLATES
        tpl = cache.pop(key, None)
        if tpl is None:
            fig = new_figure(size_in[0], size_in[1], dpi)
            handle = static(fig)
            dyn = list(dynamic(handle))
            for a in dyn:
                a.set_in_layout(False)        # the layout is the static part's
            renderer = fig.canvas.get_renderer()
            initial = {}
            if layout:
                initial = {id(ax): (ax.bbox.frozen(), ax.get_tightbbox(renderer, for_layout_only=True).frozen())
                           for ax in fig.axes}
                tight_layout(fig)
            inch = fig.dpi_scale_trans.inverted()
            from matplotlib.transforms import Bbox

            static_box = fig.get_tightbbox(renderer)
            anchors = []
            for a in _anchored(dyn):          # a zero-width band through the middle of the legend
                bb = a.get_tightbbox(renderer).transformed(inch)
                mid = (bb.x0 + bb.x1) / 2
                anchors.append(Bbox([[mid, bb.y0], [mid, bb.y1]]))
            static_box = Bbox.union([static_box, *anchors])
            tpl = _Template(fig=fig, handle=handle, crop=static_box.padded(pad_inches), static_box=static_box,
                            dynamic=dyn, overlay=_overlay(fig), anchors=anchors, initial=initial)
        else:
            for a in tpl.dynamic:
                a.remove()
            tpl.dynamic = list(dynamic(tpl.handle))
            for a in tpl.dynamic:
                a.set_in_layout(False)
        cache[key] = tpl
        while len(cache) > TEMPLATE_CACHE_SIZE:
            cache.popitem(last=False)

        if not _fits(tpl, tpl.fig.canvas.get_renderer()):
            return _draw_full(size_in, static, dynamic, path, dpi=dpi, pad_inches=pad_inches, layout=layout,
                              software=software)
        canvas = tpl.fig.canvas
        canvas.plan = tpl
        try:
            rgba = _raster(tpl.fig, tpl.crop, dpi)
        finally:
            canvas.plan = None
        return _write_png(rgba, path, dpi, software)


def _draw_full(size_in, static, dynamic, path, *, dpi, pad_inches, layout, software) -> Path:
    """The plain way: a fresh figure, every artist in the layout, tight crop, one draw."""
    fig = new_figure(size_in[0], size_in[1], dpi)
    dynamic(static(fig))
    if layout:
        tight_layout(fig)
    return save_png(fig, path, dpi=dpi, pad_inches=pad_inches, software=software)
