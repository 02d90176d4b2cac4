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

from consortium_review.fileio import in_output_dir, is_generated, sha256_file
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
    """All files below ``folder`` in a stable order (hidden files and OS junk skipped).

    The tool's own outputs are never material: output folders (they hold a marker file) and
    files carrying the tool's marker are skipped wherever they are.
    """
    seen: dict = {}
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
        if in_output_dir(p, folder, seen) or is_generated(p):
            log.debug("skipped own output %s", p)
            continue
        yield p


#: what a format is, in the words a user knows (for the 「扩展名不符」 note)
FORMAT_NAMES = {
    "pdf": "PDF", "docx": "Word 文档（.docx）", "doc": "Word 97-2003 文档（.doc）", "wps": "WPS 文档",
    "rtf": "RTF 文档", "xlsx": "Excel 工作簿（.xlsx）", "xls": "Excel 97-2003 工作簿（.xls）", "csv": "CSV 表格",
    "image": "图片", "txt": "纯文本", "html": "网页（HTML）", "zip": "zip 压缩包",
}
_SAME_KIND = [{"txt", "csv"}]


def extension_note(path: Path, fmt: str) -> Optional[str]:
    """「扩展名不符」 when the content is another format than the file name says (read anyway)."""
    from consortium_review.extractors.sniff import EXT_FORMATS

    named = EXT_FORMATS.get(path.suffix.lower())
    if not named or named == fmt or any({named, fmt} <= kind for kind in _SAME_KIND):
        return None
    return (f"扩展名不符：文件名为 {path.suffix}，内容实为{FORMAT_NAMES.get(fmt, fmt)}，"
            f"已按{FORMAT_NAMES.get(fmt, fmt)}读取；建议改正扩展名")


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
        note = extension_note(path, doc.format)
        if note:
            doc.warnings.insert(0, note)
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


def _quiet_worker() -> None:
    """Reader processes report failures in the result, never on the terminal."""
    logging.getLogger().addHandler(logging.NullHandler())


def _read_one(args: tuple[str, str, ReadSettings]) -> list[Document]:
    path, rel, settings = args
    with using_read_settings(settings):
        return read_file(Path(path), rel)


def read_folder(folder: Path, cache=None, workers: int = 1, settings: ReadSettings = READ) -> list[Document]:
    """Read every file below ``folder``. ``cache`` (optional) serves unchanged files; its key
    must include ``settings`` (``ReadCache(..., read_settings=settings)``).

    ``workers`` > 1 reads the files the cache cannot serve in that many *spawn* processes
    (the order of the result stays the folder order). A worker that dies marks only the
    files it had not returned yet.
    """
    with using_read_settings(settings):
        return _read_folder(folder, cache, workers, settings)


def _read_folder(folder: Path, cache, workers: int, settings: ReadSettings) -> list[Document]:
    files = [(p, p.relative_to(folder).as_posix()) for p in iter_files(folder)]
    if workers <= 1:
        docs: list[Document] = []
        for p, rel in files:
            hit = cache.get(p, rel) if cache is not None else None
            if hit is None:
                hit = read_file(p, rel)
                if cache is not None:
                    cache.put(p, rel, hit)
            docs.extend(hit)
        return docs
    got: dict[str, list[Document]] = {}
    todo: list[tuple[Path, str]] = []
    for p, rel in files:
        hit = cache.get(p, rel) if cache is not None else None
        if hit is not None:
            got[rel] = hit
        else:
            todo.append((p, rel))
    if len(todo) > 1:
        got.update(_read_parallel(todo, min(workers, len(todo)), cache, settings))
    else:
        for p, rel in todo:
            got[rel] = read_file(p, rel)
            if cache is not None:
                cache.put(p, rel, got[rel])
    return [d for _p, rel in files for d in got[rel]]


def _read_parallel(todo: list[tuple[Path, str]], workers: int, cache, settings: ReadSettings) -> dict[str, list[Document]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    out: dict[str, list[Document]] = {}
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_quiet_worker)
    try:
        futures = {pool.submit(_read_one, (str(p), rel, settings)): (p, rel) for p, rel in todo}
        for fut in as_completed(futures):
            p, rel = futures[fut]
            try:
                out[rel] = fut.result()
            except BrokenProcessPool:
                doc = Document(file=rel, status="error",
                               error="读取进程意外退出（可能是内存不足或读取组件崩溃）")
                out[rel] = [doc]
                continue
            if cache is not None:
                cache.put(p, rel, out[rel])
    except BaseException:            # Ctrl-C: do not wait for the files still being read
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return out
