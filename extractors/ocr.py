"""OCR (文字识别) for scanned pages and images, with RapidOCR on onnxruntime.

Two packages are supported, chosen by ``CR_OCR_ENGINE`` (``rapidocr`` or
``rapidocr_onnxruntime``), else the first importable in that order:

* ``rapidocr`` (3.x, the current line; PP-OCRv6 small det/rec models inside the wheel), the
  declared dependency: more accurate and faster on our scans (``bench/ocr_bench.py``);
* ``rapidocr_onnxruntime`` (1.x, PP-OCRv4 models inside the wheel), still used if it is the
  only one installed.

The models are always loaded from the installed package by explicit path, so nothing is ever
downloaded. One engine is created lazily per process (spawn-started worker processes each make
their own, once, and reuse it for every document).

Offline: onnxruntime's compiled library (Linux/macOS builds since 1.2x) sends 1DS telemetry to
a Microsoft host (DNS lookups, then HTTPS) unless ``ORT_DISABLE_TELEMETRY=1`` is set before the
runtime initialises; ``onnxruntime.disable_telemetry_events()`` does not stop the process-level
event. This module sets the variable at import time, before any onnxruntime import, and again
just before the engine is built; child processes inherit it. ``tests/test_offline.py`` runs a
review with OCR under ``strace`` and fails on any network attempt.

Output is a list of ``consortium_review.extractors.readers.lines.Line`` in page coordinates (points for PDF
pages, pixels for images); the PDF layout stage turns them into paragraphs like any other
text lines.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass
from typing import Any, Optional

from pathlib import Path

from consortium_review.extractors.readers import ReadError
from consortium_review.extractors.readers.lines import Line, join_text, tidy
from consortium_review.settings import current_read_settings

log = logging.getLogger("consortium_review.ocr")

#: Message when the OCR component is missing (user-facing, Chinese).
MISSING_MSG = "扫描件需要 OCR 组件：请运行 pip install rapidocr onnxruntime"

#: OCR packages, in order of preference (``CR_OCR_ENGINE`` picks one).
ENGINES = ("rapidocr", "rapidocr_onnxruntime")

#: Environment that keeps onnxruntime from any network use (telemetry off before it initialises;
#: the second name is the one newer onnxruntime releases read).
OFFLINE_ENV = {"ORT_DISABLE_TELEMETRY": "1", "ORT_TELEMETRY_DISABLED": "1"}


def ensure_offline() -> None:
    """Switch onnxruntime's telemetry off for this process and every child it starts."""
    os.environ.update(OFFLINE_ENV)


ensure_offline()


@dataclass(frozen=True)
class OcrSettings:
    """Knobs for OCR speed vs. accuracy (documented defaults)."""

    dpi: float = 170.0           # render resolution for PDF pages (A4 at 170 dpi ≈ 1400×2000 px)
    max_side: int = 2000         # cap the longer side (px); rapidocr shrinks anything larger. At 1600 px
                                 # Chinese survives but English loses spaces and small lines
    min_score: float = 0.5       # drop recognised lines below this confidence
    det_side: int = 1280         # text detection runs on the page scaled to this longer side (px);
                                 # recognition still reads the full-resolution crops. Full size costs
                                 # 3.5x the detection time for the same lines; at 1024 the box heights
                                 # (headings vs body) blur (bench/ocr_bench.py)
    column_gap: float = 1.2      # boxes of one row further apart than this many line heights are
                                 # separate cells (table columns, signature blocks); rapidocr 3's
                                 # boxes reach further than 1.x's, 1.5 joined two cells of a table
    word_gap: float = 0.8        # inside one detected line, a gap between words wider than this many
                                 # line heights splits it (rapidocr 3 detects neighbouring table
                                 # cells as one line; a justified space stays well below this)
    rec_batch: int = 2           # text lines recognised per batch: bigger batches pad to the widest
                                 # line and raise peak memory (12: ~1 GB) without saving time


SETTINGS = OcrSettings()

_engine: Any = None
_engine_lock = threading.Lock()


#: Message when OCR is turned off in the read settings (user-facing, Chinese).
DISABLED_MSG = "扫描件需要 OCR，本次运行未启用 OCR"


def max_ocr_pages() -> int:
    """The OCR page cap of the read in progress (``ReadSettings``: 0 when OCR is off)."""
    settings = current_read_settings()
    return max(0, settings.max_ocr_pages) if settings.ocr else 0


def _importable(name: str) -> bool:
    try:
        __import__(name)
    except Exception:   # ImportError, or onnxruntime failing to load its DLL
        return False
    return True


def engine_name() -> str | None:
    """The OCR package this process uses (``CR_OCR_ENGINE``, else the first importable)."""
    wanted = os.environ.get("CR_OCR_ENGINE", "").strip()
    names = (wanted,) if wanted in ENGINES else ENGINES
    for name in names:
        if _importable(name) and _importable("onnxruntime"):
            return name
    return None


def available() -> bool:
    """Can OCR run here (a RapidOCR package + onnxruntime importable)?"""
    ensure_offline()
    return engine_name() is not None


class _Rapid3:
    """``rapidocr`` 3.x, models from the wheel by explicit path (never downloaded)."""

    name = "rapidocr"

    def __init__(self) -> None:
        import rapidocr
        from rapidocr import RapidOCR

        models = Path(rapidocr.__file__).parent / "models"
        paths = {}
        for task in ("det", "rec", "cls"):
            found = sorted(models.glob(f"*{task}*.onnx"))
            if not found:
                raise FileNotFoundError(f"no {task} model in {models}")
            paths[task] = found[-1]
        params = {
            "Global.log_level": "error",
            "Global.use_cls": False,
            "Global.text_score": SETTINGS.min_score,
            "Global.max_side_len": SETTINGS.max_side,
            "Global.model_root_dir": str(models),
            "Det.limit_type": "max",
            "Det.limit_side_len": SETTINGS.det_side,
            "Rec.rec_batch_num": SETTINGS.rec_batch,
            "Det.model_path": str(paths["det"]),
            "Rec.model_path": str(paths["rec"]),
            "Cls.model_path": str(paths["cls"]),
        }
        self._ocr = RapidOCR(params=params)

    def __call__(self, arr):
        out = self._ocr(arr, use_cls=False, return_word_box=True)
        if out is None or getattr(out, "boxes", None) is None or not out.txts:
            return []
        words = getattr(out, "word_results", None) or [None] * len(out.txts)
        res = []
        for box, txt, score, ws in zip(out.boxes.tolist(), out.txts, out.scores, words):
            res.extend(split_at_gaps(box, txt, score, ws))
        return res


def _join_words(words: list[str]) -> str:
    text = ""
    for w in words:
        if text and text[-1].isascii() and not text[-1].isspace() and w[:1].isascii():
            text += " "
        text += w
    return text


def split_at_gaps(box, text: str, score: float, words) -> list:
    """One detected line holding a wide gap between two words (two cells of a borderless table
    detected as one line: 「98.3%, n=4      1672.1 sec, n=4」) as one box per run of words;
    otherwise unchanged. ``words``: the engine's word boxes [(text, score, 4 corners) ...]."""
    if not words:
        return [(box, text, score, None)]
    x0s = [min(p[0] for p in w[2]) for w in words]
    x1s = [max(p[0] for p in w[2]) for w in words]
    y0, y1 = min(p[1] for p in box), max(p[1] for p in box)
    cuts = [i for i in range(1, len(words)) if x0s[i] - x1s[i - 1] > SETTINGS.word_gap * max(y1 - y0, 1.0)]
    if not cuts:
        # the detector pads its boxes sideways: the words' own extent is kept for measuring
        # the gap to the next box (neighbouring cells of a table)
        return [(box, text, score, (x0s[0], x1s[-1]))]
    out = []
    for a, b in zip([0] + cuts, cuts + [len(words)]):
        out.append(([[x0s[a], y0], [x1s[b - 1], y0], [x1s[b - 1], y1], [x0s[a], y1]],
                    _join_words([w[0] for w in words[a:b]]), score, (x0s[a], x1s[b - 1])))
    return out


class _Rapid1:
    """``rapidocr_onnxruntime`` 1.x (models inside that wheel)."""

    name = "rapidocr_onnxruntime"

    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self._ocr = RapidOCR(print_verbose=False)

    def __call__(self, arr):
        result, _elapse = self._ocr(arr, use_cls=False)
        return list(result or [])


def get_engine():
    """The process-wide OCR engine (created on first use, then reused for every document)."""
    global _engine
    if not current_read_settings().ocr:
        raise ReadError(DISABLED_MSG)
    if _engine is not None:
        return _engine
    with _engine_lock:
        if _engine is None:
            ensure_offline()
            name = engine_name()
            if name is None:
                log.info("no OCR package importable (%s)", ", ".join(ENGINES))
                raise ReadError(MISSING_MSG)
            try:
                import onnxruntime

                # Windows builds log through ETW instead; this call is their documented switch
                onnxruntime.disable_telemetry_events()
            except Exception:
                pass
            try:
                _engine = (_Rapid3 if name == "rapidocr" else _Rapid1)()
            except Exception as exc:
                log.warning("%s engine failed to start: %s", name, exc)
                raise ReadError(f"OCR 组件无法启动（{type(exc).__name__}）") from None
    return _engine


@dataclass
class OcrBox:
    """One recognised text box (pixels): corner points, text and confidence."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    score: float
    ink: Optional[tuple[float, float]] = None   # horizontal extent of the words themselves (pixels)

    @property
    def ix0(self) -> float:
        return self.ink[0] if self.ink else self.x0

    @property
    def ix1(self) -> float:
        return self.ink[1] if self.ink else self.x1


def ink_gray(rgb):
    """A colour page (H×W×3 RGB, uint8) as gray for OCR, with red seal ink dropped.

    Red and pink pixels (a seal, red pen) take their red channel, which is light, so a seal
    stamped over a signature or a line of text no longer hides it; everything else keeps its
    luminance. Black text under the seal stays dark (the inks multiply). Red text itself, such
    as a red letterhead (红头), fades too: the price of reading what the seal covers.
    """
    import numpy as np

    rgb = np.asarray(rgb)
    r = rgb[:, :, 0].astype(np.uint16)        # one channel at a time: a page is ~3 MB per plane
    g = rgb[:, :, 1].astype(np.uint16)
    b = rgb[:, :, 2].astype(np.uint16)
    gb = np.maximum(g, b)
    red = (r > gb + 50) & (r > 120)
    gray = r * 30                              # luminance in hundredths: at most 25,500
    gray += g * 59
    gray += b * 11
    gray //= 100
    gray[red] = r[red]
    return gray.astype(np.uint8)


def ocr_array(img) -> list[OcrBox]:
    """Run the engine on an image array (H×W gray or H×W×3/4 RGB, uint8)."""
    import numpy as np

    engine = get_engine()
    arr = np.asarray(img)
    if arr.ndim == 3:
        arr = ink_gray(arr)
    arr = np.ascontiguousarray(np.stack([arr, arr, arr], axis=-1))
    try:
        # no angle classifier: pages are upright (pdfium applies /Rotate, images their EXIF
        # orientation) and its misfires turn whole lines into garbage
        result = engine(arr)
    except Exception as exc:
        log.warning("OCR failed: %s", exc)
        raise ReadError(f"OCR 识别失败（{type(exc).__name__}）") from None
    boxes: list[OcrBox] = []
    for item in result or []:
        pts, text, score = item[0], item[1], float(item[2])
        if not text or not text.strip() or score < SETTINGS.min_score:
            continue
        xs = [float(p[0]) for p in pts]
        ys = [float(p[1]) for p in pts]
        ink = item[3] if len(item) > 3 and item[3] else None
        boxes.append(OcrBox(min(xs), min(ys), max(xs), max(ys), text.strip(), score,
                            (float(ink[0]), float(ink[1])) if ink else None))
    return boxes


def boxes_to_lines(boxes: list[OcrBox], scale: float = 1.0):
    """Group boxes into visual lines (by vertical overlap) in reading order.

    ``scale`` converts pixels to the caller's units (points for PDF pages).
    """
    rows: list[list[OcrBox]] = []
    for b in sorted(boxes, key=lambda b: ((b.y0 + b.y1) / 2, b.x0)):
        mid = (b.y0 + b.y1) / 2
        h = b.y1 - b.y0
        placed = False
        for row in rows[-3:]:
            rmid = sum((r.y0 + r.y1) / 2 for r in row) / len(row)
            rh = max(r.y1 - r.y0 for r in row)
            if abs(mid - rmid) <= 0.4 * min(h, rh) and not any(_x_overlap(b, r) > 0.3 * min(b.x1 - b.x0, r.x1 - r.x0) for r in row):
                row.append(b)
                placed = True
                break
        if not placed:
            rows.append([b])
    lines = []
    for row in rows:
        row.sort(key=lambda b: b.x0)
        pieces: list[list[OcrBox]] = []
        for b in row:
            if pieces and b.ix0 - pieces[-1][-1].ix1 <= SETTINGS.column_gap * (b.y1 - b.y0):
                pieces[-1].append(b)
            else:
                pieces.append([b])   # a wide gap: table columns, signature blocks
        texts = []
        for piece in pieces:
            t = ""
            for b in piece:
                t = join_text(t, b.text)
            texts.append(tidy(fix_digits(t)))
        h = sorted(b.y1 - b.y0 for b in row)[len(row) // 2]
        ln = Line(tidy(" ".join(texts)), row[0].x0 * scale, max(b.x1 for b in row) * scale,
                  min(b.y0 for b in row) * scale, max(b.y1 for b in row) * scale,
                  size=h * scale * 0.8)
        if len(pieces) > 1:
            ln.segs = [(p[0].x0 * scale, max(b.x1 for b in p) * scale, t) for p, t in zip(pieces, texts)]
        lines.append(ln)
    lines.sort(key=lambda ln: (ln.top, ln.x0))
    return lines


_DIGIT_COMMA = re.compile(r"(?<=\d)[，,](?=\d{3}(?!\d))")
_DIGIT_POINT = re.compile(r"(?<=\d)[．。·](?=\d)")


def fix_digits(text: str) -> str:
    """OCR reads 「22,434」 as 「22，434」 and 「3.5」 as 「3．5」: restore ASCII separators."""
    return _DIGIT_POINT.sub(".", _DIGIT_COMMA.sub(",", text))


def _x_overlap(a: OcrBox, b: OcrBox) -> float:
    return max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0))


def render_scale(width_pt: float, height_pt: float) -> float:
    """Render scale (pixels per point) for OCR: ~170 dpi, longer side capped."""
    scale = SETTINGS.dpi / 72.0
    longest = max(width_pt, height_pt, 1.0)
    return min(scale, SETTINGS.max_side / longest)


def ocr_pdf_page(pdf, index: int):
    """Render page ``index`` (0-based) of an open pypdfium2 document and OCR it -> lines (pt)."""
    get_engine()  # fail fast with the install hint before rendering anything
    page = pdf[index]
    try:
        w, h = page.get_size()
        scale = render_scale(w, h)
        bitmap = page.render(scale=scale, rev_byteorder=True)   # colour (RGB): seals are dropped by ink_gray
        try:
            arr = ink_gray(bitmap.to_numpy())
        finally:
            bitmap.close()
    finally:
        page.close()
    return boxes_to_lines(ocr_array(arr), scale=1.0 / scale)


def ocr_pil(image) -> list:
    """OCR a PIL image (any mode) -> lines in pixels of the image as given."""
    img = image
    if img.mode not in ("L", "RGB"):
        img = img.convert("RGB")
    import numpy as np

    return boxes_to_lines(ocr_array(np.asarray(img)), scale=1.0)


def reset_engine() -> None:
    """Drop the engine (tests)."""
    global _engine
    _engine = None


__all__ = ["MISSING_MSG", "OcrSettings", "SETTINGS", "available", "get_engine", "ocr_array",
           "boxes_to_lines", "ocr_pdf_page", "ocr_pil", "max_ocr_pages", "render_scale",
           "OcrBox", "reset_engine", "ink_gray", "engine_name", "ensure_offline", "ENGINES", "OFFLINE_ENV"]
