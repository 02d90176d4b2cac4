"""Word 97-2003 binary (.doc, also written by WPS) text without LibreOffice, after [MS-DOC].

Only what the review needs: the text of the main document split into paragraphs and table rows,
footnotes/endnotes, headers/footers and text boxes. Layout, lists and styles beyond heading
levels are ignored. The parts used:

- the FIB (file information block) at the start of the ``WordDocument`` stream: flags
  (encrypted, which table stream), character counts of each story, offsets into the table stream;
- the CLX piece table (``0Table``/``1Table``): which byte ranges of ``WordDocument`` hold which
  characters, as compressed cp1252 bytes or UTF-16LE;
- paragraph property pages (PAPX FKPs) for "in table" / "row end" marks, style (heading 1-9 are
  the fixed style slots 1-9) and outline level;
- character property pages (CHPX FKPs) for tracked deletions, which are dropped;
- special characters: ``\\r`` paragraph end, ``\\x07`` cell/row end, ``\\x13 … \\x14 … \\x15``
  field code / result / end (codes dropped, results kept).
"""

from __future__ import annotations

import re
import struct
import sys
from array import array
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

#: Refuse absurd character counts from corrupt FIBs (characters across all stories).
MAX_CHARS = 60_000_000
MAX_PIECES = 500_000

_FIB_IDENT = 0xA5EC
_LAYOUT_FIELDS = ("PAGE", "NUMPAGES", "SECTIONPAGES", "SECTION")

# indices into FibRgFcLcb97 (pairs of fc/lcb)
_IX_PLCFFNDTXT = 3
_IX_PLCFHDD = 11
_IX_PLCFBTECHPX = 12
_IX_PLCFBTEPAPX = 13
_IX_CLX = 33
_IX_PLCFENDTXT = 47
_IX_PLCFTXBXTXT = 56
_IX_PLFLST = 73
_IX_PLFLFO = 74

_SPRM_P_IN_TABLE = 0x2416
_SPRM_P_TTP = 0x2417
_SPRM_P_ITAP = 0x6649
_SPRM_P_INNER_CELL = 0x244B
_SPRM_P_INNER_TTP = 0x244C
_SPRM_P_OUTLINE = 0x2640
_SPRM_P_ILFO = 0x460B
_SPRM_P_ILVL = 0x260A
_SPRM_C_RMARK_DEL = 0x0800
_SPRM_T_DEF_TABLE = 0xD608
_SPRM_P_CHG_TABS = 0xC615


class MsDocError(Exception):
    """The file cannot be parsed; ``str`` is a one-line Chinese reason."""


class MsDocEncrypted(MsDocError):
    pass


@dataclass
class DocParagraph:
    text: str
    level: Optional[int] = None          # heading level from the style slot / outline level


@dataclass
class DocRow:
    cells: list[str]
    table: int = 1       # 1-based table number, in order of appearance (outer before nested)


@dataclass
class DocText:
    body: list = field(default_factory=list)          # DocParagraph | DocRow, in reading order
    footnotes: list[str] = field(default_factory=list)
    endnotes: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    footers: list[str] = field(default_factory=list)
    textboxes: list[str] = field(default_factory=list)
    deletions: int = 0
    table_marks_guessed: bool = False


@dataclass
class _Props:
    in_table: bool = False
    ttp: bool = False
    itap: int = 0
    inner_cell: bool = False
    inner_ttp: bool = False
    istd: int = 0
    outline: Optional[int] = None
    tap: Optional["_Tap"] = None        # row geometry, on a row-end paragraph
    ilfo: int = 0                       # 1-based list (LFO) of an auto-numbered paragraph
    ilvl: int = 0


@dataclass
class _Tap:
    """Cell boundaries of one table row (twips) and which cells continue a merge."""
    bounds: list[int]
    blank: list[bool]                   # horizontally merged away / vertical continuation


_NO_PROPS = _Props()


def _u16(b: bytes, o: int) -> int:
    return struct.unpack_from("<H", b, o)[0]


def _u32(b: bytes, o: int) -> int:
    return struct.unpack_from("<I", b, o)[0]


def _i32(b: bytes, o: int) -> int:
    return struct.unpack_from("<i", b, o)[0]


def _sprms(grpprl: bytes) -> list[tuple[int, bytes]]:
    """Split a grpprl into (sprm, operand) pairs."""
    out, i, n = [], 0, len(grpprl)
    while i + 2 <= n:
        sprm = _u16(grpprl, i)
        i += 2
        spra = sprm >> 13
        if spra in (0, 1):
            size = 1
        elif spra in (2, 4, 5):
            size = 2
        elif spra == 3:
            size = 4
        elif spra == 7:
            size = 3
        else:  # variable length
            if i >= n:
                break
            if sprm == _SPRM_T_DEF_TABLE:
                if i + 2 > n:
                    break
                size = _u16(grpprl, i) + 1
            else:
                size = grpprl[i] + 1
        out.append((sprm, grpprl[i:i + size]))
        i += size
    return out


def _para_props(istd: int, grpprl: bytes) -> _Props:
    p = _Props(istd=istd)
    for sprm, op in _sprms(grpprl):
        if sprm == _SPRM_P_IN_TABLE and op:
            p.in_table = op[0] != 0
        elif sprm == _SPRM_P_TTP and op:
            p.ttp = op[0] != 0
        elif sprm == _SPRM_P_ITAP and len(op) >= 4:
            p.itap = max(0, _i32(op, 0))
        elif sprm == _SPRM_P_INNER_CELL and op:
            p.inner_cell = op[0] != 0
        elif sprm == _SPRM_P_INNER_TTP and op:
            p.inner_ttp = op[0] != 0
        elif sprm == _SPRM_P_OUTLINE and op:
            p.outline = op[0]
        elif sprm == _SPRM_T_DEF_TABLE and len(op) >= 3:
            p.tap = _parse_tap(op)
        elif sprm == _SPRM_P_ILFO and len(op) >= 2:
            p.ilfo = struct.unpack_from("<h", op, 0)[0]
        elif sprm == _SPRM_P_ILVL and op:
            p.ilvl = min(op[0], 8)
    return p


def _parse_tap(op: bytes) -> Optional[_Tap]:
    """sprmTDefTable: itcMac, rgdxaCenter (itcMac + 1 x int16), rgTc80 (20 bytes per cell)."""
    n = op[2]
    if n == 0 or len(op) < 3 + 2 * (n + 1):
        return None
    bounds = list(struct.unpack_from(f"<{n + 1}h", op, 3))
    blank = []
    base = 3 + 2 * (n + 1)
    for i in range(n):
        off = base + 20 * i
        grf = _u16(op, off) if off + 2 <= len(op) else 0
        merged_away = bool(grf & 0x0002)                          # fMerged (not the first cell)
        vert_cont = bool(grf & 0x0020) and not grf & 0x0040       # fVertMerge without fVertRestart
        blank.append(merged_away or vert_cont)
    return _Tap(bounds, blank)


@dataclass
class _Piece:
    cp0: int
    cp1: int
    fc: int
    width: int          # 1 = compressed cp1252, 2 = UTF-16LE
    prm: int


#: MSONFC number formats -> the .docx names understood by ``docx._format_number``.
_NFC = {0: "decimal", 1: "upperRoman", 2: "lowerRoman", 3: "upperLetter", 4: "lowerLetter", 5: "decimal",
        6: "decimal", 7: "decimal", 10: "ideographDigital", 11: "japaneseCounting", 14: "decimalFullWidth",
        16: "japaneseLegal", 17: "ideographDigital", 18: "decimalEnclosedCircle", 19: "decimalFullWidth",
        22: "decimalZero", 23: "bullet", 26: "decimalEnclosedFullstop", 27: "decimalEnclosedParen",
        28: "decimalEnclosedCircleChinese", 30: "ideographTraditional", 31: "ideographZodiac",
        33: "taiwaneseCounting", 34: "ideographLegalTraditional", 35: "taiwaneseCountingThousand",
        36: "taiwaneseDigital", 37: "chineseCounting", 38: "chineseLegalSimplified", 39: "chineseCountingThousand",
        255: "none"}


@dataclass
class _Lvl:
    start: int
    fmt: str
    xst: str            # number text; characters 0-8 stand for the level numbers
    follow: int         # 0 tab, 1 space, 2 nothing


class _Lists:
    """Automatic numbering (PlfLst + PlfLfo) so list labels such as 「（一）」 are rendered."""

    def __init__(self, table: bytes, fclcb):
        self.lists: dict[int, list[_Lvl]] = {}
        self.lfos: list[tuple[int, dict[int, int], dict[int, _Lvl]]] = []
        self.counters: dict[int, list[Optional[int]]] = {}
        try:
            self._parse(table, fclcb)
        except (struct.error, IndexError, ValueError, UnicodeDecodeError):
            self.lists, self.lfos = {}, []          # numbering is a nicety: never fail the text for it

    @staticmethod
    def _lvl(t: bytes, o: int) -> tuple[_Lvl, int]:
        start = struct.unpack_from("<i", t, o)[0]
        nfc, follow = t[o + 4], t[o + 15]
        cb_chpx, cb_papx = t[o + 24], t[o + 25]
        o += 28 + cb_papx + cb_chpx
        cch = _u16(t, o)
        xst = t[o + 2:o + 2 + 2 * cch].decode("utf-16-le", errors="replace")
        return _Lvl(start, _NFC.get(nfc, "decimal"), xst, follow), o + 2 + 2 * cch

    def _parse(self, t: bytes, fclcb) -> None:
        fc, lcb = fclcb(_IX_PLFLST)
        if lcb < 2 or fc + lcb > len(t):
            return
        count = struct.unpack_from("<h", t, fc)[0]
        heads = []
        for i in range(max(count, 0)):
            o = fc + 2 + 28 * i
            heads.append((_i32(t, o), t[o + 26] & 1))
        o = fc + lcb                                   # the LVLs follow the PlfLst
        for lsid, simple in heads:
            levels = []
            for _ in range(1 if simple else 9):
                lvl, o = self._lvl(t, o)
                levels.append(lvl)
            self.lists[lsid] = levels
        fc, lcb = fclcb(_IX_PLFLFO)
        if lcb < 4 or fc + lcb > len(t):
            return
        n = _i32(t, fc)
        lfos = []
        for i in range(max(n, 0)):
            o = fc + 4 + 16 * i
            lfos.append((_i32(t, o), t[o + 12]))
        o = fc + 4 + 16 * len(lfos)
        for lsid, clfolvl in lfos:
            starts: dict[int, int] = {}
            formats: dict[int, _Lvl] = {}
            o += 4                                     # LFOData.cp
            for _ in range(clfolvl):
                start, grf = _i32(t, o), _u32(t, o + 4)
                o += 8
                ilvl = grf & 0x0F
                if grf & 0x20:                          # fFormatting: a whole LVL follows
                    formats[ilvl], o = self._lvl(t, o)
                if grf & 0x10:                          # fStartAt
                    starts[ilvl] = start
            self.lfos.append((lsid, starts, formats))

    def label(self, ilfo: int, ilvl: int) -> str:
        if ilfo <= 0 or ilfo > len(self.lfos):
            return ""
        lsid, starts, formats = self.lfos[ilfo - 1]
        levels = self.lists.get(lsid)
        if not levels:
            return ""
        ilvl = min(ilvl, len(levels) - 1)

        def level(k: int) -> _Lvl:
            return formats.get(k) or levels[min(k, len(levels) - 1)]

        counters = self.counters.setdefault(ilfo, [None] * 9)
        lv = level(ilvl)
        counters[ilvl] = starts.get(ilvl, lv.start) if counters[ilvl] is None else counters[ilvl] + 1
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = None
        if lv.fmt in ("bullet", "none"):
            return ""
        from consortium_review.extractors.readers.docx import _format_number

        out = []
        for ch in lv.xst:
            k = ord(ch)
            if k < 9:
                value = counters[k] if counters[k] is not None else starts.get(k, level(k).start)
                out.append(_format_number(value, level(k).fmt))
            else:
                out.append(ch)
        text = "".join(out)
        if not text.strip():
            return ""
        return text + ("" if lv.follow == 2 else " ")


class _Doc:
    def __init__(self, word: bytes, table: bytes, fib: dict):
        self.word = word
        self.table = table
        self.fib = fib
        self.pieces: list[_Piece] = []
        self.prcs: list[bytes] = []
        self._read_clx()
        self.piece_starts = [p.cp0 for p in self.pieces]
        self.text = self._decode()
        self.papx_starts: list[int] = []
        self.papx: list[tuple[int, int, _Props]] = []
        self.papx_ok = self._read_papx()
        self.deleted = self._deleted_cp_ranges()
        self.lists = _Lists(table, fib["fclcb"])
        self._deleted_starts = [d[0] for d in self.deleted]

    # ----- piece table
    def _read_clx(self) -> None:
        fc, lcb = self.fib["fclcb"](_IX_CLX)
        clx = self.table[fc:fc + lcb]
        if lcb == 0 or len(clx) < lcb:
            raise MsDocError("文件已损坏（找不到文字索引表）")
        i = 0
        while i < len(clx) and clx[i] == 0x01:       # Prc: property modifiers
            cb = struct.unpack_from("<h", clx, i + 1)[0]
            self.prcs.append(clx[i + 3:i + 3 + max(cb, 0)])
            i += 3 + max(cb, 0)
        if i >= len(clx) or clx[i] != 0x02:
            raise MsDocError("文件已损坏（文字索引表格式错误）")
        lcb_plc = _u32(clx, i + 1)
        plc = clx[i + 5:i + 5 + lcb_plc]
        n = (len(plc) - 4) // 12
        if n <= 0 or n > MAX_PIECES:
            raise MsDocError("文件已损坏（文字索引表为空）")
        cps = struct.unpack_from(f"<{n + 1}I", plc, 0)
        for k in range(n):
            off = 4 * (n + 1) + 8 * k
            fc_raw = _u32(plc, off + 2)
            prm = _u16(plc, off + 6)
            compressed = bool(fc_raw & 0x40000000)
            fc = fc_raw & 0x3FFFFFFF
            if compressed:
                fc //= 2
            if cps[k + 1] > cps[k]:
                self.pieces.append(_Piece(cps[k], cps[k + 1], fc, 1 if compressed else 2, prm))
        self.pieces.sort(key=lambda p: p.cp0)
        if not self.pieces or self.pieces[-1].cp1 > MAX_CHARS:
            raise MsDocError("文件已损坏（文字长度异常）")

    def _decode(self) -> str:
        parts, cp = [], 0
        for p in self.pieces:
            if p.cp0 > cp:
                parts.append("\x00" * (p.cp0 - cp))   # gap: keep CP positions aligned
            raw = self.word[p.fc:p.fc + (p.cp1 - p.cp0) * p.width]
            if p.width == 1:
                s = raw.decode("cp1252", errors="replace")
            else:
                s = _utf16_units(raw)
            s = s.ljust(p.cp1 - p.cp0, "\x00")[:p.cp1 - p.cp0]
            parts.append(s)
            cp = p.cp1
        return "".join(parts)

    def cp_to_fc(self, cp: int) -> Optional[int]:
        k = bisect_right(self.piece_starts, cp) - 1
        if k < 0:
            return None
        p = self.pieces[k]
        if cp >= p.cp1:
            return None
        return p.fc + (cp - p.cp0) * p.width

    def piece_at(self, cp: int) -> Optional[_Piece]:
        k = bisect_right(self.piece_starts, cp) - 1
        if k < 0 or cp >= self.pieces[k].cp1:
            return None
        return self.pieces[k]

    # ----- paragraph properties
    def _fkp_pages(self, index: int) -> list[int]:
        fc, lcb = self.fib["fclcb"](index)
        plc = self.table[fc:fc + lcb]
        if lcb < 12 or len(plc) < lcb:
            return []
        n = (lcb - 4) // 8
        return [_u32(plc, 4 * (n + 1) + 4 * k) & 0x3FFFFF for k in range(n)]

    def _read_papx(self) -> bool:
        pages = self._fkp_pages(_IX_PLCFBTEPAPX)
        if not pages:
            return False
        runs = []
        for pn in pages:
            page = self.word[pn * 512:pn * 512 + 512]
            if len(page) < 512:
                continue
            crun = page[511]
            if crun == 0 or 4 * (crun + 1) + 13 * crun > 511:
                continue
            fcs = struct.unpack_from(f"<{crun + 1}I", page, 0)
            for k in range(crun):
                boff = page[4 * (crun + 1) + 13 * k] * 2
                props = _NO_PROPS
                if boff:
                    cb = page[boff]
                    if cb:
                        start, size = boff + 1, 2 * cb - 1
                    else:
                        start, size = boff + 2, 2 * page[boff + 1]
                    data = page[start:start + size]
                    if len(data) >= 2:
                        props = _para_props(_u16(data, 0), data[2:])
                runs.append((fcs[k], fcs[k + 1], props))
        runs.sort(key=lambda r: r[0])
        self.papx = runs
        self.papx_starts = [r[0] for r in runs]
        return bool(runs)

    def props_at(self, cp: int) -> _Props:
        """Paragraph properties of the paragraph whose mark is at ``cp``."""
        fc = self.cp_to_fc(cp)
        props = _NO_PROPS
        if fc is not None and self.papx:
            k = bisect_right(self.papx_starts, fc) - 1
            if k >= 0 and fc < self.papx[k][1]:
                props = self.papx[k][2]
        piece = self.piece_at(cp)
        if piece is not None and piece.prm & 1:            # Prm1: grpprl in the CLX
            igrpprl = piece.prm >> 1
            if igrpprl < len(self.prcs):
                extra = _para_props(props.istd, self.prcs[igrpprl])
                if any((extra.in_table, extra.ttp, extra.itap)):
                    props = _Props(in_table=props.in_table or extra.in_table, ttp=props.ttp or extra.ttp,
                                   itap=extra.itap or props.itap, inner_cell=props.inner_cell,
                                   inner_ttp=props.inner_ttp, istd=props.istd, outline=props.outline)
        return props

    # ----- tracked deletions
    def _deleted_cp_ranges(self) -> list[tuple[int, int]]:
        fc_ranges = []
        for pn in self._fkp_pages(_IX_PLCFBTECHPX):
            page = self.word[pn * 512:pn * 512 + 512]
            if len(page) < 512:
                continue
            crun = page[511]
            if crun == 0 or 4 * (crun + 1) + crun > 511:
                continue
            fcs = struct.unpack_from(f"<{crun + 1}I", page, 0)
            for k in range(crun):
                off = page[4 * (crun + 1) + k] * 2
                if not off:
                    continue
                cb = page[off]
                for sprm, op in _sprms(page[off + 1:off + 1 + cb]):
                    if sprm == _SPRM_C_RMARK_DEL and op and op[0] & 1:
                        fc_ranges.append((fcs[k], fcs[k + 1]))
                        break
        if not fc_ranges:
            return []
        fc_ranges.sort()
        starts = [a for a, _ in fc_ranges]
        out = []
        for p in self.pieces:
            f0, f1 = p.fc, p.fc + (p.cp1 - p.cp0) * p.width
            k = max(bisect_right(starts, f0) - 1, 0)
            while k < len(fc_ranges) and fc_ranges[k][0] < f1:
                a, b = fc_ranges[k]
                lo, hi = max(a, f0), min(b, f1)
                if lo < hi:
                    out.append((p.cp0 + (lo - f0) // p.width, p.cp0 + (hi - f0 + p.width - 1) // p.width))
                k += 1
        out.sort()
        return out

    def without_deleted(self, a: int, b: int) -> str:
        """Text of CP range [a, b) with tracked deletions removed."""
        if not self.deleted:
            return self.text[a:b]
        parts, cur = [], a
        k = max(bisect_right(self._deleted_starts, a) - 1, 0)
        while k < len(self.deleted) and self.deleted[k][0] < b:
            s, e = self.deleted[k]
            if e > cur:
                if s > cur:
                    parts.append(self.text[cur:min(s, b)])
                cur = max(cur, min(e, b))
            k += 1
        if cur < b:
            parts.append(self.text[cur:b])
        return "".join(parts)

    def is_deleted(self, cp: int) -> bool:
        if not self.deleted:
            return False
        k = bisect_right(self._deleted_starts, cp) - 1
        return k >= 0 and self.deleted[k][0] <= cp < self.deleted[k][1]


class _FieldFilter:
    """Drops field codes (\\x13 code \\x14 result \\x15): keeps results, hides page numbers."""

    def __init__(self):
        self.stack: list[list] = []   # [in_result, code_chars, hidden]

    def feed(self, text: str) -> str:
        if not self.stack and not any(c in text for c in "\x13\x14\x15"):
            return text
        out = []
        for ch in text:
            if ch == "\x13":
                self.stack.append([False, [], False])
            elif ch == "\x14":
                if self.stack:
                    top = self.stack[-1]
                    top[0] = True
                    words = "".join(top[1]).split()
                    top[2] = bool(words) and words[0].upper() in _LAYOUT_FIELDS
            elif ch == "\x15":
                if self.stack:
                    self.stack.pop()
            elif not self.stack:
                out.append(ch)
            else:
                top = self.stack[-1]
                if not top[0]:
                    if len(top[1]) < 200:
                        top[1].append(ch)
                elif all(f[0] and not f[2] for f in self.stack):
                    out.append(ch)
        return "".join(out)


_SPECIAL = str.maketrans({"\x0b": "\n", "\x1e": "-", "\x1f": "", "\x01": "", "\x08": "", "\x02": "",
                          "\x05": "", "\x03": "", "\x04": "", "\x00": "", "\ufffd": ""})
_PARA_END = re.compile(r"[\r\x07\x0c]")


def _open(path: Path):
    import olefile

    try:
        if not olefile.isOleFile(str(path)):
            raise MsDocError("不是有效的 Word 97-2003 文档（文件头不正确）")
        return olefile.OleFileIO(str(path))
    except MsDocError:
        raise
    except Exception as exc:  # olefile raises many kinds on broken sector tables
        raise MsDocError(f"文件已损坏，无法读取（复合文档结构错误：{str(exc)[:60]}）") from None


def check_encrypted(path: Path) -> None:
    """Raise ``MsDocEncrypted`` / ``MsDocError`` early (before any conversion is attempted)."""
    ole = _open(path)
    try:
        streams = {"/".join(s).lower() for s in ole.listdir()}
        if "encryptedpackage" in streams:
            raise MsDocEncrypted("文件已加密（需要密码），无法读取；请提交未加密的版本")
        if "worddocument" not in streams:
            return
        head = ole.openstream("WordDocument").read(0x20)
        if len(head) >= 0x0C and _u16(head, 0) == _FIB_IDENT and _u16(head, 0x0A) & 0x0100:
            raise MsDocEncrypted("文件已加密（需要密码），无法读取；请提交未加密的版本")
    except MsDocError:
        raise
    except Exception as exc:
        raise MsDocError(f"文件已损坏，无法读取（{type(exc).__name__}）") from None
    finally:
        ole.close()


def has_word_stream(path: Path) -> bool:
    try:
        ole = _open(path)
    except MsDocError:
        return False
    try:
        return ole.exists("WordDocument")
    finally:
        ole.close()


def parse(path: Path) -> DocText:
    """Parse a Word 97-2003 file. Raises ``MsDocError`` with a Chinese reason."""
    ole = _open(path)
    try:
        if not ole.exists("WordDocument"):
            raise MsDocError("不是 Word 97-2003 文档（缺少 WordDocument 数据流）")
        word = ole.openstream("WordDocument").read()
        if len(word) < 0x200 or _u16(word, 0) != _FIB_IDENT:
            raise MsDocError("不是有效的 Word 97-2003 文档（文件信息块损坏）")
        nfib = _u16(word, 2)
        flags = _u16(word, 0x0A)
        if flags & 0x0100:
            raise MsDocEncrypted("文件已加密（需要密码），无法读取；请提交未加密的版本")
        if nfib < 0x00C1 and nfib != 0x00C0:
            raise MsDocError("文件是 Word 6.0/95 等更早的格式，内置解析不支持")
        table_name = "1Table" if flags & 0x0200 else "0Table"
        if not ole.exists(table_name):
            raise MsDocError("文件已损坏（缺少表格数据流）")
        table = ole.openstream(table_name).read()
    except MsDocError:
        raise
    except Exception as exc:
        raise MsDocError(f"文件已损坏，无法读取（{type(exc).__name__}）") from None
    finally:
        ole.close()
    try:
        return _parse_streams(word, table)
    except MsDocError:
        raise
    except (struct.error, IndexError, ValueError, OverflowError) as exc:
        raise MsDocError(f"文件已损坏，无法读取（{type(exc).__name__}）") from None


def _parse_streams(word: bytes, table: bytes) -> DocText:
    csw = _u16(word, 0x20)
    pos = 0x22 + 2 * csw
    cslw = _u16(word, pos)
    lw = pos + 2
    ccp = [_i32(word, lw + 4 * k) for k in range(min(cslw, 22))]
    if len(ccp) < 11:
        raise MsDocError("文件已损坏（文件信息块不完整）")
    ccp_text, ccp_ftn, ccp_hdd, ccp_atn, ccp_edn, ccp_txbx = ccp[3], ccp[4], ccp[5], ccp[7], ccp[8], ccp[9]
    if min(ccp_text, ccp_ftn, ccp_hdd, ccp_atn, ccp_edn, ccp_txbx) < 0 or \
            ccp_text + ccp_ftn + ccp_hdd + ccp_atn + ccp_edn + ccp_txbx > MAX_CHARS:
        raise MsDocError("文件已损坏（文字长度异常）")
    pos = lw + 4 * cslw
    cb_fclcb = _u16(word, pos)
    blob = pos + 2

    def fclcb(index: int) -> tuple[int, int]:
        if index >= cb_fclcb:
            return 0, 0
        return _u32(word, blob + 8 * index), _u32(word, blob + 8 * index + 4)

    doc = _Doc(word, table, {"fclcb": fclcb})
    out = DocText()
    out.table_marks_guessed = not doc.papx_ok
    out.deletions = len(doc.deleted)
    out.body = _main_story(doc, 0, ccp_text)

    ftn0 = ccp_text
    hdd0 = ftn0 + ccp_ftn
    atn0 = hdd0 + ccp_hdd
    edn0 = atn0 + ccp_atn
    txbx0 = edn0 + ccp_edn
    out.footnotes = _notes(doc, fclcb, _IX_PLCFFNDTXT, ftn0, ccp_ftn)
    out.endnotes = _notes(doc, fclcb, _IX_PLCFENDTXT, edn0, ccp_edn)
    out.headers, out.footers = _headers(doc, fclcb, hdd0, ccp_hdd)
    if ccp_txbx:
        stories = _plc_cps(table, *fclcb(_IX_PLCFTXBXTXT), extra=22)
        for a, b in _ranges(stories, ccp_txbx):
            text = _story_text(doc, txbx0 + a, txbx0 + b)
            if text:
                out.textboxes.append(text)
    return out


def _plc_cps(table: bytes, fc: int, lcb: int, extra: int) -> list[int]:
    """The CP array of a PLC whose data elements are ``extra`` bytes each."""
    data = table[fc:fc + lcb]
    if lcb < 4 or len(data) < lcb:
        return []
    n = (lcb - 4) // (4 + extra)
    return list(struct.unpack_from(f"<{n + 1}I", data, 0))


def _ranges(cps: list[int], length: int) -> list[tuple[int, int]]:
    if len(cps) < 2:
        return [(0, length)] if length else []
    out = []
    for a, b in zip(cps, cps[1:]):
        a, b = min(a, length), min(b, length)
        if b > a:
            out.append((a, b))
    return out


def _notes(doc: _Doc, fclcb, index: int, start: int, length: int) -> list[str]:
    if length <= 0:
        return []
    cps = _plc_cps(doc.table, *fclcb(index), extra=0)
    out = []
    for a, b in _ranges(cps, length):
        text = _story_text(doc, start + a, start + b)
        if text:
            out.append(text)
    return out


def _headers(doc: _Doc, fclcb, start: int, length: int) -> tuple[list[str], list[str]]:
    headers: list[str] = []
    footers: list[str] = []
    if length <= 0:
        return headers, footers
    cps = _plc_cps(doc.table, *fclcb(_IX_PLCFHDD), extra=0)
    for i, (a, b) in enumerate(zip(cps, cps[1:])):
        if i < 6:
            continue  # footnote/endnote separators
        a, b = min(a, length), min(b, length)
        text = _story_text(doc, start + a, start + b) if b > a else ""
        if not text:
            continue
        target = headers if (i - 6) % 6 in (0, 1, 4) else footers
        if text not in target:
            target.append(text)
    return headers, footers


def _utf16_units(raw: bytes) -> str:
    """UTF-16LE text with ONE str character per 16-bit unit: character positions (CPs) count
    units, so a surrogate pair (an emoji) must stay two characters until the text is final."""
    raw = raw[:len(raw) // 2 * 2]
    s = raw.decode("utf-16-le", errors="surrogatepass")
    if len(s) == len(raw) // 2:
        return s
    return "".join(map(chr, array("H", raw) if sys.byteorder == "little" else _swapped(raw)))


def _swapped(raw: bytes) -> array:
    a = array("H", raw)
    a.byteswap()
    return a


_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean_para(text: str) -> str:
    text = text.translate(_SPECIAL)
    if _SURROGATE.search(text):   # re-join surrogate pairs (emoji); lone halves are dropped
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")
    return text


def _story_text(doc: _Doc, a: int, b: int) -> str:
    """A footnote/header/text box story as lines (cell and paragraph marks become newlines)."""
    ff = _FieldFilter()
    raw = ff.feed(doc.without_deleted(a, b))
    lines = [_clean_para(s).strip() for s in _PARA_END.split(raw)]
    return "\n".join(s for s in lines if s)


class _TableState:
    def __init__(self, number: int):
        self.number = number
        self.rows: list[tuple[list[str], Optional[_Tap], list]] = []   # cells, geometry, nested items after
        self.cells: list[str] = []
        self.paras: list[str] = []
        self.after: list = []          # items of nested tables finished inside the current row

    def end_cell(self) -> None:
        self.cells.append("\n".join(self.paras))
        self.paras = []

    def end_row(self, tap: Optional[_Tap]) -> None:
        if self.paras:
            self.end_cell()
        self.rows.append((self.cells, tap, self.after))
        self.cells, self.after = [], []

    def finish(self) -> list:
        """The table's rows (cells placed on a common column grid) and what is nested in them."""
        if self.paras or self.cells:
            self.end_row(None)
        grid = _grid([tap for _, tap, _ in self.rows if tap is not None])
        items: list = []
        for cells, tap, after in self.rows:
            items.append(DocRow(_on_grid(cells, tap, grid), self.number))
            items.extend(after)
        return items


def _grid(taps: list[_Tap]) -> list[int]:
    points: list[int] = []
    for tap in taps:
        points.extend(tap.bounds)
    grid: list[int] = []
    for x in sorted(set(points)):
        if not grid or x - grid[-1] > 20:      # boundaries a few twips apart are the same column line
            grid.append(x)
    return grid


def _on_grid(cells: list[str], tap: Optional[_Tap], grid: list[int]) -> list[str]:
    """Spread a row's cells over the table grid: a wide cell keeps its text in its first column."""
    if tap is None or len(tap.bounds) != len(cells) + 1 or len(grid) < 2:
        return cells

    def col(x: int) -> int:
        return min(range(len(grid)), key=lambda k: abs(grid[k] - x))

    out = [""] * col(tap.bounds[0])
    for i, text in enumerate(cells):
        span = max(col(tap.bounds[i + 1]) - col(tap.bounds[i]), 1)
        out.append("" if tap.blank[i] else text)
        out.extend([""] * (span - 1))
    out.extend([""] * max(len(grid) - 1 - len(out), 0))
    return out


def _main_story(doc: _Doc, start: int, end: int) -> list:
    """Main text as DocParagraph and DocRow items, in reading order; a nested table's rows follow
    the row that contains it."""
    body: list = []
    ff = _FieldFilter()
    stack: list[_TableState] = []
    tables = 0
    carry = ""              # text of a paragraph whose mark was deleted joins the next one
    prev_mark = ""
    text = doc.text

    def close_to(depth: int) -> None:
        while len(stack) > depth:
            items = stack.pop().finish()
            (stack[-1].after if stack else body).extend(items)

    pos = start
    for m in _PARA_END.finditer(text, start, end):
        mark_cp = m.start()
        mark = m.group()
        seg = carry + doc.without_deleted(pos, mark_cp)
        pos = mark_cp + 1
        if mark == "\r" and doc.is_deleted(mark_cp):
            carry = seg
            continue
        carry = ""
        para = _clean_para(ff.feed(seg)).strip()
        if para and mark != "\x0c" and doc.papx_ok:
            lp = doc.props_at(mark_cp)
            if lp.ilfo > 0:
                para = doc.lists.label(lp.ilfo, lp.ilvl) + para
        if mark == "\x0c":
            # page/section break: ends the paragraph (outside tables)
            if para:
                if stack:
                    stack[-1].paras.append(para)
                else:
                    body.append(DocParagraph(para))
            prev_mark = mark
            continue
        if doc.papx_ok:
            props = doc.props_at(mark_cp)
            depth = props.itap if props.itap > 0 else (1 if props.in_table else 0)
            if depth > 1:
                row_end = props.inner_ttp
                cell_end = not row_end and (props.inner_cell or mark == "\x07")
            else:
                row_end = mark == "\x07" and props.ttp
                cell_end = mark == "\x07" and not row_end
        else:
            # no paragraph properties: a bare cell mark right after a cell mark ends the row
            props = _NO_PROPS
            in_row = bool(stack and (stack[-1].cells or stack[-1].paras))
            depth = 1 if mark == "\x07" or (in_row and mark == "\r") else 0
            row_end = mark == "\x07" and prev_mark == "\x07" and not para
            cell_end = mark == "\x07" and not row_end
        prev_mark = mark
        if depth == 0:
            close_to(0)
            if para:
                level = None
                if props.outline is not None and props.outline < 9:
                    level = props.outline + 1
                elif 1 <= props.istd <= 9:      # style slots 1-9 are the built-in Heading 1-9
                    level = props.istd
                body.append(DocParagraph(para, level))
            continue
        depth = min(depth, 64)
        close_to(depth)
        while len(stack) < depth:
            tables += 1
            stack.append(_TableState(tables))
        st = stack[-1]
        if row_end:
            if para:
                st.paras.append(para)
            st.end_row(props.tap)
        elif cell_end:
            if para:
                st.paras.append(para)
            st.end_cell()
        elif para:
            st.paras.append(para)
    close_to(0)
    tail = _clean_para(ff.feed(carry + doc.without_deleted(pos, end))).strip()
    if tail:
        body.append(DocParagraph(tail))
    return body
