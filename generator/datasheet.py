"""The annual data-collection workbook (年度数据采集表): generate it blank, merge its values.

``write_datasheet(catalogue, path)`` writes a workbook generated from the catalogue:

* sheet 「填表说明」 — instructions in Chinese and a small 基本信息 block (联合体名称, 年度, 填报单位 …);
* sheet 「数据采集表」 — one row per observation point with the columns ``COLUMNS``; the value
  column carries data validation (decimal ≥ 0 for numbers, 0–100 for percentages, a 是/否 list
  for yes/no points, the category list for category points) and an input prompt saying what to
  type; frozen header, filters, widths, print titles; optionally the structure columns locked.

A filled workbook is read back by ``consortium_review.datasheet_read`` (the read + extract stage:
found *by its header*, values typed per point) into the plain ``DataSheet`` defined here, next to
the layout it is read by.

``merge_datasheet(evidence, sheets, catalogue)`` puts those values first: it returns a copy of
evidence.json in which each point's value comes from the data sheet when filled (evidence item
with ``source: "datasheet"``, file = the workbook, locator = its row), and the documents' evidence
confirms or conflicts.  The generic spreadsheet reader also read the workbook as an ordinary
document; that evidence is dropped here (keyed on the point code and the workbook's file) so the
data sheet is never counted twice.  Pure data: nothing here reads the materials.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from consortium_review.catalogue import Catalogue, ObservationPoint
from consortium_review.fileio import atomic_path

from .assess import format_value, source_of

SHEET_NAME = "数据采集表"
INSTRUCTIONS_SHEET = "填表说明"
COLUMNS = ["二级指标", "三级指标", "观测点编号", "观测点", "单位", "本年度数值", "佐证材料", "备注"]
#: header cells that identify a data sheet (any sheet, any file name)
KEY_HEADERS = ("观测点编号", "本年度数值")
#: columns a member unit fills in (unlocked when the structure is protected)
INPUT_COLUMNS = ("本年度数值", "佐证材料", "备注")
WIDTHS = {"二级指标": 14, "三级指标": 22, "观测点编号": 11, "观测点": 46, "单位": 10,
          "本年度数值": 16, "佐证材料": 32, "备注": 22}
#: the 基本信息 block on the instructions sheet: label in column A, value in column B
INFO_FIELDS = ("联合体名称", "年度", "填报单位", "联系人", "联系电话", "填报日期")
#: how far down a sheet the header row is looked for
HEADER_SCAN_ROWS = 10
#: rows read from a data sheet at most (116 points; generous for copies with extra rows)
MAX_ROWS = 5000

_FILL_HEAD = "D9E2F3"
_FILL_INPUT = "FFF9E5"
_LIST_MAX = 255       # Excel's limit for an inline list formula


# --------------------------------------------------------------------------- generating

def unit_label(p: ObservationPoint) -> str:
    """What the 单位 column says for a point."""
    if p.type == "yesno":
        return "是/否"
    if p.type == "category":
        return "类别"
    if p.type == "text":
        return "文字"
    if p.type == "multi":
        return "；".join(p.units) if p.units else (p.unit or "")
    return p.unit or ""


def _list_item(s: str) -> str:
    # a list formula is comma separated and quoted: keep those characters out of items
    return str(s).replace(",", "，").replace('"', "”").strip()


def validation_spec(p: ObservationPoint) -> Optional[dict[str, Any]]:
    """The data validation for a point's value cell (None = free text with a prompt only)."""
    if p.type in ("amount", "count", "rate"):
        return {"type": "decimal", "operator": "greaterThanOrEqual", "formula1": "0",
                "prompt": f"填写数字（单位：{p.unit}），不小于0；暂无数据请留空。",
                "error": "请填写不小于0的数字（不要带单位）。"}
    if p.type == "percent":
        return {"type": "decimal", "operator": "between", "formula1": "0", "formula2": "100",
                "prompt": "填写百分数的数值，如 35 表示 35%（也可直接输入 35%）；暂无数据请留空。",
                "error": "请填写 0 到 100 之间的数字（百分数的数值）。"}
    if p.type == "yesno":
        return {"type": "list", "formula1": '"是,否"', "prompt": "从下拉列表选择「是」或「否」。",
                "error": "请从下拉列表选择「是」或「否」。"}
    if p.type == "category" and p.categories:
        items = ",".join(_list_item(c) for c in p.categories)
        prompt = "从下拉列表选择：" + "、".join(p.categories) + "。"
        if len(items) + 2 > _LIST_MAX:
            return {"type": None, "prompt": prompt}
        return {"type": "list", "formula1": f'"{items}"', "prompt": prompt,
                "error": "请从下拉列表选择：" + "、".join(p.categories) + "。"}
    if p.type == "multi":
        units = "；".join(f"数值{u}" for u in p.units)
        return {"type": None, "prompt": f"按「数值+单位」填写，多个单位用「；」分隔，如：{units}。"}
    return {"type": None, "prompt": "填写简要情况（文字）。"}


def write_datasheet(catalogue: Catalogue, path: Path | str, *, protect: bool = False,
                    year: Optional[int] = None) -> Path:
    """Write the blank data-collection workbook for ``catalogue`` to ``path`` (atomically)."""
    # lazy: openpyxl loads only when a workbook is written
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    wb = Workbook()
    info = wb.active
    info.title = INSTRUCTIONS_SHEET
    ws = wb.create_sheet(SHEET_NAME)

    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_font = Font(name="黑体", bold=True, size=11)
    body_font = Font(name="宋体", size=10.5)
    wrap_top = Alignment(wrap_text=True, vertical="top")
    input_fill = PatternFill("solid", fgColor=_FILL_INPUT)

    # ---- instructions sheet (prints on one page width)
    info.column_dimensions["A"].width = 14
    info.column_dimensions["B"].width = 80
    info.page_setup.paperSize = info.PAPERSIZE_A4
    info.page_setup.fitToWidth = 1
    info.page_setup.fitToHeight = 0
    info.sheet_properties.pageSetUpPr.fitToPage = True
    info["A1"] = "市域产教联合体年度数据采集表"
    info["A1"].font = Font(name="黑体", bold=True, size=16)
    info["A2"] = f"指标体系：{catalogue.title}" + (f"（{catalogue.source}）" if catalogue.source else "")
    info["A2"].font = body_font
    r = 4
    info.cell(r, 1, "基本信息").font = head_font
    r += 1
    info_rows = {}
    for label in INFO_FIELDS:
        a = info.cell(r, 1, label)
        a.font = body_font
        a.border = border
        b = info.cell(r, 2, year if (label == "年度" and year) else None)
        b.fill = input_fill
        b.border = border
        b.number_format = "@" if label != "年度" else "0"
        b.alignment = Alignment(horizontal="left")
        b.protection = Protection(locked=False)
        info_rows[label] = r
        r += 1
    r += 1
    info.cell(r, 1, "填表说明").font = head_font
    r += 1
    n = len(catalogue.points)
    lines = [
        f"本表依据《{catalogue.title}》生成，共 {n} 个观测点，「{SHEET_NAME}」工作表每行一个观测点。",
        "请在「本年度数值」列填写本年度（1月1日至12月31日）的数据；名称中注明“近三年”的观测点填写近三年累计数。",
        "数值型观测点只填数字，单位以「单位」列为准（例如单位为“万元”时，320 表示 320 万元）。",
        "比例类观测点填写百分数的数值，例如 35 表示 35%（也可以直接输入 35%）。",
        "是/否类观测点从下拉列表选择「是」或「否」；类别类观测点从下拉列表选择。",
        "多单位观测点按「数值+单位」填写，多个单位之间用「；」分隔，例如：120人次；3600课时。",
        "文字描述类观测点填写简要情况。",
        "「佐证材料」列填写支撑该数据的文件名称及页码，例如：年度工作总结.pdf 第3页。",
        "暂无数据的观测点请留空，不要填 0；确实为零的才填 0。留空的观测点在年度报告中标为「待补充」。",
        "请勿修改表头和「观测点编号」列，勿插入或删除列：汇总时按观测点编号识别数据。",
        "填好后将本表放入联合体年度材料文件夹，运行「consortium-review annual 材料文件夹」生成年度报告；"
        "本表数据优先采用，其他材料用于印证，二者不一致时在报告中列出。",
    ]
    for i, line in enumerate(lines, 1):
        n_cell = info.cell(r, 1, f"{i}.")
        n_cell.font = body_font
        n_cell.alignment = Alignment(horizontal="right", vertical="top")
        c = info.cell(r, 2, line)
        c.font = body_font
        c.alignment = Alignment(wrap_text=True, vertical="top")
        info.row_dimensions[r].height = 15 * max(1, math.ceil(len(line) / 38))
        r += 1

    # ---- data sheet
    for col, name in enumerate(COLUMNS, 1):
        c = ws.cell(1, col, name)
        c.font = head_font
        c.fill = PatternFill("solid", fgColor=_FILL_HEAD)
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        c.border = border
        ws.column_dimensions[get_column_letter(col)].width = WIDTHS[name]
    ws.row_dimensions[1].height = 22
    col_of = {name: i for i, name in enumerate(COLUMNS, 1)}
    value_col = get_column_letter(col_of["本年度数值"])
    validations: dict[tuple, tuple[DataValidation, list[str]]] = {}
    prompts_only: dict[str, list[str]] = {}
    for i, p in enumerate(catalogue.points, 2):
        row = {
            "二级指标": f"{p.level2_code} {p.level2_name}".strip(),
            "三级指标": f"{p.indicator_code} {p.indicator_name}".strip(),
            "观测点编号": p.code,
            "观测点": p.name,
            "单位": unit_label(p),
        }
        for name in COLUMNS:
            c = ws.cell(i, col_of[name], row.get(name))
            c.font = body_font
            c.border = border
            c.alignment = wrap_top
            if name in INPUT_COLUMNS:
                c.fill = input_fill
                c.protection = Protection(locked=False)
                if name != "本年度数值" or p.type in ("multi", "text", "category"):
                    c.number_format = "@"
            else:
                c.number_format = "@"
        ws.row_dimensions[i].height = 15 * max(1, math.ceil(len(p.name) / 22))
        spec = validation_spec(p)
        cell_ref = f"{value_col}{i}"
        if spec and spec.get("type"):
            key = (spec["type"], spec.get("operator"), spec["formula1"], spec.get("formula2"), spec["prompt"])
            if key not in validations:
                dv = DataValidation(type=spec["type"], operator=spec.get("operator"), formula1=spec["formula1"],
                                    formula2=spec.get("formula2"), allow_blank=True, showErrorMessage=True,
                                    showInputMessage=True, errorTitle="输入有误", error=spec["error"],
                                    promptTitle="填写要求", prompt=spec["prompt"])
                validations[key] = (dv, [])
            validations[key][1].append(cell_ref)
        elif spec:
            prompts_only.setdefault(spec["prompt"], []).append(cell_ref)
    for dv, refs in validations.values():
        for ref in refs:
            dv.add(ref)
        ws.add_data_validation(dv)
    for prompt, refs in prompts_only.items():
        # an "any value" validation only to show the prompt
        dv = DataValidation(allow_blank=True, showInputMessage=True, promptTitle="填写要求", prompt=prompt)
        for ref in refs:
            dv.add(ref)
        ws.add_data_validation(dv)
    last = len(catalogue.points) + 1
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{last}"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if protect:
        for sheet in (ws, info):
            sheet.protection.sheet = True
            sheet.protection.autoFilter = False
            sheet.protection.sort = False
            sheet.protection.formatColumns = False
            sheet.protection.formatRows = False
    wb.active = 1
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


# --------------------------------------------------------------------------- a filled data sheet
# (plain data; read by consortium_review.datasheet_read)

@dataclass
class SheetEntry:
    """One filled row of a data sheet."""

    code: str
    row: int                          # 1-based worksheet row
    raw: Any                          # the cell as stored
    value: Any                        # typed for the point (number / bool / category / text)
    unit: Optional[str] = None
    quantities: list[dict[str, Any]] = field(default_factory=list)
    evidence_text: str = ""           # 佐证材料
    note: str = ""                    # 备注


@dataclass
class DataSheet:
    """A filled data-collection workbook (数据采集表)."""

    file: str                         # path relative to the consortium folder ('/' separated)
    sheet: str
    info: dict[str, str] = field(default_factory=dict)
    entries: dict[str, SheetEntry] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)        # rows that could not be used (Chinese)
    unknown_codes: list[str] = field(default_factory=list)

    @property
    def year(self) -> Optional[int]:
        m = re.search(r"(20\d\d)", str(self.info.get("年度") or ""))
        return int(m.group(1)) if m else None

    def locator(self, row: int) -> str:
        return f"工作表“{self.sheet}”第{row}行"


# --------------------------------------------------------------------------- merging

def same_value(a: Any, b: Any) -> bool:
    """Equal for reporting purposes (numbers within 0.1 %)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b if isinstance(a, bool) and isinstance(b, bool) else False
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if a == b:
            return True
        return abs(a - b) <= abs(a) * 0.001
    if isinstance(a, str) and isinstance(b, str):
        return a.strip() == b.strip()
    return a == b


def _fmt(value: Any, unit: Optional[str], quantities: Optional[list] = None) -> str:
    return format_value(value, unit, quantities) or "（无数值）"


def _where(ev: dict) -> str:
    return source_of(ev)


def _doc_side(point: dict, sheet_files: set[str]) -> dict:
    """The point as the documents alone state it (evidence from the data sheets removed)."""
    evs = [e for e in point.get("evidence") or [] if e.get("file") not in sheet_files]
    if len(evs) == len(point.get("evidence") or []):
        return point
    out = dict(point)
    out["evidence"] = evs
    achieved = [e for e in evs if e.get("kind", "achieved") == "achieved" and e.get("value") is not None]
    if not achieved:
        has_any = bool(evs)
        out.update(value=None, quantities=[], status="partial" if has_any else "missing", confidence=0.4 if has_any else 0.0)
        out["note"] = "仅见相关表述，未见数值" if has_any else None
        if out.get("threshold"):
            out["threshold"] = dict(out["threshold"], met=None)
        return out
    first = achieved[0]
    out["value"] = first.get("value")
    out["quantities"] = list(first.get("quantities") or [])
    rivals = [e for e in achieved[1:] if not same_value(e.get("value"), first.get("value"))
              and e.get("file") != first.get("file")]
    out["status"] = "conflict" if rivals and point.get("status") == "conflict" else "found"
    if out["status"] == "found":
        out["note"] = None
    return out


def merge_datasheet(evidence: dict, sheets: Iterable[DataSheet], catalogue: Catalogue) -> dict:
    """evidence.json with the data sheets' values first (a new dict; the input is not changed).

    Per point: a filled data-sheet value becomes the value, its row the first evidence item
    (``source: "datasheet"``); document evidence that states the same value is kept as
    confirmation (``confirmed_by``), a different value makes the point a ``conflict`` whose note
    names both sources.  Points the data sheet leaves empty keep the documents' finding.
    Each point gets ``source``: "datasheet" | "documents" | None.
    """
    sheets = list(sheets)
    merged = copy.deepcopy(evidence)
    sheet_files = {s.file for s in sheets}
    points = {p.code: p for p in catalogue.points}
    out_points = []
    for pt in merged.get("points") or []:
        code = pt.get("code")
        doc = _doc_side(pt, sheet_files)
        op = points.get(code)
        entries = [(s, s.entries[code]) for s in sheets if code in s.entries]
        if op is None or not entries:
            doc = dict(doc)
            doc["source"] = "documents" if doc.get("status") in ("found", "conflict") else None
            out_points.append(doc)
            continue
        sheet, entry = entries[0]
        sheet_ev = {"file": sheet.file, "page": None, "locator": sheet.locator(entry.row),
                    "snippet": _snippet(op, entry), "value": entry.value, "unit": entry.unit,
                    "kind": "achieved", "source": "datasheet"}
        if entry.quantities:
            sheet_ev["quantities"] = entry.quantities
        new = dict(doc)
        new.update(value=entry.value, unit=entry.unit if entry.unit else doc.get("unit"),
                   quantities=list(entry.quantities), source="datasheet", status="found", confidence=0.95,
                   note=None)
        # other data sheets giving the same point
        other_sheets = []
        for s2, e2 in entries[1:]:
            ev2 = {"file": s2.file, "page": None, "locator": s2.locator(e2.row), "snippet": _snippet(op, e2),
                   "value": e2.value, "unit": e2.unit, "kind": "achieved", "source": "datasheet"}
            other_sheets.append(ev2)
        doc_evs = list(doc.get("evidence") or [])
        achieved = [e for e in doc_evs if e.get("kind", "achieved") == "achieved" and e.get("value") is not None]
        if op.type == "text":
            achieved = []          # a description is confirmed by any mention, never contradicted
        agree = [e for e in achieved + other_sheets if _agrees(e, entry, op)]
        disagree = [e for e in achieved + other_sheets if not _agrees(e, entry, op)]
        new["evidence"] = [sheet_ev] + other_sheets + doc_evs
        new["confirmed_by"] = [_where(e) for e in agree if e.get("source") != "datasheet"]
        if disagree:
            new["status"] = "conflict"
            new["confidence"] = 0.6
            shown = _fmt(entry.value, entry.unit, entry.quantities)
            others = "；".join(f"{_fmt(e.get('value'), e.get('unit'), e.get('quantities'))}（{_where(e)}）"
                              for e in disagree[:4])
            new["note"] = f"数据采集表填报{shown}（{sheet.file} {sheet.locator(entry.row)}），其他材料为：{others}"
        if op.threshold:
            met = op.threshold.evaluate(entry.value, entry.unit) if new["status"] == "found" else None
            new["threshold"] = {"rule": op.threshold.rule, "met": met}
        out_points.append(new)
    merged["points"] = out_points
    merged["datasheet"] = {
        "files": [s.file for s in sheets],
        "values": sum(len(s.entries) for s in sheets),
        "info": {k: v for s in reversed(sheets) for k, v in s.info.items()},
        "errors": [e for s in sheets for e in s.errors],
        "unknown_codes": sorted({c for s in sheets for c in s.unknown_codes}),
    }
    return merged


def _agrees(ev: dict, entry: SheetEntry, op: ObservationPoint) -> bool:
    v = ev.get("value")
    if op.type == "multi" and ev.get("quantities") and entry.quantities:
        mine = {q["unit"]: q["value"] for q in entry.quantities}
        theirs = {q.get("unit"): q.get("value") for q in ev["quantities"]}
        common = set(mine) & set(theirs)
        return bool(common) and all(same_value(mine[u], theirs[u]) for u in common)
    if entry.unit and ev.get("unit") and ev.get("unit") != entry.unit:
        return False
    return same_value(v, entry.value)


def _snippet(op: ObservationPoint, entry: SheetEntry) -> str:
    shown = _fmt(entry.value, entry.unit, entry.quantities)
    s = f"{op.code} {op.name} | 本年度数值：{shown}"
    if entry.evidence_text:
        s += f" | 佐证材料：{entry.evidence_text}"
    if entry.note:
        s += f" | 备注：{entry.note}"
    return s[:300]
