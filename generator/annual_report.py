"""The annual report (年度报告) a consortium's secretariat (秘书处) writes every year.

``consortium-review annual FOLDER [-o OUT] [--year 2025] [--previous PREV]``:

1. read + extract the year's materials (the same stages as ``review``) and write evidence.json;
2. find filled data-collection workbooks in the folder (``consortium_review.generator.datasheet``) and put their
   values first — documents confirm or conflict (``merge_datasheet``); the merged result is
   written as 年度数据.json (next year's ``--previous``);
3. optionally load last year (an evidence.json / 年度数据.json, or last year's materials folder)
   and compare every point (``consortium_review.generator.yoy``);
4. assemble the report context — prose per 「四个合作」 from the evidence, every figure with its
   source; problems from gaps, unmet thresholds, conflicts and decreases; next year's plan from
   targets and next-step paragraphs in the documents (else a marked placeholder); the 附表 of
   every observation point; charts — and render ``templates/年度报告模板.docx`` (docxtpl).

Also registers ``consortium-review datasheet -o FILE.xlsx`` (the blank data sheet).
Nothing here invents a figure: a value is shown only when a document or the data sheet states
it, and always with its source; what is missing says 「待补充」 / 「无上年数据」.
"""


from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path
from typing import Any, Optional

from consortium_review.catalogue import Catalogue, load_catalogue
from consortium_review.fileio import mark_generated, mark_output_dir, write_json_atomic
from consortium_review.folders import material_folder

from .assess import assess
from .datasheet import write_datasheet
# the split modules' names, re-exported: this module stays the public facade
from .annual_data import (ANNUAL_DIR, ANNUAL_JSON, AnnualError, BASIC_TOPICS, CHART_DPI, CHART_FILES,
                          CODE_SEP, GROUP_VARS, KEY_MAX, KEY_POINTS, PLACEHOLDER, QUOTE_MAX, TEMPLATE_NAME,
                          TO_FILL_MARK, TREND_MAX, YearData, collect_year, load_evidence_file, load_previous)  # noqa: F401
from .annual_prose import (Prose, basic_section, group_sections, identity_sentence, overview_paragraphs,
                           plan_section, plan_targets, point_clause, point_label, problems_and_measures,
                           quote, source_of, stated, table_rows, target_year, topic_paragraph,
                           topic_paragraphs, value_text, with_value, yesno_phrase)  # noqa: F401
from .annual_charts import (KeyItem, coverage_chart, key_chart, key_items, trend_chart)  # noqa: F401
from .annual_render import (build_context, changes_for, chinese_date, previous_from_materials, render_annual, report_filename,
                            report_names, template_path)  # noqa: F401


log = logging.getLogger(__name__)


def annual_report(folder: Path, out_dir: Path, catalogue: Catalogue, *, year: Optional[int] = None,
                  previous: Optional[Path] = None, date: Optional[dt.date] = None,
                  template: Optional[Path] = None, output: Optional[Path] = None,
                  review_dir: Optional[Path] = None) -> dict[str, Any]:
    """The whole annual run for one consortium folder; returns a summary dict.

    ``review_dir``: the review's output folder of this consortium; the expert's decisions in
    its evidence.json are carried over into the annual data.
    """
    folder, out_dir = Path(folder), Path(out_dir)
    cur = collect_year(folder, catalogue, out_dir, year=year)
    carried = _carry_from_review(out_dir, Path(review_dir)) if review_dir is not None else 0
    if carried:
        cur.evidence = load_evidence_file(out_dir / ANNUAL_JSON)
    assessment = assess(cur.evidence, catalogue)          # once, for the report's every part
    prev = load_previous(previous, catalogue) if previous else previous_from_materials(cur, assessment)
    path = render_annual(catalogue, cur, prev, out_dir, year=cur.year, date=date, folder_name=folder.name,
                         template=template, output=output, assessment=assessment)
    pts = cur.evidence.get("points") or []
    return {
        "report": path,
        "year": cur.year,
        "year_source": (cur.evidence.get("annual") or {}).get("source"),
        "expert_carried": carried,
        "datasheets": [s.file for s in cur.sheets],
        "from_datasheet": sum(1 for p in pts if p.get("source") == "datasheet"),
        "stated": sum(1 for p in pts if stated(p)),
        "missing": sum(1 for p in pts if not stated(p)),
        "conflicts": sum(1 for p in pts if p.get("status") == "conflict"),
        "sheet_errors": [e for s in cur.sheets for e in s.errors],
        "previous": prev.origin if prev else None,
        "documents_failed": [d for d in cur.evidence.get("documents") or [] if d.get("status") not in ("ok", "ocr")],
        "spreadsheets": [d.get("file") for d in cur.evidence.get("documents") or []
                         if str(d.get("file") or "").lower().endswith((".xlsx", ".xlsm", ".xls", ".et", ".csv"))
                         and d.get("status") in ("ok", "ocr")],
    }


# =========================================================================== CLI

def cmd_datasheet(args: argparse.Namespace) -> int:


    catalogue = load_catalogue(args.standard)
    out = Path(args.output)
    if out.is_dir():
        out = out / "年度数据采集表.xlsx"
    elif out.suffix.lower() != ".xlsx":
        out = out.with_name(out.name + ".xlsx")
    try:
        write_datasheet(catalogue, out, protect=args.protect, year=args.year)
    except OSError as exc:
        print(f"错误：无法写入 {out}：{exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"已生成数据采集表：{out}（{len(catalogue.points)} 个观测点）")
    return 0


def carry_expert_decisions(evidence: dict, review: dict) -> int:
    """Copy the expert's decisions (``expert`` of points and negative-list items) from the
    review's evidence.json into ``evidence``; returns how many were carried over."""
    n = 0
    for key in ("points", "negative_list"):
        decided = {x.get("code"): x["expert"] for x in review.get(key) or [] if x.get("expert")}
        for x in evidence.get(key) or []:
            if x.get("code") in decided and not x.get("expert"):
                x["expert"] = decided[x.get("code")]
                n += 1
    return n


def _carry_from_review(out_dir: Path, review_dir: Path) -> int:
    """Expert decisions of ``review_dir/evidence.json`` into the annual run's JSON files."""
    try:
        review = json.loads((review_dir / "evidence.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    n = 0
    for name in ("evidence.json", ANNUAL_JSON):
        try:
            data = json.loads((out_dir / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        got = carry_expert_decisions(data, review)
        if got:
            write_json_atomic(out_dir / name, data)
            n = max(n, got)
    return n


def cmd_annual(args: argparse.Namespace) -> int:

    folder = material_folder(args.folder)
    if folder is None:
        return 2
    out = Path(args.output)
    if out.suffix.lower() in (".docx", ".doc", ".wps") or out.is_file():
        print(f"错误：-o 应为输出文件夹，不是文件（{out}）。年度报告写入 输出文件夹/{folder.resolve().name}/{ANNUAL_DIR}/。",
              file=sys.stderr)
        return 2
    catalogue = load_catalogue(args.standard)
    review_dir = out / folder.resolve().name
    out_dir = review_dir / ANNUAL_DIR          # the review's evidence.json and workbook stay untouched
    mark_output_dir(out)
    try:
        s = annual_report(folder, out_dir, catalogue, year=args.year, previous=args.previous,
                          template=args.template, review_dir=review_dir)
    except AnnualError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    carried = s["expert_carried"]
    for p in out_dir.iterdir():
        mark_generated(p)
    print(f"已生成年度报告：{s['report']}")
    print(f"  年度：{s['year']}（依据：{s.get('year_source') or '—'}）；有数据的观测点 {s['stated']} 个，"
          f"待补充 {s['missing']} 个，数据不一致 {s['conflicts']} 个")
    if carried:
        print(f"  沿用评审证据清单中的专家判定 {carried} 项")
    if s["datasheets"]:
        print(f"  数据采集表：{'、'.join(s['datasheets'])}（采用 {s['from_datasheet']} 项）")
    elif s.get("spreadsheets"):
        shown = "、".join(s["spreadsheets"][:3]) + (f" 等 {len(s['spreadsheets'])} 个" if len(s["spreadsheets"]) > 3 else "")
        print(f"  表格 {shown} 已按普通表格读取（不是本工具格式的数据采集表；"
              "标准采集表可用 consortium-review datasheet 生成）")
    else:
        print("  未发现数据采集表（可用 consortium-review datasheet 生成空表，填好后放入材料文件夹）")
    for e in s["sheet_errors"][:10]:
        print(f"  ！{e}")
    print(f"  上年数据：{s['previous'] or '未提供（报告中标注“无上年数据”）'}")
    for d in s["documents_failed"]:
        print(f"  × {d.get('file')}：{d.get('error')}")
    return 0


def add_commands(subparsers) -> None:
    p = subparsers.add_parser("datasheet", help="生成空白的年度数据采集表（.xlsx），供成员单位填报",
                              description="按指标体系生成数据采集表：每个观测点一行，带数据有效性校验和填表说明。")
    p.add_argument("-o", "--output", default="年度数据采集表.xlsx", help="输出文件（默认 年度数据采集表.xlsx）")
    p.add_argument("--standard", default=None, help="指标体系文件（默认 2024 年国家标准）")
    p.add_argument("--year", type=int, default=None, help="预填的年度，如 2025")
    p.add_argument("--protect", action="store_true", help="保护表头和观测点列，只允许填写数值、佐证材料和备注")
    p.set_defaults(func=cmd_datasheet)

    p = subparsers.add_parser("annual", help="年度报告：汇总一个联合体的年度材料和数据采集表，生成年度报告（.docx）",
                              description="读取年度材料（及填好的数据采集表），生成「联合体名称+年度+年度报告.docx」。"
                                          "--previous 给出上年的 evidence.json / 年度数据.json 或上年材料文件夹时作同比分析。")
    p.add_argument("folder", nargs="?", default="input_docs", metavar="材料文件夹",
                   help="本年度材料文件夹（默认 input_docs/）；填好的数据采集表放在这个文件夹里")
    p.add_argument("-o", "--output", default="output", metavar="文件夹",
                   help=f"输出文件夹（默认 output/）；报告等写入 输出文件夹/<材料文件夹名>/{ANNUAL_DIR}/，不覆盖评审结果")
    p.add_argument("--year", type=int, default=None, metavar="年份", help="报告年度（默认取数据采集表或材料中的年度）")
    p.add_argument("--previous", default=None, metavar="路径",
                   help="上年的输出文件夹、年度数据.json / evidence.json，或上年材料文件夹（优先用上年报告采用的年度数据.json）")
    p.add_argument("--standard", default=None, help="指标体系文件（默认 2024 年国家标准）")
    p.add_argument("--template", default=None, help="自定义年度报告模板（.docx，变量见 templates/README-annual.md）")
    p.set_defaults(func=cmd_annual)
