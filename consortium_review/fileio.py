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


# --------------------------------------------------------------------------- own outputs
# Files this tool writes carry a marker, and output folders hold a marker file, so that a
# run never reads its own earlier results as submitted material (an output folder inside the
# materials folder, an opinion copied back among the materials, ``review .`` run twice).

#: Marker file written into every output folder; folders holding it are never read as input.
OUTPUT_DIR_MARKER = ".consortium-review-output"
#: Value of the marker (docx/xlsx custom property ``GeneratedBy``, PNG text chunk keyword).
GENERATOR = "consortium-review"
_CUSTOM_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
_CUSTOM_XML = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
               'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
               '{props}</Properties>')
_CUSTOM_PROP = ('<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{pid}" name="GeneratedBy">'
                f'<vt:lpwstr>{GENERATOR}</vt:lpwstr></property>')
_PNG_SIG = b"\x89PNG\r\n\x1a\n"
_PNG_KEY = GENERATOR.encode("latin-1")


def mark_output_dir(folder: Path) -> None:
    """Create ``folder`` and its marker file (idempotent)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / OUTPUT_DIR_MARKER
    if not marker.exists():
        try:
            marker.write_text("consortium-review 输出文件夹：评审时不会作为材料读取。\n", encoding="utf-8")
        except OSError:
            pass


def _mark_ooxml(path: Path) -> None:
    import re
    import zipfile

    with zipfile.ZipFile(path) as zin:
        members = [(info, zin.read(info.filename)) for info in zin.infolist()]
    custom = next((d.decode("utf-8") for i, d in members if i.filename == "docProps/custom.xml"), None)
    if custom is not None and GENERATOR in custom:
        return
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            for info, data in members:
                if info.filename == "docProps/custom.xml":
                    pids = [int(p) for p in re.findall(r'pid="(\d+)"', custom)] or [1]
                    data = custom.replace("</Properties>", _CUSTOM_PROP.format(pid=max(pids) + 1)
                                          + "</Properties>").encode("utf-8")
                elif custom is None and info.filename == "[Content_Types].xml":
                    data = data.decode("utf-8").replace(
                        "</Types>", f'<Override PartName="/docProps/custom.xml" ContentType="{_CUSTOM_CT}"/></Types>'
                    ).encode("utf-8")
                elif custom is None and info.filename == "_rels/.rels":
                    data = data.decode("utf-8").replace(
                        "</Relationships>", f'<Relationship Id="rIdConsortiumReview" Type="{_CUSTOM_REL}" '
                                            'Target="docProps/custom.xml"/></Relationships>').encode("utf-8")
                zout.writestr(info, data)
            if custom is None:
                zout.writestr("docProps/custom.xml", _CUSTOM_XML.format(props=_CUSTOM_PROP.format(pid=2)))


def _mark_png(path: Path) -> None:
    import struct
    import zlib

    data = Path(path).read_bytes()
    if not data.startswith(_PNG_SIG) or _PNG_KEY + b"\0" in data[:4096]:
        return
    ihdr_end = 8 + 8 + struct.unpack(">I", data[8:12])[0] + 4
    body = b"tEXt" + _PNG_KEY + b"\0output"
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data[:ihdr_end] + chunk + data[ihdr_end:])


def mark_generated(path: Path) -> None:
    """Stamp a written .docx/.xlsx/.png as this tool's output (best effort, atomic)."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".docx", ".xlsx"):
            _mark_ooxml(path)
        elif suffix == ".png":
            _mark_png(path)
    except (OSError, ValueError, KeyError) as exc:       # never lose an output over its marker
        import logging

        logging.getLogger("consortium_review").debug("marker not added to %s: %s", path, exc)


def is_generated(path: Path) -> bool:
    """True for a file this tool wrote (marker inside); cheap: reads a few kilobytes at most."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".docx", ".xlsx"):
            import zipfile

            with zipfile.ZipFile(path) as z:
                try:
                    info = z.getinfo("docProps/custom.xml")
                except KeyError:
                    return False
                if info.file_size > 1 << 20:
                    return False
                return f"<vt:lpwstr>{GENERATOR}</vt:lpwstr>".encode() in z.read(info)
        if suffix == ".png":
            with open(path, "rb") as f:
                head = f.read(4096)
            return head.startswith(_PNG_SIG) and b"tEXt" + _PNG_KEY + b"\0" in head
        if suffix == ".json":
            with open(path, "rb") as f:
                head = f.read(512)
            return b'"schema": "consortium-review/' in head
    except Exception:
        return False
    return False


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
