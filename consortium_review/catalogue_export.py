"""Write a catalogue as the flat workbook that ``catalogue_from_xlsx`` reads back.

Sheet 「观测点」 has exactly ``XLSX_COLUMNS`` (one row per observation point, headed by their
Chinese labels ``COLUMN_LABELS``); sheets 「负面清单」,
「名单」, 「二级指标」 and 「信息」 carry the rest, so export → load gives the same catalogue.
A last sheet 「填写说明」 explains the columns in Chinese for the secretaries who edit it.
List fields (keywords, units, …) are written one cell each, items separated by 「；」.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from .catalogue import (COLUMN_LABELS, POINT_TYPES, XLSX_COLUMNS, XLSX_INFO_SHEET, XLSX_LEVEL2_COLUMNS, XLSX_LEVEL2_SHEET,
                        XLSX_NEGATIVE_COLUMNS, XLSX_NEGATIVE_SHEET, XLSX_POINTS_SHEET, XLSX_ROSTER_COLUMNS,
                        XLSX_ROSTER_SHEET, Catalogue, ObservationPoint)
from .fileio import atomic_path

SEP = "；"

#: Chinese explanation of every column, shown as a header comment and on the 「填写说明」 sheet.
COLUMN_HELP = {
    "code": "观测点编号，形如 3.2.1（前两段为所属三级指标）",
    "name": "观测点名称（照录标准原文）",
    "type": "取值类型：" + "；".join(f"{k} {v}" for k, v in POINT_TYPES.items()),
    "unit": "统一换算到的单位，如 万元、%、个、人次；数值型必填",
    "units": "type 为 multi 时分别统计的单位，用“；”分隔，如 人次；课时",
    "categories": "type 为 category 时允许的取值，用“；”分隔，如 国家级；省级",
    "threshold_rule": "标准规定的门槛（给专家看的文字），如 近三年累计≥100万元；无门槛留空",
    "threshold_op": "门槛比较方式：> >= < <= in（属于所列类别） true（须为“是”） above_average（高于全市平均）",
    "threshold_value": "门槛值：数字；op 为 in 时填类别（用“；”分隔）",
    "threshold_unit": "门槛值的单位，应与 unit 一致",
    "keywords": "关键词，用“；”分隔；“A&B”表示 A 和 B 须出现在同一分句",
    "exclude": "排除词，用“；”分隔；同一分句出现时说明讲的是别的观测点",
    "scope": "统计口径：three_years 近三年累计；annual 当年；一般留空",
    "level1": "一级指标：基础性指标 / 实质性指标",
    "level2_code": "二级指标序号，如 8",
    "level2_name": "二级指标名称，如 “五金”建设",
    "group": "“四个合作”分组：合作办学 / 合作育人 / 合作就业 / 合作发展（基础性指标留空）",
    "indicator_code": "三级指标编号，如 8.5",
    "indicator_name": "三级指标简称，如 基地建设",
    "indicator_description": "三级指标原文",
    "school_kinds": "（仅 yesno）材料未直接表述时，点名了所列每类学校即推定为“是”：中职；高职；普通本科，一般留空",
    "implied_by": "（仅 yesno）材料未直接表述时，所写数值型观测点有当年实际数且大于 0 即推定为“是”：填观测点编号，一般留空",
}

_WIDTHS = {"code": 9, "name": 40, "type": 10, "unit": 9, "units": 12, "categories": 14, "threshold_rule": 24,
           "threshold_op": 12, "threshold_value": 14, "threshold_unit": 12, "keywords": 60, "exclude": 40,
           "scope": 12, "level1": 12, "level2_code": 12, "level2_name": 14, "group": 10,
           "indicator_code": 14, "indicator_name": 18, "indicator_description": 60,
           "triggers": 60, "denials": 50, "description": 50, "batch": 8, "index": 8, "park": 32,
           "lead_schools": 32, "lead_enterprise": 32, "aliases": 50, "key": 12, "value": 60, "school_kinds": 20, "implied_by": 16}
_TEXT_COLUMNS = {"code", "level2_code", "indicator_code", "batch"}   # keep "3.10" from becoming 3.1


def _join(items: Iterable[Any]) -> str:
    return SEP.join(str(x) for x in items)


def _point_row(p: ObservationPoint) -> list[Any]:
    th = p.threshold
    if th is None:
        th_value: Any = None
    elif isinstance(th.value, (list, tuple)):
        th_value = _join(th.value)
    else:
        th_value = th.value
    values = {
        "code": p.code, "name": p.name, "type": p.type, "unit": p.unit, "units": _join(p.units),
        "categories": _join(p.categories), "threshold_rule": th.rule if th else None,
        "threshold_op": th.op if th else None, "threshold_value": th_value,
        "threshold_unit": th.unit if th else None, "keywords": _join(p.keywords), "exclude": _join(p.exclude),
        "scope": p.scope, "level1": p.level1, "level2_code": p.level2_code, "level2_name": p.level2_name,
        "group": p.group, "indicator_code": p.indicator_code, "indicator_name": p.indicator_name,
        "indicator_description": p.indicator_description, "school_kinds": _join(p.school_kinds), "implied_by": p.implied_by or "",
    }
    return [values[c] for c in XLSX_COLUMNS]


def _safe(value: Any) -> Any:
    """Cell value without characters Excel refuses; None/'' stay empty."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        return value or None
    return value


def _write_sheet(ws, header: list[str], rows: Iterable[list[Any]], help_text: dict[str, str] | None = None) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    ws.append([COLUMN_LABELS.get(h, h) for h in header])      # Chinese headers; the loader maps them back
    for i, name in enumerate(header, 1):
        cell = ws.cell(row=1, column=i)
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(vertical="center")
        if help_text and name in help_text:
            cell.comment = Comment(help_text[name], "consortium-review", width=320, height=90)
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS.get(name, 14)
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for r, row in enumerate(rows, 2):
        for i, value in enumerate(row, 1):
            cell = ws.cell(row=r, column=i, value=_safe(value))
            name = header[i - 1]
            if isinstance(cell.value, str):
                # untrusted / user text is text, never a formula
                cell.data_type = "s"
            if name in _TEXT_COLUMNS:
                cell.number_format = "@"
            cell.alignment = wrap if _WIDTHS.get(name, 14) >= 40 else top
    ws.freeze_panes = "B2" if header and header[0] == "code" else "A2"
    if ws.max_row > 1:
        ws.auto_filter.ref = ws.dimensions


def export_xlsx(catalogue: Catalogue, path: Path | str) -> Path:
    """Write ``catalogue`` to ``path`` (.xlsx) atomically; returns the path."""
    import openpyxl

    path = Path(path)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = XLSX_POINTS_SHEET
    _write_sheet(ws, list(XLSX_COLUMNS), (_point_row(p) for p in catalogue.points), COLUMN_HELP)

    _write_sheet(wb.create_sheet(XLSX_NEGATIVE_SHEET), list(XLSX_NEGATIVE_COLUMNS),
                 ([n.code, n.name, _join(n.triggers), _join(n.denials), n.description]
                  for n in catalogue.negative_list),
                 {"triggers": "说明问题已经发生的说法，用“；”分隔；“A&B”表示同一句同时出现",
                  "denials": "说明问题没有发生的说法，用“；”分隔；同一句出现时不作为触发"})
    _write_sheet(wb.create_sheet(XLSX_ROSTER_SHEET), list(XLSX_ROSTER_COLUMNS),
                 ([e.batch, e.index, e.name, e.park, _join(e.lead_schools), e.lead_enterprise, _join(e.aliases)]
                  for e in catalogue.rosters),
                 {"batch": "批次：2024（新设）或 2023（第一批）",
                  "lead_schools": "牵头学校，多个用“；”分隔", "aliases": "材料中常见的简称，用“；”分隔"})
    _write_sheet(wb.create_sheet(XLSX_LEVEL2_SHEET), list(XLSX_LEVEL2_COLUMNS),
                 ([l2.code, l2.name, l2.level1, l2.group, l2.description] for l2 in catalogue.level2))
    _write_sheet(wb.create_sheet(XLSX_INFO_SHEET), ["key", "value"],
                 [["id", catalogue.id], ["title", catalogue.title], ["source", catalogue.source],
                  ["version", catalogue.version], ["level1", _join(catalogue.level1)]])
    _write_sheet(wb.create_sheet("填写说明"), ["列名", "说明"],
                 [[COLUMN_LABELS[c], COLUMN_HELP[c]] for c in XLSX_COLUMNS]
                 + [["", ""],
                    ["提示", f"「{XLSX_POINTS_SHEET}」每行一个观测点；多个词语用“；”分隔。"
                             "改完后可用 consortium-review standard --standard 本文件.xlsx 检查。"]])
    wb["填写说明"].column_dimensions["B"].width = 90

    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path
