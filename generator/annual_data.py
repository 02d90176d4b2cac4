"""Data of one annual year: the report's constants and ``YearData``, the plain data it renders from.

Part of the annual report's render stage (``annual_prose``, ``annual_charts``, ``annual_render``).
Nothing here reads the materials: the annual run (``consortium_review.annual``) reads and extracts
the year, merges its data sheets and hands the result over as ``YearData``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

from consortium_review.models import Document

from .datasheet import DataSheet


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
    """One year's findings: evidence.json with the data sheet merged in.

    ``documents``, ``sentences`` and ``year_columns`` are filled when the year was read from its
    materials (``consortium_review.annual.collect_year``); a year loaded from a JSON file has
    only ``evidence``.
    """

    evidence: dict
    year: Optional[int] = None
    documents: list[Document] = field(default_factory=list)   # with blocks (read runs only)
    sheets: list[DataSheet] = field(default_factory=list)
    origin: str = ""
    #: the body sentences (paragraphs, text boxes, long cells) of ``own_documents`` in that
    #: order, each with its place as evidence gives it: {"file", "page", "locator"}
    sentences: list[tuple[str, dict]] = field(default_factory=list)
    #: table rows with year headers: (file, locator) -> [(the header's year, the figures in the
    #: cell below it, years left out)], in column order
    year_columns: dict[tuple[str, str], list[tuple[int, list[float]]]] = field(default_factory=dict)

    def point(self, code: str) -> Optional[dict]:
        for p in self.evidence.get("points") or []:
            if p.get("code") == code:
                return p
        return None

    @property
    def by_code(self) -> dict[str, dict]:
        return {p.get("code"): p for p in self.evidence.get("points") or []}


def own_documents(documents: Iterable[Document], sheets: Iterable[DataSheet]) -> list[Document]:
    """The year's documents whose body text the report quotes, summaries and reports first: read
    ones, not the data sheets, not spreadsheets or plain-text files."""
    sheet_files = {s.file for s in sheets}
    docs = sorted(documents, key=lambda d: (0 if re.search(r"总结|年度|报告", d.file) else 1, d.file))
    return [d for d in docs if d.status in ("ok", "ocr") and d.file not in sheet_files
            and d.format not in ("xlsx", "xls", "csv", "txt")]
