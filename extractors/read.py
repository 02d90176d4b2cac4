"""The read stage: a folder of submitted files -> ``Document`` s with ``Block`` s.

Each format has a reader module in ``consortium_review.extractors.readers``; this module only finds files,
detects their format by content, dispatches, and turns every failure into a per-file
Chinese error so that one bad file never stops the others.
"""

from __future__ import annotations

import importlib
import logging
import time
from pathlib import Path
from typing import Callable, Iterable, Optional

from consortium_review.fileio import sha256_file
from consortium_review.models import Document
from consortium_review.settings import READ, ReadSettings, using_read_settings
from consortium_review.extractors.readers import ReadError, Reading
from consortium_review.extractors.readers.archive import read_archive
from consortium_review.extractors.sniff import IGNORED_NAMES, UNSUPPORTED_HINTS, sniff

log = logging.getLogger("consortium_review.read")

#: format -> "module:function" of its reader (imported lazily: OCR and LibreOffice are heavy)
READERS: dict[str, str] = {
    "pdf": "consortium_review.extractors.readers.pdf:read",
    "docx": "consortium_review.extractors.readers.docx:read",
    "doc": "consortium_review.extractors.readers.office:read",
    "wps": "consortium_review.extractors.readers.office:read",
    "rtf": "consortium_review.extractors.readers.office:read",
    "xlsx": "consortium_review.extractors.readers.sheet:read",
    "xls": "consortium_review.extractors.readers.sheet:read",
    "csv": "consortium_review.extractors.readers.sheet:read",
    "image": "consortium_review.extractors.readers.image:read",
    "txt": "consortium_review.extractors.readers.text:read",
    "html": "consortium_review.extractors.readers.sheet:read_html",
}
#: Largest file we try to read (bytes). Bigger files are refused with a clear message.
MAX_FILE_BYTES = 300 * 1024 * 1024


def _reader(fmt: str) -> Optional[Callable[[Path, str], Reading]]:
    spec = READERS.get(fmt)
    if not spec:
        return None
    mod, func = spec.split(":")
    return getattr(importlib.import_module(mod), func)


def iter_files(folder: Path) -> Iterable[Path]:
    """All files below ``folder`` in a stable order (hidden files and OS junk skipped)."""
    for p in sorted(folder.rglob("*"), key=lambda q: q.relative_to(folder).as_posix()):
        if p.is_symlink() or not p.is_file():
            continue            # links may point outside the submission
        rel_parts = p.relative_to(folder).parts
        if any(part.startswith(".") or part.startswith("~$") for part in rel_parts):
            continue
        if p.name.lower() in IGNORED_NAMES:
            continue
        if p.name.lower() in ("readme.md", "readme.txt") and p.parent == folder:
            continue            # a note describing the folder, not submitted material
        yield p


def read_file(path: Path, rel: str, fmt: Optional[str] = None) -> list[Document]:
    """Read one file into one ``Document`` (a zip gives one per member). Never raises."""
    t0 = time.perf_counter()
    doc = Document(file=rel)
    try:
        doc.sha256 = sha256_file(path)
        size = path.stat().st_size
        doc.format = fmt or sniff(path)
        if size == 0:
            raise ReadError("文件为空（0 字节）")
        if size > MAX_FILE_BYTES:
            raise ReadError(f"文件过大（{size / 1048576:.0f} MB，上限 {MAX_FILE_BYTES // 1048576} MB），未读取")
        if doc.format == "zip":
            return read_archive(path, rel, doc, read_file, MAX_FILE_BYTES)
        if doc.format == "encrypted-ooxml":
            raise ReadError("文件已加密（需要密码），无法读取；请提交未加密的版本")
        reader = _reader(doc.format)
        if reader is None:
            doc.status = "skipped"
            doc.error = UNSUPPORTED_HINTS.get(doc.format) or f"不支持的文件类型（{path.suffix or '无扩展名'}），已跳过"
            return [doc]
        reading = reader(path, rel)
        doc.blocks = reading.blocks
        doc.pages = reading.pages
        doc.warnings = reading.warnings
        doc.status = "ocr" if reading.ocr else "ok"
    except ReadError as exc:
        doc.status, doc.error = "error", str(exc)
    except MemoryError:
        doc.status, doc.error = "error", "文件过大，读取时内存不足"
    except Exception as exc:  # a reader bug must not stop the batch
        log.exception("reader crashed on %s", rel)
        doc.status, doc.error = "error", f"读取失败（{type(exc).__name__}：{str(exc)[:120]}）"
    doc.seconds = round(time.perf_counter() - t0, 3)
    if doc.error:
        log.warning("%s：%s", rel, doc.error)
    return [doc]


def read_folder(folder: Path, cache=None, settings: ReadSettings = READ) -> list[Document]:
    """Read every file below ``folder``. ``cache`` (optional) serves unchanged files; its key
    must include ``settings`` (``ReadCache(..., read_settings=settings)``)."""
    with using_read_settings(settings):
        return _read_folder(folder, cache)


def _read_folder(folder: Path, cache) -> list[Document]:
    docs: list[Document] = []
    for p in iter_files(folder):
        rel = p.relative_to(folder).as_posix()
        if cache is not None:
            hit = cache.get(p, rel)
            if hit is not None:
                docs.extend(hit)
                continue
        got = read_file(p, rel)
        if cache is not None:
            cache.put(p, rel, got)
        docs.extend(got)
    return docs
