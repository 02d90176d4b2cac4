"""The evidence workbook (证据清单.xlsx) — and the expert's round trip through it.

One row per observation point and per negative-list item: codes, names, status (colour-coded),
value, unit, threshold and whether it is met, source file / page / locator, snippet, confidence,
and three columns for the expert: 专家判定 (status override), 专家取值 (value), 专家意见.
A 「汇总」 sheet counts statuses per 二级指标; 「填写说明」 tells the expert what is kept.

Round trip (``render``): before writing, an existing workbook in the output folder is read and
its expert columns — keyed by observation-point code — are (1) written unchanged into the new
workbook and (2) put into the evidence dict as ``point["expert"] = {"status", "value",
"comment"}`` so the charts and the opinion rendered later in the same run use them.  Nothing an
expert typed is lost: rows whose code no longer exists go to the sheet 「专家意见（未匹配）」, and
a workbook that cannot be read is kept as a timestamped backup before a new one is written.

Every text cell is sanitised and stored as text: a snippet starting with = + - @ never becomes
a formula (``data_type = "s"`` and Excel's quote prefix).
"""

from __future__ import annotations

import datetime as _dt
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from consortium_review.fileio import atomic_path

from .assess import NEGATIVE_LABELS, STATUS_LABELS, STATUS_ORDER, Assessment, assess, format_value
from .officedoc import safe_filename, sanitize_text

log = logging.getLogger(__name__)

SHEET_MAIN = "证据清单"
SHEET_SUMMARY = "汇总"
SHEET_GUIDE = "填写说明"
SHEET_ORPHANS = "专家意见（未匹配）"
FILE_SUFFIX = "证据清单"
CODE_HEADER = "观测点编号"
EXPERT_HEADERS = {"专家判定": "status", "专家取值": "value", "专家意见": "comment"}
EXPERT_STATUS_CHOICES = [STATUS_LABELS[s] for s in STATUS_ORDER]      # 已找到, 部分, 冲突, 缺失
EXPERT_NEGATIVE_CHOICES = ["触发", "未触发"]

#: (header, width in characters); the expert columns are last so they are easy to find
COLUMNS: list[tuple[str, float]] = [
    ("二级指标", 12), ("三级指标", 14), (CODE_HEADER, 9), ("观测点", 32), ("状态", 8), ("取值", 12),
    ("单位", 7), ("标准", 20), ("是否达标", 9), ("来源文件", 22), ("页码", 6), ("位置", 14),
    ("摘录", 48), ("置信度", 7), ("专家判定", 10), ("专家取值", 12), ("专家意见", 30),
]
COL = {name: i + 1 for i, (name, _) in enumerate(COLUMNS)}

STATUS_FILLS = {"found": "C6EFCE", "partial": "FFEB9C", "conflict": "F8CBAD", "missing": "FFC7CE"}
NEGATIVE_FILLS = {True: "FFC7CE", False: "C6EFCE"}
MET_FILLS = {"达标": "C6EFCE", "未达标": "FFC7CE"}
#: Confidence bands (lower bound, fill, label): the expert checks the doubtful ones first.
CONFIDENCE_BANDS = [(0.75, "C6EFCE", "较可靠"), (0.5, "FFEB9C", "需核对"), (0.0, "FFC7CE", "存疑")]
SHEET_DOUBTFUL = "按置信度核对"
HEADER_FILL = "D9D9D9"
EXPERT_FILL = "DDEBF7"
MAX_CELL = 32000            # Excel's limit is 32767 characters
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


LINE_HEIGHT_PT = 14.5
MAX_ROW_LINES = 10          # taller rows are cut on screen; the full text stays in the cell


def _wrapped_lines(text: str, width: float) -> int:
    """Lines a wrapped cell needs: CJK characters are about two column units wide."""
    per_line = max(1.0, width - 1)
    total = 0
    for part in text.split("\n"):
        units = sum(2 if ord(ch) > 0x2E7F else 1 for ch in part)
        total += max(1, -(-int(units) // int(per_line)))
    return total


class WorkbookLockedError(RuntimeError):
    """The workbook is open in Excel/WPS (Windows refuses to replace it)."""


def workbook_path(evidence: dict, out_dir: Path) -> Path:
    """「<联合体名称>-证据清单.xlsx」 (folder name when the name is unknown), Windows-safe."""
    cons = evidence.get("consortium") or {}
    stem = safe_filename(cons.get("name") or evidence.get("folder") or "", fallback="联合体")
    return Path(out_dir) / f"{stem}-{FILE_SUFFIX}.xlsx"


# --------------------------------------------------------------------------- reading expert edits

@dataclass
class ExpertEdits:
    """Expert columns read from an existing workbook."""

    source: Optional[Path] = None
    by_code: dict[str, dict[str, Any]] = field(default_factory=dict)    # code -> {status, value, comment}
    names: dict[str, str] = field(default_factory=dict)                 # code -> point name (for orphans)
    backup: Optional[Path] = None                                        # set when the old file was unreadable
    problem: Optional[str] = None                                        # Chinese reason


def _norm_code(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        v = f"{v:g}"
    return str(v).strip()


def _has(v: Any) -> bool:
    return v is not None and not (isinstance(v, str) and not v.strip())


def _candidates(target: Path) -> list[Path]:
    """The workbook to read back: the target, else the newest other 证据清单 in the folder."""
    if target.is_file():
        return [target]
    others = [p for p in target.parent.glob(f"*{FILE_SUFFIX}*.xlsx")
              if p.is_file() and not p.name.startswith(("~$", ".~")) and "备份" not in p.name]
    others.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return others[:1]


def read_expert_edits(path: Path) -> ExpertEdits:
    """Expert columns of a workbook, by code.  Raises ``ValueError`` (Chinese) when unreadable."""
    import openpyxl

    try:
        wb_values = openpyxl.load_workbook(path, data_only=True)
        wb_formulas = openpyxl.load_workbook(path, data_only=False)
    except Exception as exc:  # zip/xml/openpyxl errors of every kind
        raise ValueError(f"无法打开 {path.name}：{type(exc).__name__}") from exc
    edits = ExpertEdits(source=path)
    for sheet_name in (SHEET_MAIN, SHEET_ORPHANS):
        if sheet_name not in wb_values.sheetnames:
            if sheet_name == SHEET_MAIN:
                raise ValueError(f"{path.name} 中没有工作表“{SHEET_MAIN}”")
            continue
        ws, wf = wb_values[sheet_name], wb_formulas[sheet_name]
        header = [sanitize_text(c.value).strip() if c.value is not None else "" for c in ws[1]]
        if CODE_HEADER not in header:
            raise ValueError(f"{path.name} 的“{sheet_name}”第1行没有“{CODE_HEADER}”列")
        code_col = header.index(CODE_HEADER)
        name_col = header.index("观测点") if "观测点" in header else None
        cols = {key: header.index(h) for h, key in EXPERT_HEADERS.items() if h in header}
        if sheet_name == SHEET_MAIN and not cols:
            raise ValueError(f"{path.name} 的“{sheet_name}”没有专家列（{'、'.join(EXPERT_HEADERS)}）")
        for row_v, row_f in zip(ws.iter_rows(min_row=2), wf.iter_rows(min_row=2)):
            code = _norm_code(row_v[code_col].value if code_col < len(row_v) else None)
            if not code:
                continue
            entry: dict[str, Any] = {}
            for key, i in cols.items():
                if i >= len(row_v):
                    continue
                v = row_v[i].value
                if v is None and i < len(row_f) and isinstance(row_f[i].value, str) and row_f[i].value.startswith("="):
                    v = row_f[i].value          # a formula without a cached value: keep its text
                entry[key] = _cut_long(v)
            if any(_has(v) for v in entry.values()):
                if code not in edits.by_code:              # main sheet first, then earlier orphans
                    edits.by_code[code] = {k: entry.get(k) for k in EXPERT_HEADERS.values()}
                    if name_col is not None and name_col < len(row_v):
                        edits.names[code] = sanitize_text(row_v[name_col].value)
    wb_values.close()
    wb_formulas.close()
    return edits


#: longest expert entry kept (the cell limit of Excel); longer text is cut with a visible note
MAX_EXPERT_TEXT = 30000


def _cut_long(v: Any) -> Any:
    """An over-long entry (a 10 MB paste) cut so that the cut shows, in the workbook, the
    evidence.json and the opinion alike."""
    if isinstance(v, str) and len(v) > MAX_EXPERT_TEXT:
        note = f"……（原文共 {len(v)} 字，超过 {MAX_EXPERT_TEXT} 字的上限，以下已截去）"
        return v[:MAX_EXPERT_TEXT - len(note)] + note
    return v


def _previous_json_edits(out_dir: Path) -> dict[str, dict[str, Any]]:
    """The expert's entries recorded in the previous run's evidence.json (the fallback when the
    workbook is damaged and backed up: the decisions are not lost)."""
    import json

    try:
        prev = json.loads((Path(out_dir) / "evidence.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return _edits_from_evidence(prev) if isinstance(prev, dict) else {}


def load_previous_edits(target: Path) -> ExpertEdits:
    """Read the expert's edits back; an unreadable workbook is backed up, never overwritten."""
    for path in _candidates(target):
        try:
            return read_expert_edits(path)
        except ValueError as exc:
            stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            backup = path.with_name(f"{path.stem}.备份-{stamp}{path.suffix}")
            n = 1
            while backup.exists():
                n += 1
                backup = path.with_name(f"{path.stem}.备份-{stamp}-{n}{path.suffix}")
            shutil.copy2(path, backup)
            log.warning("证据清单无法读取，已备份为 %s：%s", backup.name, exc)
            return ExpertEdits(source=path, backup=backup, problem=str(exc))
    return ExpertEdits()


def _json_safe(v: Any) -> Any:
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return v.isoformat()
    return v


def apply_expert_edits(evidence: dict, edits: ExpertEdits) -> None:
    """Put the expert's entries into the evidence dict (points and negative-list items).

    When a workbook was read, it is the source of truth: entries not in it are cleared.
    """
    read = edits.source is not None and edits.backup is None
    for item in list(evidence.get("points") or []) + list(evidence.get("negative_list") or []):
        if not isinstance(item, dict):
            continue
        entry = edits.by_code.get(_norm_code(item.get("code")))
        if entry:
            item["expert"] = {k: _json_safe(entry.get(k)) for k in EXPERT_HEADERS.values()}
        elif read:
            item.pop("expert", None)


def _edits_from_evidence(evidence: dict) -> dict[str, dict[str, Any]]:
    out = {}
    points, negatives = evidence.get("points"), evidence.get("negative_list")
    for item in (list(points) if isinstance(points, list) else []) + (list(negatives) if isinstance(negatives, list) else []):
        if isinstance(item, dict) and isinstance(item.get("expert"), dict):
            e = item["expert"]
            if any(_has(e.get(k)) for k in EXPERT_HEADERS.values()):
                out[_norm_code(item.get("code"))] = {k: e.get(k) for k in EXPERT_HEADERS.values()}
    return out


# --------------------------------------------------------------------------- writing

def _set(ws, row: int, col: int, value: Any, *, text: bool = False):
    """Write a cell; strings are sanitised and always stored as text (never formulas)."""
    cell = ws.cell(row=row, column=col)
    if value is None:
        return cell
    if isinstance(value, str) or text:
        s = sanitize_text(value, max_len=MAX_CELL)
        cell.value = s
        cell.data_type = "s"
        if s.startswith(_FORMULA_START):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def _fill(hex_color: str):
    from openpyxl.styles import PatternFill

    return PatternFill("solid", start_color=hex_color, end_color=hex_color)


def _carry(ws, row: int, entry: Optional[dict]) -> None:
    """Write the expert's entries back exactly as typed (numbers stay numbers)."""
    if not entry:
        return
    for header, key in EXPERT_HEADERS.items():
        v = entry.get(key)
        if not _has(v):
            continue
        if isinstance(v, (int, float, _dt.datetime, _dt.date)) and not isinstance(v, bool):
            _set(ws, row, COL[header], v)
        elif isinstance(v, bool):
            _set(ws, row, COL[header], v)
        else:
            _set(ws, row, COL[header], str(v), text=True)


def _point_rows(evidence: dict, catalogue) -> list[dict]:
    """Row data for every point of the catalogue (extracted values, not the expert's)."""
    by_code = {p.get("code"): p for p in evidence.get("points") or [] if isinstance(p, dict)}
    rows = []
    for op in catalogue.points:
        p = by_code.get(op.code) or {}
        status = p.get("status") if p.get("status") in STATUS_ORDER else "missing"
        evs = [e for e in p.get("evidence") or [] if isinstance(e, dict)]
        th = p.get("threshold") if isinstance(p.get("threshold"), dict) else None
        rule = (th or {}).get("rule") or (op.threshold.rule if op.threshold else None)
        met = (th or {}).get("met") if th else None
        value = p.get("value")
        quantities = p.get("quantities") or []
        unit = p.get("unit") or op.unit
        rows.append({
            "level2": f"{op.level2_code} {op.level2_name}", "indicator": f"{op.indicator_code} {op.indicator_name}",
            "code": op.code, "name": op.name, "status": status, "value": value, "quantities": quantities,
            "unit": unit, "rule": rule, "met": None if not rule else {True: "达标", False: "未达标"}.get(met, "无法判定"),
            "evidence": evs, "confidence": p.get("confidence"), "note": p.get("note"),
        })
    return rows


def _value_cell(row: dict) -> tuple[Any, Optional[str]]:
    """(cell value, unit) for the 取值/单位 columns; numbers stay numeric for filtering."""
    if row["quantities"]:
        return format_value(None, None, row["quantities"]), None
    v = row["value"]
    if v is None:
        return None, row["unit"] if row["status"] != "missing" else None
    if isinstance(v, bool):
        return ("是" if v else "否"), None
    if isinstance(v, (int, float)):
        return (int(v) if float(v).is_integer() else v), row["unit"]
    return str(v), row["unit"]


def _write_main(ws, evidence: dict, catalogue, carried: dict[str, dict]) -> None:
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for i, (header, width) in enumerate(COLUMNS, 1):
        c = _set(ws, 1, i, header)
        c.font = head_font
        c.fill = _fill(EXPERT_FILL if header in EXPERT_HEADERS else HEADER_FILL)
        c.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        c.border = border
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.row_dimensions[1].height = 30

    r = 2
    point_rows_start = r
    for row in _point_rows(evidence, catalogue):
        evs = row["evidence"]
        value, unit = _value_cell(row)
        _set(ws, r, COL["二级指标"], row["level2"])
        _set(ws, r, COL["三级指标"], row["indicator"])
        _set(ws, r, COL[CODE_HEADER], row["code"], text=True)
        _set(ws, r, COL["观测点"], row["name"])
        _set(ws, r, COL["状态"], STATUS_LABELS[row["status"]]).fill = _fill(STATUS_FILLS[row["status"]])
        _set(ws, r, COL["取值"], value)
        _set(ws, r, COL["单位"], unit)
        _set(ws, r, COL["标准"], row["rule"])
        if row["met"]:
            c = _set(ws, r, COL["是否达标"], row["met"])
            if row["met"] in MET_FILLS:
                c.fill = _fill(MET_FILLS[row["met"]])
        if evs:
            many = len(evs) > 1
            num = (lambda i: f"{'①②③④⑤⑥⑦⑧⑨⑩'[i] if i < 10 else str(i + 1) + '.'}") if many else (lambda i: "")
            _set(ws, r, COL["来源文件"], "\n".join(num(i) + str(e.get("file") or "") for i, e in enumerate(evs)))
            pages = [e.get("page") for e in evs]
            if not many and isinstance(pages[0], int):
                _set(ws, r, COL["页码"], pages[0])
            elif any(p is not None for p in pages):
                _set(ws, r, COL["页码"], "\n".join(num(i) + (str(p) if p is not None else "—")
                                                   for i, p in enumerate(pages)), text=True)
            _set(ws, r, COL["位置"], "\n".join(num(i) + str(e.get("locator") or "") for i, e in enumerate(evs)))
            snippets = []
            for i, e in enumerate(evs):
                s = num(i) + str(e.get("snippet") or "")
                if many:
                    v = format_value(e.get("value"), e.get("unit"), e.get("quantities"))
                    s += f"（取值：{v}）" if v else ""
                snippets.append(s)
            note = sanitize_text(row["note"]) if row["note"] else ""
            _set(ws, r, COL["摘录"], "\n".join(snippets) + (f"\n【说明】{note}" if note else ""), text=True)
        elif row["note"]:
            _set(ws, r, COL["摘录"], f"【说明】{row['note']}", text=True)
        if isinstance(row["confidence"], (int, float)):
            c = _set(ws, r, COL["置信度"], round(float(row["confidence"]), 2))
            c.number_format = "0.00"
            if row["status"] != "missing":
                c.fill = _fill(_confidence_band(row["confidence"])[1])
        _carry(ws, r, carried.get(row["code"]))
        r += 1
    point_rows_end = r - 1

    neg_start = r
    by_code = {n.get("code"): n for n in evidence.get("negative_list") or [] if isinstance(n, dict)}
    for item in catalogue.negative_list:
        n = by_code.get(item.code) or {}
        flagged = bool(n.get("flagged"))
        evs = [e for e in n.get("evidence") or [] if isinstance(e, dict)]
        _set(ws, r, COL["二级指标"], "16 负面清单" if item.code.startswith("16.") else "负面清单")
        _set(ws, r, COL["三级指标"], f"{item.code} 否定性指标")
        _set(ws, r, COL[CODE_HEADER], item.code, text=True)
        _set(ws, r, COL["观测点"], item.name)
        _set(ws, r, COL["状态"], NEGATIVE_LABELS[flagged]).fill = _fill(NEGATIVE_FILLS[flagged])
        _set(ws, r, COL["标准"], "不得出现")
        if evs:
            _set(ws, r, COL["来源文件"], "\n".join(str(e.get("file") or "") for e in evs))
            pages = [e.get("page") for e in evs]
            if len(evs) == 1 and isinstance(pages[0], int):
                _set(ws, r, COL["页码"], pages[0])
            _set(ws, r, COL["位置"], "\n".join(str(e.get("locator") or "") for e in evs))
            _set(ws, r, COL["摘录"], "\n".join(str(e.get("snippet") or "") for e in evs), text=True)
        if n.get("note"):
            _set(ws, r, COL["摘录"], ((ws.cell(r, COL["摘录"]).value or "") + f"\n【说明】{n['note']}").strip(), text=True)
        _carry(ws, r, carried.get(item.code))
        r += 1
    neg_end = r - 1

    last = r - 1
    widths = [w for _, w in COLUMNS]
    for row_cells in ws.iter_rows(min_row=2, max_row=last, max_col=len(COLUMNS)):
        lines = 1
        for c, width in zip(row_cells, widths):
            c.alignment = wrap
            c.border = border
            if isinstance(c.value, str):
                lines = max(lines, _wrapped_lines(c.value, width))
        # explicit heights: neither openpyxl nor every viewer re-fits wrapped rows on opening
        ws.row_dimensions[row_cells[0].row].height = min(MAX_ROW_LINES, lines) * LINE_HEIGHT_PT + 3
    ws.freeze_panes = ws.cell(row=2, column=COL["状态"])
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(last, 1)}"

    def validation(choices: list[str], first: int, last_row: int, prompt: str):
        if last_row < first:
            return
        dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                            showDropDown=False, showErrorMessage=True, errorStyle="warning",
                            errorTitle="专家判定", error=f"请从列表中选择：{'、'.join(choices)}",
                            promptTitle="专家判定", prompt=prompt, showInputMessage=True)
        col = get_column_letter(COL["专家判定"])
        dv.add(f"{col}{first}:{col}{last_row}")
        ws.add_data_validation(dv)

    # printing: A4 landscape, all columns on one page width, header row on every page
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    validation(EXPERT_STATUS_CHOICES, point_rows_start, point_rows_end, "覆盖识别结果：已找到/部分/冲突/缺失；留空=采用识别结果")
    validation(EXPERT_NEGATIVE_CHOICES, neg_start, neg_end, "触发/未触发；留空=采用识别结果")
    ws.sheet_view.zoomScale = 90


def _confidence_band(conf: float) -> tuple[float, str, str]:
    return next(b for b in CONFIDENCE_BANDS if conf >= b[0])


def _write_doubtful(ws, evidence: dict, catalogue) -> None:
    """Every point the tool reports (not missing), least confident first: where to start
    checking. Decisions still go into the main sheet's expert columns (one source of truth)."""
    from openpyxl.styles import Alignment, Font

    heads = [("置信度", 8), ("核对建议", 9), (CODE_HEADER, 9), ("观测点", 32), ("状态", 8), ("取值", 14),
             ("来源", 26), ("摘录", 60)]
    for i, (h, w) in enumerate(heads, 1):
        c = _set(ws, 1, i, h)
        c.font = Font(bold=True)
        c.fill = _fill(HEADER_FILL)
        ws.column_dimensions[chr(64 + i)].width = w
    rows = [r for r in _point_rows(evidence, catalogue) if r["status"] != "missing"]
    rows.sort(key=lambda r: (float(r["confidence"] or 0.0), r["code"]))
    wrap = Alignment(wrap_text=True, vertical="top")
    for k, row in enumerate(rows, 2):
        conf = float(row["confidence"] or 0.0)
        band = _confidence_band(conf)
        value, unit = _value_cell(row)
        e = (row["evidence"] or [{}])[0]
        src = f"{e.get('file') or ''}{'第%s页' % e['page'] if e.get('page') else ''} {e.get('locator') or ''}".strip()
        cells = [round(conf, 2), band[2], row["code"], row["name"], STATUS_LABELS[row["status"]],
                 f"{value if value is not None else ''}{unit or ''}", src, e.get("snippet") or row["note"] or ""]
        for i, v in enumerate(cells, 1):
            c = _set(ws, k, i, v, text=i in (3, 6, 7, 8))
            c.alignment = wrap
        ws.cell(k, 1).fill = ws.cell(k, 2).fill = _fill(band[1])
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:H{max(len(rows) + 1, 1)}"


def _write_orphans(wb, orphans: dict[str, dict], names: dict[str, str]) -> None:
    """Expert entries whose code is not in the catalogue any more — kept, never dropped."""
    if not orphans:
        return
    from openpyxl.styles import Font

    ws = wb.create_sheet(SHEET_ORPHANS)
    headers = [CODE_HEADER, "观测点", *EXPERT_HEADERS]
    for i, h in enumerate(headers, 1):
        _set(ws, 1, i, h).font = Font(bold=True)
    for r, (code, entry) in enumerate(sorted(orphans.items()), 2):
        _set(ws, r, 1, code, text=True)
        _set(ws, r, 2, names.get(code, ""))
        for j, key in enumerate(EXPERT_HEADERS.values(), 3):
            v = entry.get(key)
            if _has(v):
                _set(ws, r, j, v, text=isinstance(v, str))
    for col, w in zip("ABCDE", (10, 30, 10, 12, 40)):
        ws.column_dimensions[col].width = w


def _write_summary(ws, evidence: dict, catalogue, settings) -> None:
    """The 证据汇总 sheet; ``settings`` may be the pipeline's ``Assessment`` (used as is)."""
    from openpyxl.styles import Alignment, Font

    a = settings if isinstance(settings, Assessment) else assess(evidence, catalogue, settings)
    bold = Font(bold=True)
    _set(ws, 1, 1, f"{a.name} 证据汇总").font = Font(bold=True, size=13)
    _set(ws, 2, 1, "说明：按观测点状态统计（已计入专家判定）；覆盖率按评审规则计算。")
    _set(ws, 3, 1, a.settings.coverage_formula())
    headers = ["二级指标编号", "二级指标", "所属部分", *[STATUS_LABELS[s] for s in STATUS_ORDER], "合计", "佐证覆盖率"]
    hr = 5
    for i, h in enumerate(headers, 1):
        c = _set(ws, hr, i, h)
        c.font = bold
        c.fill = _fill(HEADER_FILL)
        c.alignment = Alignment(horizontal="center")
    r = hr + 1

    def line(code, name, group, cov, strong=False):
        nonlocal r
        _set(ws, r, 1, code, text=True)
        _set(ws, r, 2, name)
        _set(ws, r, 3, group)
        for j, s in enumerate(STATUS_ORDER, 4):
            c = _set(ws, r, j, cov.count(s))
            if cov.count(s):
                c.fill = _fill(STATUS_FILLS[s])
        _set(ws, r, 8, cov.total)
        c = _set(ws, r, 9, cov.percent / 100.0)
        c.number_format = "0.0%"
        if strong:
            for j in range(1, 10):
                ws.cell(r, j).font = bold
        r += 1

    for g in a.groups:
        for l2 in g.level2:
            line(l2.code, l2.name, g.name, l2.coverage)
        line("", f"{g.title}小计", g.name, g.coverage, strong=True)
    line("", "合计", "", a.coverage, strong=True)
    r += 1
    flagged = a.flagged
    _set(ws, r, 1, "负面清单").font = bold
    _set(ws, r, 2, "；".join(f"{n.state_text}：{n.code}" for n in flagged) if flagged else "未发现触发项")
    r += 1
    _set(ws, r, 1, "建议结论").font = bold
    _set(ws, r, 2, a.conclusion.label)
    _set(ws, r, 3, "；".join(a.conclusion.reasons))
    r += 1
    _set(ws, r, 1, "结论规则").font = bold
    _set(ws, r, 2, a.conclusion.rule)
    for col, w in zip("ABCDEFGHI", (12, 26, 12, 9, 9, 9, 9, 9, 12)):
        ws.column_dimensions[col].width = w
    ws.freeze_panes = ws.cell(row=hr + 1, column=1)


GUIDE_LINES = [
    "本工作簿由评审助手根据材料自动生成，“证据清单”每行对应一个观测点或负面清单项。",
    "状态：已找到（绿）、部分（黄）、冲突（橙）、缺失（红）；负面清单：疑似触发（红）、未发现（绿）。",
    "专家请在最右侧三列填写：",
    "  专家判定 —— 覆盖识别结果，从下拉列表选择：已找到 / 部分 / 冲突 / 缺失（负面清单：触发 / 未触发）；",
    "  专家取值 —— 核实后的数值或结论，数值可直接填写（如 320 或 320万元），是否类填写 是 / 否；",
    "  专家意见 —— 任意文字说明。",
    "重新运行评审时，以上三列按“观测点编号”原样保留，并用于重新生成的评审意见（标注“专家确认”）。",
    "请勿修改“观测点编号”列和第1行表头；其他列可以排序、筛选、调整列宽。",
    "若本文件无法读取，评审助手会先把它另存为“….备份-日期时间.xlsx”，不会覆盖专家填写的内容。",
]


def _write_guide(ws, edits: ExpertEdits) -> None:
    from openpyxl.styles import Font

    _set(ws, 1, 1, "填写说明").font = Font(bold=True, size=13)
    r = 2
    for line in GUIDE_LINES:
        _set(ws, r, 1, line)
        r += 1
    if edits.backup is not None:
        _set(ws, r + 1, 1, f"注意：上次的证据清单无法读取（{edits.problem}），已另存为“{edits.backup.name}”，"
                           f"请从备份中核对专家填写的内容。").font = Font(bold=True, color="C00000")
    elif edits.source is not None:
        _set(ws, r + 1, 1, f"已从“{edits.source.name}”保留专家填写的 {len(edits.by_code)} 项内容。")
    ws.column_dimensions["A"].width = 110


def write_workbook(evidence: dict, catalogue, target: Path, carried: dict[str, dict],
                   edits: Optional[ExpertEdits] = None, settings: Any = None) -> Path:
    """Write the workbook atomically; ``carried`` = expert entries by code."""
    import openpyxl

    edits = edits or ExpertEdits()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET_MAIN
    _write_main(ws, evidence, catalogue, carried)
    _write_summary(wb.create_sheet(SHEET_SUMMARY), evidence, catalogue, settings)
    _write_doubtful(wb.create_sheet(SHEET_DOUBTFUL), evidence, catalogue)
    known = {p.code for p in catalogue.points} | {n.code for n in catalogue.negative_list}
    _write_orphans(wb, {c: e for c, e in carried.items() if c not in known}, edits.names)
    _write_guide(wb.create_sheet(SHEET_GUIDE), edits)
    wb.properties.title = f"{sanitize_text((evidence.get('consortium') or {}).get('name') or '')}证据清单"
    wb.properties.creator = "consortium-review"
    try:
        with atomic_path(target) as tmp:
            wb.save(tmp)
    except PermissionError as exc:
        raise WorkbookLockedError(f"无法写入 {target.name}（文件可能正在 Excel/WPS 中打开），请关闭后重新运行") from exc
    return target


def read_back_edits(evidence: dict, out_dir: Path) -> tuple[Path, ExpertEdits, dict[str, dict]]:
    """Read the expert's edits from last run's 证据清单 (or evidence.json) and apply them to
    ``evidence`` — before the assessment, so every renderer sees the expert's decisions.
    Returns (workbook path, edits as read, entries to carry into the new workbook)."""
    out_dir = Path(out_dir)
    target = workbook_path(evidence, out_dir)
    edits = load_previous_edits(target)
    if edits.source is not None and edits.backup is None:
        carried = dict(edits.by_code)
    else:
        carried = _edits_from_evidence(evidence)
        if edits.backup is not None:
            # the damaged workbook is backed up: the decisions the last run recorded in
            # evidence.json carry forward (the new evidence dict has none of them yet)
            carried = {**_previous_json_edits(out_dir), **carried}
    # the evidence dict gets the edits BEFORE writing, so a locked file never costs the opinion
    apply_expert_edits(evidence, ExpertEdits(source=edits.source if edits.backup is None else None,
                                             by_code=carried))
    return target, edits, carried


def render(evidence: dict, catalogue, out_dir: Path, assessment=None) -> list[Path]:
    """Pipeline renderer: read back the expert's edits, apply them, write 证据清单.xlsx."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target, edits, carried = read_back_edits(evidence, out_dir)
    rendered = evidence.setdefault("_rendered", {})
    if edits.backup is not None:
        rendered["workbook_backup"] = str(edits.backup)
    path = write_workbook(evidence, catalogue, target, carried, edits,
                          assessment if assessment is not None else evidence.get("assess_settings"))
    rendered["workbook"] = str(path)
    return [path]
