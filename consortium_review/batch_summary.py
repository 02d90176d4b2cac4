"""Batch summary (批量评审汇总): 汇总.xlsx, a coverage heat map and 汇总说明.docx.

Per consortium the worker turns its evidence.json into a *row* (``consortium_row``): counts,
coverage per 二级指标, thresholds, negative-list flags and a suggested conclusion. The parent
process then writes the three summary files from those rows (``write_summary``). Every
number comes from evidence.json; nothing here reads documents.

Untrusted text (file names, reasons, consortium names from submissions) is cleaned of
characters illegal in XML and written as text, never as a formula.
"""

from __future__ import annotations

import datetime as _dt
import logging
from pathlib import Path
from typing import Any, Optional

from .fileio import atomic_path
from .generator.assess import assess

log = logging.getLogger("consortium_review.batch")

SUMMARY_XLSX = "汇总.xlsx"
SUMMARY_DOCX = "汇总说明.docx"
HEATMAP_PNG = "汇总_覆盖率热力图.png"

#: Weight of each point status in the coverage share of a 二级指标.
COVERAGE_WEIGHTS = {"found": 1.0, "conflict": 1.0, "partial": 0.5, "missing": 0.0}
COVERAGE_NOTE = ("覆盖率 =（已找到 + 数据冲突 + 0.5 × 部分佐证）÷ 观测点总数，按二级指标分别计算；"
                 "只说明材料中是否找到佐证，不代表达标。")

STATUS_LABEL = {"ok": "完成", "warn": "需关注", "failed": "失败", "interrupted": "已中断"}


# --------------------------------------------------------------------------- rows

def level2_columns(catalogue) -> list[tuple[str, str]]:
    """(code, name) of every 二级指标 that has observation points, in catalogue order."""
    with_points = {p.level2_code for p in catalogue.points}
    cols = [(l.code, l.name) for l in catalogue.level2 if l.code in with_points]
    known = {c for c, _ in cols}
    for p in catalogue.points:          # a catalogue may omit a level2 entry: keep its points
        if p.level2_code not in known:
            known.add(p.level2_code)
            cols.append((p.level2_code, p.level2_name or p.level2_code))
    return cols


def coverage_by_level2(evidence: dict[str, Any], catalogue) -> dict[str, Optional[float]]:
    """Percent (0–100, one decimal) of each 二级指标's points that have evidence."""
    level_of = {p.code: p.level2_code for p in catalogue.points}
    acc: dict[str, list[float]] = {}
    for p in evidence.get("points") or []:
        l2 = level_of.get(p.get("code"))
        if l2 is None:
            continue
        acc.setdefault(l2, []).append(COVERAGE_WEIGHTS.get(p.get("status"), 0.0))
    return {code: (round(100 * sum(acc[code]) / len(acc[code]), 1) if acc.get(code) else None)
            for code, _ in level2_columns(catalogue)}


def _threshold_counts(evidence: dict[str, Any]) -> dict[str, int]:
    met = unmet = unknown = 0
    for p in evidence.get("points") or []:
        th = p.get("threshold")
        if not th:
            continue
        if th.get("met") is True:
            met += 1
        elif th.get("met") is False:
            unmet += 1
        else:
            unknown += 1
    return {"met": met, "unmet": unmet, "unknown": unknown}


def _assessment(evidence: dict[str, Any], catalogue):
    """``consortium_review.generator.assess.assess`` (expert overrides, stated conclusion rule);
    the rules are ``evidence["assess_settings"]`` when the batch worker put them there."""
    try:
        return assess(evidence, catalogue, evidence.get("assess_settings"))
    except Exception:
        log.warning("consortium_review.generator.assess 失败，汇总改用简单规则", exc_info=True)
        return None


def simple_conclusion(statuses: dict[str, int], thresholds: dict[str, int], flags: list[str],
                      coverage_percent: float, docs_ok: int) -> str:
    """Fallback first-pass suggestion when ``consortium_review.generator.assess`` is unavailable (not a verdict)."""
    if flags:
        return "不予通过"
    if thresholds.get("unmet") or coverage_percent < 60:
        return "整改后复核"
    return "建议通过"


def consortium_row(evidence: dict[str, Any], catalogue, summary: dict[str, Any]) -> dict[str, Any]:
    """Everything the summary shows for one reviewed consortium (plain JSON).

    Statuses, coverage, thresholds, flags and the conclusion come from ``consortium_review.generator.assess``
    (so expert overrides from the evidence workbook count); without it, from evidence.json.
    """
    from .pipeline import submitted_count

    cons = evidence.get("consortium") or {}
    docs = evidence.get("documents") or []
    failed = [{"file": d.get("file"), "error": d.get("error") or d.get("status")}
              for d in docs if d.get("status") in ("error", "skipped")]
    docs_ok = sum(1 for d in docs if d.get("status") in ("ok", "ocr"))
    neg_names = {n.code: n.name for n in catalogue.negative_list}
    done = summary.get("assessment")        # assessed once in the pipeline
    a = None if done else _assessment(evidence, catalogue)
    if done:
        statuses = dict(done["statuses"])
        coverage = {code: None for code, _ in level2_columns(catalogue)}
        coverage.update(done["coverage_level2"])
        thresholds = dict(done["thresholds"])
        flags = [dict(f) for f in done["flags"]]
        overall = done["coverage"]
        conclusion, reasons, source = done["conclusion"], list(done["reasons"]), "consortium_review.generator.assess"
        rule = done["rule"]
    elif a is not None:
        statuses = {k: a.coverage.count(k) for k in COVERAGE_WEIGHTS}
        coverage = {code: None for code, _ in level2_columns(catalogue)}
        coverage.update({l2.code: round(l2.coverage.percent, 1) for l2 in a.level2 if l2.coverage.total})
        thresholds = {"met": sum(1 for p in a.thresholds if p.threshold_met is True),
                      "unmet": sum(1 for p in a.thresholds if p.threshold_met is False),
                      "unknown": sum(1 for p in a.thresholds if p.threshold_met is None)}
        flags = [{"code": n.code, "name": n.name, "confirmed": n.confirmed} for n in a.flagged]
        overall = round(a.coverage.percent, 1)
        conclusion, reasons, source = a.conclusion.label, list(a.conclusion.reasons), "consortium_review.generator.assess"
        rule = a.conclusion.rule
    else:
        statuses = {k: 0 for k in COVERAGE_WEIGHTS}
        for p in evidence.get("points") or []:
            statuses[p.get("status")] = statuses.get(p.get("status"), 0) + 1
        coverage = coverage_by_level2(evidence, catalogue)
        thresholds = _threshold_counts(evidence)
        flags = [{"code": n.get("code"), "name": neg_names.get(n.get("code"), n.get("name") or "")}
                 for n in evidence.get("negative_list") or [] if n.get("flagged")]
        total = sum(statuses.values()) or 1
        overall = round(100 * sum(COVERAGE_WEIGHTS.get(k, 0) * v for k, v in statuses.items()) / total, 1)
        conclusion = simple_conclusion(statuses, thresholds, [f["code"] for f in flags], overall, docs_ok)
        reasons, source = [], "simple"
        rule = "负面清单疑似触发的为“不予通过”；门槛未达标或佐证覆盖率低于60%的为“整改后复核”；其余为“建议通过”。"
    if docs_ok == 0:
        conclusion, reasons = "无法评审：没有可读取的材料", ["所有材料均无法读取或文件夹为空"]
    return {
        "name": cons.get("name"),
        "roster": cons.get("roster") or None,
        "documents": submitted_count(docs),            # as the user sees them: a zip is one file
        "documents_in_archives": len(docs) - submitted_count(docs),
        "documents_ok": docs_ok,
        "documents_failed": failed,
        "pages": sum(d.get("pages") or 0 for d in docs),
        "statuses": statuses,
        "coverage": coverage,
        "coverage_overall": overall,
        "thresholds": thresholds,
        "flags": flags,
        "conclusion": conclusion,
        "conclusion_reasons": reasons,
        "conclusion_source": source,
        "conclusion_rule": rule,
        "errors": list(summary.get("errors") or []),
    }


# --------------------------------------------------------------------------- safe cell text

def _text(v: Any) -> Any:
    """Cell/paragraph-safe value: legal XML characters only, bounded length."""
    if v is None or isinstance(v, (int, float)):
        return v
    from consortium_review.extractors.textclean import strip_illegal

    s = strip_illegal(str(v))
    return s[:32000]


def _put(ws, row: int, col: int, value: Any):
    cell = ws.cell(row=row, column=col, value=_text(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"      # "=cmd|..." from a submission stays text, never a formula
        if cell.value.startswith(("=", "+", "-", "@", "\t", "\r")):
            cell.quotePrefix = True   # as in the evidence workbook: editing the cell keeps it text
    return cell


# --------------------------------------------------------------------------- heat map

def _cjk_font():
    """A FontProperties with CJK glyphs (generator.charts' font when present, else mplfonts)."""
    from matplotlib.font_manager import FontProperties

    try:
        from consortium_review.generator.charts import setup_cjk_font  # registers the mplfonts font (one place)

        _family, path = setup_cjk_font()
        return FontProperties(fname=path)
    except Exception:      # charts module missing or no font: fall back to mplfonts directly
        pass
    try:
        import mplfonts

        base = Path(mplfonts.__file__).parent / "fonts"
        for fname in ("NotoSansCJKsc-Regular.otf", "SimHei.ttf", "SourceHanSerifSC-Regular.otf"):
            if (base / fname).is_file():
                return FontProperties(fname=str(base / fname))
    except ImportError:
        pass
    return FontProperties()


def render_heatmap(rows: list[dict[str, Any]], catalogue, target: Path) -> Optional[Path]:
    """Consortia × 二级指标 coverage heat map (PNG). None when there is nothing to draw."""
    rows = [r for r in rows if r.get("coverage")]
    cols = level2_columns(catalogue)
    if not rows or not cols:
        return None
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.figure import Figure

    fp = _cjk_font()
    data = np.array([[np.nan if r["coverage"].get(c) is None else r["coverage"][c] for c, _ in cols]
                     for r in rows], dtype=float)
    fig = Figure(figsize=(max(8, 0.75 * len(cols) + 4.5), max(3, 0.38 * len(rows) + 2.2)), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    cmap = LinearSegmentedColormap.from_list("cov", ["#d7301f", "#fdcc8a", "#f7f7b0", "#78c679", "#238443"])
    cmap = cmap.with_extremes(bad="#dddddd")
    im = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, vmin=0, vmax=100, aspect="auto")
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels([f"{c} {n}" for c, n in cols], rotation=45, ha="right", fontproperties=fp, fontsize=8)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([_short(r["label"], 22) for r in rows], fontproperties=fp, fontsize=8)
    if len(rows) * len(cols) <= 1200:
        for i in range(len(rows)):
            for j in range(len(cols)):
                v = data[i, j]
                if not np.isnan(v):
                    ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=6.5,
                            color="white" if v < 25 or v > 80 else "black")
    ax.set_title("各联合体二级指标佐证覆盖率（%）", fontproperties=fp, fontsize=11)
    cb = fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02)
    cb.ax.tick_params(labelsize=7)
    fig.tight_layout()
    with atomic_path(target) as tmp:
        fig.savefig(tmp, format="png")
    return target


def _short(s: str, n: int) -> str:
    s = _text(s) or ""
    return s if len(s) <= n else s[: n - 1] + "…"


# --------------------------------------------------------------------------- workbook

def _roster_text(roster: Any) -> str:
    if not roster:
        return "未匹配"
    if isinstance(roster, dict):
        b, i = roster.get("batch"), roster.get("index")
        label = {"2023": "第一批", "2024": "2024年新设"}.get(str(b), f"{b}批")
        return f"{label}第{i}号" if i is not None else label
    return str(roster)


def write_workbook(out: Path, entries: list[dict[str, Any]], catalogue, heatmap: Optional[Path]) -> Path:
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    cols = level2_columns(catalogue)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "汇总"
    head = (["序号", "文件夹", "联合体名称", "名单匹配", "处理状态", "材料数", "读取成功", "读取失败",
             "已找到", "部分", "缺失", "冲突", "总体覆盖率(%)"]
            + [f"{c} {n}覆盖率(%)" for c, n in cols]
            + ["门槛达标", "门槛未达标", "门槛无法判定", "负面清单触发项", "建议结论（自动初判）", "结论依据",
               "处理问题", "结果文件夹"])
    bold = Font(bold=True)
    for j, h in enumerate(head, 1):
        c = _put(ws, 1, j, h)
        c.font = bold
        c.alignment = Alignment(wrap_text=True, vertical="center")
    fills = {"failed": PatternFill("solid", fgColor="F4B6B6"), "warn": PatternFill("solid", fgColor="FCE4A8"),
             "interrupted": PatternFill("solid", fgColor="D9D9D9")}
    for i, e in enumerate(entries, 2):
        r = e.get("row") or {}
        st = r.get("statuses") or {}
        th = r.get("thresholds") or {}
        cov = r.get("coverage") or {}
        docs = r.get("documents")
        failed = r.get("documents_failed")
        values = ([i - 1, e["folder"], r.get("name") or "（未识别）", _roster_text(r.get("roster")) if r else "",
                   STATUS_LABEL.get(e["status"], e["status"]),
                   docs, r.get("documents_ok"), len(failed) if failed is not None else None,
                   st.get("found"), st.get("partial"), st.get("missing"), st.get("conflict"),
                   r.get("coverage_overall")]
                  + [cov.get(c) for c, _ in cols]
                  + [th.get("met"), th.get("unmet"), th.get("unknown"),
                     flag_text(r.get("flags") or []) or ("无" if r else ""),
                     r.get("conclusion") or "", "；".join(r.get("conclusion_reasons") or []),
                     "；".join(e.get("problems") or []), e.get("out_dir") or ""])
        for j, v in enumerate(values, 1):
            c = _put(ws, i, j, v)
            if e["status"] in fills and j == 5:
                c.fill = fills[e["status"]]
    widths = {1: 5, 2: 24, 3: 26, 4: 14, 5: 12}
    for j in range(1, len(head) + 1):
        ws.column_dimensions[get_column_letter(j)].width = widths.get(j, 9 if j < len(head) - 5 else 24)
    ws.row_dimensions[1].height = 48
    ws.freeze_panes = "D2"

    ws2 = wb.create_sheet("材料问题")
    for j, h in enumerate(["文件夹", "联合体名称", "文件", "问题（原因）"], 1):
        _put(ws2, 1, j, h).font = bold
    n = 2
    for e in entries:
        r = e.get("row") or {}
        for f in r.get("documents_failed") or []:
            for j, v in enumerate([e["folder"], r.get("name") or "", f.get("file"), f.get("error")], 1):
                _put(ws2, n, j, v)
            n += 1
        for msg in e.get("problems") or []:     # consortium-level: crash, renderer error ...
            for j, v in enumerate([e["folder"], r.get("name") or "", "（整体）", msg], 1):
                _put(ws2, n, j, v)
            n += 1
    for j, w in enumerate([24, 26, 40, 70], 1):
        ws2.column_dimensions[get_column_letter(j)].width = w

    ws3 = wb.create_sheet("说明")
    rules = sorted({(e.get("row") or {}).get("conclusion_rule") for e in entries} - {None, ""})
    notes = [f"生成时间：{_dt.datetime.now():%Y-%m-%d %H:%M}",
             f"指标体系：{catalogue.title}（{catalogue.id}）",
             COVERAGE_NOTE,
             "“建议结论”为程序根据证据自动给出的初步判断，须由专家组复核确认。"
             + (f"规则：{rules[0]}" if rules else ""),
             "材料、指标体系与程序均未变化的联合体直接沿用上次的评审结果（见 run.log）。",
             "每个联合体的详细结果（evidence.json、证据清单、评审意见）在“结果文件夹”一列所示位置。"]
    for i, t in enumerate(notes, 1):
        _put(ws3, i, 1, t)
    ws3.column_dimensions["A"].width = 110
    if heatmap is not None and heatmap.is_file():
        from openpyxl.drawing.image import Image as XLImage

        ws4 = wb.create_sheet("覆盖率热力图")
        img = XLImage(str(heatmap))
        ws4.add_image(img, "A1")
    target = out / SUMMARY_XLSX
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target


# --------------------------------------------------------------------------- Word summary

def flag_text(flags: list[dict[str, Any]]) -> str:
    """「16.3 连续两年…（疑似触发）」; an item the expert confirmed reads 「确认触发」 (汇总.xlsx and 汇总说明)."""
    return "；".join(f"{f.get('code')} {f.get('name')}（{'确认触发' if f.get('confirmed') else '疑似触发'}）"
                    for f in flags)


def summary_table_rows(entries: list[dict[str, Any]]) -> list[list[str]]:
    """One row per consortium: 序号, 联合体, 建议结论, 理由, 负面清单 — the same values as 汇总.xlsx."""
    rows = []
    for i, e in enumerate(entries, 1):
        r = e.get("row") or {}
        conclusion = r.get("conclusion") or f"未完成（{STATUS_LABEL.get(e['status'], e['status'])}）"
        reasons = "；".join(r.get("conclusion_reasons") or []) or "；".join(e.get("problems") or []) or "—"
        rows.append([str(i), _text(r.get("name") or e["folder"]), conclusion, _text(reasons[:600]),
                     flag_text(r.get("flags") or []) or ("无" if r else "—")])
    return rows


def write_docx(out: Path, entries: list[dict[str, Any]], catalogue, heatmap: Optional[Path],
               date: Optional[_dt.date] = None) -> Path:
    """汇总说明.docx in the official format of the opinions (GB/T 9704 page, fonts, page numbers,
    date), with a table of every consortium that agrees with 汇总.xlsx."""
    from consortium_review.generator import officedoc as od

    date = date or _dt.date.today()
    doc = od.new_document()
    od.add_heading(doc, "市域产教联合体批量评审汇总说明", 0)
    n = len(entries)
    by = {k: sum(1 for e in entries if e["status"] == k) for k in STATUS_LABEL}
    conclusions: dict[str, int] = {}
    for e in entries:
        c = (e.get("row") or {}).get("conclusion")
        if c:
            conclusions[c] = conclusions.get(c, 0) + 1
    flagged = [e for e in entries if (e.get("row") or {}).get("flags")]
    attention = [e for e in entries if e["status"] != "ok" or (e.get("row") or {}).get("flags")]
    docs_total = sum((e.get("row") or {}).get("documents") or 0 for e in entries)
    docs_failed = sum(len((e.get("row") or {}).get("documents_failed") or []) for e in entries)

    od.add_heading(doc, "一、总体情况", 1)
    od.add_paragraph(doc, f"本次共处理 {n} 个联合体：处理完成 {by['ok']} 个，处理中有问题（部分材料无法读取等）"
                          f"{by['warn']} 个，失败 {by['failed']} 个"
                     + (f"，中断未完成 {by['interrupted']} 个" if by["interrupted"] else "")
                     + f"。共读取材料 {docs_total} 份，其中 {docs_failed} 份无法读取。")
    if conclusions:
        od.add_paragraph(doc, "建议结论（自动初判，须由专家组复核）：" + "，".join(
            f"{k} {v} 个" for k, v in sorted(conclusions.items(), key=lambda kv: -kv[1])) + "。"
            + (f"其中 {len(flagged)} 个涉及负面清单。" if flagged else "负面清单均未发现触发情形。"))
    od.add_paragraph(doc, f"需要关注的联合体共 {len(attention)} 个（处理中有问题、失败或涉及负面清单），"
                          "见表1“理由”和“负面清单”两栏及表2。" if attention else
                     "需要关注的联合体：无。所有联合体材料均已读取，负面清单均未发现触发情形。")
    od.add_paragraph(doc, f"指标体系：{_text(catalogue.title)}。{COVERAGE_NOTE}")

    od.add_heading(doc, "二、各联合体建议结论", 1)
    od.add_paragraph(doc, f"表1　各联合体建议结论（与{SUMMARY_XLSX}“汇总”工作表一致）", style=od.STYLE_CAPTION)
    od.add_table(doc, ["序号", "联合体", "建议结论", "理由", "负面清单"], summary_table_rows(entries),
                 [10, 38, 22, 56, 30], small=True)

    failed_files = [(e, f) for e in entries for f in (e.get("row") or {}).get("documents_failed") or []]
    problems = [(e, m) for e in entries for m in e.get("problems") or []]
    od.add_heading(doc, "三、处理中的问题", 1)
    if not failed_files and not problems:
        od.add_paragraph(doc, "无。")
    else:
        od.add_paragraph(doc, f"表2　无法读取的材料和处理问题（完整清单见{SUMMARY_XLSX}“材料问题”工作表）",
                         style=od.STYLE_CAPTION)
        rows = [[_text((e.get("row") or {}).get("name") or e["folder"]), _text(f.get("file")), _text(f.get("error"))]
                for e, f in failed_files[:200]]
        rows += [[_text((e.get("row") or {}).get("name") or e["folder"]), "（整体）", _text(str(m)[:600])]
                 for e, m in problems[:100]]
        od.add_table(doc, ["联合体", "文件", "问题（原因）"], rows, [40, 50, 66], small=True)
        if len(failed_files) > 200:
            od.add_paragraph(doc, f"（仅列出前 200 份，共 {len(failed_files)} 份。）")
    if heatmap is not None and heatmap.is_file():
        od.add_heading(doc, "四、二级指标佐证覆盖率", 1)
        from docx.shared import Mm

        fig = doc.add_paragraph(style=od.STYLE_FIGURE)
        fig.add_run().add_picture(str(heatmap), width=Mm(od.TEXT_WIDTH_MM))
        od.add_paragraph(doc, "图1　二级指标佐证覆盖率（仅反映材料中能找到佐证的程度，不作为结论依据）",
                         style=od.STYLE_CAPTION)
    od.add_paragraph(doc, "说明：本汇总由程序根据各联合体提交的材料自动生成，“建议结论”仅供专家组参考，"
                          "以专家组复核意见为准。", style=od.STYLE_BODY)
    od.add_paragraph(doc, f"{date.year}年{date.month}月{date.day}日", style=od.STYLE_SIGNATURE)
    target = out / SUMMARY_DOCX
    with atomic_path(target) as tmp:
        doc.save(str(tmp))
    return target


def write_summary(out: Path, entries: list[dict[str, Any]], catalogue) -> list[Path]:
    """Write 汇总.xlsx, the heat map PNG and 汇总说明.docx; each failure is isolated and logged.

    ``entries``: per consortium {folder, status, reused, out_dir, problems, row}.
    """
    out = Path(out)
    written: list[Path] = []
    heat = None
    # consortia with nothing readable have no coverage to show (they are listed as failed)
    shown = [e for e in entries if e.get("row") and e["row"].get("documents_ok")]
    names = [e["row"].get("name") for e in shown]
    # the name found in the documents labels a row only when it tells the rows apart
    rows = [dict(e["row"], label=(e["row"].get("name") if e["row"].get("name") and names.count(e["row"]["name"]) == 1
                                  else e["folder"])) for e in shown]
    try:
        heat = render_heatmap(rows, catalogue, out / HEATMAP_PNG)
        if heat:
            written.append(heat)
    except Exception:
        log.exception("生成覆盖率热力图失败")
    for fn, args in ((write_workbook, (out, entries, catalogue, heat)),
                     (write_docx, (out, entries, catalogue, heat))):
        try:
            written.append(fn(*args))
        except Exception:
            log.exception("生成汇总文件失败：%s", fn.__name__)
    return written


def summary_key(entries: list[dict[str, Any]], catalogue) -> str:
    """Hash of everything the summary files show (so an unchanged summary is not rewritten)."""
    import hashlib
    import json

    from .cache import catalogue_hash, package_code_version

    shown = [{k: e.get(k) for k in ("folder", "status", "out_dir", "problems", "row")} for e in entries]
    raw = json.dumps([shown, catalogue_hash(catalogue), package_code_version()], ensure_ascii=False,
                     sort_keys=True, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()
