"""Small file helpers: atomic writes, hashing. Outputs are never half-written."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temp path in the target's folder; on success it replaces ``target``.

    Writers (python-docx, openpyxl, matplotlib) write to the yielded path; an interrupted
    run leaves at most a ``.tmp`` file, never a truncated output.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # the owner's pid is in the name: start-up clean-up removes only temp files of dead runs
    fd, tmp = tempfile.mkstemp(prefix=f".~{target.stem[:20]}-p{os.getpid()}-", suffix=target.suffix[:12] + ".tmp",
                               dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates 0600 files; outputs get the usual permissions (umask applies)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            try:
                tmp_path.unlink()
            except OSError:
                pass


def write_text_atomic(target: Path, text: str) -> None:
    with atomic_path(target) as tmp:
        # a stray surrogate (an undecodable file name that escaped ``display_name``) is
        # written escaped instead of failing the whole output
        tmp.write_text(text, encoding="utf-8", errors="backslashreplace")


def write_json_atomic(target: Path, data: Any) -> None:
    write_text_atomic(target, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


# --------------------------------------------------------------------------- names

#: Longest file name (one path component) most file systems allow, in bytes (ext4, APFS) —
#: NTFS counts 255 UTF-16 units, which a name of at most 255 UTF-8 bytes never exceeds.
NAME_MAX_BYTES = 255
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def display_name(name: str) -> str:
    """A name from the file system as valid Unicode (for hashing, JSON, logs and outputs).

    On Linux a name that is not valid UTF-8 (GBK-era tools, USB copies) comes back from
    ``os.listdir`` with surrogate escapes; such a name is decoded as GB18030 when that works
    (it usually does: the bytes were GBK) and otherwise shows the bad bytes as ``\\xNN``.
    Each ``/``-separated component is decoded on its own.
    """
    if not isinstance(name, str):
        name = os.fspath(name) if isinstance(name, os.PathLike) else str(name)
        if isinstance(name, bytes):
            name = os.fsdecode(name)
    if not _SURROGATE.search(name):
        return name
    out = []
    for part in name.split("/"):
        if not _SURROGATE.search(part):
            out.append(part)
            continue
        try:
            raw = part.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:          # a lone surrogate that is not an escaped byte
            out.append(part.encode("utf-8", "backslashreplace").decode("ascii"))
            continue
        try:
            out.append(raw.decode("gb18030"))
        except UnicodeDecodeError:
            out.append(raw.decode("utf-8", "backslashreplace"))
    return "/".join(out)


def fit_name(stem: str, suffix: str = "", max_bytes: int = NAME_MAX_BYTES) -> str:
    """``stem + suffix`` cut (at a character boundary) so that it fits ``max_bytes`` UTF-8 bytes.

    A cut stem gets a short hash of the full stem, so two long names that share their
    beginning still give two different file names.
    """
    stem, suffix = display_name(stem), display_name(suffix)
    if len((stem + suffix).encode("utf-8")) <= max_bytes:
        return stem + suffix
    tag = "~" + hashlib.sha256(stem.encode("utf-8")).hexdigest()[:8]
    room = max_bytes - len((tag + suffix).encode("utf-8"))
    if room < 1:
        return (tag + suffix).encode("utf-8")[:max_bytes].decode("utf-8", "ignore")
    cut = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(". ")
    return cut + tag + suffix


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (a zombie counts as gone)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)   # QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        ctypes.windll.kernel32.CloseHandle(handle)
        return code.value == 259          # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except OSError:
        return True


_TEMP_PID = re.compile(r"-p(\d+)-")


def temp_owner(name: str) -> Optional[int]:
    """The pid written into a temp name by ``atomic_path`` (None for old-style names)."""
    m = _TEMP_PID.search(name)
    return int(m.group(1)) if m else None


# --------------------------------------------------------------------------- output-folder lock

LOCK_NAME = ".review.lock"


class FolderBusy(RuntimeError):
    """Another run holds the output folder (``str``: Chinese message for the user)."""


class FolderLock:
    """An exclusive lock on an output folder, held while one run writes there.

    The operating system drops the lock when the holder dies (even by ``kill -9``), so a
    crashed run never blocks the next one. ``wait`` seconds: how long a second run waits
    before it gives up with ``FolderBusy``.
    """

    def __init__(self, folder: Path, wait: float = 0.0):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.wait = wait
        self._f = None

    def _try(self, f) -> bool:
        try:
            if sys.platform == "win32":
                import msvcrt

                f.seek(0)
                msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False

    def acquire(self) -> "FolderLock":
        import time as _time

        self.folder.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+b")
        deadline = _time.monotonic() + max(0.0, self.wait)
        while not self._try(f):
            if _time.monotonic() >= deadline:
                holder = self.holder()
                f.close()
                who = f"（进程 {holder}）" if holder else ""
                raise FolderBusy(f"输出文件夹 {self.folder} 正被另一次评审使用{who}；"
                                 "请等它结束后再运行，或用 -o 换一个输出文件夹")
            _time.sleep(0.2)
        if sys.platform != "win32":
            f.seek(0)
            f.truncate()
            f.write(f"{os.getpid()}\n".encode())
            f.flush()
        self._f = f
        return self

    def holder(self) -> Optional[int]:
        try:
            return int(self.path.read_text(encoding="ascii", errors="ignore").split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def release(self) -> None:
        if self._f is not None:
            try:
                if sys.platform == "win32":
                    import msvcrt

                    self._f.seek(0)
                    msvcrt.locking(self._f.fileno(), msvcrt.LK_UNLCK, 1)
            except OSError:
                pass
            self._f.close()
            self._f = None

    def __enter__(self) -> "FolderLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
