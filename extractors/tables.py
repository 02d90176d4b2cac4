"""Tables as the extractor sees them: which column names the point, which holds the value.

A row's header gives the meaning of its cells: 「完成情况/数值/完成数量/2024年」 hold values,
「单位」 holds the unit, 「备注/说明/佐证材料」 never give a value, future-year columns and
tables captioned 「目标」 hold plan targets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

from consortium_review.models import Block
from consortium_review.extractors.numbers import unit_in_header

CODE_RE = re.compile(r"^\s*(\d{1,2}\.\d{1,2}\.\d{1,2})(?!\.\d)")
VALUE_HEADER = re.compile(r"完成情况|完成值|完成数|实际|数值|数量|本年度|年度值|当年|结果|情况|金额|值$|指标值|现状|自评|达成|"
                          r"当前|目前|已完成|已建成|已达到|截至|截止")
#: A baseline column: the state before the plan or last year (「基期值」「建设前」「上年度」「现有基础」)
PREVIOUS_HEADER = re.compile(r"基期|基准|基数|基础值|现有基础|建设前|起始|上年|去年|上一年|上期")
SKIP_HEADER = re.compile(r"序号|编号|备注|说明|佐证|附件|材料|证明|来源|依据|页码|责任|牵头|部门|单位名称")
TARGET_HEADER = re.compile(r"目标|计划|规划|预期|预计")
UNIT_HEADER = re.compile(r"^(?:计量)?单位$")
LABEL_HEADER = re.compile(r"观测点|指标|项目|名称|内容|任务|事项|类别")

YES = re.compile(r"^(?:是|有|已|完备|健全|具备|符合|达到|通过|√|✓|Y|YES)|已(?:建立|出台|召开|制定|安排|纳入|覆盖|完成|印发|设立|成立|明确)|^(?:建立|出台|召开|制定|安排|纳入|覆盖|印发|设立|成立|明确)(?:了)?", re.I)
NO = re.compile(r"^(?:否|无|没有|未|尚未|暂未|暂无|不|×|✗|N|NO)(?![法])|未(?:建立|出台|召开|制定|安排|纳入|覆盖|完成|印发|设立)", re.I)


def parse_cell_bool(cell: str) -> Optional[bool]:
    """是/已出台/完备 -> True; 否/尚未召开/未纳入 -> False; else None."""
    c = cell.strip()
    if not c:
        return None
    if NO.search(c):
        return False
    if YES.search(c):
        return True
    return None


@dataclass
class Column:
    index: int
    header: str
    kind: str           # value | target | previous | unit | label | skip | code
    unit: Optional[str] = None


@dataclass
class TableView:
    file: str
    table: Optional[int]
    header: list[str]
    rows: list[Block]
    caption: str = ""
    columns: list[Column] = field(default_factory=list)
    is_target: bool = False
    label_col: Optional[int] = None
    unit_col: Optional[int] = None

    def code_of(self, row: Block) -> Optional[str]:
        for c in row.cells[:3]:
            m = CODE_RE.match(c or "")
            if m:
                return m.group(1)
        return None

    def label_of(self, row: Block) -> str:
        if self.label_col is not None and self.label_col < len(row.cells):
            return (row.cells[self.label_col] or "").strip()
        texts = [c for c in row.cells if c and re.search(r"[\u4e00-\u9fff]{2,}", c)]
        return texts[0] if texts else ""

    def unit_of(self, row: Block) -> Optional[str]:
        if self.unit_col is not None and self.unit_col < len(row.cells):
            u = (row.cells[self.unit_col] or "").strip().replace("％", "%")
            return u or None
        return None

    def value_cells(self, row: Block, report_year: int) -> Iterable[tuple[Column, str]]:
        """Cells that may hold the row's value, best first (achieved before target columns)."""
        cols = [c for c in self.columns if c.kind in ("value", "target", "previous")]
        if not cols:
            # no header semantics: every non-label, non-skip cell after the label
            start = (self.label_col or 0) + 1
            cols = [Column(i, "", "value") for i in range(start, len(row.cells))]
        cols.sort(key=lambda c: {"value": 0, "previous": 1, "target": 2}[c.kind])
        for col in cols:
            if col.index < len(row.cells) and col.index != self.label_col:
                yield col, row.cells[col.index] or ""


_ACHIEVED_HEADER = re.compile(r"完成|实际|截至|截止|当前|目前|已|现状|现有")


_FIGURE_CELL = re.compile(r"^\s*[-+]?\d[\d,，]*(?:\.\d+)?\s*%?\s*$")


def _figures_row(cells: list[str]) -> bool:
    """A first row that holds a label and figures, not column names."""
    cells = [(c or "").strip() for c in cells]
    return len(cells) >= 2 and any(_FIGURE_CELL.match(c) for c in cells[1:]) and \
        not any(re.search(r"20\d\d", c) for c in cells if _FIGURE_CELL.match(c))


def _unit_only(header: str) -> bool:
    """A header that is nothing but a unit word (「人次」「课时数」「金额合计」 is not)."""
    core = re.sub(r"(?:总?数量?|合计|总计|小计)$", "", header.strip())
    return bool(core) and unit_in_header(core) == core.replace("％", "%")


def _classify(header: list[str], report_year: int) -> list[Column]:
    cols = []
    for i, h in enumerate(header):
        h = (h or "").strip()
        unit = unit_in_header(h)
        year = re.search(r"(20\d\d)\s*年?", h)
        if UNIT_HEADER.search(h):
            kind = "unit"
        elif re.search(r"编号|代码", h) and not VALUE_HEADER.search(h):
            kind = "code"
        elif SKIP_HEADER.search(h):
            kind = "skip"
        elif TARGET_HEADER.search(h):
            kind = "target"
        elif PREVIOUS_HEADER.search(h):
            kind = "previous"
        elif year and not VALUE_HEADER.search(h.replace(year.group(0), "")):
            y = int(year.group(1))
            kind = "value" if y == report_year else ("target" if y > report_year else "previous")
        elif VALUE_HEADER.search(h) or (unit and _unit_only(h)):
            kind = "value"          # a header that is just a unit 「人次」「课时数」 heads figures
        elif LABEL_HEADER.search(h):
            kind = "label"
        else:
            kind = "other"
        cols.append(Column(i, h, kind, unit))
    return cols


def group_tables(blocks: list[Block], report_year: int = 2024) -> list[TableView]:
    """Group a document's table_row blocks into tables, with caption and column meaning."""
    tables: list[TableView] = []
    current: Optional[TableView] = None
    last_text = ""
    for b in blocks:
        if b.kind != "table_row":
            if b.kind in ("paragraph", "caption", "heading") and b.text.strip():
                last_text = b.text.strip()
            continue
        key = (b.file, b.table, b.sheet)
        if current is None or (current.file, current.table, current.rows[0].sheet if current.rows else None) != key:
            header = list(b.header or [])
            if _figures_row(header):
                header = []     # 「职业技能等级认定（人次） | 2,630」 on top: data, the table has no header
            current = TableView(file=b.file, table=b.table, header=header, rows=[],
                                caption=last_text if len(last_text) <= 60 else "")
            tables.append(current)
        if current.header and list(b.cells) == current.header:
            continue            # the header row itself
        current.rows.append(b)
    for t in tables:
        t.columns = _classify(t.header, report_year)
        kinds = [c.kind for c in t.columns]
        # a caption about targets (「主要指标及2027年目标如下」) makes the table a plan, unless a
        # column says it holds what is done (「截至2024年底」「完成值」): then the columns decide
        achieved_col = any(c.kind == "value" and _ACHIEVED_HEADER.search(c.header) for c in t.columns)
        t.is_target = bool(TARGET_HEADER.search(t.caption)) and not re.search(r"完成|实际", t.caption) \
            and not achieved_col
        t.label_col = next((c.index for c in t.columns if c.kind == "label"), None)
        if t.label_col is None:
            # the first column holding mostly Chinese text
            for i in range(len(t.header)):
                texts = [r.cells[i] for r in t.rows[:10] if i < len(r.cells) and r.cells[i]]
                if texts and sum(bool(re.search(r"[\u4e00-\u9fff]{3,}", x)) for x in texts) >= max(1, len(texts) // 2):
                    if t.columns and i < len(t.columns) and t.columns[i].kind in ("value", "target", "previous"):
                        continue
                    t.label_col = i
                    break
        t.unit_col = next((c.index for c in t.columns if c.kind == "unit"), None)
        if "value" not in kinds and "target" not in kinds and "previous" not in kinds:
            t.columns = [c if c.index != t.label_col else Column(c.index, c.header, "label") for c in t.columns]
    return tables
