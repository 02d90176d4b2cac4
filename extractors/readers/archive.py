"""Zip archives (压缩包): every member becomes its own ``Document``.

Members are copied one at a time into a private temporary folder under a neutral numbered
name (the member's own path is only used for display), so nothing can be written outside
that folder whatever the member is called. Limits on member count, total uncompressed size,
per-member compression ratio and nesting depth keep zip bombs from exhausting disk, memory
or time; one budget is shared by an archive and all archives nested in it.
"""

from __future__ import annotations

import contextvars
import re
import shutil
import stat
import struct
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Optional

from consortium_review.models import Document
from consortium_review.extractors.readers import ReadError

#: most members one archive (including nested ones) may hold
MAX_MEMBERS = 5000
#: most bytes all members of one archive (including nested ones) may unpack to
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
#: a member this big that compresses better than MAX_RATIO : 1 is treated as a zip bomb
RATIO_MIN_BYTES = 16 * 1024 * 1024
MAX_RATIO = 200
#: archives inside archives are opened up to this depth (the outer archive is depth 1)
MAX_DEPTH = 3

#: OS junk that is never a submission file (compared lower-case)
JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
JUNK_DIRS = {"__macosx"}

BOMB_MESSAGE = "疑似压缩炸弹"
_UNICODE_PATH_EXTRA = 0x7075


@dataclass
class _Budget:
    """What is left for the outermost archive and everything nested in it."""

    bytes_left: int
    members_left: int
    archive_bytes: int = 0       # size on disk of the outermost archive
    chars_yielded: int = 0       # text its members gave so far

    @classmethod
    def fresh(cls, archive_bytes: int = 0) -> "_Budget":
        return cls(bytes_left=MAX_TOTAL_BYTES, members_left=MAX_MEMBERS, archive_bytes=archive_bytes)

    def text_limit(self) -> int:
        """Most characters of text the archive may yield: the ratio check applied to its text."""
        return max(RATIO_MIN_BYTES, MAX_RATIO * self.archive_bytes)


_depth: contextvars.ContextVar[int] = contextvars.ContextVar("archive_depth", default=0)
_budget: contextvars.ContextVar[Optional[_Budget]] = contextvars.ContextVar("archive_budget", default=None)


# --------------------------------------------------------------------------- limits
def eocd_entry_count(path: Path) -> Optional[int]:
    """Number of entries a zip's end-of-central-directory record declares (None if not found).

    Read before ``zipfile`` builds one object per entry, so a file claiming millions of
    entries is refused without parsing them.
    """
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            back = min(size, 65536 + 22)
            f.seek(size - back)
            tail = f.read(back)
    except OSError:
        return None
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or pos + 22 > len(tail):
        return None
    total = struct.unpack("<H", tail[pos + 10:pos + 12])[0]
    if total == 0xFFFF:
        z64 = tail.rfind(b"PK\x06\x06", 0, pos)
        if z64 >= 0 and z64 + 40 <= len(tail):
            total = struct.unpack("<Q", tail[z64 + 32:z64 + 40])[0]
    return total


def check_zip_limits(zf: zipfile.ZipFile, max_members: Optional[int] = None,
                     max_total: Optional[int] = None) -> None:
    """Raise ``ReadError`` when a zip container (zip, xlsx, docx ...) looks like a bomb.

    Declared sizes are trustworthy upper bounds: ``zipfile`` never yields more than a
    member's declared ``file_size`` bytes.
    """
    max_members = MAX_MEMBERS if max_members is None else max_members
    max_total = MAX_TOTAL_BYTES if max_total is None else max_total
    infos = zf.infolist()
    if len(infos) > max_members:
        raise ReadError(f"压缩包内文件过多（{len(infos)} 个，上限 {max_members} 个），{BOMB_MESSAGE}，未展开")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size >= RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise ReadError(f"{BOMB_MESSAGE}（成员压缩比 {ratio:.0f}:1），未展开")
    if total > max_total:
        raise ReadError(f"{BOMB_MESSAGE}（解压后共 {total / 1048576:.0f} MB，上限 "
                        f"{max_total // 1048576} MB），未展开")


def check_archive_ratio(zf: zipfile.ZipFile, on_disk: int) -> None:
    """The per-member ratio check applied to the archive as a whole.

    Many members just under ``RATIO_MIN_BYTES`` (64 × 15 MB of repeated text in 1 MB) pass
    every per-member check; together they are as much a bomb as one big member.
    """
    total = sum(i.file_size for i in zf.infolist())
    packed = max(on_disk, sum(i.compress_size for i in zf.infolist()), 1)
    if total >= RATIO_MIN_BYTES and total > MAX_RATIO * packed:
        raise ReadError(f"{BOMB_MESSAGE}（压缩包共解压为 {total / 1048576:.0f} MB，是压缩后大小的 "
                        f"{total / packed:.0f} 倍，上限 {MAX_RATIO} 倍），未展开")


def open_zip_checked(path: Path, max_members: Optional[int] = None,
                     max_total: Optional[int] = None, what: str = "压缩包") -> zipfile.ZipFile:
    """Open a zip container after the cheap entry-count check; raise ``ReadError`` if unusable.

    ``what`` names the file in the corrupt-file message (「Excel 文件」 for an .xlsx ...).
    """
    max_members = MAX_MEMBERS if max_members is None else max_members
    count = eocd_entry_count(path)
    if count is not None and count > max_members:
        raise ReadError(f"压缩包内文件过多（{count} 个，上限 {max_members} 个），{BOMB_MESSAGE}，未展开")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error,
            NotImplementedError, UnicodeDecodeError, OverflowError):
        raise ReadError(f"{what}已损坏或不完整，无法打开") from None
    try:
        check_zip_limits(zf, max_members, max_total)
    except ReadError:
        zf.close()
        raise
    return zf


# --------------------------------------------------------------------------- names
def _unicode_path_extra(extra: bytes) -> Optional[str]:
    """The Info-ZIP Unicode Path extra field (0x7075), if present and valid."""
    i = 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack("<HH", extra[i:i + 4])
        body = extra[i + 4:i + 4 + size]
        if tag == _UNICODE_PATH_EXTRA and len(body) > 5 and body[0] == 1:
            try:
                return body[5:].decode("utf-8")
            except UnicodeDecodeError:
                return None
        i += 4 + size
    return None


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's real name: UTF-8 flag, Info-ZIP Unicode extra, else UTF-8 / GBK guesses.

    Zips made by Windows tools in China store names in GBK without the UTF-8 flag;
    ``zipfile`` then decodes them as cp437 (mojibake), which is undone byte for byte here.
    """
    if info.flag_bits & 0x800:
        return info.filename
    uni = _unicode_path_extra(info.extra or b"")
    if uni:
        return uni
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return info.filename


def safe_member_path(name: str) -> Optional[str]:
    """The member's path normalised for display, or None when it is unsafe.

    Unsafe: absolute paths, drive letters, UNC paths, ``..`` components, NUL characters.
    """
    if "\x00" in name:
        return None
    norm = name.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        return None
    parts = [p for p in norm.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        return None
    return "/".join(parts)


def is_junk(path: str) -> bool:
    """OS junk and hidden files, mirroring what ``read.iter_files`` skips in folders."""
    parts = path.split("/")
    if any(p.lower() in JUNK_DIRS for p in parts):
        return True
    if parts[-1].lower() in JUNK_NAMES:
        return True
    return any(p.startswith(".") or p.startswith("~$") for p in parts)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def _temp_name(index: int, display: str) -> str:
    """A neutral file name that keeps the member's extension (formats fall back on it)."""
    suffix = PurePosixPath(display).suffix
    if not re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix or ""):
        suffix = ""
    return f"m{index:05d}{suffix.lower()}"


# --------------------------------------------------------------------------- reading
def _error_doc(file: str, message: str, fmt: str = "unknown") -> Document:
    return Document(file=file, format=fmt, status="error", error=message)


def _copy_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: _Budget) -> None:
    """Copy one member to ``target`` without ever writing more than it declared or the budget allows."""
    limit = min(info.file_size, budget.bytes_left)
    written = 0
    with zf.open(info) as src, open(target, "wb") as dst:
        while True:
            chunk = src.read(1 << 20)
            if not chunk:
                break
            written += len(chunk)
            if written > limit:
                raise ReadError(f"{BOMB_MESSAGE}（解压数据超过上限），未展开")
            dst.write(chunk)
    budget.bytes_left -= written


def read_archive(path: Path, rel: str, doc: Document, read_file: Callable[[Path, str], list[Document]],
                 max_file_bytes: int) -> list[Document]:
    """Read a zip: the archive's own ``Document`` first, then one per member.

    Called by ``consortium_review.extractors.read.read_file`` (which turns a raised ``ReadError`` into an
    error on ``doc``), passing itself as ``read_file`` for the members and its size cap: the read
    stage sits above the readers, never the other way round. Never writes outside a private
    temporary folder.
    """
    t0 = time.perf_counter()
    depth = _depth.get() + 1
    if depth > MAX_DEPTH:
        raise ReadError(f"压缩包嵌套超过 {MAX_DEPTH} 层，未展开")
    outer = _budget.get() is None
    on_disk = path.stat().st_size
    budget = _budget.get() or _Budget.fresh(on_disk)
    doc.format = "zip"
    doc.pages = None

    # nested archives draw on what the outer ones left
    zf = open_zip_checked(path, max(budget.members_left, 0), max(budget.bytes_left, 0))
    try:
        check_archive_ratio(zf, on_disk)
    except ReadError:
        zf.close()
        raise
    depth_token = _depth.set(depth)
    budget_token = _budget.set(budget) if outer else None
    members: list[Document] = []
    try:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        budget.members_left -= len(infos)
        if budget.members_left < 0:
            raise ReadError(f"压缩包（含内层压缩包）内文件过多，超过 {MAX_MEMBERS} 个，{BOMB_MESSAGE}，未展开")
        named = sorted(((member_name(i), i) for i in infos), key=lambda t: t[0])
        skipped_junk = 0
        encrypted = 0
        import os

        with tempfile.TemporaryDirectory(prefix=f"cr-zip-{os.getpid()}-", ignore_cleanup_errors=True) as tmp:
            tmp_dir = Path(tmp)
            for index, (name, info) in enumerate(named, 1):
                shown = safe_member_path(name)
                if shown is None:
                    cleaned = "/".join(p for p in name.replace("\\", "/").split("/") if p not in ("", ".", ".."))
                    members.append(_error_doc(f"{rel}/{cleaned or '（无名文件）'}",
                                              "压缩包内文件路径不安全（绝对路径或含“..”），已跳过"))
                    continue
                if is_junk(shown):
                    skipped_junk += 1
                    continue
                member_rel = f"{rel}/{shown}"
                if _is_symlink(info):
                    members.append(_error_doc(member_rel, "压缩包内的符号链接，已跳过"))
                    continue
                if info.flag_bits & 0x1:
                    encrypted += 1
                    members.append(_error_doc(member_rel, "压缩包已加密（需要密码），该文件无法读取"))
                    continue
                if info.file_size == 0:
                    members.append(_error_doc(member_rel, "文件为空（0 字节）"))
                    continue
                if info.file_size > max_file_bytes:
                    members.append(_error_doc(member_rel, f"文件过大（{info.file_size / 1048576:.0f} MB，上限 "
                                                          f"{max_file_bytes // 1048576} MB），未读取"))
                    continue
                target = tmp_dir / _temp_name(index, shown)
                try:
                    _copy_member(zf, info, target, budget)
                except ReadError as exc:
                    members.append(_error_doc(member_rel, str(exc)))
                    _unlink_quietly(target)
                    continue
                except NotImplementedError:
                    members.append(_error_doc(member_rel, "压缩方式不受支持，该文件无法解压"))
                    _unlink_quietly(target)
                    continue
                except Exception as exc:  # noqa: BLE001 — CRC errors, truncation, zlib errors ...
                    if isinstance(exc, RuntimeError) and "password" in str(exc).lower():
                        encrypted += 1
                        members.append(_error_doc(member_rel, "压缩包已加密（需要密码），该文件无法读取"))
                    else:
                        members.append(_error_doc(member_rel, "压缩包内该文件已损坏，无法解压"))
                    _unlink_quietly(target)
                    continue
                try:
                    got = read_file(target, member_rel)
                finally:
                    _unlink_quietly(target)
                # the ratio check extended to the text the members yield
                budget.chars_yielded += sum(len(b.text) for d in got for b in d.blocks)
                if budget.chars_yielded > budget.text_limit():
                    raise ReadError(f"{BOMB_MESSAGE}（压缩包内文件提取出的文字超过 "
                                    f"{budget.text_limit() / 10000:.0f} 万字，即压缩包大小的 {MAX_RATIO} 倍），"
                                    "未展开")
                members.extend(got)
        if skipped_junk:
            doc.warnings.append(f"跳过了 {skipped_junk} 个系统文件（如 __MACOSX、.DS_Store、Thumbs.db）")
        if encrypted:
            doc.warnings.append(f"{encrypted} 个文件已加密（需要密码），无法读取")
    finally:
        zf.close()
        _depth.reset(depth_token)
        if budget_token is not None:
            _budget.reset(budget_token)
    doc.status = "ok"
    doc.error = None
    doc.seconds = round(time.perf_counter() - t0, 3)
    return [doc, *members]


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        shutil.rmtree(path, ignore_errors=True)
