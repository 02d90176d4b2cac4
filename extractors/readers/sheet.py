"""Spreadsheets (.xlsx/.xlsm, .xls/.et, .csv): every non-empty row becomes one block.

All three formats are first turned into a plain grid per sheet (formatted cell texts plus
merged ranges); one layout pass (``_grid_blocks``) then finds the header row, a title row
above it (→ ``caption``), section rows inside the table such as 「一、基础性指标」
(→ ``heading``) and vertically merged label columns such as a 二级指标 spanning several rows
(→ carried in ``section``, never duplicated into cells).

Cell texts follow what the user sees: cached formula results (never evaluated), 1234.0 →
"1234", percent formats 0.35 → "35%", dates YYYY-MM-DD, booleans 是/否. A formula without
a cached result is kept as marked formula text. Row, column, cell and time caps keep a
workbook with a million formatted rows from stalling the batch.

``read_html`` reads web pages saved under a spreadsheet or Word name (「另存为网页」, exports
of online systems) with the same table layout pass.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import logging
import re
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path, PurePosixPath
from typing import Optional

from consortium_review.models import Block
from consortium_review.extractors.readers import ReadError, Reading
from consortium_review.extractors.textclean import clean_text

log = logging.getLogger("consortium_review.read.sheet")
#: our own bugs must surface (the dispatcher logs them), not pass as "damaged file"
_PROGRAMMING_ERRORS = (ReadError, NameError, ImportError)

#: rows read per sheet (rows that hold cells; formatted empty rows are not counted)
MAX_ROWS = 20000
#: columns read per row
MAX_COLS = 200
#: characters kept per cell
MAX_CELL_CHARS = 4000
#: wall-clock budget for one workbook; reading stops with a warning when it runs out
MAX_SECONDS = 90.0
#: the header row is looked for among this many non-empty rows at the top of a sheet
HEADER_SCAN_ROWS = 30
#: biggest CSV/HTML text we decode
MAX_CSV_BYTES = 300 * 1024 * 1024
#: xlsx parts that openpyxl loads whole (shared strings, styles ...) may unpack to at most this
MAX_PART_BYTES = 200 * 1024 * 1024
#: xlrd loads a whole .xls into memory: refuse bigger files
MAX_XLS_BYTES = 100 * 1024 * 1024

#: words that make a row look like a table header
HEADER_WORDS = ("序号", "编号", "指标", "观测点", "名称", "项目", "内容", "完成情况", "情况", "数值",
                "数量", "单位", "佐证", "材料", "备注", "说明", "类别", "类型", "金额", "时间", "年度")
FORMULA_MARK = "〔公式未计算：{}〕"

_HEADING_PATTERNS = (
    (re.compile(r"^[一二三四五六七八九十百]+[、.．]"), 1),
    (re.compile(r"^[（(][一二三四五六七八九十百]+[)）]"), 2),
)
_HTML_START = re.compile(rb"<\s*(html|!doctype\s+html|head|body|table|meta)[\s>]", re.IGNORECASE)
_YEAR = re.compile(r"^(19|20)\d{2}(年|年度)?$")
_NOTE_START = re.compile(r"^(注|备注|说明|填表|填报说明|注释)[：:\s]")


# --------------------------------------------------------------------------- grid model
@dataclass
class _Grid:
    """One sheet as formatted texts. ``kinds``: 's' text, 'n' number/date/bool, 'f' formula."""

    name: str
    index: int                      # 1-based sheet index in the workbook
    hidden: bool = False
    rows: list[tuple[int, list[str], str]] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2 (1-based)
    style: str = "sheet"            # locator style: sheet 「工作表“X”第5行」, csv 「第5行」, table 「表2第3行」


class _Budget:
    """Wall-clock budget for one workbook."""

    def __init__(self, seconds: Optional[float] = None):
        self.deadline = time.monotonic() + (MAX_SECONDS if seconds is None else seconds)
        self.expired = False

    def check(self) -> bool:
        if not self.expired and time.monotonic() > self.deadline:
            self.expired = True
        return self.expired


# --------------------------------------------------------------------------- entry point
def read(path: Path, rel: str) -> Reading:
    """Read a spreadsheet; the real format is taken from the content, not the extension."""
    with open(path, "rb") as f:
        head = f.read(8)
    if not head:
        raise ReadError("文件为空（0 字节）")
    if head.startswith(b"PK"):
        return _read_xlsx(path, rel)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _read_xls(path, rel)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".et") and not _looks_like_text(path):
        raise ReadError("不是有效的 Excel 文件（文件已损坏或扩展名不符）")
    with open(path, "rb") as f:
        if _HTML_START.search(f.read(4096)):
            return read_html(path, rel)    # "Excel" exports that are really web pages
    return _read_csv(path, rel)


def _looks_like_text(path: Path) -> bool:
    with open(path, "rb") as f:
        sample = f.read(4096)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if b"\x00" in sample:
        return False
    for enc in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(enc)().decode(sample, final=False)
            return True
        except UnicodeDecodeError:
            continue
    return False


# --------------------------------------------------------------------------- value formatting
def _split_sections(fmt: str) -> list[str]:
    out, cur, quoted = [], [], False
    for ch in fmt:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


@dataclass
class _NumFmt:
    percent: bool = False
    decimals: Optional[int] = None   # None: General
    prefix: str = ""
    suffix: str = ""
    scale: int = 0                   # trailing commas: divide by 1000 ** scale


def _parse_number_format(fmt: str) -> _NumFmt:
    """The parts of an Excel number format that change how a number reads."""
    if not fmt or fmt.lower() == "general":
        return _NumFmt()
    section = re.sub(r"\[[^\]]*\]", "", _split_sections(fmt)[0])   # [Red], [$-804], [DBNum1]
    nf = _NumFmt()
    literal_before: list[str] = []
    literal_after: list[str] = []
    seen_digit = False
    in_decimals = False
    decimals = 0
    trailing_commas = 0
    scientific = False
    i = 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            j = section.find('"', i + 1)
            j = len(section) if j < 0 else j
            (literal_after if seen_digit else literal_before).append(section[i + 1:j])
            i = j + 1
            continue
        if ch == "\\" and i + 1 < len(section):
            (literal_after if seen_digit else literal_before).append(section[i + 1])
            i += 2
            continue
        if ch in "_*":          # padding / fill: skip the following character
            i += 2
            continue
        if ch in "0#?":
            if literal_after:   # digits after a literal (e.g. "0 00"): keep the literal inside
                literal_after.clear()
            seen_digit = True
            trailing_commas = 0
            if in_decimals:
                decimals += 1
        elif ch == "." and seen_digit or ch == "." and i + 1 < len(section) and section[i + 1] in "0#?":
            in_decimals = True
            seen_digit = True
        elif ch == ",":
            if seen_digit:
                trailing_commas += 1
        elif ch == "%":
            nf.percent = True
        elif ch in "Ee" and i + 1 < len(section) and section[i + 1] in "+-":
            scientific = True
            i += 2
            continue
        elif ch == "@":
            return _NumFmt()
        else:
            (literal_after if seen_digit else literal_before).append(ch)
        i += 1
    if not seen_digit or scientific:
        return _NumFmt(percent=nf.percent)
    nf.decimals = decimals
    nf.scale = trailing_commas
    nf.prefix = "".join(literal_before).strip()
    nf.suffix = "".join(literal_after).strip()
    return nf


def _general_number(v: float | int) -> str:
    if isinstance(v, int):
        return str(v)
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.15g}"


def _fixed(v: float | int, decimals: int) -> str:
    try:
        d = Decimal(repr(v)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return _general_number(v)
    s = format(d, "f")
    return "0" if s in ("-0", "-0.0") else s


def format_number(v: float | int, number_format: str = "General") -> str:
    """A number as the sheet shows it, minus digit grouping (1,234 → "1234")."""
    nf = _parse_number_format(number_format)
    if nf.percent:
        v = v * 100
    if nf.scale:
        v = v / (1000 ** nf.scale)
    if nf.decimals is None:
        text = _general_number(round(v, 10) if isinstance(v, float) else v)
    else:
        text = _fixed(v, nf.decimals)
    return f"{nf.prefix}{text}{'%' if nf.percent else ''}{nf.suffix}"


def format_value(value, number_format: str = "General") -> str:
    """Any cell value as display text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M" if value.second == 0 else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M" if value.second == 0 else "%H:%M:%S")
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, (int, float)):
        return format_number(value, number_format or "General")
    return str(value)


def _cell_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", " ")
    if len(text) > MAX_CELL_CHARS:
        text = text[:MAX_CELL_CHARS] + "…"
    return clean_text(text)


#: built-in number formats of Chinese-locale Excel/WPS (ids openpyxl does not know); files
#: use the ids without defining them, so a date would otherwise read as a serial like 45413
ZH_BUILTIN_FORMATS = {
    27: 'yyyy"年"m"月"', 28: 'm"月"d"日"', 29: 'm"月"d"日"', 30: "m-d-yy", 31: 'yyyy"年"m"月"d"日"',
    32: 'h"时"mm"分"', 33: 'h"时"mm"分"ss"秒"', 34: '上午/下午h"时"mm"分"', 35: '上午/下午h"时"mm"分"ss"秒"',
    36: 'yyyy"年"m"月"', 50: 'yyyy"年"m"月"', 51: 'm"月"d"日"', 52: 'yyyy"年"m"月"', 53: 'm"月"d"日"',
    54: 'm"月"d"日"', 55: '上午/下午h"时"mm"分"', 56: '上午/下午h"时"mm"分"ss"秒"', 57: 'yyyy"年"m"月"',
    58: 'm"月"d"日"',
}
_ZH_DATE_FORMATS = set(ZH_BUILTIN_FORMATS.values())


def _serial_to_datetime(value: float, epoch, fmt: str):
    """An Excel serial under a Chinese built-in date/time format; the number itself if out of range."""
    from openpyxl.utils.datetime import from_excel

    try:
        moment = from_excel(value, epoch)
    except (OverflowError, ValueError, TypeError):
        return value
    if not isinstance(moment, dt.datetime):
        return moment
    has_time = "时" in fmt or "h" in fmt
    if has_time and not any(c in fmt for c in "yd月"):
        return moment.time()
    return moment if has_time else moment.date()


# --------------------------------------------------------------------------- layout
def _heading_level(text: str) -> Optional[int]:
    for pattern, level in _HEADING_PATTERNS:
        if pattern.match(text):
            return level
    return None


def _header_index(rows: list[tuple[int, list[str], str]]) -> Optional[int]:
    """Index (in ``rows``) of the header row: ≥2 short text cells, no 「名称：值」 cells."""
    candidates = []
    for i, (_, cells, kinds) in enumerate(rows[:HEADER_SCAN_ROWS]):
        texts = [c for c, k in zip(cells, kinds) if c and (k == "s" or _YEAR.match(c))]
        if len(texts) < 2 or "s" not in kinds:
            continue
        if any(len(t) > 40 or "：" in t or ":" in t for t in texts):
            continue
        candidates.append(i)
    if not candidates:
        return None
    for i in candidates[:5]:
        if any(w in c for c in rows[i][1] for w in HEADER_WORDS):
            return i
    return candidates[0]


def _new_table_header(cells: list[str], kinds: str, header: list[str]) -> bool:
    """After a blank gap: does this row start a second table with its own header?"""
    texts = [c for c in cells if c]
    return (len(texts) >= 2 and all(k in ("s", "") for k in kinds)
            and all(len(t) <= 20 and "：" not in t and ":" not in t for t in texts)
            and any(w in t for t in texts for w in HEADER_WORDS)
            and [c for c in cells if c] != [c for c in header if c])


def _locator(grid: _Grid, row: int) -> str:
    if grid.style == "csv":
        return f"第{row}行"
    if grid.style == "table":
        return f"表{grid.index}第{row}行"
    hidden = "（隐藏）" if grid.hidden else ""
    return f"工作表“{grid.name}”{hidden}第{row}行"


def _grid_blocks(grid: _Grid, rel: str, section: str = "") -> list[Block]:
    """Blocks of one sheet/table; ``section`` is the heading above it (HTML pages)."""
    rows = [(r, cells, kinds) for r, cells, kinds in grid.rows if any(cells)]
    if not rows:
        return []
    texts_at = {(r, c + 1): t for r, cells, _ in rows for c, t in enumerate(cells) if t}
    hspan: dict[tuple[int, int], int] = {}        # top-left -> width
    for r1, c1, r2, c2 in grid.merges:
        if c2 > c1:
            hspan[(r1, c1)] = c2 - c1 + 1
    width = max(len(cells) for _, cells, _ in rows)

    h = _header_index(rows)
    header: list[str] = []
    header_rows: set[int] = set()
    if h is not None:
        header_row, header_cells, _ = rows[h]
        header = list(header_cells)
        header_rows.add(header_row)
        sub = _sub_header(rows, h, hspan)
        if sub is not None:
            header = _combine_headers(header_row, header_cells, rows[sub][1], hspan)
            header_rows.add(rows[sub][0])
        header = header + [""] * (width - len(header))
        while header and not header[-1]:
            header.pop()
    first_data_row = max(header_rows) if header_rows else 0

    # vertical merges below the header: their text is context for every row they span
    context: dict[int, list[tuple[int, str]]] = {}
    last_row = rows[-1][0]
    for r1, c1, r2, c2 in grid.merges:
        if r2 > r1 and r1 > first_data_row:
            label = texts_at.get((r1, c1))
            if label:
                for r in range(r1, min(r2, last_row) + 1):
                    context.setdefault(r, []).append((c1, label))

    blocks: list[Block] = []
    heading = section
    h_pos = h if h is not None else -1
    prev_row = 0
    for i, (r, cells, kinds) in enumerate(rows):
        gap = r - prev_row >= 2
        prev_row = r
        filled = [j for j, t in enumerate(cells) if t]
        base = dict(file=rel, locator=_locator(grid, r), table=grid.index, row=r,
                    sheet=grid.name if grid.style != "table" else None)
        if i < h_pos:
            if len(filled) == 1:
                blocks.append(Block(text=cells[filled[0]], kind="caption", **base))
            else:
                blocks.append(_row_block(cells, [], width, heading, base))
            continue
        if r in header_rows:
            blocks.append(_row_block(cells, header, len(header), heading, base))
            continue
        if header and gap and i > h_pos + 1 and _new_table_header(cells, kinds, header):
            header = list(cells)
            blocks.append(_row_block(cells, header, len(header), heading, base))
            continue
        if len(filled) == 1 and kinds[filled[0]] == "s":
            text = cells[filled[0]]
            span = hspan.get((r, filled[0] + 1), 1)
            level = _heading_level(text)
            wide = span >= 2 and (span * 2 >= max(len(header), width) or not header)
            if (wide or level) and len(text) <= 80 and not _NOTE_START.match(text):
                heading = text
                blocks.append(Block(text=text, kind="heading", level=level or 1, section="", **base))
                continue
        ctx = [label for _, label in sorted(context.get(r, []))]
        row_section = " / ".join(x for x in [heading, *ctx] if x)
        blocks.append(_row_block(cells, header, len(header), row_section, base))
    return blocks


def _sub_header(rows, h: int, hspan: dict) -> Optional[int]:
    """A second header row under cells merged across columns (「完成情况」 over 「数值」「单位」)."""
    if h + 1 >= len(rows):
        return None
    r, cells, _ = rows[h]
    nr, ncells, nkinds = rows[h + 1]
    if nr != r + 1:
        return None
    spanned = {c for (mr, mc), w in hspan.items() if mr == r for c in range(mc, mc + w)}
    if not spanned:
        return None
    if any(k and k != "s" for k in nkinds):
        return None
    return h + 1 if any(ncells[c - 1] for c in spanned if c - 1 < len(ncells)) else None


def _combine_headers(r: int, top: list[str], sub: list[str], hspan: dict) -> list[str]:
    n = max(len(top), len(sub))
    owner = list(top) + [""] * (n - len(top))
    for (mr, mc), w in hspan.items():
        if mr == r:
            for c in range(mc, mc + w):
                if c - 1 < n:
                    owner[c - 1] = top[mc - 1] if mc - 1 < len(top) else ""
    out = []
    for j in range(n):
        t = owner[j]
        s = sub[j] if j < len(sub) else ""
        out.append(f"{t}/{s}" if t and s and t != s else (s or t))
    return out


def _row_block(cells: list[str], header: list[str], width: int, section: str, base: dict) -> Block:
    cells = list(cells)
    while cells and not cells[-1]:
        cells.pop()
    if len(cells) < width:
        cells += [""] * (width - len(cells))
    return Block(text=" | ".join(c for c in cells if c), kind="table_row", cells=cells,
                 header=list(header), section=section, **base)


def _trim(cells: list[str], kinds: list[str]) -> tuple[list[str], str]:
    n = len(cells)
    while n and not cells[n - 1]:
        n -= 1
    return cells[:n], "".join(kinds[:n])


# --------------------------------------------------------------------------- xlsx
def _read_xlsx(path: Path, rel: str) -> Reading:
    from consortium_review.extractors.readers.archive import open_zip_checked

    zf = open_zip_checked(path, what="Excel 文件")   # zip bomb / entry count / corrupt zip checks
    try:
        names = set(zf.namelist())
        if "EncryptedPackage" in names:
            raise ReadError("文件已加密（需要密码），无法读取；请提交未加密的版本")
        if "xl/workbook.bin" in names:
            raise ReadError("不支持 .xlsb（二进制工作簿）格式，请另存为 .xlsx 后重新提交")
        if not any(n.startswith("xl/") for n in names):
            raise ReadError("不是有效的 Excel 文件（压缩包内没有工作簿）")
        for info in zf.infolist():
            # worksheets are streamed; everything else is loaded whole by openpyxl
            if info.file_size > MAX_PART_BYTES and not info.filename.startswith("xl/worksheets/"):
                raise ReadError(f"Excel 文件过大（{info.filename} 解压后 {info.file_size // 1048576} MB），未读取")
    finally:
        zf.close()

    import warnings as _warnings

    import openpyxl

    reading = Reading()
    budget = _Budget()
    with open(path, "rb") as fh, _warnings.catch_warnings():
        _warnings.simplefilter("ignore")     # openpyxl warns about unsupported extensions
        try:
            wb = openpyxl.load_workbook(fh, read_only=True, data_only=True, keep_links=False)
        except _PROGRAMMING_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001 — openpyxl raises many types on bad input
            log.debug("openpyxl could not open %s", rel, exc_info=True)
            raise ReadError(f"Excel 文件已损坏或格式不受支持，无法打开（{type(exc).__name__}）") from None
        try:
            for index, ws in enumerate(wb.worksheets, 1):
                if budget.check():
                    reading.warnings.append(f"读取超时（超过 {MAX_SECONDS:.0f} 秒），工作表“{ws.title}”及之后的工作表未读取")
                    break
                grid = _xlsx_grid(wb, ws, index, budget, reading.warnings)
                reading.blocks.extend(_grid_blocks(grid, rel))
        except _PROGRAMMING_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001
            log.debug("bad worksheet content in %s", rel, exc_info=True)
            raise ReadError(f"Excel 文件内容已损坏，无法读取（{type(exc).__name__}）") from None
        finally:
            wb.close()
    if not reading.blocks and not reading.warnings:
        reading.warnings.append("工作簿中没有读到任何内容")
    return reading


_P = rb"(?:[A-Za-z_][\w.-]*:)?"                 # optional namespace prefix
_EMPTY_CELL = re.compile(rb"<" + _P + rb"c(?=[\s/])[^<>]*/>")
_EMPTY_ROW = re.compile(rb"<" + _P + rb"row(?=[\s/])[^<>]*/>")
_WHOLE_ROW = re.compile(rb"<" + _P + rb"row(?=[\s>])[^<>]*>.*?</" + _P + rb"row\s*>", re.S)
_ROW_START = re.compile(rb"<" + _P + rb"row(?=[\s>/])")
_ROW_END = re.compile(rb"</" + _P + rb"row\s*>")
_HAS_VALUE = re.compile(rb"<" + _P + rb"(?:v|is)(?=[\s>])")


class _SheetXml(io.RawIOBase):
    """A worksheet XML stream with the bulk that carries no text removed before parsing.

    Self-closing ``<c .../>`` (formatted but empty cells) and ``<row .../>`` (formatted
    empty rows) are dropped, so a sheet with a million formatted rows parses like a small
    one. Once ``skip_rows`` is set (row cap reached) whole ``<row>`` elements are dropped
    too — only noting whether they held values — so the merged ranges at the end of the
    sheet are still reached quickly.
    """

    CHUNK = 1 << 20

    def __init__(self, raw):
        super().__init__()
        self.raw = raw
        self.pending = b""
        self.out = b""
        self.eof = False
        self.skip_rows = False
        self.dropped_values = False

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        while not self.out and not self.eof:
            self._fill()
        n = min(len(buf), len(self.out))
        buf[:n] = self.out[:n]
        self.out = self.out[n:]
        return n

    def _fill(self) -> None:
        chunk = self.raw.read(self.CHUNK)
        data = self.pending + chunk
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:   # never in a real worksheet
            raise ReadError("Excel 文件内容异常（工作表含有 DTD/实体声明），已拒绝读取")
        if not chunk:
            self.eof = True
            head, self.pending = data, b""
        elif self.skip_rows:
            head, self.pending = self._split_outside_rows(data)
        else:
            cut = data.rfind(b"<")
            head, self.pending = (data[:cut], data[cut:]) if cut >= 0 else (data, b"")
        if self.skip_rows:
            head = _EMPTY_ROW.sub(b"", head)
            if not self.dropped_values:
                self.dropped_values = any(_HAS_VALUE.search(m.group(0)) for m in _WHOLE_ROW.finditer(head))
            head = _WHOLE_ROW.sub(b"", head)
        self.out = _EMPTY_ROW.sub(b"", _EMPTY_CELL.sub(b"", head))

    @staticmethod
    def _split_outside_rows(data: bytes) -> tuple[bytes, bytes]:
        """Split so that the head holds only complete rows and tags (the tail waits for more)."""
        last_end = None
        for last_end in _ROW_END.finditer(data):
            pass
        start = last_end.end() if last_end else 0
        open_row = _ROW_START.search(data, start)
        if open_row:
            return data[:open_row.start()], data[open_row.start():]
        cut = data.rfind(b"<", start)
        return (data[:cut], data[cut:]) if cut >= 0 else (data, b"")


def _xlsx_grid(wb, ws, index: int, budget: _Budget, warnings: list[str]) -> _Grid:
    """Stream one worksheet's XML: cached values, formulas lacking a cache, merged ranges.

    Uses openpyxl's cell parser (shared strings, dates, types) but drives the XML walk
    itself, so merged ranges are seen in read-only mode and rows past the cap cost only a
    regular-expression scan.

    Why openpyxl's private parser (``worksheet._reader.WorkSheetParser``, ``wb._archive``,
    ``ws._shared_strings``, ``wb._cell_styles`` …) and not the public read-only
    ``ws.iter_rows()``: in read-only mode the public API (1) has no merged ranges (needed for
    section headers and vertical merges), (2) with ``data_only=True`` gives ``None`` for a
    formula without a cached value, which we report with its formula text, so a second full
    load would be needed, and (3) parses every formatted empty row of a million-row sheet and
    cannot see the stream before parsing (the ``_SheetXml`` DTD guard and row-skipping). The
    non-read-only API has merged ranges but loads the whole sheet into memory, which the size
    guards exist to prevent. Pinned: ``openpyxl>=3.1,<3.2`` in pyproject.toml, and
    ``tests/test_read_sheet.py::test_openpyxl_private_api_we_rely_on`` fails when it moves.
    """
    from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
    from openpyxl.utils.cell import column_index_from_string, range_boundaries
    from openpyxl.worksheet._reader import FORMULA_TAG, ROW_TAG, WorkSheetParser
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from xml.etree.ElementTree import iterparse    # C parser; DTDs are refused by _SheetXml

    grid = _Grid(name=ws.title, index=index, hidden=ws.sheet_state != "visible")
    parser = WorkSheetParser(None, ws._shared_strings, data_only=True, epoch=wb.epoch,
                             date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
    merge_cell_tag = f"{{{SHEET_MAIN_NS}}}mergeCell"
    formats: dict[int, str] = {}

    def number_format(style_id: int) -> str:
        if style_id not in formats:
            try:
                fid = wb._cell_styles[style_id].numFmtId
                formats[style_id] = (BUILTIN_FORMATS.get(fid) or ZH_BUILTIN_FORMATS.get(fid, "General")
                                     if fid < BUILTIN_FORMATS_MAX_SIZE
                                     else wb._number_formats[fid - BUILTIN_FORMATS_MAX_SIZE])
            except (IndexError, AttributeError):
                formats[style_id] = "General"
        return formats[style_id]

    rows_seen = 0
    row_counter = 0
    cut_rows = cut_cols = timed_out = False
    unevaluated = 0
    with wb._archive.open(ws._worksheet_path) as raw:
        stream = _SheetXml(raw)
        try:
            for _, el in iterparse(io.BufferedReader(stream, 1 << 16)):
                tag = el.tag
                if tag == ROW_TAG:
                    rows_seen += 1
                    r_attr = el.get("r")
                    try:
                        row_counter = int(float(r_attr)) if r_attr else row_counter + 1
                    except ValueError:
                        row_counter += 1
                    if rows_seen <= MAX_ROWS:
                        cells, kinds, wide, unev = _xlsx_row(el, row_counter, parser, number_format,
                                                             column_index_from_string, FORMULA_TAG)
                        cut_cols |= wide
                        unevaluated += unev
                        if cells:
                            grid.rows.append((row_counter, cells, kinds))
                        if rows_seen == MAX_ROWS:
                            stream.skip_rows = True
                    elif not cut_rows and any(len(c) for c in el):
                        cut_rows = True
                    el.clear()
                    if rows_seen % 1000 == 0 and budget.check():
                        timed_out = True
                        break
                elif tag == merge_cell_tag:
                    ref = el.get("ref")
                    if ref and ":" in ref:
                        try:
                            c1, r1, c2, r2 = range_boundaries(ref)
                            grid.merges.append((r1, c1, r2, min(c2, MAX_COLS)))
                        except (ValueError, TypeError):
                            pass
        except SyntaxError:   # ParseError (and defusedxml's refusals) derive from it
            warnings.append(f"工作表“{grid.name}”的内容不完整（文件可能已损坏），只读取了能读出的部分")
        cut_rows = cut_rows or stream.dropped_values
    label = f"工作表“{grid.name}”"
    if cut_rows:
        warnings.append(f"{label}超过 {MAX_ROWS} 行，只读取了前 {MAX_ROWS} 行")
    if cut_cols:
        warnings.append(f"{label}超过 {MAX_COLS} 列，只读取了前 {MAX_COLS} 列")
    if timed_out:
        warnings.append(f"{label}读取超时（超过 {MAX_SECONDS:.0f} 秒），只读取了一部分")
    if unevaluated:
        warnings.append(f"{label}有 {unevaluated} 个公式单元格没有保存计算结果，保留了公式原文")
    if grid.hidden:
        warnings.append(f"{label}是隐藏工作表，已一并读取")
    return grid


def _xlsx_row(el, row_number: int, parser, number_format, col_index, formula_tag):
    """Formatted texts of one ``<row>``; returns (cells, kinds, wider_than_cap, unevaluated)."""
    parser.row_counter = row_number
    parser.col_counter = 0
    cells: list[str] = []
    kinds: list[str] = []
    wide = False
    unevaluated = 0
    for c in el:
        ref = c.get("r")
        if ref:
            letters = ref.rstrip("0123456789")
            try:
                col = col_index(letters)
            except ValueError:
                continue
            if col > MAX_COLS:   # empty cells were filtered out: anything here holds content
                wide = True
                break
        elif parser.col_counter + 1 > MAX_COLS:
            wide = True
            break
        d = parser.parse_cell(c)
        col = d["column"]
        value = d["value"]
        kind = "s"
        if value is None:
            f = c.find(formula_tag)
            if f is None:
                continue
            formula = parser.parse_formula(c) if f.text or f.get("t") == "shared" else "="
            formula = getattr(formula, "text", formula)
            if not isinstance(formula, str) or formula == "=":
                formula = "=（公式）"
            text = FORMULA_MARK.format(formula)
            kind = "f"
            unevaluated += 1
        elif isinstance(value, str):
            text = value
        else:
            fmt = number_format(d["style_id"] or 0)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and fmt in _ZH_DATE_FORMATS:
                value = _serial_to_datetime(value, parser.epoch, fmt)
            text = format_value(value, fmt)
            kind = "n" if d["data_type"] != "e" else "s"
        text = _cell_text(text)
        if not text:
            continue
        if col > len(cells):
            cells.extend([""] * (col - len(cells)))
            kinds.extend([""] * (col - len(kinds)))
        cells[col - 1] = text
        kinds[col - 1] = kind
    cells, kind_str = _trim(cells, kinds)
    return cells, kind_str, wide, unevaluated


# --------------------------------------------------------------------------- xls
def _read_xls(path: Path, rel: str) -> Reading:
    size = path.stat().st_size
    if size > MAX_XLS_BYTES:
        raise ReadError(f"Excel 文件过大（{size // 1048576} MB，.xls 上限 {MAX_XLS_BYTES // 1048576} MB），"
                        "未读取；请另存为 .xlsx 后提交")
    try:
        import olefile

        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(s).lower() for s in ole.listdir()}
    except Exception:  # noqa: BLE001
        raise ReadError("Excel 文件已损坏或不是有效的 .xls 文件") from None
    if "encryptedpackage" in streams:
        raise ReadError("文件已加密（需要密码），无法读取；请提交未加密的版本")
    if "workbook" not in streams and "book" not in streams:
        if "worddocument" in streams:
            raise ReadError("该文件实为 Word 文档（扩展名为表格），请改正扩展名后重新提交")
        raise ReadError("不是有效的 .xls 文件（文件内没有工作簿）")

    import xlrd

    try:
        try:
            book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True, logfile=_NullLog())
        except NotImplementedError:
            book = xlrd.open_workbook(str(path), formatting_info=False, on_demand=True, logfile=_NullLog())
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise ReadError("文件已加密（需要密码），无法读取；请提交未加密的版本") from None
        raise ReadError("Excel 文件已损坏或格式不受支持，无法打开") from None
    except Exception as exc:  # noqa: BLE001
        raise ReadError(f"Excel 文件已损坏，无法打开（{type(exc).__name__}）") from None

    reading = Reading()
    budget = _Budget()
    try:
        for index in range(book.nsheets):
            if budget.check():
                reading.warnings.append(f"读取超时（超过 {MAX_SECONDS:.0f} 秒），其余工作表未读取")
                break
            try:
                sh = book.sheet_by_index(index)
            except Exception:  # noqa: BLE001
                reading.warnings.append(f"第{index + 1}个工作表已损坏，未读取")
                continue
            grid = _xls_grid(book, sh, index + 1, reading.warnings)
            reading.blocks.extend(_grid_blocks(grid, rel))
            book.unload_sheet(index)
    except _PROGRAMMING_ERRORS:
        raise
    except Exception as exc:  # noqa: BLE001 — xlrd on damaged records
        log.debug("bad .xls content in %s", rel, exc_info=True)
        raise ReadError(f"Excel 文件内容已损坏，无法读取（{type(exc).__name__}）") from None
    finally:
        book.release_resources()
    if not reading.blocks and not reading.warnings:
        reading.warnings.append("工作簿中没有读到任何内容")
    return reading


class _NullLog:
    """xlrd writes diagnostics to a log file (stdout by default); readers never print."""

    def write(self, _text: str) -> None:
        pass

    def flush(self) -> None:
        pass


def _xls_grid(book, sh, index: int, warnings: list[str]) -> _Grid:
    import xlrd

    grid = _Grid(name=sh.name, index=index, hidden=getattr(sh, "visibility", 0) != 0)
    nrows = min(sh.nrows, MAX_ROWS)
    ncols = min(sh.ncols, MAX_COLS)
    fmt_cache: dict[int, str] = {}

    def number_format(xf_index: int) -> str:
        if xf_index not in fmt_cache:
            try:
                xf = book.xf_list[xf_index]
                fmt_cache[xf_index] = book.format_map[xf.format_key].format_str
            except (IndexError, KeyError, AttributeError):
                fmt_cache[xf_index] = "General"
        return fmt_cache[xf_index]

    for r in range(nrows):
        cells: list[str] = []
        kinds: list[str] = []
        for c in range(min(ncols, sh.row_len(r))):
            cell = sh.cell(r, c)
            kind = "n"
            if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                text = ""
            elif cell.ctype == xlrd.XL_CELL_TEXT:
                text, kind = str(cell.value), "s"
            elif cell.ctype == xlrd.XL_CELL_NUMBER:
                text = format_number(cell.value, number_format(cell.xf_index) if book.formatting_info else "General")
            elif cell.ctype == xlrd.XL_CELL_DATE:
                try:
                    text = format_value(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                except Exception:  # noqa: BLE001 — out-of-range serials
                    text = format_number(cell.value)
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                text = "是" if cell.value else "否"
            elif cell.ctype == xlrd.XL_CELL_ERROR:
                text, kind = xlrd.error_text_from_code.get(cell.value, "#错误"), "s"
            else:
                text, kind = str(cell.value), "s"
            cells.append(_cell_text(text))
            kinds.append(kind if cells[-1] else "")
        cells, kind_str = _trim(cells, kinds)
        if cells:
            grid.rows.append((r + 1, cells, kind_str))
    for rlo, rhi, clo, chi in getattr(sh, "merged_cells", []) or []:
        if rlo < nrows and clo < ncols:
            grid.merges.append((rlo + 1, clo + 1, rhi, min(chi, MAX_COLS)))
    label = f"工作表“{grid.name}”"
    if sh.nrows > MAX_ROWS:
        warnings.append(f"{label}超过 {MAX_ROWS} 行，只读取了前 {MAX_ROWS} 行")
    if sh.ncols > MAX_COLS:
        warnings.append(f"{label}超过 {MAX_COLS} 列，只读取了前 {MAX_COLS} 列")
    if grid.hidden:
        warnings.append(f"{label}是隐藏工作表，已一并读取")
    return grid


# --------------------------------------------------------------------------- csv
def _detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as such, else GB18030."""
    with open(path, "rb") as f:
        head = f.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        f.seek(0)
        dec = codecs.getincrementaldecoder("utf-8")()
        try:
            while True:
                chunk = f.read(1 << 20)
                if not chunk:
                    dec.decode(b"", final=True)
                    return "utf-8-sig"
                dec.decode(chunk)
        except UnicodeDecodeError:
            return "gb18030"


def _sniff_delimiter(sample: str) -> str:
    lines = [ln for ln in sample.splitlines()[:50] if ln.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",\t;|").delimiter
    except csv.Error:
        pass
    best, best_score = ",", 0.0
    for d in (",", "\t", ";", "|"):
        counts = [ln.count(d) for ln in lines]
        if not any(counts):
            continue
        mode = max(set(counts), key=counts.count)
        score = counts.count(mode) / len(counts) * (1 if mode else 0) + (0.01 if d in ",\t" else 0)
        if score > best_score:
            best, best_score = d, score
    return best


_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?%?$")


def _read_csv(path: Path, rel: str) -> Reading:
    if path.stat().st_size > MAX_CSV_BYTES:
        raise ReadError("表格文件过大，未读取")
    encoding = _detect_encoding(path)
    reading = Reading()
    grid = _Grid(name=PurePosixPath(rel).stem, index=1, style="csv")
    budget = _Budget()
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
        sample = text.read(64 * 1024)
        directive = re.match(r"sep=(.)\r?\n", sample)      # Excel's 「sep=;」 first line
        delimiter = directive.group(1) if directive else _sniff_delimiter(sample)
        text.seek(0)
        if directive:
            text.readline()                                  # Excel hides it: rows count after it
        reader = csv.reader(text, delimiter=delimiter)
        cut_rows = cut_cols = False
        try:
            for n, row in enumerate(reader, 1):
                if n > MAX_ROWS:
                    cut_rows = True
                    break
                if n % 1000 == 0 and budget.check():
                    reading.warnings.append(f"读取超时（超过 {MAX_SECONDS:.0f} 秒），只读取了前 {n - 1} 行")
                    break
                if len(row) > MAX_COLS:
                    cut_cols = cut_cols or any(row[MAX_COLS:])
                    row = row[:MAX_COLS]
                cells = [_cell_text(c) for c in row]
                kinds = ["" if not c else ("n" if _NUMBER.match(c) else "s") for c in cells]
                cells, kind_str = _trim(cells, kinds)
                if cells:
                    grid.rows.append((n, cells, kind_str))
        except csv.Error:
            reading.warnings.append(f"第{reader.line_num}行格式有误，之后的内容未读取")
    if cut_rows:
        reading.warnings.append(f"表格超过 {MAX_ROWS} 行，只读取了前 {MAX_ROWS} 行")
    if cut_cols:
        reading.warnings.append(f"表格超过 {MAX_COLS} 列，只读取了前 {MAX_COLS} 列")
    reading.blocks.extend(_grid_blocks(grid, rel))
    return reading



# --------------------------------------------------------------------------- html
#: elements whose text is one paragraph (when they hold no other block inside)
_BLOCK_TAGS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "dt", "dd",
               "caption", "address", "center"}
_HEADING_TAGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)
MAX_HTML_BYTES = 50 * 1024 * 1024


def _decode_html(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        return raw[3:].decode("utf-8", "replace")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16", "replace")
    m = _CHARSET.search(raw[:4096])
    candidates = [m.group(1).decode("ascii").lower()] if m else []
    candidates += ["utf-8", "gb18030"]
    for enc in candidates:
        enc = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030"}.get(enc, enc)
        try:
            return raw.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    return raw.decode("gb18030", "replace")


def read_html(path: Path, rel: str) -> Reading:
    """A web page saved as .doc/.xls (WPS/Word/Excel 「另存为网页」, exports of online systems).

    Tables become ``table_row`` blocks through the same layout pass as spreadsheets
    (colspan/rowspan are merged ranges); other text becomes headings and paragraphs.
    """
    from lxml import etree, html as lxml_html

    if path.stat().st_size > MAX_HTML_BYTES:
        raise ReadError("网页文件过大，未读取")
    text = _decode_html(path.read_bytes())
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    parser = lxml_html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    try:
        root = lxml_html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError):
        raise ReadError("网页（HTML）文件内容为空或已损坏，无法读取") from None
    for bad in root.xpath("//script|//style|//head|//noscript|//template"):
        bad.drop_tree()

    reading = Reading()
    heading = ""
    paragraphs = 0
    tables = 0
    budget = _Budget()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if tag == "table":
            if any(a.tag == "table" for a in el.iterancestors()):
                continue                     # nested tables are read as cell text
            tables += 1
            grid = _html_grid(el, tables)
            reading.blocks.extend(_grid_blocks(grid, rel, heading))
            if budget.check():
                reading.warnings.append(f"读取超时（超过 {MAX_SECONDS:.0f} 秒），只读取了一部分")
                break
            continue
        if tag not in _BLOCK_TAGS or any(a.tag == "table" for a in el.iterancestors()):
            continue
        if any(isinstance(d.tag, str) and (d.tag.lower() in _BLOCK_TAGS or d.tag.lower() == "table")
               for d in el.iterdescendants()):
            continue                         # its inner blocks are read on their own
        content = _cell_text(el.text_content())
        if not content:
            continue
        level = _HEADING_TAGS.get(tag) or (_heading_level(content) if len(content) <= 40 else None)
        if level:
            heading = content
            reading.blocks.append(Block(text=content, file=rel, kind="heading", level=level,
                                        locator=f"第{paragraphs + 1}段"))
            paragraphs += 1
            continue
        paragraphs += 1
        reading.blocks.append(Block(text=content, file=rel, kind="paragraph", locator=f"第{paragraphs}段",
                                    section=heading))
    if not reading.blocks:
        raise ReadError("网页（HTML）文件中没有可读取的文字")
    reading.warnings.append("该文件实为网页（HTML）格式，已按网页读取")
    return reading


def _html_grid(table, index: int) -> _Grid:
    """Rows and merged ranges of one HTML table (rowspan/colspan resolved to positions)."""
    grid = _Grid(name=f"表{index}", index=index, style="table")
    occupied: dict[tuple[int, int], bool] = {}
    rows = [tr for tr in table.iter("tr") if _owner_table(tr) is table]
    for r, tr in enumerate(rows[:MAX_ROWS], 1):
        cells: list[str] = []
        kinds: list[str] = []
        c = 1
        for td in tr:
            if not isinstance(td.tag, str) or td.tag.lower() not in ("td", "th"):
                continue
            while occupied.get((r, c)):
                c += 1
            if c > MAX_COLS:
                break
            rowspan = _span(td.get("rowspan"))
            colspan = _span(td.get("colspan"))
            text = _cell_text(td.text_content())
            if rowspan > 1 or colspan > 1:
                grid.merges.append((r, c, r + rowspan - 1, min(c + colspan - 1, MAX_COLS)))
            for dr in range(rowspan):
                for dc in range(colspan):
                    occupied[(r + dr, c + dc)] = True
            if text:
                if c > len(cells):
                    cells.extend([""] * (c - len(cells)))
                    kinds.extend([""] * (c - len(kinds)))
                cells[c - 1] = text
                kinds[c - 1] = "n" if _NUMBER.match(text) else "s"
            c += colspan
        cells, kind_str = _trim(cells, kinds)
        if cells:
            grid.rows.append((r, cells, kind_str))
    return grid


def _owner_table(tr):
    for a in tr.iterancestors():
        if a.tag == "table":
            return a
    return None


def _span(value) -> int:
    try:
        return max(1, min(int(str(value).strip()), 1000))
    except (TypeError, ValueError):
        return 1
