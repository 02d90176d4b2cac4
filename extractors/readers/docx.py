"""Word .docx reader: walks the WordprocessingML XML itself (lxml), in one pass.

All raw-XML knowledge of Word files lives here (like python-docx's ``oxml`` layer); the rest
of the program only sees ``Block`` s. What it reads:

- the body in document order: paragraphs (headings from styles, outline levels, auto-numbering
  labels and typed Chinese numbering such as 「一、」「（一）」「1.」「(1)」), captions, tables
  (one ``table_row`` block per row; merged cells appear once; nested tables become tables of
  their own, placed after the row that holds them);
- text boxes and shapes (``w:txbxContent``, one branch of ``mc:AlternateContent`` only) as
  ``textbox`` blocks right after the paragraph or row they are anchored in;
- content controls (``w:sdt``) as normal content; tracked changes accepted (insertions kept,
  deletions and moved-away text dropped); fields show their displayed result only;
- headers/footers (deduplicated) and footnotes/endnotes as blocks of their own.

Hostile files are handled: the main part is found through ``_rels/.rels``; Strict OOXML
namespaces are understood; XML is parsed without DTDs, entity expansion or network access;
parts that would decompress to absurd sizes are refused as zip bombs; the main part is streamed
with ``iterparse`` so memory stays bounded by the largest top-level paragraph or table.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from zlib import error as zlib_error
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

from lxml import etree

from consortium_review.models import Block
from consortium_review.extractors.readers import ReadError, Reading
from consortium_review.extractors.textclean import clean_text

# --------------------------------------------------------------------------- limits

#: Total uncompressed bytes of the parts we read. More than this is refused.
MAX_TOTAL_UNCOMPRESSED = 200 * 1024 * 1024
#: A part bigger than ``BOMB_MIN_SIZE`` that expands more than ``BOMB_RATIO`` : 1 is a zip bomb.
BOMB_RATIO = 200
BOMB_MIN_SIZE = 10 * 1024 * 1024
#: Side parts (styles, headers, footnotes ...) are parsed as a whole tree; cap their size.
MAX_SIDE_PART = 50 * 1024 * 1024
#: More zip entries than this is not a Word document.
MAX_ZIP_ENTRIES = 20000
#: Nesting depth (tables in tables, text boxes in text boxes) we follow structurally.
MAX_NESTING = 12
#: Numbered lines longer than this are body text, not headings.
MAX_HEADING_CHARS = 40

# --------------------------------------------------------------------------- namespaces

_NS_PREFIX = {
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main": "w",
    "http://purl.oclc.org/ooxml/wordprocessingml/main": "w",  # Strict OOXML
    "http://schemas.microsoft.com/office/word/2003/wordml": "w",  # Word 2003 XML (often saved as .doc)
    "http://schemas.microsoft.com/office/word/2003/auxHint": "wx",
    "http://schemas.openxmlformats.org/markup-compatibility/2006": "mc",
    "http://schemas.openxmlformats.org/officeDocument/2006/math": "m",
    "http://purl.oclc.org/ooxml/officeDocument/math": "m",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships": "r",
    "http://purl.oclc.org/ooxml/officeDocument/relationships": "r",
    "http://schemas.openxmlformats.org/package/2006/relationships": "pr",
    "http://schemas.openxmlformats.org/package/2006/content-types": "ct",
    "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties": "ep",
    "http://purl.oclc.org/ooxml/officeDocument/extendedProperties": "ep",
}
_W_NS = ("http://schemas.openxmlformats.org/wordprocessingml/2006/main",
         "http://purl.oclc.org/ooxml/wordprocessingml/main")
_W2003_NS = "http://schemas.microsoft.com/office/word/2003/wordml"
_W_ATTR_KEYS = tuple(f"{{{ns}}}" for ns in _W_NS + (_W2003_NS,))
_R_NS = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
         "http://purl.oclc.org/ooxml/officeDocument/relationships")
_NAMES: dict[str, str] = {}


def _name(tag) -> str:
    """``{ns}local`` -> ``prefix:local`` with Strict and Transitional namespaces unified."""
    if not isinstance(tag, str):
        return ""  # comment, processing instruction, unexpanded entity
    got = _NAMES.get(tag)
    if got is None:
        if tag.startswith("{"):
            ns, _, local = tag[1:].partition("}")
            got = f"{_NS_PREFIX.get(ns, '?')}:{local}"
        else:
            got = tag
        if len(_NAMES) < 5000:  # hostile files could invent endless tag names
            _NAMES[tag] = got
    return got


def _wattr(el, local: str) -> Optional[str]:
    for prefix in _W_ATTR_KEYS:
        v = el.get(prefix + local)
        if v is not None:
            return v
    return None


def _child(el, name: str):
    for c in el:
        if _name(c.tag) == name:
            return c
    return None


def _on(el) -> bool:
    """A WordprocessingML on/off property element (``<w:b/>``, ``w:val="false"`` ...)."""
    if el is None:
        return False
    return (_wattr(el, "val") or "true").lower() not in ("0", "false", "off")


def _int(v: Optional[str], default: int = 0) -> int:
    try:
        return int(v) if v is not None else default
    except ValueError:
        try:
            return int(float(v))
        except (TypeError, ValueError):
            return default


# --------------------------------------------------------------------------- package

_REL_OFFICE_DOCUMENT = "/officedocument"
_MAIN_CONTENT_TYPES = ("wordprocessingml.document.main+xml", "wordprocessingml.template.main+xml",
                       "ms-word.document.macroenabled.main+xml", "ms-word.template.macroenabledtemplate.main+xml")
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)


def _safe_parser(huge: bool = False) -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=huge, remove_comments=True, remove_pis=True)


@dataclass
class _Rel:
    type: str       # lower-case last path segment of the relationship type, e.g. "header"
    target: str     # part name inside the zip ('' for external targets)
    rid: str


class _Package:
    """The OPC zip: finds parts through relationships and refuses bombs and DTDs."""

    def __init__(self, path: Path):
        try:
            self.zip = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise ReadError("不是有效的 Word 文档（文件已损坏或不是 docx 格式）") from None
        infos = self.zip.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise ReadError("不是有效的 Word 文档（压缩包内文件数异常）")
        # part names are case-insensitive in OPC; some tools also write backslashes
        self.parts = {i.filename.replace("\\", "/").lstrip("/").lower(): i for i in infos if not i.is_dir()}
        self.read_total = 0

    def close(self) -> None:
        self.zip.close()

    def info(self, name: str) -> Optional[zipfile.ZipInfo]:
        return self.parts.get(name.lstrip("/").lower())

    def _check(self, info: zipfile.ZipInfo) -> None:
        size, packed = info.file_size, max(info.compress_size, 1)
        if size > BOMB_MIN_SIZE and size / packed > BOMB_RATIO:
            raise ReadError(f"文档内部数据异常膨胀（{size / 1048576:.0f} MB，压缩比 {size // packed}:1），疑似压缩炸弹，已拒绝读取")
        self.read_total += size
        if self.read_total > MAX_TOTAL_UNCOMPRESSED:
            raise ReadError(f"文档解压后超过 {MAX_TOTAL_UNCOMPRESSED // 1048576} MB，疑似压缩炸弹，已拒绝读取")
        if info.flag_bits & 0x1:
            raise ReadError("文件已加密（需要密码），无法读取；请提交未加密的版本")

    def open(self, name: str) -> Optional[io.BufferedIOBase]:
        """A stream over one part (size-checked, DTD refused), or None if the part is missing."""
        info = self.info(name)
        if info is None:
            return None
        self._check(info)
        try:
            stream = self.zip.open(info)
            head = stream.read(65536)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, zlib_error) as exc:
            raise ReadError(f"文档已损坏，无法解压（{type(exc).__name__}）") from None
        _refuse_dtd(head)
        return _Prefixed(head, stream)

    def parse(self, name: str) -> Optional[etree._Element]:
        """Parse a (small) side part into a tree; None when missing or unusable."""
        info = self.info(name)
        if info is None or info.file_size > MAX_SIDE_PART:
            return None
        stream = self.open(name)
        if stream is None:
            return None
        try:
            data = stream.read()
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, zlib_error) as exc:
            raise ReadError(f"文档已损坏，无法解压（{type(exc).__name__}）") from None
        return _parse_bytes(data)

    def rels(self, part: str) -> list[_Rel]:
        """Relationships of ``part`` ('' for the package itself), targets resolved."""
        base = posixpath.dirname(part)
        rels_name = posixpath.join(base, "_rels", posixpath.basename(part) + ".rels")
        root = self.parse(rels_name)
        out: list[_Rel] = []
        if root is None:
            return out
        for el in root:
            if _name(el.tag) != "pr:Relationship":
                continue
            rtype = (el.get("Type") or "").rstrip("/").rsplit("/", 1)[-1].lower()
            target = el.get("Target") or ""
            if (el.get("TargetMode") or "").lower() == "external" or not target:
                out.append(_Rel(rtype, "", el.get("Id") or ""))
                continue
            target = target.replace("\\", "/")
            if target.startswith("/"):
                resolved = target.lstrip("/")
            else:
                resolved = posixpath.normpath(posixpath.join(base, target))
            out.append(_Rel(rtype, resolved.lstrip("/"), el.get("Id") or ""))
        return out

    def main_part(self) -> str:
        for r in self.rels(""):
            if "/" + r.type == _REL_OFFICE_DOCUMENT and r.target and self.info(r.target):
                return r.target
        ct = self.parse("[Content_Types].xml")
        if ct is not None:
            for el in ct:
                ctype = (el.get("ContentType") or "").lower()
                if _name(el.tag) == "ct:Override" and ctype.endswith(_MAIN_CONTENT_TYPES):
                    name = (el.get("PartName") or "").lstrip("/")
                    if self.info(name):
                        return name
        if self.info("word/document.xml"):
            return "word/document.xml"
        raise ReadError("不是有效的 Word 文档（找不到正文）")


class _Prefixed(io.RawIOBase):
    """A read-only stream that replays ``head`` and then continues with ``rest``."""

    def __init__(self, head: bytes, rest):
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(b))
        b[:len(data)] = data
        return len(data)

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            data, self._head = self._head + self._rest.read(), b""
            return data
        return super().read(n)

    def close(self) -> None:
        self._rest.close()
        super().close()


def _refuse_dtd(head: bytes) -> None:
    """Word never writes a DTD; one in a part is an XXE / entity-expansion attempt."""
    probe = head
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            probe = head.decode("utf-16", errors="ignore").encode("utf-8")
        except Exception:
            probe = head
    elif b"\x00" in head[:200]:
        probe = head.replace(b"\x00", b"")
    if _DOCTYPE.search(probe):
        raise ReadError("文档内含 DTD/实体声明（可能是恶意构造的文件），已拒绝读取")


_HUGE_HINTS = ("huge", "xmlsax2characters", "excessive depth", "too big", "exceeds")


def _parse_bytes(data: bytes) -> Optional[etree._Element]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for huge in (False, True):
        try:
            return etree.fromstring(data, _safe_parser(huge))
        except etree.XMLSyntaxError as exc:
            # huge_tree lifts libxml2's size limits; only retry for that kind of failure
            # (entities are never expanded and DTDs were refused before parsing)
            if huge or not any(h in str(exc).lower() for h in _HUGE_HINTS):
                return None
    return None


# --------------------------------------------------------------------------- styles & numbering

_HEADING_NAME = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.I)


@dataclass
class _Style:
    name: str = ""
    based_on: Optional[str] = None
    outline: Optional[int] = None       # 0-based outline level from pPr/outlineLvl
    num_id: Optional[str] = None
    ilvl: Optional[int] = None


class _Styles:
    """Paragraph styles: which ones are headings (by name or outline level) and their numbering."""

    def __init__(self, root: Optional[etree._Element]):
        self.styles: dict[str, _Style] = {}
        self.default: Optional[str] = None
        self._level_cache: dict[str, Optional[int]] = {}
        if root is None:
            return
        for el in root:
            if _name(el.tag) != "w:style" or (_wattr(el, "type") or "paragraph") != "paragraph":
                continue
            sid = _wattr(el, "styleId") or ""
            st = _Style()
            for c in el:
                n = _name(c.tag)
                if n == "w:name":
                    st.name = _wattr(c, "val") or ""
                elif n == "w:basedOn":
                    st.based_on = _wattr(c, "val")
                elif n == "w:pPr":
                    ol = _child(c, "w:outlineLvl")
                    if ol is not None:
                        st.outline = _int(_wattr(ol, "val"), 9)
                    np_ = _child(c, "w:numPr")
                    if np_ is not None:
                        nid, il = _child(np_, "w:numId"), _child(np_, "w:ilvl")
                        st.num_id = _wattr(nid, "val") if nid is not None else None
                        st.ilvl = _int(_wattr(il, "val")) if il is not None else None
            self.styles[sid] = st
            if _on_attr(_wattr(el, "default")):
                self.default = sid

    def _chain(self, sid: Optional[str]) -> Iterator[_Style]:
        seen = set()
        while sid and sid in self.styles and sid not in seen and len(seen) < 30:
            seen.add(sid)
            st = self.styles[sid]
            yield st
            sid = st.based_on

    def heading_level(self, sid: Optional[str]) -> Optional[int]:
        """1-based heading level of a paragraph style, or None for body styles."""
        sid = sid or self.default
        if sid is None:
            return None
        if sid in self._level_cache:
            return self._level_cache[sid]
        level = None
        for st in self._chain(sid):
            m = _HEADING_NAME.match(st.name.strip())
            if m:
                level = int(m.group(1))
                break
            if st.outline is not None:
                level = st.outline + 1 if 0 <= st.outline <= 8 else None
                break
        self._level_cache[sid] = level
        return level

    def numbering(self, sid: Optional[str]) -> tuple[Optional[str], Optional[int]]:
        for st in self._chain(sid or self.default):
            if st.num_id is not None:
                return st.num_id, st.ilvl
        return None, None


def _on_attr(v: Optional[str]) -> bool:
    return v is not None and v.lower() in ("1", "true", "on")


_CN_DIGITS = "零一二三四五六七八九"
_CN_LEGAL = "零壹贰叁肆伍陆柒捌玖"
_TIANGAN = "甲乙丙丁戊己庚辛壬癸"
_DIZHI = "子丑寅卯辰巳午未申酉戌亥"


def _chinese_count(n: int, digits: str = _CN_DIGITS, units: str = "十百千") -> str:
    if n <= 0 or n >= 10000:
        return str(n)
    parts, zero = [], False
    for power, unit in ((1000, units[2]), (100, units[1]), (10, units[0]), (1, "")):
        d, n = divmod(n, power)
        if d:
            if zero:
                parts.append(digits[0])
                zero = False
            parts.append(digits[d] + unit)
        elif parts:
            zero = True
    s = "".join(parts)
    if units[0] == "十" and s.startswith("一十"):
        s = s[1:]  # 十一, not 一十一
    return s


def _roman(n: int) -> str:
    if n <= 0 or n >= 4000:
        return str(n)
    out = []
    for v, s in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                 (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= v:
            out.append(s)
            n -= v
    return "".join(out)


def _letters(n: int) -> str:
    if n <= 0:
        return str(n)
    return chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def _format_number(n: int, fmt: str) -> str:
    fmt = (fmt or "decimal")
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting",
               "taiwaneseCountingThousand", "koreanCounting"):
        return _chinese_count(n)
    if fmt in ("chineseLegalSimplified", "ideographLegalTraditional", "japaneseLegal"):
        return _chinese_count(n, _CN_LEGAL, "拾佰仟")
    if fmt in ("ideographDigital", "japaneseDigitalTenThousand", "taiwaneseDigital"):
        return "".join("〇一二三四五六七八九"[int(c)] for c in str(n))
    if fmt == "ideographTraditional":
        return _TIANGAN[(n - 1) % 10] if n > 0 else str(n)
    if fmt == "ideographZodiac":
        return _DIZHI[(n - 1) % 12] if n > 0 else str(n)
    if fmt == "upperRoman":
        return _roman(n)
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt == "upperLetter":
        return _letters(n)
    if fmt == "lowerLetter":
        return _letters(n).lower()
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt == "decimalEnclosedFullstop" and 1 <= n <= 20:
        return chr(0x2488 + n - 1)
    if fmt == "decimalEnclosedParen" and 1 <= n <= 20:
        return chr(0x2474 + n - 1)
    if fmt == "decimalFullWidth":
        return "".join(chr(ord(c) + 0xFEE0) for c in str(n))
    return str(n)


@dataclass
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = ""
    suff: str = "tab"
    legal: bool = False


class _Numbering:
    """Renders automatic list labels (「一、」「（二）」「1.」) the way Word displays them."""

    def __init__(self, root: Optional[etree._Element], styles: _Styles):
        self.abstract: dict[str, dict[int, _Level]] = {}
        self.style_link: dict[str, str] = {}          # abstractNumId -> numStyleLink style id
        self.nums: dict[str, tuple[str, dict[int, int], dict[int, _Level]]] = {}
        self.counters: dict[str, list[Optional[int]]] = {}
        self.styles = styles
        if root is None:
            return
        for el in root:
            n = _name(el.tag)
            if n == "w:abstractNum":
                aid = _wattr(el, "abstractNumId") or ""
                self.abstract[aid] = {}
                for c in el:
                    cn = _name(c.tag)
                    if cn == "w:lvl":
                        self.abstract[aid][_int(_wattr(c, "ilvl"))] = self._level(c)
                    elif cn == "w:numStyleLink":
                        self.style_link[aid] = _wattr(c, "val") or ""
            elif n == "w:num":
                nid = _wattr(el, "numId") or ""
                aid, starts, lvls = "", {}, {}
                for c in el:
                    cn = _name(c.tag)
                    if cn == "w:abstractNumId":
                        aid = _wattr(c, "val") or ""
                    elif cn == "w:lvlOverride":
                        il = _int(_wattr(c, "ilvl"))
                        so = _child(c, "w:startOverride")
                        if so is not None:
                            starts[il] = _int(_wattr(so, "val"), 1)
                        lv = _child(c, "w:lvl")
                        if lv is not None:
                            lvls[il] = self._level(lv)
                self.nums[nid] = (aid, starts, lvls)

    @staticmethod
    def _level(el) -> _Level:
        lv = _Level()
        for c in el:
            n = _name(c.tag)
            if n == "w:start":
                lv.start = _int(_wattr(c, "val"), 1)
            elif n == "w:numFmt":
                lv.fmt = _wattr(c, "val") or "decimal"
            elif n == "w:lvlText":
                lv.text = _wattr(c, "val") or ""
            elif n == "w:suff":
                lv.suff = _wattr(c, "val") or "tab"
            elif n == "w:isLgl":
                lv.legal = _on(c)
        return lv

    def _levels(self, num_id: str, depth: int = 0) -> Optional[tuple[dict[int, _Level], dict[int, int]]]:
        got = self.nums.get(num_id)
        if got is None:
            return None
        aid, starts, overrides = got
        levels = self.abstract.get(aid)
        if levels is not None and not levels and aid in self.style_link and depth < 3:
            linked_num, _ = self.styles.numbering(self.style_link[aid])
            linked = self._levels(linked_num, depth + 1) if linked_num and linked_num != num_id else None
            if linked:
                levels = linked[0]
        if levels is None:
            return None
        if overrides:
            levels = {**levels, **overrides}
        return levels, starts

    def label(self, num_id: Optional[str], ilvl: Optional[int]) -> str:
        """The next label of list ``num_id`` at level ``ilvl`` ('' for bullets or no list)."""
        if not num_id or num_id == "0":
            return ""
        got = self._levels(num_id)
        if got is None:
            return ""
        levels, starts = got
        ilvl = min(max(ilvl or 0, 0), 8)
        lv = levels.get(ilvl)
        if lv is None:
            return ""
        counters = self.counters.setdefault(num_id, [None] * 9)
        if counters[ilvl] is None:
            counters[ilvl] = starts.get(ilvl, lv.start)
        else:
            counters[ilvl] += 1
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = None
        if lv.fmt in ("bullet", "none") or not lv.text:
            return ""

        def repl(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            other = levels.get(k)
            if other is None:
                return ""
            value = counters[k] if counters[k] is not None else starts.get(k, other.start)
            return _format_number(value, "decimal" if lv.legal and k != ilvl else other.fmt)

        text = re.sub(r"%([1-9])", repl, lv.text)
        if not text.strip():
            return ""
        return text + ("" if lv.suff == "nothing" else " ")   # Word shows a tab or a space


# --------------------------------------------------------------------------- text patterns

_CN_NUMERAL = "一二三四五六七八九十百零〇"
_NUMBERED_HEADINGS: list[tuple[re.Pattern, int]] = [
    (re.compile(rf"^第[{_CN_NUMERAL}\d]{{1,4}}[章篇]"), 1),
    (re.compile(rf"^[{_CN_NUMERAL}]{{1,4}}\s*[、．]"), 1),
    (re.compile(rf"^[（(]\s*[{_CN_NUMERAL}]{{1,4}}\s*[）)]"), 2),
    (re.compile(rf"^第[{_CN_NUMERAL}\d]{{1,4}}节"), 2),
    (re.compile(r"^\d{1,2}\s*(?:[、．]|\.(?![\d.]))"), 3),
    (re.compile(r"^[（(]\s*\d{1,2}\s*[）)]"), 4),
]
_CAPTION = re.compile(rf"^(?:续?表|图|附表|附图)\s*[\d{_CN_NUMERAL}]+(?:[-－—.．]\d+)?(?:\s|[:：、．.]|(?=[\u4e00-\u9fff]))")
_NO_HEADING_END = tuple("。；;，,")


def numbered_heading_level(text: str) -> Optional[int]:
    """Level of a short line that starts with Chinese-style numbering, else None."""
    t = text.strip()
    if not t or len(t) > MAX_HEADING_CHARS or t.endswith(_NO_HEADING_END):
        return None
    for pattern, level in _NUMBERED_HEADINGS:
        m = pattern.match(t)
        if m:
            return level if t[m.end():].strip() else None
    return None


def is_caption(text: str) -> bool:
    t = text.strip()
    return len(t) <= 60 and not t.endswith("。") and bool(_CAPTION.match(t))


# --------------------------------------------------------------------------- the walker

_SKIP_INLINE = frozenset({
    "w:pPr", "w:rPr", "w:del", "w:moveFrom", "w:delText", "w:delInstrText", "w:instrText",
    "w:sdtPr", "w:sdtEndPr", "w:proofErr", "w:bookmarkStart", "w:bookmarkEnd", "w:commentRangeStart",
    "w:commentRangeEnd", "w:commentReference", "w:footnoteReference", "w:endnoteReference",
    "w:annotationRef", "w:footnoteRef", "w:endnoteRef", "w:permStart", "w:permEnd", "w:lastRenderedPageBreak",
    "w:fldData", "w:rt", "w:tcPr", "w:trPr", "w:tblPr", "w:tblGrid", "w:sectPr", "w:customXmlPr",
    "w:moveFromRangeStart", "w:moveFromRangeEnd", "w:moveToRangeStart", "w:moveToRangeEnd",
    "m:ctrlPr", "m:rPr",
})
_TRANSPARENT = frozenset({"w:sdt", "w:sdtContent", "w:customXml", "w:ins", "w:moveTo", "w:smartTag",
                          "wx:sect", "wx:sub-section"})   # the last two: Word 2003 XML section wrappers
_TEXTBOX_HOSTS = frozenset({"w:drawing", "w:pict", "w:object"})


#: Namespaces whose mc:Choice branches we can read (text boxes, groups, canvases, Word 2010+ markup).
_UNDERSTOOD = frozenset(_W_NS) | frozenset(_R_NS) | {
    "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "http://schemas.microsoft.com/office/word/2010/wordprocessingGroup",
    "http://schemas.microsoft.com/office/word/2010/wordprocessingCanvas",
    "http://schemas.microsoft.com/office/word/2010/wordprocessingInk",
    "http://schemas.microsoft.com/office/word/2010/wordprocessingDrawing",
    "http://schemas.microsoft.com/office/word/2010/wordml",
    "http://schemas.microsoft.com/office/word/2012/wordml",
    "http://schemas.microsoft.com/office/drawing/2010/main",
    "http://schemas.openxmlformats.org/drawingml/2006/main",
    "http://schemas.openxmlformats.org/officeDocument/2006/math",
    "http://purl.oclc.org/ooxml/officeDocument/math",
}


def _alternate(el):
    """ONE branch of mc:AlternateContent: the first mc:Choice whose required namespaces we
    understand (text boxes: ``Requires="wps"``), else mc:Fallback — never both."""
    fallback = None
    for c in el:
        n = _name(c.tag)
        if n == "mc:Choice":
            prefixes = (c.get("Requires") or "").split()
            nsmap = c.nsmap
            if prefixes and all(nsmap.get(p) in _UNDERSTOOD for p in prefixes):
                return c
        elif n == "mc:Fallback" and fallback is None:
            fallback = c
    return fallback


#: Fields whose displayed result is a layout artefact (a stale page number), not content.
_LAYOUT_FIELDS = frozenset({"PAGE", "NUMPAGES", "SECTIONPAGES", "SECTION"})


class _Field:
    __slots__ = ("result", "instr", "hidden")

    def __init__(self):
        self.result = False     # reached its separator: what follows is displayed
        self.instr: list[str] = []
        self.hidden = False     # a page-number field: its result is dropped


class _Fields:
    """Complex-field state: text shows only in the result part of every open field."""

    def __init__(self):
        self.stack: list[_Field] = []
        self.visible = True

    def _update(self) -> None:
        self.visible = all(f.result and not f.hidden for f in self.stack)

    def char(self, kind: Optional[str]) -> None:
        if kind == "begin":
            self.stack.append(_Field())
        elif kind == "separate" and self.stack:
            top = self.stack[-1]
            top.result = True
            top.hidden = _field_is_layout("".join(top.instr))
        elif kind == "end" and self.stack:
            self.stack.pop()
        self._update()

    def instr(self, text: Optional[str]) -> None:
        if text and self.stack and not self.stack[-1].result and len(self.stack[-1].instr) < 50:
            self.stack[-1].instr.append(text)

    def end_paragraph(self) -> None:
        # an instruction never spans paragraphs; drop unterminated ones so text is not lost
        self.stack = [f for f in self.stack if f.result]
        self._update()


def _field_is_layout(instr: str) -> bool:
    words = instr.split()
    return bool(words) and words[0].upper() in _LAYOUT_FIELDS


@dataclass
class _Para:
    text: str
    style: Optional[str]
    outline: Optional[int]
    num_id: Optional[str]
    ilvl: Optional[int]
    boxes: list = field(default_factory=list)


class _Walker:
    """Turns one story (body, header, footnote ...) into blocks, in document order."""

    def __init__(self, rel: str, styles: _Styles, numbering: _Numbering, *, flat: bool = False):
        self.rel = rel
        self.styles = styles
        self.numbering = numbering
        self.flat = flat                # headers/footnotes: no headings, paragraph counting
        self.blocks: list[Block] = []
        self.paragraphs = 0
        self.tables = 0
        self.headings: list[tuple[int, str]] = []
        self.fields = _Fields()
        self.revisions = 0
        self.alt_chunks = 0             # embedded foreign documents (w:altChunk), not read

    def reset(self) -> None:
        """Forget everything read so far (the main part is read again from the start)."""
        self.blocks.clear()
        self.paragraphs = self.tables = self.revisions = 0
        self.headings.clear()
        self.fields = _Fields()
        self.numbering.counters.clear()

    # ----- sections
    @property
    def section(self) -> str:
        return self.headings[-1][1] if self.headings else ""

    def _push_heading(self, level: int, text: str) -> str:
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        parent = self.headings[-1][1] if self.headings else ""
        self.headings.append((level, text))
        return parent

    # ----- block level
    def walk(self, container, depth: int = 0, kind: str = "paragraph", where: str = "") -> None:
        """Walk the block-level children of ``container``."""
        for el in container:
            self.block(el, depth, kind, where)

    def block(self, el, depth: int = 0, kind: str = "paragraph", where: str = "") -> None:
        n = _name(el.tag)
        if n == "w:p":
            self.paragraph(el, depth, kind, where)
        elif n == "w:tbl":
            self.blocks.extend(self.table(el, depth))
        elif n in _TRANSPARENT:
            self.walk(el, depth, kind, where)
        elif n == "mc:AlternateContent":
            branch = _alternate(el)
            if branch is not None:
                self.walk(branch, depth, kind, where)
        elif n in ("w:del", "w:moveFrom"):
            self.revisions += 1
        elif n == "w:altChunk":
            self.alt_chunks += 1

    def paragraph(self, p, depth: int, kind: str = "paragraph", where: str = "") -> None:
        para = self.read_paragraph(p)
        # a page break splits what the reader sees into two paragraphs (as in .doc files)
        for piece in para.text.split("\f"):
            text = clean_text(piece)
            if text:
                self.emit_paragraph(text, para, kind, where)
        self.boxes(para.boxes, depth, where)

    def emit_paragraph(self, text: str, para: _Para, kind: str, where: str) -> None:
        if kind == "textbox" or self.flat:
            self.blocks.append(Block(text=text, file=self.rel, kind=kind, section=self.section,
                                     locator=where or "文本框"))
            return
        self.paragraphs += 1
        locator = f"第{self.paragraphs}段"
        level = None
        if para.outline is not None:
            level = para.outline + 1 if 0 <= para.outline <= 8 else 0   # 9 = explicit body text
        if level is None:
            level = self.styles.heading_level(para.style)
        if level is None:
            level = numbered_heading_level(text)
        if level:
            parent = self._push_heading(level, text)
            self.blocks.append(Block(text=text, file=self.rel, kind="heading", level=level,
                                     locator=locator, section=parent))
            return
        bkind = "caption" if is_caption(text) else "paragraph"
        self.blocks.append(Block(text=text, file=self.rel, kind=bkind, locator=locator, section=self.section))

    def boxes(self, boxes: list, depth: int, where: str) -> None:
        if not boxes:
            return
        anchor = where or (f"第{self.paragraphs}段文本框" if self.paragraphs else "文本框")
        for box in boxes:
            if depth >= MAX_NESTING:
                text = clean_text("\n".join(_plain_lines(box)))
                if text:
                    self.blocks.append(Block(text=text, file=self.rel, kind="textbox", locator=anchor,
                                             section=self.section))
                continue
            saved = self.fields
            self.fields = _Fields()
            self.walk(box, depth + 1, "textbox", anchor)
            self.fields = saved

    # ----- inline level
    def read_paragraph(self, p) -> _Para:
        style = outline = num_id = ilvl = None
        ppr = _child(p, "w:pPr")
        if ppr is not None:
            for c in ppr:
                n = _name(c.tag)
                if n == "w:pStyle":
                    style = _wattr(c, "val")
                elif n == "w:outlineLvl":
                    outline = _int(_wattr(c, "val"), 9)
                elif n == "w:numPr":
                    nid, il = _child(c, "w:numId"), _child(c, "w:ilvl")
                    num_id = _wattr(nid, "val") if nid is not None else None
                    ilvl = _int(_wattr(il, "val")) if il is not None else None
        if num_id is None:
            s_num, s_ilvl = self.styles.numbering(style)
            if s_num is not None:
                num_id, ilvl = s_num, ilvl if ilvl is not None else s_ilvl
        parts: list[str] = []
        boxes: list = []
        self.inline(p, parts, boxes)
        self.fields.end_paragraph()
        text = "".join(parts)
        if num_id and text.strip():
            text = self.numbering.label(num_id, ilvl) + text
        return _Para(text, style, outline, num_id, ilvl, boxes)

    def inline(self, el, out: list[str], boxes: list) -> None:
        for c in el:
            n = _name(c.tag)
            if n == "w:r":
                self.run(c, out, boxes)
            elif n in _SKIP_INLINE:
                if n in ("w:del", "w:moveFrom"):
                    self.revisions += 1
                continue
            elif n == "mc:AlternateContent":
                branch = _alternate(c)
                if branch is not None:
                    self.inline(branch, out, boxes)
            elif n == "m:t":
                if self.fields.visible and c.text:
                    out.append(c.text)
            elif n == "w:txbxContent":
                boxes.append(c)
            elif n == "w:ruby":
                base = _child(c, "w:rubyBase")
                if base is not None:
                    self.inline(base, out, boxes)
            elif n in ("w:p", "w:tbl"):
                # block content where inline content is expected (malformed): keep its text
                out.append("\n".join(_plain_lines(c)))
            elif n == "w:fldSimple" and _field_is_layout(_wattr(c, "instr") or ""):
                continue
            elif n:
                if n == "w:ins" or n == "w:moveTo":
                    self.revisions += 1
                self.inline(c, out, boxes)  # hyperlink, sdt, smartTag, fldSimple, ins, oMath ...

    def run(self, r, out: list[str], boxes: list) -> None:
        for c in r:
            n = _name(c.tag)
            if n == "w:t":
                if c.text and self.fields.visible:
                    out.append(c.text)
            elif n in ("w:tab", "w:ptab"):
                if self.fields.visible:
                    out.append("\t")
            elif n in ("w:br", "w:cr"):
                if self.fields.visible:
                    out.append("\f" if n == "w:br" and _wattr(c, "type") == "page" else "\n")
            elif n == "w:noBreakHyphen":
                out.append("-")
            elif n == "w:fldChar":
                self.fields.char(_wattr(c, "fldCharType"))
            elif n == "w:instrText":
                self.fields.instr(c.text)
            elif n == "w:sym":
                code = _wattr(c, "char") or ""
                try:
                    cp = int(code, 16)
                except ValueError:
                    continue
                if self.fields.visible and 0x20 <= cp < 0xE000:   # symbol-font glyphs (PUA) carry no text
                    out.append(chr(cp))
            elif n == "mc:AlternateContent":
                branch = _alternate(c)
                if branch is not None:
                    self.run(branch, out, boxes)   # e.g. an emoji: w16se:symEx choice, w:t fallback
            elif n in _TEXTBOX_HOSTS:
                _find_boxes(c, boxes)
            elif n == "w:ruby":
                base = _child(c, "w:rubyBase")
                if base is not None:
                    self.inline(base, out, boxes)
            elif n in ("w:delText", "w:delInstrText"):
                self.revisions += 1

    # ----- tables
    def table(self, tbl, depth: int) -> list[Block]:
        """All blocks of one table: its rows, each followed by what is nested in it."""
        self.tables += 1
        tid = self.tables
        out: list[Block] = []
        rows: list[Block] = []
        row_no = 0
        for tr in _flatten(tbl, "w:tr"):
            trpr = _child(tr, "w:trPr")
            if trpr is not None and _child(trpr, "w:del") is not None:
                self.revisions += 1
                continue
            row_no += 1
            cells, pending = self.row(tr, trpr, depth, f"表{tid}第{row_no}行文本框")
            text = " | ".join(c for c in cells if c)
            if text:
                b = Block(text=text, file=self.rel, kind="table_row", table=tid, row=row_no, cells=cells,
                          locator=f"表{tid}第{row_no}行", section=self.section)
                out.append(b)
                rows.append(b)
            out.extend(pending)
        header = header_row([b.cells for b in rows])
        for b in rows:
            b.header = list(header)
        return out

    def row(self, tr, trpr, depth: int, where: str) -> tuple[list[str], list[Block]]:
        cells: list[str] = []
        pending: list[Block] = []
        before = after = 0
        if trpr is not None:
            gb, ga = _child(trpr, "w:gridBefore"), _child(trpr, "w:gridAfter")
            before = min(_int(_wattr(gb, "val")), 64) if gb is not None else 0
            after = min(_int(_wattr(ga, "val")), 64) if ga is not None else 0
        cells.extend([""] * before)
        for tc in _flatten(tr, "w:tc"):
            span, merged_away = 1, False
            tcpr = _child(tc, "w:tcPr")
            if tcpr is not None:
                for c in tcpr:
                    n = _name(c.tag)
                    if n == "w:gridSpan":
                        span = min(max(_int(_wattr(c, "val"), 1), 1), 64)
                    elif n in ("w:vMerge", "w:hMerge"):
                        merged_away = (_wattr(c, "val") or "continue") == "continue"
                    elif n == "w:cellDel":
                        merged_away = True
            text = self.cell(tc, depth, pending, where)
            cells.append("" if merged_away else text)
            cells.extend([""] * (span - 1))
        cells.extend([""] * after)
        return cells, pending

    def cell(self, tc, depth: int, pending: list[Block], where: str) -> str:
        """The cell's own text; nested tables and text boxes go to ``pending``."""
        lines: list[str] = []
        for el in _flatten(tc, "w:p", "w:tbl"):
            if _name(el.tag) == "w:tbl":
                if depth + 1 >= MAX_NESTING:
                    lines.extend(_plain_lines(el))
                else:
                    pending.extend(self.table(el, depth + 1))
                continue
            para = self.read_paragraph(el)
            t = clean_text(para.text.replace("\f", "\n"))
            if t:
                lines.append(t)
            if para.boxes:
                # text boxes anchored in a cell follow the row, like nested tables
                saved, self.blocks = self.blocks, []
                self.boxes(para.boxes, depth + 1, where)
                pending.extend(self.blocks)
                self.blocks = saved
        return "\n".join(lines)


def _flatten(el, *wanted: str) -> Iterator:
    """Children named ``wanted``, looking through sdt/customXml/ins wrappers and one mc branch."""
    for c in el:
        n = _name(c.tag)
        if n in wanted:
            yield c
        elif n in _TRANSPARENT:
            yield from _flatten(c, *wanted)
        elif n == "mc:AlternateContent":
            branch = _alternate(c)
            if branch is not None:
                yield from _flatten(branch, *wanted)


def _find_boxes(el, boxes: list) -> None:
    """Collect w:txbxContent below a drawing/pict, taking one mc:AlternateContent branch."""
    stack = [el]
    while stack:
        cur = stack.pop()
        n = _name(cur.tag)
        if n == "w:txbxContent":
            boxes.append(cur)
            continue
        if n == "mc:AlternateContent":
            branch = _alternate(cur)
            if branch is not None:
                stack.append(branch)
            continue
        stack.extend(reversed([c for c in cur if isinstance(c.tag, str)]))


def _plain_lines(el) -> list[str]:
    """Text of deeply nested content, one line per paragraph (no structure; depth-safe)."""
    lines: list[str] = []
    cur: list[str] = []
    skip = {"w:del", "w:moveFrom", "w:delText", "w:instrText", "w:delInstrText", "mc:Fallback", "w:pPr", "w:rPr"}
    stack = [(el, False)]
    while stack:
        node, closing = stack.pop()
        n = _name(node.tag)
        if closing:
            if n == "w:p":
                t = clean_text("".join(cur))
                if t:
                    lines.append(t)
                cur = []
            continue
        if n in skip:
            continue
        if n == "w:t" and node.text:
            cur.append(node.text)
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(node) if isinstance(c.tag, str))
    t = clean_text("".join(cur))
    if t:
        lines.append(t)
    return lines


def header_row(rows: list[list[str]]) -> list[str]:
    """The header row: the first row, unless it is a one-cell title above a real header."""
    if not rows:
        return []
    first = rows[0]
    if len(rows) > 1 and len(first) > 1 and sum(1 for c in first if c) == 1 \
            and sum(1 for c in rows[1] if c) >= 2:
        return rows[1]
    return first


# --------------------------------------------------------------------------- entry point

_BODY_CHILDREN = ("p", "tbl", "sdt", "customXml", "ins", "moveTo", "del", "moveFrom")


def read(path: Path, rel: str) -> Reading:
    """Read a .docx (or .docm/.dotx) file into blocks."""
    path = Path(path)
    _refuse_non_zip(path, rel)
    pkg = _Package(path)
    try:
        return _read_package(pkg, rel)
    except RecursionError:
        raise ReadError("文档结构嵌套过深，无法读取") from None
    finally:
        pkg.close()


def _refuse_non_zip(path: Path, rel: str) -> None:
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise ReadError(f"无法打开文件（{exc.strerror or type(exc).__name__}）") from None
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        try:
            import olefile

            with olefile.OleFileIO(str(path)) as ole:
                streams = {"/".join(s).lower() for s in ole.listdir()}
        except Exception:
            streams = set()
        if "encryptedpackage" in streams or "encryptioninfo" in streams:
            raise ReadError("文件已加密（需要密码），无法读取；请提交未加密的版本")
        if "worddocument" in streams:
            raise ReadError("文件实为 Word 97-2003（.doc）格式但扩展名为 .docx，请改名为 .doc 后重新提交")
        raise ReadError("不是有效的 Word 文档（文件格式为旧版复合文档，无法识别）")


def _read_package(pkg: _Package, rel: str) -> Reading:
    main = pkg.main_part()
    rels = pkg.rels(main)
    by_type: dict[str, list[_Rel]] = {}
    for r in rels:
        if r.target:
            by_type.setdefault(r.type, []).append(r)

    def first(kind: str) -> Optional[etree._Element]:
        for r in by_type.get(kind, []):
            root = pkg.parse(r.target)
            if root is not None:
                return root
        return None

    styles = _Styles(first("styles"))
    numbering = _Numbering(first("numbering"), styles)
    walker = _Walker(rel, styles, numbering)
    broken = _walk_main(pkg, main, walker)
    reading = Reading(blocks=walker.blocks)
    if broken:
        reading.warnings.append(broken)
    if walker.paragraphs == 0 and walker.tables == 0 and not walker.blocks:
        reading.warnings.append("文档正文为空（没有可读取的文字）")

    # headers and footers: one block per distinct part
    for kind, label in (("header", "页眉"), ("footer", "页脚")):
        seen: set[str] = set()
        for r in sorted(by_type.get(kind, []), key=lambda r: _natural_key(r.target)):
            root = pkg.parse(r.target)
            if root is None:
                continue
            text = _story_text(root, rel, styles, numbering)
            if text and _WORDY.search(text) and text not in seen:
                seen.add(text)
                loc = label if len(seen) == 1 else f"{label}{len(seen)}"
                reading.blocks.append(Block(text=text, file=rel, kind=kind, locator=loc))
    # footnotes and endnotes
    for kind, label, tag in (("footnotes", "脚注", "w:footnote"), ("endnotes", "尾注", "w:endnote")):
        root = first(kind)
        if root is None:
            continue
        k = 0
        for note in root:
            if _name(note.tag) != tag or (_wattr(note, "type") or "normal") != "normal":
                continue
            text = _story_text(note, rel, styles, numbering)
            if text:
                k += 1
                reading.blocks.append(Block(text=text, file=rel, kind="footnote", locator=f"{label}{k}"))
    if walker.revisions:
        reading.warnings.append("文档含有修订标记，已按“接受全部修订”后的内容读取")
    if walker.alt_chunks:
        reading.warnings.append(f"文档内嵌了 {walker.alt_chunks} 个外部内容块（altChunk），其中的文字未读取；"
                                "可在 Word 中打开后另存为 .docx 再提交")
    reading.pages = _page_count(pkg)
    return reading


def _walk_main(pkg: _Package, main: str, walker: _Walker) -> Optional[str]:
    """Stream the main part; each top-level block is walked and then freed.

    Returns a warning when the XML breaks off part-way (what came before it is kept).
    """
    wanted = [f"{{{ns}}}{local}" for ns in _W_NS for local in _BODY_CHILDREN + ("body",)]
    wanted += ["{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent"]
    for huge in (False, True):
        stream = pkg.open(main)
        if stream is None:
            raise ReadError("不是有效的 Word 文档（找不到正文）")
        try:
            _iter_body(stream, walker, wanted, huge)
            return None
        except etree.XMLSyntaxError as exc:
            if not huge and any(h in str(exc).lower() for h in _HUGE_HINTS):
                # libxml2 size limits hit: retry once without them (safe: DTDs were refused)
                walker.reset()
                continue
            if walker.blocks:
                return "文档正文的 XML 在中途损坏，只读取了损坏位置之前的内容"
            raise ReadError("文档正文 XML 已损坏，无法读取") from None
        except (zipfile.BadZipFile, EOFError, zlib_error) as exc:
            if walker.blocks:
                return "文档压缩数据在中途损坏，只读取了损坏位置之前的内容"
            raise ReadError(f"文档已损坏，无法解压（{type(exc).__name__}）") from None
        finally:
            stream.close()
    return None


def _iter_body(stream, walker: _Walker, wanted: list[str], huge: bool) -> None:
    it = etree.iterparse(stream, events=("end",), tag=wanted, resolve_entities=False, no_network=True,
                         load_dtd=False, huge_tree=huge, remove_comments=True, remove_pis=True)
    for _, el in it:
        parent = el.getparent()
        if parent is None:
            continue
        if _name(el.tag) == "w:body":
            # whatever is left (unknown wrappers we did not walk) is walked now
            for c in list(el):
                walker.block(c)
            el.clear()
            continue
        if _name(parent.tag) != "w:body":
            continue
        walker.block(el)
        parent.remove(el)   # bounded memory: the walked block is freed


def _story_text(root, rel: str, styles: _Styles, numbering: _Numbering) -> str:
    """A header/footer/footnote as one text (paragraphs, table rows and text boxes, one per line)."""
    w = _Walker(rel, styles, _Numbering(None, styles), flat=True)
    w.walk(root, kind="paragraph")
    return clean_text("\n".join(b.text for b in w.blocks))


_WORDY = re.compile(r"[^\W\d_]")   # any letter or CJK character (not just digits and dashes)


def _natural_key(s: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def _page_count(pkg: _Package) -> Optional[int]:
    """Page count as last saved by the authoring application (docProps/app.xml), if any."""
    for r in pkg.rels(""):
        if r.type in ("extended-properties", "extendedproperties") and r.target:
            root = pkg.parse(r.target)
            if root is None:
                return None
            props = {_name(el.tag): (el.text or "").strip() for el in root}
            pages = props.get("ep:Pages", "")
            # python-docx and other generators copy a template's app.xml (Pages 1, Words 0):
            # a count the authoring program never computed is not a page count
            if props.get("ep:Words") in ("0", "") and props.get("ep:Characters") in ("0", ""):
                return None
            if pages.isdigit():
                n = int(pages)
                return n if 0 < n < 100000 else None
    return None


# --------------------------------------------------------------------------- Word 2003 XML

#: Largest Word 2003 XML file we parse (it is one uncompressed XML document).
MAX_WORDML_BYTES = 200 * 1024 * 1024


def is_wordml2003(head: bytes) -> bool:
    """Word 2003 XML ("XML 文档"), which many systems save with a .doc name."""
    return b'progid="Word.Document"' in head or _W2003_NS.encode() in head


def read_wordml2003(path: Path, rel: str) -> Reading:
    """Read a Word 2003 XML document: the same walk as .docx (body, tables, text boxes, headers)."""
    path = Path(path)
    if path.stat().st_size > MAX_WORDML_BYTES:
        raise ReadError("文档过大，未读取")
    data = path.read_bytes()
    _refuse_dtd(data[:65536])
    root = _parse_bytes(data)
    if root is None:
        raise ReadError("Word 2003 XML 文档已损坏，无法读取")
    body = styles_el = None
    for el in root:
        n = _name(el.tag)
        if n == "w:body":
            body = el
        elif n == "w:styles":
            styles_el = el
    if body is None:
        raise ReadError("不是有效的 Word 文档（找不到正文）")
    styles = _Styles(styles_el)
    numbering = _Numbering(None, styles)
    walker = _Walker(rel, styles, numbering)
    try:
        walker.walk(body)
    except RecursionError:
        raise ReadError("文档结构嵌套过深，无法读取") from None
    reading = Reading(blocks=walker.blocks)
    for tag, kind, label in (("w:hdr", "header", "页眉"), ("w:ftr", "footer", "页脚")):
        seen: list[str] = []
        for el in body.iter():
            if _name(el.tag) != tag:
                continue
            text = _story_text(el, rel, styles, numbering)
            if text and _WORDY.search(text) and text not in seen:
                seen.append(text)
                reading.blocks.append(Block(text=text, file=rel, kind=kind,
                                            locator=label if len(seen) == 1 else f"{label}{len(seen)}"))
    if walker.revisions:
        reading.warnings.append("文档含有修订标记，已按“接受全部修订”后的内容读取")
    return reading

