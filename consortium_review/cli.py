"""Command line: ``consortium-review review|standard|...``. Only wires stages together."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from pathlib import Path
from typing import Mapping, Optional

from . import __version__
from .annual import annual_report
from .batch import add_commands as add_batch_commands
from .batch import run_batch
from .cache import CACHE_DIRNAME, ReadCache
from .catalogue import CatalogueError, load_catalogue
from .catalogue_export import export_xlsx
from .fileio import mark_generated, mark_output_dir
from .folders import material_folder
from .generator.annual_data import ANNUAL_DIR, AnnualError
from .generator.assess import SETTINGS_ENV, AssessSettings, load_settings
from .generator.datasheet import write_datasheet
from .pipeline import Settings
from .settings import ReadSettings
from .watch import add_watch_command
from .web.serve import add_commands as add_serve_command

#: User-facing environment override: OCR at most this many pages per document.
OCR_PAGES_ENV = "CR_MAX_OCR_PAGES"

STATUS_ZH = {"found": "已找到", "partial": "部分", "missing": "缺失", "conflict": "冲突"}

# argparse's own English, in Chinese (messages of Python 3.11-3.13)
_ARGPARSE_ZH = [
    (r"the following arguments are required: (.*)", r"缺少必需的参数：\1"),
    (r"unrecognized arguments: (.*)", r"无法识别的参数：\1"),
    (r"argument (\S+): invalid choice: (.*?) \(choose from (.*)\)", r"参数 \1：无效的选项 \2（可选：\3）"),
    (r"invalid choice: (.*?) \(choose from (.*)\)", r"无效的选项 \1（可选：\2）"),
    (r"argument (\S+): expected one argument", r"参数 \1 后面需要一个值"),
    (r"argument (\S+): expected at least one argument", r"参数 \1 后面至少需要一个值"),
    (r"argument (\S+): not allowed with argument (\S+)", r"参数 \1 不能与 \2 同时使用"),
    (r"argument (\S+): invalid (\w+) value: (.*)", r"参数 \1 的值无效：\3"),
    (r"argument (\S+): ignored explicit argument (.*)", r"参数 \1 不接受值：\2"),
    (r"ambiguous option: (\S+) could match (.*)", r"选项 \1 不明确，可能是：\2"),
    (r"argument (\S+): (.*)", r"参数 \1：\2"),
]


def translate_argparse(message: str) -> str:
    import re

    for pattern, repl in _ARGPARSE_ZH:
        new, n = re.subn(pattern, repl, message)
        if n:
            return new
    return message


def _colon(text: str) -> str:
    """Section headings end with a Chinese colon."""
    import re

    return re.sub(r"^(\S[^\n]*?):$", r"\1：", text, flags=re.M)


class ChineseHelpFormatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


class ChineseArgumentParser(argparse.ArgumentParser):
    """ArgumentParser whose own words (usage, headings, -h, errors) are Chinese."""

    def __init__(self, *args, **kwargs):
        add_help = kwargs.pop("add_help", True)
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出")

    def format_help(self) -> str:
        return _colon(super().format_help())

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{translate_argparse(message)}\n")


_LEVELS_ZH = {"DEBUG": "调试", "INFO": "信息", "WARNING": "警告", "ERROR": "错误", "CRITICAL": "严重错误"}


class _ChineseFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.level_zh = _LEVELS_ZH.get(record.levelname, record.levelname)
        return super().format(record)


def _not_a_read_failure(record: logging.LogRecord) -> bool:
    """Per-file read failures are reported once, by the command's own summary."""
    return not (record.name == "consortium_review.read" and record.levelno == logging.WARNING)


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING)
    for h in logging.getLogger().handlers:
        if isinstance(h, logging.StreamHandler) and not getattr(h, "_consortium_review", False):
            h.setFormatter(_ChineseFormatter("%(level_zh)s（%(name)s）：%(message)s" if verbose
                                             else "%(level_zh)s：%(message)s"))
            if not verbose:
                h.addFilter(_not_a_read_failure)
            h._consortium_review = True
    # third-party chatter (pdfminer, jieba, fontTools) stays out of the user's terminal
    for noisy in ("pdfminer", "jieba", "fontTools", "matplotlib", "PIL", "RapidOCR", "docxcompose"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def is_consortium_folder(folder: Path) -> bool:
    """A folder that directly holds files (documents) is one consortium."""
    return any(p.is_file() and not p.name.startswith(".") for p in folder.iterdir())


def default_output(folder: Path, given: Optional[str]) -> Path:
    """``-o`` as given; else ``output/`` — unless that lies inside the materials folder (the tool
    never writes there unless told to): then a sibling folder 「<材料文件夹名>-评审结果」."""
    if given:
        return Path(given)
    out = Path("output")
    src = folder.resolve()
    if out.resolve() == src or src in out.resolve().parents:
        out = src.parent / f"{src.name}-评审结果"
        print(f"提示：材料文件夹内不写入结果，输出到 {out}（可用 -o 指定）")
    return out


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
    out = default_output(folder, args.output)
    if out.resolve() == folder.resolve():
        print("错误：输出文件夹不能就是材料文件夹，请用 -o 指定另一个文件夹（可以是材料文件夹里的子文件夹）。",
              file=sys.stderr)
        return 2
    catalogue = load_catalogue(args.standard)
    settings = getattr(args, "settings", None) or settings_from_args(args)
    batch = args.batch or (not args.single and not is_consortium_folder(folder))
    # one consortium or many: the same machine (cache, resume, --force, --workers, progress)
    return run_batch(folder, out, catalogue, args, settings, single=not batch)


def report_year_arg(text: str) -> int:
    """``--year``: a four-digit year such as 2025."""
    try:
        y = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为四位年份，如 2025：{text}") from None
    if not 2000 <= y <= 2100:
        raise argparse.ArgumentTypeError(f"应为四位年份，如 2025：{text}")
    return y


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


# --------------------------------------------------------------------------- datasheet, annual

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
    settings = getattr(args, "settings", None) or settings_from_args(args)
    review_dir = out / folder.resolve().name
    out_dir = review_dir / ANNUAL_DIR          # the review's evidence.json and workbook stay untouched
    mark_output_dir(out)
    # the review's read cache (``review -o`` the same folder): files it read are not read again
    cache = ReadCache(out / CACHE_DIRNAME, read_settings=settings.read)
    try:
        s = annual_report(folder, out_dir, catalogue, year=args.year, previous=args.previous,
                          template=args.template, review_dir=review_dir, settings=settings, cache=cache)
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


def add_annual_commands(subparsers) -> None:
    """``datasheet`` (the blank data sheet) and ``annual`` (the annual report)."""
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


#: Functions that add options or sub-commands to the parser: ``f(subparsers)``.
EXTRA_COMMANDS = [
    add_batch_commands,     # review: batch options
    add_watch_command,      # watch
    add_annual_commands,    # datasheet, annual
    add_serve_command,      # serve (the review workspace in the browser)
]


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(
        prog="consortium-review",
        description="产教联合体评审助手：按《市域产教联合体建设标准（试行）》读取材料、逐项找证据、生成评审意见与年度报告。")
    parser.add_argument("--version", action="version", version=f"consortium-review {__version__}",
                        help="显示版本号并退出")
    parser.add_argument("-v", "--verbose", action="store_true", help="输出调试日志")
    sub = parser.add_subparsers(dest="command", metavar="命令")

    p = sub.add_parser("review", help="评审：读取一个联合体（或一批联合体）的材料，生成证据与评审意见",
                       description="读取材料文件夹。文件夹内直接有文件 = 一个联合体；只有子文件夹 = 一批联合体（每个子文件夹一个）。")
    p.add_argument("folder", nargs="?", default="input_docs", metavar="材料文件夹", help="默认 input_docs/")
    p.add_argument("-o", "--output", default=None, metavar="文件夹",
                   help="输出文件夹（默认 output/；材料文件夹之内不会默认写入）")
    p.add_argument("--year", type=report_year_arg, default=None, metavar="年份",
                   help="报告年度，如 2025（默认从材料的文件名和「20xx年度」字样判断，并打印判断依据）")
    p.add_argument("--standard", default=None, metavar="文件", help="指标体系文件（.yaml 或 .xlsx，默认 2024 年国家标准）")
    p.add_argument("--rules", default=None, metavar="文件",
                   help="建议结论规则（YAML 文件，写法见 README「建议结论规则」一节；默认：负面清单触发→不予通过，"
                        "基础性门槛未达标或「须为是」答“否”→整改后复核，其余→建议通过；覆盖率只作参考）")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--single", action="store_true", help="把文件夹当作一个联合体")
    g.add_argument("--batch", action="store_true", help="把每个子文件夹当作一个联合体")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("standard", help="查看或导出指标体系（观测点、单位、标准值）",
                       description="打印指标体系；--json 输出每个观测点一条 JSON；--xlsx 导出为工作簿。")
    p.add_argument("--standard", default=None, metavar="文件", help="指标体系文件（默认 2024 年国家标准）")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="以 JSON 输出")
    g.add_argument("--xlsx", metavar="文件", help="导出为 .xlsx 工作簿（中文表头，可修改后用 --standard 读回）")
    p.set_defaults(func=cmd_standard)

    for add in EXTRA_COMMANDS:
        add(sub)
    for command in sub.choices.values():
        # -v works after the sub-command too (SUPPRESS: absent there keeps the main option's value)
        if "--verbose" not in command._option_string_actions:
            command.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                                 help="输出调试日志")
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(getattr(args, "verbose", False))
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        if hasattr(args, "folder") or hasattr(args, "workspace"):   # commands that review get the run's settings
            args.settings = settings_from_args(args)
        code = args.func(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # the reader of our output went away (``standard | head``): stop quietly
        _silence_stdout()
        return 0
    except CatalogueError as exc:
        print(f"指标体系错误：{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\n已中断。已完成的结果已保存，重新运行会从缓存继续。", file=sys.stderr)
        return 130


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())     # the interpreter's final flush must not fail again
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":
    sys.exit(main())
