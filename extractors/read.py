"""The read stage: a folder of submitted files -> ``Document`` s with ``Block`` s.

Each format has a reader module in ``consortium_review.extractors.readers``; this module only finds files,
detects their format by content, dispatches, and turns every failure into a per-file
Chinese error so that one bad file never stops the others.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import importlib
import logging
import os
import signal
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

from consortium_review.fileio import OUTPUT_DIR_MARKER, display_name, is_generated, sha256_file
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


@dataclass(frozen=True)
class ReadLimits:
    """Budgets that keep one hostile file (or folder) from eating memory, time or disk.

    Per document (a file; a zip member counts as its own document) and per consortium (all
    files of one folder together). A document over a budget is refused with a Chinese reason
    naming the limit; the other documents are read as usual.
    """

    doc_chars: int = 10_000_000          # characters of text one document may yield
    doc_blocks: int = 200_000            # text blocks (paragraphs, table rows ...) per document
    doc_seconds: float = 600.0           # reading time per document
    consortium_chars: int = 40_000_000   # characters of text all documents of a consortium may yield
    consortium_blocks: int = 600_000
    consortium_seconds: float = 3600.0   # reading time of one consortium
    cache_entry_bytes: int = 128 * 1024 * 1024   # largest read-cache entry written


#: The budgets in force (tests and callers may replace it with another ``ReadLimits``).
LIMITS = ReadLimits()


class BudgetExceeded(ReadError):
    """A document went over one of the ``ReadLimits`` (``str``: Chinese reason)."""


def _wan(n: float) -> str:
    """A count in 万 (10 000) for messages."""
    return f"{n / 10000:.0f} 万" if n >= 10000 else f"{n:.0f} "


def doc_over_budget(chars: int, blocks: int, limits: Optional[ReadLimits] = None) -> Optional[str]:
    """The Chinese refusal for a document of ``chars`` characters in ``blocks`` blocks, or None."""
    lim = limits or LIMITS
    if chars > lim.doc_chars:
        return (f"提取出的文字过多（约 {_wan(chars)}字，单个文件上限 {_wan(lim.doc_chars)}字），"
                "疑似异常文件，未采用；如确为正式材料请拆分后提交")
    if blocks > lim.doc_blocks:
        return (f"提取出的段落/表格行过多（{_wan(blocks)}个，单个文件上限 {_wan(lim.doc_blocks)}个），"
                "疑似异常文件，未采用；如确为正式材料请拆分后提交")
    return None


# --------------------------------------------------------------------------- finding files

#: reasons for files that are left out (shown in evidence.json, run.log and 汇总.xlsx)
SKIP_SYMLINK = "符号链接（快捷方式），可能指向材料文件夹以外，未读取；请直接放入文件本身"
SKIP_LOOP = "符号链接循环（链接指向自身），未读取"
SKIP_DANGLING = "符号链接指向的文件不存在，未读取"
SKIP_FIFO = "命名管道，不是普通文件，未读取"
SKIP_DEVICE = "设备文件，不是普通文件，未读取"
SKIP_SOCKET = "套接字文件，不是普通文件，未读取"
SKIP_OTHER = "不是普通文件，未读取"
JUNK_GROUP = "（系统文件和隐藏文件）"


def os_reason(exc: OSError, what: str = "文件") -> str:
    """A fully Chinese reason for an ``OSError`` (no English ``strerror`` tail)."""
    code = getattr(exc, "errno", None)
    if isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM):
        return f"没有权限读取该{what}，未读取；请检查{what}权限"
    if isinstance(exc, FileNotFoundError) or code == errno.ENOENT:
        return f"{what}在读取时已不存在（可能被移动或删除）"
    if code == errno.ENAMETOOLONG:
        return f"{what}名称过长，无法访问"
    if code == errno.ELOOP:
        return SKIP_LOOP
    if code == errno.EIO:
        return f"{what}读取出错（磁盘或网络存储的输入输出错误）"
    if isinstance(exc, IsADirectoryError):
        return "这是文件夹而不是文件"
    return f"{what}无法访问（系统错误码 {code}）" if code else f"{what}无法访问"


@dataclass
class Skipped:
    """A file (or folder) below a consortium folder that is left out, with the reason."""

    rel: str
    reason: str
    junk: bool = False     # OS junk / hidden file: reported as one group


def _is_junk(rel_parts: tuple[str, ...], name: str, top: bool) -> bool:
    if any(part.startswith(".") or part.startswith("~$") for part in rel_parts):
        return True
    return name.lower() in IGNORED_NAMES


def scan(folder: Path) -> tuple[list[Path], list[Skipped]]:
    """(files to read, files left out) below ``folder``, each list in a stable order.

    Nothing is followed: symlinks (also loops and dangling ones), FIFOs, devices, sockets and
    unreadable folders are left out with a Chinese reason instead of silently.
    """
    folder = Path(folder)
    found: list[tuple[str, Path]] = []
    skipped: list[Skipped] = []

    def walk(d: Path, rel_parts: tuple[str, ...]) -> None:
        try:
            with os.scandir(d) as it:
                entries = list(it)
        except OSError as exc:
            rel = "/".join(rel_parts) or "."
            skipped.append(Skipped(display_name(rel) + "/", os_reason(exc, "文件夹").replace("未读取", "其中的文件未读取")))
            return
        for e in entries:
            parts = rel_parts + (e.name,)
            rel = "/".join(parts)
            if not rel_parts and e.name.lower() in ("readme.md", "readme.txt"):
                continue        # the folder's own note (documented), not submitted material
            if _is_junk(parts, e.name, top=not rel_parts):
                if not (e.is_dir(follow_symlinks=False) and not e.name.startswith((".", "~$"))):
                    skipped.append(Skipped(display_name(rel), "系统文件或隐藏文件，未读取", junk=True))
                    continue
            try:
                st = e.stat(follow_symlinks=False)
            except OSError as exc:
                skipped.append(Skipped(display_name(rel), os_reason(exc)))
                continue
            mode = st.st_mode
            if stat.S_ISLNK(mode):
                skipped.append(Skipped(display_name(rel), _link_reason(Path(e.path))))
            elif stat.S_ISDIR(mode):
                if (Path(e.path) / OUTPUT_DIR_MARKER).exists():
                    log.debug("skipped own output folder %s", rel)     # never material
                    continue
                walk(Path(e.path), parts)
            elif stat.S_ISREG(mode):
                if is_generated(Path(e.path)):
                    log.debug("skipped own output %s", rel)
                    continue
                found.append((rel, Path(e.path)))
            elif stat.S_ISFIFO(mode):
                skipped.append(Skipped(display_name(rel), SKIP_FIFO))
            elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
                skipped.append(Skipped(display_name(rel), SKIP_DEVICE))
            elif stat.S_ISSOCK(mode):
                skipped.append(Skipped(display_name(rel), SKIP_SOCKET))
            else:
                skipped.append(Skipped(display_name(rel), SKIP_OTHER))

    walk(folder, ())
    found.sort(key=lambda t: t[0])
    skipped.sort(key=lambda s: s.rel)
    return [p for _, p in found], skipped


def _link_reason(p: Path) -> str:
    try:
        os.stat(p)
    except OSError as exc:
        if getattr(exc, "errno", None) == errno.ELOOP:
            return SKIP_LOOP
        if isinstance(exc, FileNotFoundError):
            return SKIP_DANGLING
        return SKIP_SYMLINK
    return SKIP_SYMLINK


def iter_files(folder: Path) -> Iterable[Path]:
    """All regular files below ``folder`` in a stable order (see ``scan`` for what is left out;
    the tool's own outputs are never material and are skipped wherever they are)."""
    return scan(folder)[0]


def rel_name(path: Path, folder: Path) -> str:
    """The '/'-separated name of ``path`` below ``folder``, as valid Unicode (see ``display_name``)."""
    return display_name(Path(path).relative_to(folder).as_posix())


def skipped_documents(skipped: list[Skipped]) -> list[Document]:
    """``Document`` s with status "skipped" for what ``scan`` left out (junk as one group)."""
    docs = [Document(file=s.rel, status="skipped", error=s.reason) for s in skipped if not s.junk]
    junk = [s.rel for s in skipped if s.junk]
    if junk:
        shown = "、".join(junk[:5]) + (f" 等 {len(junk)} 个" if len(junk) > 5 else "")
        docs.append(Document(file=JUNK_GROUP, status="skipped",
                             error=f"系统文件或隐藏文件共 {len(junk)} 个，未读取：{shown}"))
    return docs


# --------------------------------------------------------------------------- time budget

_in_doc: contextvars.ContextVar[bool] = contextvars.ContextVar("read_in_doc", default=False)
#: nested reading deadlines of this (main) thread: [monotonic deadline, message, token]
_deadlines: list[list] = []
_saved_handler: list = []


def _arm() -> None:
    pending = [d[0] for d in _deadlines if d[0] != float("inf")]
    if pending:
        signal.setitimer(signal.ITIMER_REAL, max(min(pending) - time.monotonic(), 0.001))
    else:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _on_alarm(signum, frame):
    now = time.monotonic()
    expired = [d for d in _deadlines if d[0] <= now + 0.001]
    if not expired:
        _arm()
        return
    outermost = expired[0]
    outermost[0] = float("inf")          # fires once
    exc = BudgetExceeded(outermost[1])
    exc.token = outermost[2]
    _arm()
    raise exc


@contextlib.contextmanager
def _deadline(seconds: float, message: str) -> Iterator[object]:
    """Raise ``BudgetExceeded(message)`` (with ``.token`` = the yielded object) in this thread
    after ``seconds``. Deadlines nest (a zip and its members). POSIX main thread only; elsewhere
    the time is checked after reading."""
    token = object()
    usable = (seconds > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
              and (_deadlines or signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)))
    if not usable:
        yield token
        return
    if not _deadlines:
        _saved_handler[:] = [signal.signal(signal.SIGALRM, _on_alarm)]
    entry = [time.monotonic() + seconds, message, token]
    _deadlines.append(entry)
    _arm()
    try:
        yield token
    finally:
        _deadlines.remove(entry)
        if _deadlines:
            _arm()
        else:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, _saved_handler[0] if _saved_handler else signal.SIG_DFL)


def _timeout_message(seconds: float) -> str:
    # "超时" marks the result as transient: it is not cached (a faster machine may read it)
    return f"读取超时（超过读取时间上限 {seconds:.0f} 秒），未读取完；如确为正式材料请拆分后提交"


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


def read_file(path: Path, rel: str, fmt: Optional[str] = None, seconds: Optional[float] = None) -> list[Document]:
    """Read one file into one ``Document`` (a zip gives one per member). Never raises.

    ``seconds``: reading-time budget (default ``LIMITS.doc_seconds``).
    """
    t0 = time.perf_counter()
    rel = display_name(rel)
    doc = Document(file=rel)
    if seconds is None:
        seconds = LIMITS.doc_seconds
    budget = seconds
    if fmt is None:
        try:
            fmt = sniff(path)
        except Exception:        # unreadable: _read_one gives the reason
            fmt = None
    if fmt == "zip":
        # a zip holds many documents: its members get the per-document budget each, the
        # zip as a whole what is left of the consortium's reading time
        budget = max(seconds, min(LIMITS.consortium_seconds, seconds * 50))
    token = _in_doc.set(True)
    try:
        with _deadline(budget, _timeout_message(budget)) as mine:
            try:
                docs = _read_one(path, rel, fmt, doc)
            except BudgetExceeded as exc:
                if getattr(exc, "token", mine) is not mine:
                    raise                  # an enclosing document's (the zip's) deadline
                doc.blocks, doc.pages = [], None
                doc.status, doc.error = "error", str(exc)
                docs = [doc]
    finally:
        _in_doc.reset(token)
    if doc.status not in ("error", "skipped") and doc.format != "zip":
        if time.perf_counter() - t0 > budget:        # the post-hoc check where no alarm is available
            doc.blocks, doc.status, doc.error = [], "error", _timeout_message(budget)
        else:
            refusal = doc_over_budget(sum(len(b.text) for b in doc.blocks), len(doc.blocks))
            if refusal:
                doc.blocks, doc.status, doc.error = [], "error", refusal
    if doc.seconds == 0.0:
        doc.seconds = round(time.perf_counter() - t0, 3)
    if doc.error and doc.format != "zip":
        log.warning("%s：%s", rel, doc.error)
    return docs


def _read_one(path: Path, rel: str, fmt: Optional[str], doc: Document) -> list[Document]:
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
    except BudgetExceeded:
        doc.blocks = []
        raise
    except ReadError as exc:
        doc.status, doc.error = "error", str(exc)
    except MemoryError:
        doc.blocks = []
        doc.status, doc.error = "error", "文件过大，读取时内存不足"
    except OSError as exc:
        doc.status, doc.error = "error", os_reason(exc)
    except Exception as exc:  # a reader bug must not stop the batch
        log.exception("reader crashed on %s", rel)
        doc.status, doc.error = "error", f"读取失败（程序错误 {type(exc).__name__}），请把该文件反馈给开发者"
    return [doc]


def _quiet_worker() -> None:
    """Reader processes report failures in the result, never on the terminal."""
    logging.getLogger().addHandler(logging.NullHandler())


def _read_in_worker(args: tuple[str, str, ReadSettings, float]) -> list[Document]:
    path, rel, settings, seconds = args
    with using_read_settings(settings):
        return read_file(Path(path), rel, seconds=seconds)


class ConsortiumBudget:
    """What is left of the per-consortium ``ReadLimits`` while one folder is read."""

    def __init__(self, limits: Optional[ReadLimits] = None):
        self.limits = limits or LIMITS
        self.chars = 0
        self.blocks = 0
        self.t0 = time.perf_counter()

    def seconds_left(self) -> float:
        return self.limits.consortium_seconds - (time.perf_counter() - self.t0)

    def out_of_time(self, rel: str) -> Document:
        return Document(file=rel, status="skipped",
                        error=f"联合体材料读取总时间超过上限（{self.limits.consortium_seconds:.0f} 秒），"
                              "该文件未读取（超时）")

    def admit(self, docs: list[Document]) -> list[Document]:
        """Count ``docs``; a document that would go over the consortium's text budget is refused."""
        lim = self.limits
        for d in docs:
            chars = sum(len(b.text) for b in d.blocks)
            if not d.blocks:
                continue
            if self.chars + chars > lim.consortium_chars or self.blocks + len(d.blocks) > lim.consortium_blocks:
                d.blocks = []
                d.status = "error"
                d.error = (f"联合体材料提取出的文字总量超过上限（{_wan(lim.consortium_chars)}字 / "
                           f"{_wan(lim.consortium_blocks)}个段落），该文件未采用")
                continue
            self.chars += chars
            self.blocks += len(d.blocks)
        return docs


def read_folder(folder: Path, cache=None, workers: int = 1, settings: ReadSettings = READ) -> list[Document]:
    """Read every file below ``folder``. ``cache`` (optional) serves unchanged files; its key
    must include ``settings`` (``ReadCache(..., read_settings=settings)``).

    ``workers`` > 1 reads the files the cache cannot serve in that many *spawn* processes
    (the order of the result stays the folder order). A worker that dies marks only the
    files it had not returned yet. Files left out (links, pipes, unreadable ...) come back as
    ``status="skipped"`` documents; the per-document and per-consortium budgets apply.
    """
    with using_read_settings(settings):
        return _read_folder(Path(folder), cache, workers, settings)


def _read_folder(folder: Path, cache, workers: int, settings: ReadSettings) -> list[Document]:
    paths, skipped = scan(folder)
    files = [(p, rel_name(p, folder)) for p in paths]
    budget = ConsortiumBudget()
    got: dict[str, list[Document]] = {}
    if workers > 1 and len(files) > 1:
        todo: list[tuple[Path, str]] = []
        for p, rel in files:
            hit = cache.get(p, rel) if cache is not None else None
            if hit is not None:
                got[rel] = hit
            else:
                todo.append((p, rel))
        if todo:
            seconds = min(LIMITS.doc_seconds, max(budget.seconds_left(), 1.0))
            got.update(_read_parallel(todo, min(workers, len(todo)), cache, settings, seconds))
    else:
        for p, rel in files:           # one file after the other: cache look-up, read, store
            hit = cache.get(p, rel) if cache is not None else None
            if hit is not None:
                got[rel] = hit
                continue
            left = budget.seconds_left()
            if left <= 0:
                got[rel] = [budget.out_of_time(rel)]
                continue
            got[rel] = read_file(p, rel, seconds=min(LIMITS.doc_seconds, max(left, 1.0)))
            if cache is not None:
                cache.put(p, rel, got[rel])
    docs: list[Document] = []
    for _p, rel in files:
        docs.extend(budget.admit(got[rel]))
    left_out = skipped_documents(skipped)
    if cache is not None and hasattr(cache, "report_skipped"):
        cache.report_skipped(left_out)
    docs.extend(left_out)
    return docs


def _read_parallel(todo: list[tuple[Path, str]], workers: int, cache, settings: ReadSettings,
                   seconds: float) -> dict[str, list[Document]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    out: dict[str, list[Document]] = {}
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_quiet_worker)
    try:
        futures = {pool.submit(_read_in_worker, (str(p), rel, settings, seconds)): (p, rel) for p, rel in todo}
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
