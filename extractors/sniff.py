"""Detect a file's real format from its content (the extension may lie).

Submissions arrive renamed, re-exported and mislabelled: a PDF called .docx, an .xlsx called
.xls, a WPS/Excel "web page" or a tab-separated export saved as .doc/.xls, a text file called
.pdf. ``sniff`` looks at magic bytes and container structure first and uses the extension
only to break ties. Formats without a reader ("pptx", "html", "rar" ...) are still named so
that the user is told what the file really is.
"""

from __future__ import annotations

import codecs
import re
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

#: one-line Chinese explanations for formats that are recognised but have no reader
UNSUPPORTED_HINTS = {
    "pptx": "演示文稿（PPT）暂不支持读取，请另存为 PDF 后提交",
    "ppt": "演示文稿（PPT）暂不支持读取，请另存为 PDF 后提交",
    "xlsb": "二进制工作簿（.xlsb）暂不支持读取，请另存为 .xlsx 后提交",
    "odt": "OpenDocument 文档暂不支持读取，请另存为 .docx 后提交",
    "ods": "OpenDocument 表格暂不支持读取，请另存为 .xlsx 后提交",
    "odp": "OpenDocument 演示文稿暂不支持读取，请另存为 PDF 后提交",
    "ofd": "OFD 版式文件暂不支持读取，请另存为 PDF 后提交",
    "epub": "电子书（EPUB）暂不支持读取，请另存为 PDF 后提交",
    "rar": "RAR 压缩包暂不支持，请解压后提交或改用 zip 格式",
    "7z": "7z 压缩包暂不支持，请解压后提交或改用 zip 格式",
    "gzip": "gzip 压缩文件暂不支持，请解压后提交或改用 zip 格式",
    "xml-spreadsheet": "该文件实为 Excel 2003 XML 格式，暂不支持读取，请另存为 .xlsx 后提交",
    "xml-word": "该文件实为 Word 2003 XML 格式，暂不支持读取，请另存为 .docx 后提交",
    "html": "该文件实为网页（HTML）格式，请另存为 .docx/.xlsx 后提交",
}

#: bytes read from the start of a file for detection
HEAD_BYTES = 8192
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML = re.compile(rb"<\s*(html|!doctype\s+html|head|body|table|meta)[\s>]", re.IGNORECASE)
_SPREADSHEET_FORMATS = ("xls", "xlsx")
_ODF_MIMETYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "application/epub+zip": "epub",
}


def sniff(path: Path) -> str:
    """Return the format name by content, falling back to the extension."""
    ext = EXT_FORMATS.get(path.suffix.lower(), "unknown")
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError:
        return ext
    if not head:
        return ext
    # containers first: a zip may store a PDF uncompressed right after its first header
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return _sniff_zip(path, ext)
    if head.startswith(_OLE_MAGIC):
        return _sniff_ole(path, ext)
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if _is_image(head):
        return "image"
    if head.startswith(b"Rar!\x1a\x07"):
        return "rar"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    text = _as_text(head)
    if text is not None:
        return _sniff_text(text, ext)
    if ext in ("zip", "docx", "xlsx") and zipfile.is_zipfile(path):
        return _sniff_zip(path, ext)   # data before the zip (self-extractor stub, junk prefix)
    return ext


def _is_image(head: bytes) -> bool:
    return (head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"GIF8"))
            or (head.startswith(b"BM") and len(head) > 14 and head[6:10] == b"\x00\x00\x00\x00")
            or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"))


def _as_text(head: bytes) -> str | None:
    """The head decoded when it reads as text (UTF-8/GB18030/UTF-16 with BOM), else None."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return codecs.getincrementaldecoder("utf-16")().decode(head, final=False)
        except UnicodeDecodeError:
            return None
    if b"\x00" in head:
        return None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = codecs.getincrementaldecoder(enc)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
        if controls <= max(2, len(text) // 100):
            return text
    return None


def _sniff_text(text: str, ext: str) -> str:
    """A text file: HTML (web-page exports), a delimited table or plain text."""
    probe = text[:4096].encode("utf-8", "ignore")
    if _HTML.search(probe):
        return "html"
    stripped = text.lstrip()
    if stripped.startswith("<?xml"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in text:
            return "xml-spreadsheet"     # Excel 2003 XML saved as .xls
        if "schemas.microsoft.com/office/word/2003/wordml" in text or 'progid="Word.Document"' in text:
            return "xml-word"            # Word 2003 XML saved as .doc
    if ext in ("csv", "txt"):
        return ext
    if ext in _SPREADSHEET_FORMATS:
        return "csv"                     # "export to Excel" that wrote comma/tab separated text
    if ext in ("pdf", "docx", "doc", "wps", "image", "zip", "rtf"):
        return "txt"                     # text under a document's name: read it as text
    return ext


def _sniff_zip(path: Path, ext: str) -> str:
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            name_set = set(names)
            mimetype = ""
            if "mimetype" in name_set:
                info = z.getinfo("mimetype")
                if info.file_size < 200:
                    mimetype = z.read(info).decode("ascii", "ignore").strip()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        return ext if ext in ("docx", "xlsx", "zip") else "zip"
    if any(n.startswith("word/") for n in names):
        return "docx"
    if "xl/workbook.bin" in name_set:
        return "xlsb"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    if any(n.startswith("ppt/") for n in names):
        return "pptx"
    if mimetype in _ODF_MIMETYPES:
        return _ODF_MIMETYPES[mimetype]
    if "OFD.xml" in name_set:
        return "ofd"
    if "[Content_Types].xml" in name_set and ext in ("docx", "xlsx"):
        return ext  # OOXML with renamed main part; the reader follows _rels
    if ext in ("docx", "xlsx") and not names:
        return ext  # empty zip named .docx: let that reader report it
    return "zip"


def _sniff_ole(path: Path, ext: str) -> str:
    """OLE2 container: legacy Word/Excel/WPS/PowerPoint, or an encrypted OOXML file."""
    try:
        import olefile

        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(s).lower() for s in ole.listdir()}
    except Exception:  # noqa: BLE001 — truncated/corrupt containers: the reader reports them
        return ext
    if "encryptedpackage" in streams:
        return "encrypted-ooxml"
    if "worddocument" in streams:
        return "wps" if ext == "wps" else "doc"
    if "workbook" in streams or "book" in streams:
        return "xls"
    if "powerpoint document" in streams:
        return "ppt"
    return ext
