"""OCR (文字识别) for scanned pages and images, with rapidocr_onnxruntime.

The detection/recognition models ship inside the ``rapidocr_onnxruntime`` wheel, so nothing
is downloaded at run time.  One engine is created lazily per process (creating it takes
about half a second; spawn-started worker processes each make their own).

Output is a list of ``consortium_review.extractors.readers.lines.Line`` in page coordinates (points for PDF
pages, pixels for images); the PDF layout stage turns them into paragraphs like any other
text lines.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

from consortium_review.extractors.readers import ReadError
from consortium_review.extractors.readers.lines import Line, join_text, tidy
from consortium_review.settings import current_read_settings

log = logging.getLogger("consortium_review.ocr")

#: Message when the OCR component is missing (user-facing, Chinese).
MISSING_MSG = "扫描件需要 OCR 组件：请运行 pip install rapidocr_onnxruntime"


@dataclass(frozen=True)
class OcrSettings:
    """Knobs for OCR speed vs. accuracy (documented defaults)."""

    dpi: float = 170.0           # render resolution for PDF pages (A4 at 170 dpi ≈ 1400×2000 px)
    max_side: int = 2000         # cap the longer side (px); rapidocr shrinks anything larger. At 1600 px
                                 # Chinese survives but English loses spaces and small lines
    min_score: float = 0.5       # drop recognised lines below this confidence


SETTINGS = OcrSettings()

_engine: Any = None
_engine_lock = threading.Lock()


#: Message when OCR is turned off in the read settings (user-facing, Chinese).
DISABLED_MSG = "扫描件需要 OCR，本次运行未启用 OCR"


def max_ocr_pages() -> int:
    """The OCR page cap of the read in progress (``ReadSettings``: 0 when OCR is off)."""
    settings = current_read_settings()
    return max(0, settings.max_ocr_pages) if settings.ocr else 0


def available() -> bool:
    """Can OCR run here (rapidocr + onnxruntime importable)?"""
    try:
        import onnxruntime  # noqa: F401
        import rapidocr_onnxruntime  # noqa: F401
    except Exception:
        return False
    return True


def get_engine():
    """The process-wide RapidOCR engine (created on first use)."""
    global _engine
    if not current_read_settings().ocr:
        raise ReadError(DISABLED_MSG)
    if _engine is not None:
        return _engine
    with _engine_lock:
        if _engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except Exception as exc:  # ImportError, or onnxruntime failing to load its DLL
                log.info("rapidocr not importable: %s", exc)
                raise ReadError(MISSING_MSG) from None
            try:
                _engine = RapidOCR(print_verbose=False)
            except Exception as exc:
                log.warning("rapidocr engine failed to start: %s", exc)
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


def ocr_array(img) -> list[OcrBox]:
    """Run the engine on an image array (H×W or H×W×3, uint8)."""
    import numpy as np

    engine = get_engine()
    arr = np.asarray(img)
    if arr.ndim == 2:
        arr = np.stack([arr, arr, arr], axis=-1)
    elif arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[:, :, :3]
    arr = np.ascontiguousarray(arr)
    try:
        # no angle classifier: pages are upright (pdfium applies /Rotate, images their EXIF
        # orientation) and its misfires turn whole lines into garbage
        result, _elapse = engine(arr, use_cls=False)
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
        boxes.append(OcrBox(min(xs), min(ys), max(xs), max(ys), text.strip(), score))
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
            if pieces and b.x0 - pieces[-1][-1].x1 <= 1.5 * (b.y1 - b.y0):
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
        bitmap = page.render(scale=scale, grayscale=True)
        try:
            arr = bitmap.to_numpy().copy()
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
           "OcrBox", "reset_engine"]
