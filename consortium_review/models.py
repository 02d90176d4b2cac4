"""Plain data passed between the stages.

read:    files -> ``Document`` (with ``Block`` s)
extract: blocks -> ``PointResult`` / ``NegativeResult`` (with ``Evidence``)
assess:  results -> ``Review`` (thresholds, coverage, conclusion)

Everything here is JSON-friendly (``to_dict``) so stages can run in other processes
and results can be cached.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Optional

BlockKind = Literal[
    "heading",      # a heading; ``level`` 1.. (一、=1, （一）=2, 1.=3 ...)
    "paragraph",    # body text
    "table_row",    # one table row; ``cells`` holds the row, ``header`` the header row
    "cell",         # a single cell that is a block of its own (long text in a cell)
    "header",       # page header (running head) — kept apart from the body
    "footer",       # page footer
    "footnote",     # footnote / endnote
    "textbox",      # text in a text box or shape
    "caption",      # table/figure caption such as 「表1 …」
]


@dataclass
class Block:
    """One piece of text that remembers where it came from (文本块)."""

    text: str
    file: str                       # path relative to the consortium folder, '/' separated
    kind: str = "paragraph"         # see BlockKind
    page: Optional[int] = None      # 1-based page for PDFs/images; None for Word/Excel
    locator: str = ""               # human locator: 「第12段」「表2第3行」「工作表“自评”第5行」
    level: Optional[int] = None     # heading level
    table: Optional[int] = None     # 1-based table id within the document
    row: Optional[int] = None       # 1-based row within the table
    cells: list[str] = field(default_factory=list)   # table_row: the cells of this row
    header: list[str] = field(default_factory=list)  # table_row: the header cells of its table
    sheet: Optional[str] = None     # spreadsheet sheet name
    section: str = ""               # nearest heading text above this block (context)
    page_breaks: list[int] = field(default_factory=list)  # offsets in text where the next page starts

    def page_at(self, offset: int) -> Optional[int]:
        """Page of the character at ``offset`` (a paragraph may run over a page break)."""
        if self.page is None:
            return None
        return self.page + sum(1 for b in self.page_breaks if b <= offset)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Block":
        return cls(**d)


DocStatus = Literal["ok", "ocr", "error"]


@dataclass
class Document:
    """One submitted file after reading (材料)."""

    file: str                       # relative to the consortium folder ('/' separated)
    sha256: str = ""
    format: str = "unknown"         # pdf|docx|doc|wps|rtf|xlsx|xls|csv|image|zip|txt|unknown
    pages: Optional[int] = None
    status: str = "ok"              # ok | ocr | error | skipped
    error: Optional[str] = None     # one-line Chinese reason when status is error/skipped
    blocks: list[Block] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # non-fatal notes (Chinese)
    seconds: float = 0.0
    role: str = "own"               # own | reference (decided at extract, see extractors.roles)
    role_reason: Optional[str] = None  # one line of Chinese: why reference (or the user's choice)

    def to_dict(self, with_blocks: bool = True) -> dict[str, Any]:
        d = asdict(self)
        if not with_blocks:
            d.pop("blocks")
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Document":
        d = dict(d)
        d["blocks"] = [Block.from_dict(b) for b in d.get("blocks", [])]
        return cls(**d)


@dataclass
class Evidence:
    """One place in the documents that speaks to an observation point (佐证)."""

    file: str
    page: Optional[int]
    locator: str
    snippet: str
    value: Any = None               # normalised to ``unit`` (bool / number / str / None)
    unit: Optional[str] = None
    kind: str = "achieved"          # achieved | target | previous | denied | mention | table
    score: float = 0.0              # internal ranking score (higher is better)
    quantities: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        d = {"file": self.file, "page": self.page, "locator": self.locator,
             "snippet": self.snippet, "value": self.value, "unit": self.unit,
             "kind": self.kind}
        if self.quantities:
            d["quantities"] = self.quantities
        return d


PointStatus = Literal["found", "partial", "missing", "conflict"]


@dataclass
class PointResult:
    """The finding for one observation point (观测点)."""

    code: str
    name: str
    status: str = "missing"
    value: Any = None
    unit: Optional[str] = None
    quantities: list[dict[str, Any]] = field(default_factory=list)
    threshold: Optional[dict[str, Any]] = None   # {"rule": "≥100万元", "met": bool|None}
    evidence: list[Evidence] = field(default_factory=list)
    confidence: float = 0.0
    note: Optional[str] = None
    expert: Optional[dict[str, Any]] = None      # expert override from the workbook

    def to_json(self) -> dict[str, Any]:
        d = {"code": self.code, "name": self.name, "status": self.status,
             "value": self.value, "unit": self.unit, "quantities": self.quantities,
             "threshold": self.threshold,
             "evidence": [e.to_json() for e in self.evidence],
             "confidence": round(self.confidence, 3), "note": self.note}
        if self.expert:
            d["expert"] = self.expert
        return d


@dataclass
class NegativeResult:
    """Screening result for one negative-list item (否定性指标 16.x)."""

    code: str
    name: str
    flagged: bool = False
    evidence: list[Evidence] = field(default_factory=list)
    note: Optional[str] = None

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "flagged": self.flagged,
                "evidence": [e.to_json() for e in self.evidence], "note": self.note}


@dataclass
class ConsortiumInfo:
    """Identity of the consortium (联合体基本信息)."""

    name: Optional[str] = None
    park: Optional[str] = None
    lead_school: Optional[str] = None
    lead_enterprise: Optional[str] = None
    roster: Optional[dict[str, Any]] = None      # {"batch": "2024", "index": 5}
    aliases: tuple[str, ...] = ()                # other official spellings (roster); not in evidence.json

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("aliases")
        return d
