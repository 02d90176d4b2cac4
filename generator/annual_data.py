"""Data of one annual year: constants, the year's figures (collect_year), the previous year.

Part of the annual report (see ``consortium_review.generator.annual_report``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from consortium_review.catalogue import Catalogue
from consortium_review.fileio import write_json_atomic

from .datasheet import DataSheet, find_datasheets, merge_datasheet


TEMPLATE_NAME = "年度报告模板.docx"
ANNUAL_JSON = "年度数据.json"
#: the annual run's own sub-folder of ``OUT/<材料文件夹名>/``: never overwrites the review's files
ANNUAL_DIR = "年度报告"
PLACEHOLDER = "【待秘书处补充】"
TO_FILL_MARK = "【待补充】"
CHART_FILES = {
    "key": "年度图表-主要指标对比.png",
    "trend": "年度图表-指标增幅.png",
    "coverage": "年度图表-各二级指标数据覆盖.png",
}
#: the 四个合作 subsections of 二、年度建设成效 -> template variable
GROUP_VARS = {"合作办学": "schooling", "合作育人": "education", "合作就业": "employment", "合作发展": "development"}
#: 一、基本情况: topics and the points that describe them (points shown here are not repeated in 二)
BASIC_TOPICS: list[tuple[str, list[str]]] = [
    ("园区与产业", ["2.1.1", "2.1.2", "2.2.1", "2.3.1"]),
    ("政府统筹", ["1.1.1", "1.1.2", "1.2.1", "1.2.2"]),
    ("牵头单位", ["3.1.1", "3.2.1", "3.3.1", "3.3.2", "3.3.3", "4.1.1", "4.2.1"]),
    ("理事会与秘书处", ["5.1.1", "5.1.2", "5.3.1", "5.3.2", "5.3.3"]),
    ("经费投入", ["6.1.1", "6.1.2", "6.1.3", "6.1.5", "6.1.6", "6.1.7"]),
]
#: key indicators for the comparison chart (those with data are used; others fill up to KEY_MAX)
KEY_POINTS = ["3.2.1", "6.1.2", "7.2.1", "8.1.3", "8.2.2", "8.3.1", "8.5.1", "9.1.2", "9.1.4",
              "11.1.4", "12.1.1", "13.2.3", "13.3.1", "14.1.3", "14.2.1"]
KEY_MAX = 12
TREND_MAX = 16
CHART_DPI = 200          # print resolution; the charts are 150 mm wide in the report
QUOTE_MAX = 120
#: between point codes in running text: 「、」 plus a zero-width space, because Word and LibreOffice
#: treat 「11.2.2、11.2.3」 as one unbreakable number and then stretch the justified line before it
CODE_SEP = "、"
#: headings of document sections that state next year's work / the year's problems
_PLAN_SECTION = re.compile(r"下一步|下一年度|下年度|明年|工作计划|工作打算|工作思路|努力方向|展望|工作安排")
_PLAN_WORDS = re.compile(r"将|力争|拟|争取|重点做好|^[（(][一二三四五六七八九十]+[)）]|^[一二三四五六七八九十]+是|^\d+[.、．]")
_MEMBERS = re.compile(r"成员(?:单位|院校|企业)[^。；，]{0,12}?(?:\d+|[一二三四五六七八九十百]+)\s*余?\s*[家个所]")
_PROBLEM_SECTION = re.compile(r"问题|不足|短板|差距")
_NOT_PLAN = re.compile(r"不够|有待|不足|仍需|还需|欠缺|滞后|负面清单|自查")
_PROBLEM_WORDS = re.compile(r"不够|有待|不足|仍需|尚未|还需|欠缺|滞后|不高|较弱|偏低")


class AnnualError(RuntimeError):
    """A user-facing failure of the annual command (message in Chinese)."""


# =========================================================================== data of one year

@dataclass
class YearData:
    """One year's findings: evidence.json with the data sheet merged in."""

    evidence: dict
    year: Optional[int] = None
    documents: list = field(default_factory=list)       # models.Document with blocks (read runs only)
    sheets: list[DataSheet] = field(default_factory=list)
    origin: str = ""

    def point(self, code: str) -> Optional[dict]:
        for p in self.evidence.get("points") or []:
            if p.get("code") == code:
                return p
        return None

    @property
    def by_code(self) -> dict[str, dict]:
        return {p.get("code"): p for p in self.evidence.get("points") or []}


def collect_year(folder: Path, catalogue: Catalogue, out_dir: Optional[Path] = None, cache=None,
                 year: Optional[int] = None) -> YearData:
    """Read + extract ``folder``, merge its data sheets; write evidence.json + 年度数据.json to ``out_dir``.

    The report year: ``year`` (``--year``), else the one the data sheet states, else the one
    extraction reads from the documents; its source (Chinese) is kept in ``annual``.
    """
    # lazy: the read + extract stages (PDF/OCR readers) load only when a year is collected
    from consortium_review.evidence_json import build
    from consortium_review.extractors.read import read_folder
    from consortium_review.extractors.evidence import extract

    folder = Path(folder)
    if not folder.is_dir():
        raise AnnualError(f"找不到材料文件夹：{folder}")
    documents = read_folder(folder, cache=cache)
    sheets = find_datasheets(folder, catalogue)
    # the data sheets are merged by code below; extracting them as documents too would count
    # their values twice (and hide the documents' own targets and conflicts)
    sheet_files = {s.file for s in sheets}
    sheet = next((s for s in sheets if s.year), None)
    if sheet is not None and not year:
        year, source = int(sheet.year), f"数据采集表「{sheet.file}」中填写的年度"
    else:
        source = None
    result = extract(catalogue, [d for d in documents if d.file not in sheet_files], folder_name=folder.resolve().name,
                     year=year)
    chosen = {"year": result.report_year, "source": source or result.report_year_source}
    evidence = build(catalogue, result.info, documents, result.points, result.negatives,
                     extra={"folder": folder.name, "generated_by": "consortium-review", "report_year": chosen})
    merged = merge_datasheet(evidence, sheets, catalogue)
    year = chosen["year"]
    merged["annual"] = dict(chosen)
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(out_dir / "evidence.json", evidence)
        write_json_atomic(out_dir / ANNUAL_JSON, merged)
    return YearData(evidence=merged, year=year, documents=documents, sheets=sheets, origin=str(folder))


def load_evidence_file(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AnnualError(f"无法读取上年数据文件 {Path(path).name}：{exc}") from None
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith("consortium-review/evidence") \
            or not isinstance(data.get("points"), list):
        raise AnnualError(f"{Path(path).name} 不是 consortium-review 生成的 evidence.json / {ANNUAL_JSON}")
    return data


def load_previous(path: Path | str, catalogue: Catalogue, cache=None) -> YearData:
    """Last year's findings from an evidence.json / 年度数据.json, an output folder or a materials folder.

    Like is compared with like: last year's report printed the values of its 年度数据.json
    (data sheet first), so that file is used whenever it sits next to the given one or in the
    output folder's 年度报告/ sub-folder.
    """
    path = Path(path)
    if path.is_file() and path.name != ANNUAL_JSON and (path.parent / ANNUAL_JSON).is_file():
        path = path.parent / ANNUAL_JSON
    if path.is_dir() and (path / ANNUAL_DIR / ANNUAL_JSON).is_file():
        path = path / ANNUAL_DIR / ANNUAL_JSON
    if path.is_file():
        data = load_evidence_file(path)
        return YearData(evidence=data, year=(data.get("annual") or {}).get("year"), origin=path.name)
    if path.is_dir():
        for name in (ANNUAL_JSON, "evidence.json"):
            if (path / name).is_file():
                data = load_evidence_file(path / name)
                return YearData(evidence=data, year=(data.get("annual") or {}).get("year"),
                                origin=f"{path.name}/{name}")
        return collect_year(path, catalogue, cache=cache)
    raise AnnualError(f"找不到上年数据：{path}（应为上年的 evidence.json 或上年材料文件夹）")


