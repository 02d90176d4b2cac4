"""Command line: ``consortium-review review|standard|...``. Only wires stages together."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Mapping, Optional

from . import __version__
from .batch import add_commands as add_batch_commands
from .batch import run_batch
from .catalogue import CatalogueError, load_catalogue
from .catalogue_export import export_xlsx
from .folders import material_folder
from .generator.annual_report import add_commands as add_annual_commands
from .generator.assess import SETTINGS_ENV, AssessSettings, load_settings
from .pipeline import Settings, review_consortium
from .settings import ReadSettings
from .watch import add_watch_command
from .web.serve import add_commands as add_serve_command

#: Functions that add options or sub-commands to the parser: ``f(subparsers)``.
EXTRA_COMMANDS = [
    add_batch_commands,     # review: batch options
    add_watch_command,      # watch
    add_annual_commands,    # datasheet, annual
    add_serve_command,      # serve (the review workspace in the browser)
]

#: User-facing environment override: OCR at most this many pages per document.
OCR_PAGES_ENV = "CR_MAX_OCR_PAGES"

STATUS_ZH = {"found": "已找到", "partial": "部分", "missing": "缺失", "conflict": "冲突"}


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    # third-party chatter (pdfminer, jieba, fontTools) stays out of the user's terminal
    for noisy in ("pdfminer", "jieba", "fontTools", "matplotlib", "PIL", "RapidOCR", "docxcompose"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def is_consortium_folder(folder: Path) -> bool:
    """A folder that directly holds files (documents) is one consortium."""
    return any(p.is_file() and not p.name.startswith(".") for p in folder.iterdir())


def print_summary(summary: dict[str, Any], out=sys.stdout) -> None:
    """Short Chinese summary of one consortium's review on the terminal."""
    c = summary["consortium"] or {}
    s = summary["statuses"]
    name = c.get("name") or summary.get("folder")
    print(f"【{name}】 材料 {summary['documents']} 份（{summary['pages']} 页）", file=out)
    print("  观测点：" + "，".join(f"{STATUS_ZH[k]} {s.get(k, 0)}" for k in ("found", "partial", "conflict", "missing")),
          file=out)
    a = summary.get("assessment")
    if a:       # the assessment's words: an expert-confirmed item is 「确认触发」, never 「疑似」
        confirmed = [f["code"] for f in a["flags"] if f.get("confirmed")]
        suspected = [f["code"] for f in a["flags"] if not f.get("confirmed")]
        bits = ([f"！确认触发 {'、'.join(confirmed)}（专家核实）"] if confirmed else []) + \
               ([f"！疑似触发 {'、'.join(suspected)}（待专家核实）"] if suspected else [])
        print("  负面清单：" + ("；".join(bits) if bits else "未发现触发项"), file=out)
        print(f"  建议结论：{a['conclusion']}" + (f"（{'；'.join(a['reasons'][:3])}）" if a["reasons"] else ""),
              file=out)
    else:
        flags = summary.get("flags") or []
        print("  负面清单：" + ("！疑似触发 " + "、".join(flags) if flags else "未发现触发项"), file=out)
    for f in summary.get("documents_failed") or []:
        print(f"  × {f['file']}：{f['error']}", file=out)
    for e in summary.get("errors") or []:
        print(f"  × {e}", file=out)
    print(f"  结果：{summary['out_dir']}", file=out)


def load_rules_file(path: Path) -> AssessSettings:
    """The conclusion rules of a YAML file (``review --rules``), checked."""
    if not path.is_file():
        raise CatalogueError(f"找不到结论规则文件：{path}")
    try:
        return load_settings(path)
    except Exception as exc:
        raise CatalogueError(f"结论规则文件 {path.name} 有误：{exc}") from exc


def settings_from_args(args: argparse.Namespace, environ: Optional[Mapping[str, str]] = None) -> Settings:
    """The run's settings: command-line options, then the user-facing environment overrides
    (read here, once; the stages and workers get the result explicitly)."""
    env = os.environ if environ is None else environ
    read = ReadSettings()
    raw = env.get(OCR_PAGES_ENV, "").strip()
    if raw.isdigit():
        read = dataclasses.replace(read, max_ocr_pages=int(raw))
    rules = getattr(args, "rules", None) or env.get(SETTINGS_ENV, "").strip()
    assess = load_rules_file(Path(rules)) if rules else AssessSettings()
    return Settings(read=read, assess=assess)


def cmd_review(args: argparse.Namespace) -> int:
    folder = material_folder(args.folder)
    if folder is None:
        return 2
    catalogue = load_catalogue(args.standard)
    settings = getattr(args, "settings", None) or settings_from_args(args)
    out = Path(args.output)
    batch = args.batch or (not args.single and not is_consortium_folder(folder))
    if batch:
        return run_batch(folder, out, catalogue, args, settings)
    summary = review_consortium(folder, out / folder.name, catalogue, settings=settings)
    print_summary(summary)
    return 1 if summary["errors"] else 0


def cmd_standard(args: argparse.Namespace) -> int:
    catalogue = load_catalogue(args.standard)
    if args.xlsx:
        export_xlsx(catalogue, Path(args.xlsx))
        print(f"已导出指标体系到 {args.xlsx}（{len(catalogue.points)} 个观测点）")
        return 0
    if args.json:
        json.dump(catalogue.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    print(f"{catalogue.title}（{catalogue.source}）")
    current = None
    for p in catalogue.points:
        if p.level2_code != current:
            current = p.level2_code
            print(f"\n{p.level2_code}. {p.level2_name}（{p.level1}{'·' + p.group if p.group else ''}）")
        th = f"  [标准：{p.threshold.rule}]" if p.threshold else ""
        unit = f"（{p.unit}）" if p.unit and not p.name.rstrip("）)").endswith(p.unit) else ""
        print(f"  {p.code} {p.name}{unit}{th}")
    print(f"\n{catalogue.negative_list[0].code[:2] if catalogue.negative_list else ''}. 负面清单")
    for n in catalogue.negative_list:
        print(f"  {n.code} {n.name}")
    print(f"\n共 {len(catalogue.points)} 个观测点，{len(catalogue.negative_list)} 项否定性指标。")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="consortium-review",
        description="产教联合体评审助手：按《市域产教联合体建设标准（试行）》读取材料、逐项找证据、生成评审意见与年度报告。")
    parser.add_argument("--version", action="version", version=f"consortium-review {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="输出调试日志")
    sub = parser.add_subparsers(dest="command", metavar="命令")

    p = sub.add_parser("review", help="评审：读取一个联合体（或一批联合体）的材料，生成证据与评审意见",
                       description="读取材料文件夹。文件夹内直接有文件 = 一个联合体；只有子文件夹 = 一批联合体（每个子文件夹一个）。")
    p.add_argument("folder", nargs="?", default="input_docs", help="材料文件夹（默认 input_docs/）")
    p.add_argument("-o", "--output", default="output", help="输出文件夹（默认 output/）")
    p.add_argument("--standard", default=None, help="指标体系文件（.yaml 或 .xlsx，默认 2024 年国家标准）")
    p.add_argument("--rules", default=None, metavar="FILE",
                   help="建议结论规则（YAML，字段见 generator/assess.py 的 AssessSettings；默认：负面清单触发→不予通过，"
                        "基础性门槛未达标或覆盖率低于 60%%→整改后复核，其余→建议通过）")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--single", action="store_true", help="把文件夹当作一个联合体")
    g.add_argument("--batch", action="store_true", help="把每个子文件夹当作一个联合体")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("standard", help="查看或导出指标体系（观测点、单位、标准值）",
                       description="打印指标体系；--json 输出每个观测点一条 JSON；--xlsx 导出为工作簿。")
    p.add_argument("--standard", default=None, help="指标体系文件（默认 2024 年国家标准）")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="以 JSON 输出")
    g.add_argument("--xlsx", metavar="FILE", help="导出为 .xlsx 工作簿")
    p.set_defaults(func=cmd_standard)

    for add in EXTRA_COMMANDS:
        add(sub)
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(getattr(args, "verbose", False))
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        if hasattr(args, "folder"):     # the commands that review materials get the run's settings
            args.settings = settings_from_args(args)
        return args.func(args)
    except CatalogueError as exc:
        print(f"指标体系错误：{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\n已中断。已完成的结果已保存，重新运行会从缓存继续。", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
