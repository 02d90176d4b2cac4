"""Image reader (图片): .png/.jpg/.tif/.bmp/.gif/.webp through OCR.

Pillow opens the file lazily (header only), so the pixel count is checked before anything
is decoded: decompression bombs and giant scans are refused with a Chinese message instead
of eating memory. Large-but-sane images are downscaled to what the OCR engine uses anyway.
Multi-page TIFFs give one page per frame (up to the OCR page cap).
"""

from __future__ import annotations

import warnings as _warnings
from pathlib import Path

from consortium_review.extractors import ocr
from consortium_review.extractors.readers import ReadError, Reading
from consortium_review.extractors.readers.pdf import PageText, aligned_tables, layout, merge_items, order_lines

#: Refuse images with more pixels than this (≈ 8000×8000; an A4 page at 600 dpi is 35 M).
MAX_PIXELS = 64_000_000


def _open(path: Path):
    from PIL import Image, UnidentifiedImageError

    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ReadError("图片像素过多（疑似解压炸弹或超大图片），为安全起见未读取") from None
    except UnidentifiedImageError:
        raise ReadError("无法识别的图片格式或图片已损坏") from None
    except OSError as exc:
        raise ReadError(f"图片无法打开（{str(exc)[:60]}）") from None
    return img


def _frames(img):
    """Yield the frames of a (multi-page) image."""
    n = getattr(img, "n_frames", 1) or 1
    for k in range(n):
        try:
            img.seek(k)
        except EOFError:
            break
        yield k


def _prepare(img):
    """Decode one frame at OCR size (downscaled, EXIF-rotated; gray, or RGB for colour images)."""
    from PIL import Image, ImageOps

    w, h = img.size
    if w * h > MAX_PIXELS:
        raise ReadError(f"图片过大（{w}×{h} 像素），超过 {MAX_PIXELS // 1_000_000} 百万像素上限，未识别")
    side = ocr.SETTINGS.max_side
    if max(w, h) > side and img.format == "JPEG":
        # decode JPEG at reduced scale: fast, little memory (colour kept: OCR drops red seals)
        img.draft("RGB" if img.mode in ("RGB", "YCbCr", "CMYK") else "L", (side, side))
    try:
        if img.mode in ("L", "RGB"):
            frame = img.copy()
        elif img.mode in ("1", "I", "I;16", "I;16B", "I;16L", "F", "LA"):
            frame = img.convert("L")
        else:   # P, RGBA, CMYK, YCbCr …: keep colour so ocr.ink_gray can drop seal ink
            frame = img.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ReadError(f"图片已损坏或不完整（{str(exc)[:60]}）") from None
    try:
        frame = ImageOps.exif_transpose(frame)
    except Exception:
        pass  # broken EXIF: keep the pixels as stored
    w, h = frame.size
    if max(w, h) > side:
        scale = side / max(w, h)
        frame = frame.resize((max(1, int(w * scale)), max(1, int(h * scale))), Image.LANCZOS)
    return frame


def read(path: Path, rel: str) -> Reading:
    """OCR every frame of an image file into blocks (one page per frame)."""
    path = Path(path)
    warnings: list[str] = []
    img = _open(path)
    pages: list[PageText] = []
    try:
        w, h = img.size
        if w * h > MAX_PIXELS:
            raise ReadError(f"图片过大（{w}×{h} 像素），超过 {MAX_PIXELS // 1_000_000} 百万像素上限，未识别")
        frames = list(_frames(img))
        cap = ocr.max_ocr_pages()
        if len(frames) > cap:
            warnings.append(f"图片共 {len(frames)} 页，超过 OCR 上限（{cap} 页），第{cap + 1}—{len(frames)}页未识别")
            frames = frames[:cap]
        for k in frames:
            img.seek(k)
            frame = _prepare(img)
            lines = order_lines(ocr.ocr_pil(frame))
            lines, tables = aligned_tables(lines, k + 1)
            pt = PageText(number=k + 1, width=float(frame.size[0]), height=float(frame.size[1]), ocr=True)
            pt.items = merge_items(lines, tables)
            pages.append(pt)
            frame.close()
    finally:
        img.close()
    blocks = layout(pages, rel)
    if not blocks:
        warnings.append("图片中未识别到文字")
    return Reading(blocks=blocks, pages=len(pages), ocr=True, warnings=warnings)
