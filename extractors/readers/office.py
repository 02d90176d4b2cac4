"""Legacy word-processor files: .doc (Word 97-2003, also written by WPS), .wps and .rtf.

Preferred path: LibreOffice converts the file to .docx in a private temporary directory
(own user profile, time limit, the whole process group killed on timeout) and the .docx reader
reads the result, so tables, text boxes and headings come out exactly as for .docx.

A batch converts the legacy files of all its consortia up front, in one LibreOffice run
(``BatchConverter``; same time limits and clean-up); the results reach the readers as
``ReadSettings.preconverted`` and give the same blocks. A file the batch did not convert is
converted on its own, as above.

Without LibreOffice (or when it fails) a pure-Python path still yields the text:
``consortium_review.extractors.readers.msdoc`` for Word 97-2003 binaries, ``striprtf`` for RTF and lxml for HTML/MHT
pages saved with a Word name; the reading then carries a warning that layout and tables may be
simplified. Files that are really .docx or Word 2003 XML are read directly (no conversion needed).
Encrypted or corrupt Word 97-2003 files are refused before any conversion is attempted.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from consortium_review.models import Block
from consortium_review.extractors.readers import ReadError, Reading
from consortium_review.extractors.readers import msdoc
from consortium_review.extractors.textclean import clean_text
from consortium_review.settings import Preconverted, current_read_settings

#: Seconds one LibreOffice conversion may take before its process group is killed.
CONVERT_TIMEOUT = 120
#: Largest RTF we hand to the pure-Python parser (it holds the whole text in memory).
MAX_RTF_BYTES = 64 * 1024 * 1024

INSTALL_HINT = "无法读取 .doc/.wps 文件：请安装 LibreOffice（https://www.libreoffice.org）后重试"
FALLBACK_WARNING = "未使用 LibreOffice，已用内置解析读取；版式、表格和文本框位置可能被简化"
_ENCRYPTED = "文件已加密（需要密码），无法读取；请提交未加密的版本"

_WINDOWS_CANDIDATES = (
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
)
_MAC_CANDIDATES = ("/Applications/LibreOffice.app/Contents/MacOS/soffice",)


def find_soffice() -> Optional[str]:
    """Path of the LibreOffice executable, or None when it is not installed (or the read
    settings turn it off / name it: ``ReadSettings.use_libreoffice`` / ``.libreoffice``)."""
    settings = current_read_settings()
    if not settings.use_libreoffice:
        return None
    if settings.libreoffice:
        return settings.libreoffice if Path(settings.libreoffice).is_file() else shutil.which(settings.libreoffice)
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    candidates = list(_WINDOWS_CANDIDATES) + list(_MAC_CANDIDATES)
    for env in ("PROGRAMFILES", "PROGRAMFILES(X86)"):
        base = os.environ.get(env)
        if base:
            candidates.append(str(Path(base) / "LibreOffice" / "program" / "soffice.exe"))
    for c in candidates:
        if Path(c).is_file():
            return c
    return None


class ConversionError(Exception):
    """LibreOffice could not convert the file (str: Chinese reason)."""


def read(path: Path, rel: str, *, use_libreoffice: Optional[bool] = None) -> Reading:
    """Read a .doc/.wps/.rtf file. ``use_libreoffice=False`` forces the pure-Python path."""
    path = Path(path)
    kind = _kind(path)
    if kind == "ole":
        _preflight_ole(path)            # encrypted / corrupt: fail fast, before any conversion
    elif kind == "zip":
        from consortium_review.extractors.readers import docx

        return docx.read(path, rel)     # a .docx saved with a .doc/.wps name
    elif kind == "wordml":
        from consortium_review.extractors.readers import docx

        return docx.read_wordml2003(path, rel)   # Word 2003 XML named .doc: read directly, no conversion
    soffice = find_soffice() if use_libreoffice is not False else None
    problem = ""
    if soffice:
        produced = _preconverted(path)
        if produced is not None:
            try:
                return _read_converted(produced, rel)
            except ConversionError:
                pass            # a damaged result of the batch: this file is converted on its own
        try:
            return _via_libreoffice(soffice, path, rel)
        except ConversionError as exc:
            problem = str(exc)
    reading = _fallback(path, rel, kind)
    if reading is None:
        if problem:
            raise ReadError(f"无法读取该文件：{problem}")
        raise ReadError(INSTALL_HINT)
    if problem:
        reading.warnings.insert(0, f"LibreOffice 转换失败（{problem}），已改用内置解析")
    return reading


def _kind(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise ReadError(f"无法打开文件（{exc.strerror or type(exc).__name__}）") from None
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    from consortium_review.extractors.readers.docx import is_wordml2003

    probe = head.replace(b"\x00", b"")
    lower = probe.lower()
    if probe.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml") and is_wordml2003(probe):
        return "wordml"
    if lower.startswith(b"mime-version") or b"content-type: multipart/related" in lower:
        return "mht"
    if any(tag in lower for tag in (b"<html", b"<!doctype html", b"<body", b"<meta ", b"<table")):
        return "html"
    return "other"


def _preflight_ole(path: Path) -> None:
    try:
        msdoc.check_encrypted(path)
    except msdoc.MsDocEncrypted:
        raise ReadError(_ENCRYPTED) from None
    except msdoc.MsDocError as exc:
        raise ReadError(str(exc)) from None


# --------------------------------------------------------------------------- LibreOffice

def _via_libreoffice(soffice: str, path: Path, rel: str) -> Reading:
    # the owner's pid in the name: a later run removes it (and kills what uses it) once we are gone
    with tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-", ignore_cleanup_errors=True) as tmp:
        tmpdir = Path(tmp)
        # an ASCII copy: the input is never touched, and Chinese names never reach the command line
        src = tmpdir / ("input" + _src_suffix(path))
        shutil.copyfile(path, src)
        outdir = tmpdir / "out"
        outdir.mkdir()
        _run(_convert_cmd(soffice, tmpdir / "profile", outdir, [src]), CONVERT_TIMEOUT, cwd=tmpdir)
        return _read_converted(outdir / (src.stem + ".docx"), rel)


def _read_converted(produced: Path, rel: str) -> Reading:
    """The .docx reader on LibreOffice's result (the same for a conversion of its own and a batch's)."""
    from consortium_review.extractors.readers import docx

    if not produced.is_file() or produced.stat().st_size == 0:
        raise ConversionError("没有生成转换结果，文件可能已损坏或格式不受支持")
    try:
        reading = docx.read(produced, rel)
    except ReadError as exc:
        raise ConversionError(str(exc)) from None
    for b in reading.blocks:
        b.file = rel
    return reading


def _src_suffix(path: Path) -> str:
    """Suffix of the ASCII copy LibreOffice converts (the input's own when it is plain ASCII)."""
    suffix = Path(path).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ".doc"


def _convert_cmd(soffice: str, profile: Path, outdir: Path, sources: list[Path]) -> list[str]:
    return [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible", "--norestore",
            "--nologo", "--nodefault", "--nolockcheck", "--convert-to", "docx:MS Word 2007 XML",
            "--outdir", str(outdir), *[str(s) for s in sources]]


#: temp folders of conversions: ``cr-office-<pid of the reading process>-xxxx``
TEMP_PREFIX = "cr-office-"

#: A tiny guard between us and LibreOffice (POSIX). It leads a new process group holding
#: soffice, oosplash and soffice.bin, and kills that whole group when we go away for any
#: reason: its stdin is a pipe whose write end only we hold, so our death — even kill -9 —
#: is an end-of-file; on Linux prctl(PR_SET_PDEATHSIG) adds a SIGTERM on our death.
_GUARD = r"""
import os, signal, subprocess, sys, threading
def die(*_):
    try:
        os.killpg(0, signal.SIGKILL)
    finally:
        os._exit(137)
signal.signal(signal.SIGTERM, die)
signal.signal(signal.SIGINT, die)
signal.signal(signal.SIGHUP, die)
try:
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)   # PR_SET_PDEATHSIG
except Exception:
    pass
parent = int(sys.argv[1])
if os.getppid() != parent:
    die()
def watch():
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    die()
threading.Thread(target=watch, daemon=True).start()
child = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL)
os._exit(child.wait() & 0xFF)
"""


def _start(cmd: list[str], cwd: Path) -> subprocess.Popen:
    """LibreOffice in a process group of its own (POSIX: below the guard); end it with ``_kill_group``."""
    kwargs: dict = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": str(cwd)}
    if sys.platform == "win32":
        kwargs["stdin"] = subprocess.DEVNULL
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP | getattr(subprocess, "CREATE_NO_WINDOW", 0)
    else:
        kwargs["stdin"] = subprocess.PIPE      # the guard's lifeline (see _GUARD)
        kwargs["start_new_session"] = True     # own process group: oosplash + soffice.bin die together
        cmd = [sys.executable, "-I", "-S", "-c", _GUARD, str(os.getpid()), *cmd]
    try:
        return subprocess.Popen(cmd, **kwargs)
    except OSError as exc:
        raise ConversionError(f"无法启动 LibreOffice（{exc.strerror or type(exc).__name__}）") from None


def _run(cmd: list[str], timeout: float, cwd: Path) -> None:
    proc = _start(cmd, cwd)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ConversionError(f"LibreOffice 转换超时（超过 {timeout:.0f} 秒）") from None
    finally:
        # every exit path — done, timeout, Ctrl-C, SIGTERM, a reading deadline, an exception —
        # ends with the whole group gone (a finished soffice may leave soffice.bin behind)
        _kill_group(proc)
    if proc.returncode != 0:
        raise ConversionError(f"LibreOffice 转换失败（退出码 {proc.returncode}）")


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        if sys.platform == "win32":
            if proc.poll() is None:
                subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=30)
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    except (OSError, subprocess.SubprocessError):
        try:
            proc.kill()
        except OSError:
            pass
    if proc.stdin is not None:
        try:
            proc.stdin.close()
        except OSError:
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def sweep_orphans(tmp_root: Optional[Path] = None) -> int:
    """Kill LibreOffice processes and remove temp folders left by reading processes that are
    gone (a run killed with ``kill -9`` or a power cut). Returns how many were cleaned up.

    Only folders named ``cr-office-<pid>-…``/``cr-zip-<pid>-…`` whose pid no longer runs are
    touched, and only processes whose command line names such a folder.
    """
    from consortium_review.fileio import pid_alive

    root = Path(tmp_root or tempfile.gettempdir())
    dead: list[Path] = []
    try:
        for d in root.iterdir():
            m = re.match(r"cr-(?:office|zip)-(\d+)-", d.name)
            if m and d.is_dir() and not d.is_symlink() and not pid_alive(int(m.group(1))):
                dead.append(d)
    except OSError:
        return 0
    n = 0
    if dead and sys.platform.startswith("linux"):
        marks = [str(d).encode() for d in dead] + [d.as_uri().encode() for d in dead]
        for proc_dir in Path("/proc").iterdir():
            if not proc_dir.name.isdigit() or int(proc_dir.name) == os.getpid():
                continue
            try:
                cmdline = (proc_dir / "cmdline").read_bytes()
            except OSError:
                continue
            if any(m in cmdline for m in marks):
                try:
                    os.kill(int(proc_dir.name), signal.SIGKILL)
                    n += 1
                except OSError:
                    pass
    for d in dead:
        shutil.rmtree(d, ignore_errors=True)
        n += 1
    return n


# --------------------------------------------------------------------------- one LibreOffice for a batch

#: A batch conversion (one LibreOffice process, many files) may take BATCH_TIMEOUT_BASE plus
#: BATCH_TIMEOUT_PER_FILE seconds per file in all, and counts as hung as soon as no new result
#: has appeared for BATCH_STALL_TIMEOUT seconds (None: CONVERT_TIMEOUT, one file's own limit, so
#: one hanging file holds a batch up no longer than it holds up its own conversion). Either way
#: its process group is killed as a single conversion's is.
BATCH_TIMEOUT_BASE = 120
BATCH_TIMEOUT_PER_FILE = 60
BATCH_STALL_TIMEOUT: Optional[float] = None
#: after a hang or crash, LibreOffice runs the rest of the batch again — without the file it
#: stopped at — at most this often; what is then still left is converted file by file.
BATCH_RESTARTS = 2
#: longest command line of one run (Windows allows 32 767 characters); longer lists are split
MAX_COMMAND_CHARS = 30_000 if sys.platform == "win32" else 120_000

_KEY = re.compile(r"[0-9a-f]{64}\.[a-z0-9]{1,5}")


def convert_key(path: Path, sha256: str) -> str:
    """What identifies a conversion: the file's content hash and the suffix LibreOffice sees."""
    return f"{sha256}{_src_suffix(Path(path))}"


def wants_libreoffice(path: Path) -> bool:
    """True when ``read`` would hand ``path`` (a .doc/.wps/.rtf by content) to LibreOffice:
    not for .docx or Word 2003 XML under a Word name, nor for encrypted or corrupt files."""
    path = Path(path)
    try:
        kind = _kind(path)
        if kind in ("zip", "wordml"):
            return False
        if kind == "ole":
            _preflight_ole(path)
        return path.stat().st_size > 0
    except (ReadError, OSError):
        return False


def _preconverted(path: Path) -> Optional[Path]:
    """The batch's result for ``path`` (``ReadSettings.preconverted``), if it made one."""
    pre = current_read_settings().preconverted
    if pre is None or not pre.files:
        return None
    from consortium_review.fileio import sha256_file

    try:
        return pre.path(convert_key(path, sha256_file(path)))
    except OSError:
        return None


@dataclass
class BatchReport:
    """What one ``BatchConverter.convert`` did."""

    converted: dict[str, str] = field(default_factory=dict)   # key -> .docx name in the output folder
    failed: dict[str, str] = field(default_factory=dict)      # key -> Chinese reason (converted on their own later)
    runs: int = 0                                             # LibreOffice processes started
    seconds: float = 0.0


#: Removes a batch's folder once its owner is gone (kill -9 included): like the guard, it
#: waits for end-of-file on a pipe whose write end only the owner holds.
_JANITOR = r"""
import os, shutil, sys, time
try:
    while os.read(0, 4096):
        pass
except OSError:
    pass
for _ in range(120):
    shutil.rmtree(sys.argv[1], ignore_errors=True)
    if not os.path.lexists(sys.argv[1]):
        break
    time.sleep(0.5)
"""


class BatchConverter:
    """One LibreOffice process converting the legacy files of a whole batch.

    Everything lives in a private folder ``cr-office-<pid>-batch-…`` (ASCII copies of the
    inputs named by content hash, the results, the LibreOffice profile): inputs are never
    touched and user file names never reach a command line. ``close()`` — or leaving the
    ``with`` block, also on an exception or Ctrl-C — removes it; if this process dies first,
    the janitor removes it, and a later run's ``sweep_orphans`` whatever is left.
    Use ``preconverted`` as ``ReadSettings.preconverted`` for the readers.
    """

    def __init__(self, soffice: str, tmp_root: Optional[Path] = None):
        self.soffice = soffice
        self.folder = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-batch-", dir=tmp_root))
        self.converted: dict[str, str] = {}
        self._profiles = 0
        self._janitor: Optional[subprocess.Popen] = None
        try:
            (self.folder / "in").mkdir()
            (self.folder / "out").mkdir()
            self._janitor = _start_janitor(self.folder)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> "BatchConverter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def outdir(self) -> Path:
        return self.folder / "out"

    @property
    def preconverted(self) -> Preconverted:
        return Preconverted(folder=str(self.outdir), files=dict(self.converted))

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        janitor, self._janitor = self._janitor, None
        if janitor is not None:
            try:
                janitor.stdin.close()          # its cue: the folder is gone already, it just exits
                janitor.wait(timeout=10)
            except (OSError, subprocess.SubprocessError):
                janitor.kill()

    def convert(self, files: list[tuple[str, Path]]) -> BatchReport:
        """Convert ``files`` — (``convert_key``, path) — in as few LibreOffice runs as the
        command-line limit allows. Files without a result are in ``failed`` with the reason."""
        t0 = time.perf_counter()
        report = BatchReport()
        todo: list[tuple[str, Path]] = []
        for key, path in files:
            if key in self.converted or key in report.failed or any(key == k for k, _ in todo):
                continue
            if not _KEY.fullmatch(key):
                raise ValueError(f"not a conversion key: {key!r}")
            src = self.folder / "in" / _src_name(key)
            try:
                shutil.copyfile(path, src)
            except OSError as exc:
                report.failed[key] = f"无法复制文件（{exc.strerror or type(exc).__name__}）"
                continue
            todo.append((key, src))
        restarts = 0
        while todo:
            chunk = _chunk(self.soffice, self.folder, todo)
            todo = todo[len(chunk):]
            report.runs += 1
            done, skipped, stopped_at, problem = self._run(chunk)
            self.converted.update(done)
            report.converted.update(done)
            for k in skipped:                     # LibreOffice could not open it (the reader says why)
                report.failed[k] = "批量转换没有生成结果"
            rest = [(k, src) for k, src in chunk if k not in done and k not in skipped]
            if problem is None or not rest:
                continue
            if stopped_at is None:                # LibreOffice itself does not work: no more runs
                for k, _ in rest + todo:
                    report.failed[k] = problem
                break
            report.failed[stopped_at] = problem
            rest = [(k, src) for k, src in rest if k != stopped_at]
            if restarts < BATCH_RESTARTS:         # the rest in a new run, without the culprit
                restarts += 1
                todo = rest + todo
            else:
                for k, _ in rest:
                    report.failed[k] = problem
        report.seconds = round(time.perf_counter() - t0, 3)
        return report

    def _run(self, chunk: list[tuple[str, Path]]
             ) -> tuple[dict[str, str], list[str], Optional[str], Optional[str]]:
        """One LibreOffice run: (results, files it could not convert, the file it stopped at,
        the problem). The last two are None when it ended normally; a problem without a file
        means that LibreOffice failed before converting anything (when it did not hang)."""
        outdir = self.outdir
        cmd = _convert_cmd(self.soffice, self.folder / f"profile{self._profiles}", outdir, [s for _, s in chunk])
        limit = BATCH_TIMEOUT_BASE + BATCH_TIMEOUT_PER_FILE * len(chunk)
        stall = BATCH_STALL_TIMEOUT or CONVERT_TIMEOUT
        problem: Optional[str] = None
        proc = _start(cmd, cwd=self.folder)
        start = last = time.monotonic()
        seen = 0
        try:
            while True:
                try:
                    proc.wait(timeout=0.2)
                    break
                except subprocess.TimeoutExpired:
                    pass
                now = time.monotonic()
                count = _count(outdir)
                if count != seen:
                    seen, last = count, now
                if now - start > limit:
                    problem = f"LibreOffice 批量转换超时（{len(chunk)} 个文件，超过 {limit:.0f} 秒）"
                    break
                if now - last > stall:
                    problem = f"LibreOffice 转换超时（超过 {stall:.0f} 秒没有进展）"
                    break
        finally:
            _kill_group(proc)           # as for one file: every exit path ends with the group gone
        timed_out = problem is not None
        if problem is None and proc.returncode != 0:
            problem = f"LibreOffice 转换失败（退出码 {proc.returncode}）"
        if problem is not None:
            self._profiles += 1         # a killed LibreOffice may leave its profile locked
        done: dict[str, str] = {}
        missing: list[str] = []
        for key, src in chunk:
            out = outdir / (src.stem + ".docx")
            if _complete_docx(out):
                done[key] = out.name
                continue
            try:
                out.unlink()            # half written when the group was killed
            except OSError:
                pass
            missing.append(key)
        # LibreOffice works through its list in order: what it stopped at is the first file
        # without a result after the last one with a result; files without a result before
        # that one it opened and could not convert
        last_done = max((i for i, (k, _) in enumerate(chunk) if k in done), default=-1)
        after = [k for k, _ in chunk[last_done + 1:]]
        if problem is not None and not timed_out and not after:
            problem = None              # it failed only after its last file: the results stand
        if problem is None:
            return done, missing, None, None
        stopped_at = after[0] if after and (timed_out or done) else None
        return done, [k for k in missing if k not in after], stopped_at, problem


def _src_name(key: str) -> str:
    """The copy LibreOffice converts: ``<sha256>-<ext>.<ext>`` (its result: ``<sha256>-<ext>.docx``)."""
    sha, suffix = key[:64], key[64:]
    return f"{sha}-{suffix[1:]}{suffix}"


def _command_chars(soffice: str, folder: Path, sources: list[Path]) -> int:
    """Length of the command line that converts ``sources`` (with quotes, and the guard's part)."""
    n = sum(len(a) + 3 for a in _convert_cmd(soffice, folder / "profile00", folder / "out", sources))
    return n if sys.platform == "win32" else n + len(_GUARD) + len(sys.executable) + 40


def _chunk(soffice: str, folder: Path, todo: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    """The longest head of ``todo`` (at least one file) whose command line fits ``MAX_COMMAND_CHARS``."""
    n = _command_chars(soffice, folder, [])
    chunk: list[tuple[str, Path]] = []
    for item in todo:
        n += len(str(item[1])) + 3
        if chunk and n > MAX_COMMAND_CHARS:
            break
        chunk.append(item)
    return chunk


def _count(folder: Path) -> int:
    try:
        with os.scandir(folder) as it:
            return sum(1 for _ in it)
    except OSError:
        return 0


def _complete_docx(path: Path) -> bool:
    """A whole .docx (its zip directory, written last, is there), not one cut short by a kill."""
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return False
        with zipfile.ZipFile(path) as z:
            return "word/document.xml" in z.namelist()
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


def _start_janitor(folder: Path) -> Optional[subprocess.Popen]:
    kwargs: dict = {"stdin": subprocess.PIPE, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL,
                    "cwd": str(folder.parent)}
    if sys.platform == "win32":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP | getattr(subprocess, "CREATE_NO_WINDOW", 0)
    else:
        kwargs["start_new_session"] = True      # Ctrl-C in the terminal must not end it first
    try:
        return subprocess.Popen([sys.executable, "-I", "-S", "-c", _JANITOR, str(folder)], **kwargs)
    except OSError:
        return None                 # then only close() and the next run's sweep clean up


# --------------------------------------------------------------------------- pure Python

def _fallback(path: Path, rel: str, kind: str) -> Optional[Reading]:
    if kind == "rtf":
        reading = _read_rtf(path, rel)
    elif kind in ("html", "mht"):
        reading = _read_html(path, rel, mime=kind == "mht")
    elif kind == "ole" and msdoc.has_word_stream(path):
        reading = _read_msdoc(path, rel)
    else:
        return None
    reading.warnings.append(FALLBACK_WARNING)
    return reading


def _read_msdoc(path: Path, rel: str) -> Reading:
    from consortium_review.extractors.readers.docx import is_caption, numbered_heading_level

    try:
        parsed = msdoc.parse(path)
    except msdoc.MsDocEncrypted:
        raise ReadError(_ENCRYPTED) from None
    except msdoc.MsDocError as exc:
        raise ReadError(str(exc)) from None
    out = _Builder(rel)
    for item in parsed.body:
        if isinstance(item, msdoc.DocRow):
            out.row(item.table, item.cells)
        else:
            text = clean_text(item.text)
            if text:
                level = item.level or numbered_heading_level(text)
                out.paragraph(text, level, "caption" if not level and is_caption(text) else "paragraph")
    for text in parsed.textboxes:
        for line in text.split("\n"):
            if clean_text(line):
                out.blocks.append(Block(text=clean_text(line), file=rel, kind="textbox", locator="文本框",
                                        section=out.section))
    out.stories(parsed.headers, "header", "页眉")
    out.stories(parsed.footers, "footer", "页脚")
    for i, text in enumerate(parsed.footnotes, 1):
        out.blocks.append(Block(text=clean_text(text), file=rel, kind="footnote", locator=f"脚注{i}"))
    for i, text in enumerate(parsed.endnotes, 1):
        out.blocks.append(Block(text=clean_text(text), file=rel, kind="footnote", locator=f"尾注{i}"))
    reading = Reading(blocks=out.finish())
    if parsed.deletions:
        reading.warnings.append("文档含有修订标记，已按“接受全部修订”后的内容读取")
    if not out.blocks:
        reading.warnings.append("文档正文为空（没有可读取的文字）")
    return reading


_RTF_CODEPAGE = re.compile(rb"\\ansicpg(\d+)")


def _read_rtf(path: Path, rel: str) -> Reading:
    from striprtf.striprtf import rtf_to_text

    from consortium_review.extractors.readers.docx import is_caption, numbered_heading_level

    if path.stat().st_size > MAX_RTF_BYTES:
        raise ReadError("RTF 文件过大，内置解析无法读取；" + INSTALL_HINT.split("：", 1)[1])
    raw = path.read_bytes()
    m = _RTF_CODEPAGE.search(raw[:4096])
    encoding = f"cp{int(m.group(1))}" if m else "cp1252"
    try:
        "".encode(encoding)
    except LookupError:
        encoding = "cp1252"
    try:
        text = rtf_to_text(raw.decode("latin-1"), encoding=encoding, errors="ignore")
    except Exception as exc:  # striprtf is a regex machine; a bad file must not crash the batch
        raise ReadError(f"RTF 文件无法解析（{type(exc).__name__}）") from None
    out = _Builder(rel)
    rows: list[list[str]] = []
    for line in text.splitlines():
        if line.rstrip().endswith("|") and "|" in line:
            # striprtf writes a table row as "cell|cell|" — one line per row
            rows.append([c.strip() for c in line.rstrip()[:-1].split("|")])
            continue
        if rows:
            out.table(rows)
            rows = []
        t = clean_text(line)
        if t:
            level = numbered_heading_level(t)
            out.paragraph(t, level, "caption" if not level and is_caption(t) else "paragraph")
    if rows:
        out.table(rows)
    return Reading(blocks=out.finish())


# --------------------------------------------------------------------------- HTML saved as .doc

MAX_HTML_BYTES = 64 * 1024 * 1024
_HTML_SKIP = frozenset({"head", "script", "style", "noscript", "template", "title", "xml", "object", "iframe"})
_HTML_BLOCK = frozenset({"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "section", "article",
                         "header", "footer", "center", "address", "form", "fieldset", "body", "html", "caption",
                         "h1", "h2", "h3", "h4", "h5", "h6", "hr", "main", "nav", "aside", "figure", "figcaption"})
_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)


def _decode_html(raw: bytes, declared: Optional[str] = None) -> str:
    candidates = []
    if raw.startswith(b"\xef\xbb\xbf"):
        candidates.append("utf-8-sig")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        candidates.append("utf-16")
    m = _CHARSET.search(raw[:4096])
    for name in (declared, m.group(1).decode("ascii", "ignore") if m else None):
        if name:
            name = name.lower()
            candidates.append("gb18030" if name in ("gb2312", "gbk", "x-gbk", "gb_2312-80") else name)
    candidates += ["utf-8", "gb18030"]
    for enc in candidates:
        try:
            return raw.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("utf-8", errors="replace")


def _mht_html(raw: bytes) -> tuple[bytes, Optional[str]]:
    """The first text/html part of a MIME HTML (.mht, "single file web page") document."""
    import email
    from email import policy

    msg = email.message_from_bytes(raw, policy=policy.compat32)
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            if payload:
                return payload, part.get_content_charset()
    raise ReadError("MHT 文件中没有网页正文，无法读取")


def _read_html(path: Path, rel: str, mime: bool = False) -> Reading:
    """HTML or MHT saved with a Word name (common in export functions of office systems)."""
    from lxml import etree, html as lhtml

    from consortium_review.extractors.readers.docx import is_caption, numbered_heading_level

    if path.stat().st_size > MAX_HTML_BYTES:
        raise ReadError("文件过大，内置解析无法读取；" + INSTALL_HINT.split("：", 1)[1])
    raw = path.read_bytes()
    declared = None
    if mime:
        raw, declared = _mht_html(raw)
    text = _decode_html(raw, declared)
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)      # lxml refuses str input with an encoding declaration
    parser = lhtml.HTMLParser(no_network=True, remove_comments=True, remove_pis=True, huge_tree=False)
    try:
        root = lhtml.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ReadError(f"网页格式的文档无法解析（{type(exc).__name__}）") from None
    out = _Builder(rel)
    tables = [0]
    buf: list[str] = []

    def flush(level: Optional[int] = None) -> None:
        t = clean_text("".join(buf))
        buf.clear()
        for line in (t.split("\n") if level is None else [t.replace("\n", " ")]):
            line = clean_text(line)
            if line:
                lv = level or numbered_heading_level(line)
                out.paragraph(line, lv, "caption" if not lv and is_caption(line) else "paragraph")

    def cell_text(el) -> str:
        parts: list[str] = []

        def rec(e) -> None:
            tag = e.tag.lower() if isinstance(e.tag, str) else ""
            if tag in _HTML_SKIP or tag == "table" or not tag:
                return
            if tag == "br" or (tag in _HTML_BLOCK and parts and not parts[-1].endswith("\n")):
                parts.append("\n")
            parts.append(e.text or "")
            for c in e:
                rec(c)
                parts.append(c.tail or "")
        parts.append(el.text or "")
        for c in el:
            rec(c)
            parts.append(c.tail or "")
        return clean_text("".join(parts))

    def table(el, depth: int) -> None:
        tables[0] += 1
        tid = ("html", tables[0])
        carry: dict[int, int] = {}          # column -> rows still covered by a rowspan above
        rows = [tr for tr in el.iter("tr") if _owner_table(tr) is el]
        for tr in rows:
            cells: list[str] = []
            nested = []
            col = 0
            for td in tr:
                if not isinstance(td.tag, str) or td.tag.lower() not in ("td", "th"):
                    continue
                while carry.get(col, 0) > 0:
                    carry[col] -= 1
                    cells.append("")
                    col += 1
                span = min(max(_int_attr(td, "colspan"), 1), 64)
                down = min(max(_int_attr(td, "rowspan"), 1), 1000)
                cells.append(cell_text(td))
                cells.extend([""] * (span - 1))
                for k in range(span):
                    if down > 1:
                        carry[col + k] = down - 1
                col += span
                nested.extend(t for t in td.iter("table") if _owner_table(t) is not el and
                              _owner_table(t.getparent()) is el)
            while carry.get(col, 0) > 0:
                carry[col] -= 1
                cells.append("")
                col += 1
            out.row(tid, cells)
            if depth < 8:
                for t in nested:
                    table(t, depth + 1)

    def walk(el) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if not tag or tag in _HTML_SKIP:
            return
        if tag == "table":
            flush()
            table(el, 0)
            return
        if tag == "br":
            buf.append("\n")
            return
        block = tag in _HTML_BLOCK
        if block:
            flush()
        buf.append(el.text or "")
        for c in el:
            walk(c)
            buf.append(c.tail or "")
        if block:
            flush(int(tag[1]) if re.fullmatch(r"h[1-6]", tag) else None)

    walk(root)
    flush()
    return Reading(blocks=out.finish())


def _owner_table(el):
    """The nearest <table> ancestor (or self) of ``el``."""
    while el is not None and not (isinstance(el.tag, str) and el.tag.lower() == "table"):
        el = el.getparent()
    return el


def _int_attr(el, name: str) -> int:
    try:
        return int(str(el.get(name) or "1").strip() or 1)
    except ValueError:
        return 1


class _Builder:
    """Blocks with the same conventions as the .docx reader (locators, sections, table headers)."""

    def __init__(self, rel: str):
        self.rel = rel
        self.blocks: list[Block] = []
        self.paragraphs = 0
        self.tables = 0
        self.headings: list[tuple[int, str]] = []
        self._table_ids: dict = {}
        self._row_counts: dict[int, int] = {}

    @property
    def section(self) -> str:
        return self.headings[-1][1] if self.headings else ""

    def paragraph(self, text: str, level: Optional[int], kind: str = "paragraph") -> None:
        self.paragraphs += 1
        loc = f"第{self.paragraphs}段"
        if level:
            while self.headings and self.headings[-1][0] >= level:
                self.headings.pop()
            parent = self.section
            self.headings.append((level, text))
            self.blocks.append(Block(text=text, file=self.rel, kind="heading", level=level, locator=loc,
                                     section=parent))
        else:
            self.blocks.append(Block(text=text, file=self.rel, kind=kind, locator=loc, section=self.section))

    def row(self, table, cells: list[str]) -> None:
        """One row of table number ``table`` (numbers of one file; mapped to this reading's ids)."""
        if table not in self._table_ids:
            self.tables += 1
            self._table_ids[table] = self.tables
        tid = self._table_ids[table]
        self._row_counts[tid] = self._row_counts.get(tid, 0) + 1
        r = self._row_counts[tid]
        cells = [clean_text(c) for c in cells]
        text = " | ".join(c for c in cells if c)
        if text:
            self.blocks.append(Block(text=text, file=self.rel, kind="table_row", table=tid, row=r, cells=cells,
                                     locator=f"表{tid}第{r}行", section=self.section))

    def table(self, rows: list[list[str]]) -> None:
        key = ("t", len(self._table_ids))
        for cells in rows:
            self.row(key, cells)

    def finish(self) -> list[Block]:
        """Set each table's header row on its rows; returns the blocks."""
        from consortium_review.extractors.readers.docx import header_row

        by_table: dict[int, list[Block]] = {}
        for b in self.blocks:
            if b.kind == "table_row":
                by_table.setdefault(b.table, []).append(b)
        for rows in by_table.values():
            header = header_row([b.cells for b in rows])
            for b in rows:
                b.header = list(header)
        return self.blocks

    def stories(self, texts: list[str], kind: str, label: str) -> None:
        seen: list[str] = []
        for text in texts:
            t = clean_text(text)
            if t and re.search(r"[^\W\d_]", t) and t not in seen:
                seen.append(t)
                loc = label if len(seen) == 1 else f"{label}{len(seen)}"
                self.blocks.append(Block(text=t, file=self.rel, kind=kind, locator=loc))
