"""Context assembly and docxtpl rendering of the annual report.

Part of the annual report's render stage: ``render_annual`` writes the report from ``YearData``
(this year, last year) and the year's assessment. The run that reads the materials and calls
it is ``consortium_review.annual``.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any, Optional

from consortium_review import TEMPLATES_DIR
from consortium_review.catalogue import Catalogue
from consortium_review.fileio import atomic_path

from . import officedoc as od
from .yoy import PointChange, compare_point
from .annual_data import (AnnualError, CHART_FILES, PLACEHOLDER, TEMPLATE_NAME, YearData)
from .annual_prose import (basic_section, group_sections, overview_paragraphs, plan_section,
                           problems_and_measures, quote, table_rows)
from .annual_charts import (coverage_chart, key_chart, key_items, trend_chart)
from .assess import assess

log = logging.getLogger(__name__)


# =========================================================================== context + render

def report_names(cur: YearData, folder_name: str = "") -> dict[str, Optional[str]]:
    """Identity for the cover: the data sheet's 基本信息 first, then the documents."""
    info = (cur.evidence.get("datasheet") or {}).get("info") or {}
    cons = cur.evidence.get("consortium") or {}
    name = info.get("联合体名称") or cons.get("name") or folder_name or "产教联合体"
    return {"name": od.sanitize_text(name).strip(), "lead_school": cons.get("lead_school"),
            "lead_enterprise": cons.get("lead_enterprise"), "park": cons.get("park")}


def chinese_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def changes_for(catalogue: Catalogue, cur: YearData, prev: Optional[YearData]) -> dict[str, PointChange]:
    out = {}
    for op in catalogue.points:
        ppt = prev.point(op.code) if prev else None
        out[op.code] = compare_point(op.code, cur.point(op.code), ppt, has_previous=prev is not None)
    return out


def previous_from_materials(cur: YearData, assessment) -> Optional[YearData]:
    """Last year's figures as this year's own materials state them (a baseline column, 「上年度
    1076.4」 in a remark, 「较上年的17个增加到23个」), when no previous year's file is given:
    one point per figure, with the place it is stated. None when the materials state none."""
    points = []
    for tr in assessment.trends:
        if tr.previous is None:
            continue
        v = tr.previous.value
        v = int(v) if float(v).is_integer() else v
        points.append({"code": tr.code, "status": "found", "value": v, "unit": tr.unit or None,
                       "previous_source": tr.previous.source})
    if not points:
        return None
    return YearData(evidence={"points": points}, year=(cur.year - 1) if cur.year else None,
                    origin=f"本年度材料中所述的上年数（{len(points)} 个观测点，来源见附表）")


def build_context(catalogue: Catalogue, cur: YearData, prev: Optional[YearData], *, year: int,
                  out_dir: Path, date: Optional[dt.date] = None, folder_name: str = "",
                  template=None, assessment=None) -> dict[str, Any]:
    """Everything the template needs (see templates/README-annual.md). ``assessment``: the
    year's assessment when the caller has it (computed here otherwise)."""

    names = report_names(cur, folder_name)
    assessment = assessment if assessment is not None else assess(cur.evidence, catalogue)
    changes = changes_for(catalogue, cur, prev)
    name = names["name"]
    compiler = f"{name}秘书处"
    date = date or dt.date.today()

    docs = [d for d in cur.evidence.get("documents") or []]
    ok_docs = [d for d in docs if d.get("status") in ("ok", "ocr")]
    bad_docs = [d for d in docs if d.get("status") not in ("ok", "ocr")]
    intro = [od.RichRuns(
        f"本报告对照《{catalogue.title}》（{catalogue.source}）的{len(catalogue.points)}个观测点，"
        f"由{compiler}根据{year}年度" + ("数据采集表和" if cur.sheets else "")
        + f"{len(ok_docs)}份年度材料汇总编制。文中数据均注明来源（文件及页码、段落或行号）；"
        + ("数据采集表与其他材料不一致的，以数据采集表为准并在第三部分列出；" if cur.sheets else "")
        + "尚未采集到的数据标注“待补充”。")]
    listing = "、".join(f"{d['file']}" + (f"（{d['pages']}页）" if d.get("pages") else "") for d in ok_docs[:20])
    if listing:
        r = od.RichRuns(f"本年度材料：{listing}" + ("等" if len(ok_docs) > 20 else "") + "。")
        if bad_docs:
            r.add("未能读取：" + "；".join(f"{d['file']}（{d.get('error') or '读取失败'}）" for d in bad_docs[:5]) + "。")
        intro.append(r)
    if prev is not None:
        when = f"上年（{prev.year}年度）" if prev.year else "上年"
        intro.append(od.RichRuns(f"{when}数据取自{prev.origin}，用于同比分析。"))

    basic, used = basic_section(catalogue, cur, changes, names)
    groups = group_sections(catalogue, cur, changes, used)
    overview = overview_paragraphs(catalogue, cur, changes, prev is not None)
    problems, measures = problems_and_measures(catalogue, cur, changes, assessment)
    plan = plan_section(catalogue, cur, year)

    out_dir = Path(out_dir)
    prev_year = prev.year if prev and prev.year else None      # unknown: the chart says 「上年度」
    charts: dict[str, Optional[Path]] = {}
    try:
        charts["key"] = key_chart(key_items(catalogue, cur, prev), out_dir / CHART_FILES["key"], year, prev_year)
        charts["trend"], zero_base = (trend_chart(changes, catalogue, out_dir / CHART_FILES["trend"])
                                      if prev is not None else (None, []))
        charts["coverage"] = coverage_chart(assessment, out_dir / CHART_FILES["coverage"])
    except Exception as exc:       # charts are an aid: a font or plotting failure must not lose the report
        log.exception("annual charts failed")
        charts = {}
        zero_base = []
        overview.append(od.RichRuns(f"（图表未能生成：{type(exc).__name__}：{quote(exc, 80)}）"))
    for key, p in charts.items():
        if p is None and (out_dir / CHART_FILES[key]).exists():
            (out_dir / CHART_FILES[key]).unlink()

    def image(key: str, width_mm: float):
        p = charts.get(key)
        if not p or template is None:
            return ""
        # lazy: docx/docxtpl are needed only when a report is rendered
        from docx.shared import Mm
        from docxtpl import InlineImage

        return InlineImage(template, str(p), width=Mm(width_mm))

    items = key_items(catalogue, cur, prev)
    key_caption = "图1　主要指标本年度与上年度对比" + ("" if prev is not None else "（无上年数据，仅列本年度）")
    if any(it.conflict for it in items):
        key_caption += "；橙色斜线柱为材料间数据不一致的指标（取值见第三部分）"
    trend_caption = "图2　主要数值指标较上年增幅"
    if zero_base:
        trend_caption += f"（上年为0、不计算增幅的：{'、'.join(zero_base[:4])}{'等' if len(zero_base) > 4 else ''}）"
    n = 3 if charts.get("trend") else 2
    table_note = [od.RichRuns(
        f"说明：本年度数值优先取自数据采集表，其余取自年度材料；“待补充”为尚未采集到的数据；"
        f"“无上年数据”表示上年没有可比数据；增减和增幅按本年度减上年度计算，上年为0时增幅记为“—”，"
        f"单位不同的不作比较。")]
    return {
        "name": od.RichRuns(name),
        # a long name goes on its own line so 「2025年度报告」 is not split
        "title": od.RichRuns(f"{name}{chr(10) if len(name) > 15 else ''}{year}年度报告"),
        "year": str(year),
        "lead_school": od.RichRuns(names["lead_school"]) if names["lead_school"] else od.RichRuns().mark(PLACEHOLDER),
        "lead_enterprise": (od.RichRuns(names["lead_enterprise"]) if names["lead_enterprise"]
                            else od.RichRuns().mark(PLACEHOLDER)),
        "compiler": od.RichRuns(compiler),
        "date": chinese_date(date),
        "intro": intro,
        "basic": basic,
        "overview": overview,
        **groups,
        "problems": problems,
        "measures": measures,
        "plan": plan,
        "chart_key": image("key", 150),
        "caption_key": od.RichRuns(key_caption),
        "chart_trend": image("trend", 150),
        "caption_trend": od.RichRuns(trend_caption),
        "chart_coverage": image("coverage", 150),
        "caption_coverage": od.RichRuns(f"图{n}　各二级指标数据覆盖情况"),
        "table_note": table_note,
        "rows": table_rows(catalogue, cur, prev, changes),
    }


def template_path(path: Optional[Path] = None) -> Path:

    p = Path(path) if path else TEMPLATES_DIR / TEMPLATE_NAME
    if not p.is_file():
        raise AnnualError(f"找不到年度报告模板：{p}（可运行 python templates/build_annual_template.py 生成）")
    return p


def report_filename(name: str, year: int) -> str:
    return f"{od.safe_filename(name)}{year}年度报告.docx"


def render_annual(catalogue: Catalogue, cur: YearData, prev: Optional[YearData], out_dir: Path, *,
                  year: Optional[int] = None, date: Optional[dt.date] = None, folder_name: str = "",
                  template: Optional[Path] = None, output: Optional[Path] = None, assessment=None) -> Path:
    """Write the annual report .docx (atomically) and return its path."""
    # lazy: docxtpl is needed only when a report is rendered
    from docxtpl import DocxTemplate

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    year = int(year or cur.year or dt.date.today().year)
    tpl = DocxTemplate(str(template_path(template)))
    ctx = build_context(catalogue, cur, prev, year=year, out_dir=out_dir, date=date, folder_name=folder_name,
                        template=tpl, assessment=assessment)
    tpl.render(ctx, autoescape=True)
    target = Path(output) if output else out_dir / report_filename(report_names(cur, folder_name)["name"], year)
    with atomic_path(target) as tmp:
        tpl.save(str(tmp))
    return target


