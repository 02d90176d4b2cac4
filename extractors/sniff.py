"""Detect a file's real format from its content (the extension may lie)."""

from __future__ import annotations

import zipfile
from pathlib import Path

EXT_FORMATS = {
    ".pdf": "pdf", ".docx": "docx", ".docm": "docx", ".doc": "doc", ".wps": "wps", ".rtf": "rtf",
    ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".et": "xls", ".csv": "csv",
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".tif": "image", ".tiff": "image",
    ".bmp": "image", ".gif": "image", ".webp": "image",
    ".zip": "zip", ".txt": "txt", ".md": "txt",
}
IGNORED_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}


def sniff(path: Path) -> str:
    """Return the format name by magic bytes, falling back to the extension."""
    ext = EXT_FORMATS.get(path.suffix.lower(), "unknown")
    try:
        with open(path, "rb") as f:
            head = f.read(2048)
    except OSError:
        return ext
    if not head:
        return ext
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _sniff_zip(path, ext)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _sniff_ole(path, ext)
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8\xff") or head[:4] in (b"II*\x00", b"MM\x00*") \
            or head.startswith(b"BM") or head.startswith(b"GIF8") or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if ext in ("csv", "txt"):
        return ext
    return ext


def _sniff_zip(path: Path, ext: str) -> str:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return ext if ext in ("docx", "xlsx", "zip") else "zip"
    if any(n.startswith("word/") for n in names):
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    if "[Content_Types].xml" in names and ext in ("docx", "xlsx"):
        return ext  # OOXML with renamed main part; the reader follows _rels
    if ext in ("docx", "xlsx") and not names:
        return ext  # empty zip named .docx: let that reader report it
    return "zip"


def _sniff_ole(path: Path, ext: str) -> str:
    """OLE2 container: legacy Word/Excel/WPS, or an encrypted OOXML file."""
    try:
        import olefile

        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(s).lower() for s in ole.listdir()}
    except Exception:
        return ext if ext in ("doc", "wps", "xls") else "doc"
    if "encryptedpackage" in streams:
        return "encrypted-ooxml"
    if "worddocument" in streams:
        return "wps" if ext == "wps" else "doc"
    if "workbook" in streams or "book" in streams:
        return "xls"
    return ext if ext != "unknown" else "doc"
