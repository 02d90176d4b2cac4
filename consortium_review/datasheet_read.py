"""Reading filled data-collection workbooks (年度数据采集表) back: the data sheet's read + extract stage.

``find_datasheets(folder, catalogue)`` finds filled workbooks *by their header* (a header row
holding 「观测点编号」 and 「本年度数值」), never by file name, and ``read_datasheet`` turns each
into typed values per observation-point code (``parse_value``), with the row as locator.

The workbook's layout (``generator.datasheet``: sheet names, columns, the 基本信息 fields) and
the plain data it is read into (``DataSheet``, ``SheetEntry``) belong to the writer, which
generates the blank sheet; merging the values into evidence.json is pure data
(``generator.datasheet.merge_datasheet``).  Reading sits here, beside the annual run that uses it
(``consortium_review.annual``), and not under ``generator/``: a renderer never reads materials
(nor imports ``extractors``).  Its natural home is ``extractors/`` (it needs the format sniffer,
the number grammar and the yes/no cell parser); it can move there, with ``DataSheet`` going down
to ``models``, once that package is not being reworked.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional, Sequence

from .catalogue import Catalogue, ObservationPoint
from .extractors.numbers import find_quantities, to_number, to_unit
from .extractors.read import iter_files
from .extractors.sniff import sniff
from .extractors.tables import parse_cell_bool
from .generator.datasheet import (HEADER_SCAN_ROWS, INFO_FIELDS, INSTRUCTIONS_SHEET, KEY_HEADERS, MAX_ROWS, DataSheet,
                                  SheetEntry)
from .generator.officedoc import sanitize_text


def _header_map(rows: Sequence[Sequence[Any]]) -> Optional[tuple[int, dict[str, int]]]:
    """(row index 0-based, {column name: index}) of the data-sheet header, if any."""
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        names = [str(c).strip() if c is not None else "" for c in row]
        if all(k in names for k in KEY_HEADERS):
            return r, {n: i for i, n in enumerate(names) if n}
    return None


def _cell_str(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, (dt.datetime, dt.date)):
        return v.strftime("%Y-%m-%d")
    return sanitize_text(v).strip()


def _number(v: Decimal | float | int) -> float | int:
    return to_number(v if isinstance(v, Decimal) else Decimal(str(v)))


_EMPTY = re.compile(r"^\s*(?:[/／\\—\-–_]+|无数据|暂无|暂无数据|待统计|待填报|待补充|不适用|N/?A)?\s*$", re.I)


def parse_value(raw: Any, p: ObservationPoint, number_format: str = "General") -> tuple[Any, Optional[str], list[dict], Optional[str]]:
    """A value cell typed for point ``p``: (value, unit, quantities, error or None).

    ``None`` value with no error means the cell is empty (留空 = 待补充).  Numbers never come
    from anything but the cell itself: text that does not parse is reported, not guessed.
    """
    if raw is None or (isinstance(raw, str) and _EMPTY.match(raw)):
        return None, None, [], None
    if isinstance(raw, (dt.datetime, dt.date, dt.time)):
        return None, None, [], f"「{_cell_str(raw)}」是日期，不是{p.type == 'yesno' and '是/否' or '数值'}"
    text = _cell_str(raw)
    if p.type == "yesno":
        if isinstance(raw, bool):
            return raw, None, [], None
        v = parse_cell_bool(text)
        if v is None:
            return None, None, [], f"「{text}」不是“是”或“否”"
        return v, None, [], None
    if p.type == "category":
        cat = next((c for c in p.categories if c == text), None) or next((c for c in p.categories if c in text), None)
        if cat is None:
            return None, None, [], f"「{text}」不在可选类别（{'、'.join(p.categories)}）中"
        return cat, None, [], None
    if p.type == "text":
        return text, None, [], None
    units = list(p.units) if p.type == "multi" else [p.unit] if p.unit else []
    if isinstance(raw, bool):
        return None, None, [], f"「{text}」不是数字"
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and not math.isfinite(raw):
            return None, None, [], f"「{text}」不是有效数字"
        if raw < 0:
            return None, None, [], f"「{text}」为负数"
        d = Decimal(str(raw))
        if p.type == "percent" and "%" in (number_format or ""):
            d = d * 100           # typed as 35% -> stored 0.35 with a percent format
        if p.type == "multi":
            return _number(d), units[0], [{"value": _number(d), "unit": units[0]}], None
        return _number(d), p.unit, [], None
    qs = [q for q in find_quantities(text) if not q.is_year]
    if not qs:
        return None, None, [], f"「{text}」中没有可识别的数字"
    found: list[dict] = []
    for unit in units:
        for q in qs:
            v = to_unit(q, unit, default_unit=unit if (q.unit is None and (len(units) == 1 or not found)) else None)
            if v is not None and v >= 0:
                found.append({"value": _number(v), "unit": unit})
                break
    if not found:
        return None, None, [], f"「{text}」的单位与观测点单位（{'、'.join(units)}）不符"
    if p.type == "multi":
        # a bare number belongs to the first unit only; every stated unit is kept
        return found[0]["value"], found[0]["unit"], found, None
    if len(qs) > 1:
        return None, None, [], f"「{text}」含有多个数字，无法确定取哪一个"
    return found[0]["value"], found[0]["unit"], [], None


def _read_rows(path: Path) -> Optional[tuple[str, list[tuple], list[list[str]], dict[str, str]]]:
    """(sheet name, value rows, number formats per cell, info block) of the first data sheet."""
    import openpyxl  # lazy: openpyxl loads only when a workbook is opened

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:            # not a workbook openpyxl can open: not a data sheet
        return None
    try:
        found = None
        info: dict[str, str] = {}
        for ws in wb.worksheets:
            head = [tuple(r) for r in ws.iter_rows(min_row=1, max_row=HEADER_SCAN_ROWS, values_only=True)]
            if found is None and _header_map(head) is not None:
                values, formats = [], []
                for n, cells in enumerate(ws.iter_rows(min_row=1, max_row=MAX_ROWS)):
                    values.append(tuple(getattr(c, "value", None) for c in cells))
                    formats.append([getattr(c, "number_format", "General") or "General" for c in cells])
                found = (ws.title, values, formats)
            elif ws.title == INSTRUCTIONS_SHEET or not info:
                for row in ws.iter_rows(min_row=1, max_row=40, max_col=2, values_only=True):
                    if len(row) >= 2 and isinstance(row[0], str) and row[0].strip() in INFO_FIELDS:
                        val = _cell_str(row[1])
                        if val:
                            info[row[0].strip()] = val
        if found is None:
            return None
        return found[0], found[1], found[2], info
    finally:
        wb.close()


def read_datasheet(path: Path | str, catalogue: Catalogue, rel: Optional[str] = None) -> Optional[DataSheet]:
    """Read a filled data sheet; None when the workbook does not have the data-sheet header."""
    path = Path(path)
    got = _read_rows(path)
    if got is None:
        return None
    sheet_name, rows, formats, info = got
    h, cols = _header_map(rows)
    ds = DataSheet(file=rel or path.name, sheet=sheet_name, info=info)
    points = {p.code: p for p in catalogue.points}
    code_col, value_col = cols["观测点编号"], cols["本年度数值"]
    ev_col, note_col = cols.get("佐证材料"), cols.get("备注")
    for r in range(h + 1, len(rows)):
        row = rows[r]
        row_no = r + 1

        def cell(i: Optional[int]) -> Any:
            return row[i] if i is not None and i < len(row) else None

        code = _cell_str(cell(code_col))
        if not code:
            continue
        code = code.rstrip(".")
        if code not in points:
            if re.match(r"^\d{1,2}\.\d{1,2}\.\d{1,2}$", code):
                ds.unknown_codes.append(code)
            continue
        raw = cell(value_col)
        fmt = formats[r][value_col] if value_col < len(formats[r]) else "General"
        value, unit, qs, err = parse_value(raw, points[code], fmt)
        loc = ds.locator(row_no)
        if err:
            ds.errors.append(f"{ds.file} {loc}（{code}）：{err}，未采用")
            continue
        if value is None:
            continue
        if code in ds.entries:
            prev = ds.entries[code]
            if prev.value != value:
                ds.errors.append(f"{ds.file} {loc}（{code}）：与第{prev.row}行重复且数值不同，采用第{prev.row}行")
            continue
        ds.entries[code] = SheetEntry(code=code, row=row_no, raw=raw, value=value, unit=unit, quantities=qs,
                                      evidence_text=_cell_str(cell(ev_col)), note=_cell_str(cell(note_col)))
    return ds


def find_datasheets(folder: Path | str, catalogue: Catalogue) -> list[DataSheet]:
    """Every filled data sheet below ``folder`` (found by header, in path order)."""
    folder = Path(folder)
    out = []
    for p in iter_files(folder):
        if p.suffix.lower() not in (".xlsx", ".xlsm") and not p.suffix.lower() == "":
            continue
        try:
            if sniff(p) != "xlsx":
                continue
        except Exception:
            continue
        ds = read_datasheet(p, catalogue, rel=p.relative_to(folder).as_posix())
        if ds is not None:
            out.append(ds)
    return out
