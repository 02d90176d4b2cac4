"""The assess stage (评估): evidence.json + catalogue -> findings, with no file formats.

``assess(evidence, catalogue, settings)`` applies the expert's overrides (from the workbook),
re-checks thresholds, counts coverage per 二级指标 and per group (基础性指标, 合作办学, 合作育人,
合作就业, 合作发展), screens the negative list, derives 主要问题 / 改进建议 from the gaps, and
suggests a conclusion by a stated, configurable rule (``AssessSettings``).

Everything returned is a plain dataclass; the review opinion, the charts, the workbook summary
and the annual report all read the same ``Assessment``.  Nothing here invents a figure: every
value comes from the evidence dict or from the expert's own entry (marked ``expert_confirmed``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Optional

from consortium_review.catalogue import Catalogue, ObservationPoint

from . import progress as pg
from .provenance import source_of

# --------------------------------------------------------------------------- vocabulary

STATUS_ORDER = ("found", "partial", "conflict", "missing")
STATUS_LABELS = {"found": "已找到", "partial": "部分", "conflict": "冲突", "missing": "缺失"}
#: labels an expert may type in the workbook's 专家判定 column -> status key
STATUS_FROM_LABEL = {
    "已找到": "found", "找到": "found", "有": "found", "found": "found", "确认": "found",
    "部分": "partial", "部分佐证": "partial", "partial": "partial",
    "冲突": "conflict", "conflict": "conflict",
    "缺失": "missing", "未见": "missing", "无": "missing", "missing": "missing",
}
NEGATIVE_LABELS = {True: "疑似触发", False: "未发现"}
#: expert entries for a negative-list item -> flagged
NEGATIVE_FROM_LABEL = {"触发": True, "疑似触发": True, "是": True, "确认触发": True, "true": True,
                       "未触发": False, "未发现": False, "否": False, "无": False, "false": False}

BASIC = "基础性指标"
GROUP_ORDER = (BASIC, "合作办学", "合作育人", "合作就业", "合作发展")
GROUP_TITLES = {"合作育人": "合作育人（含“五金”建设）"}


class AssessSettingsError(ValueError):
    """A settings file is malformed (message in Chinese)."""


@dataclass
class AssessSettings:
    """Knobs of the assess stage, with documented defaults.

    Load from YAML with ``AssessSettings.from_yaml(path)``; keys are the field names below,
    unknown keys are rejected so a typo does not silently keep the default.

    Default conclusion rule — it follows the notice (教职成厅函〔2024〕20号) and its 附件1
    《市域产教联合体建设标准（试行）》, which sorts the indicators into 一、基础性指标 (the
    conditions a consortium must have: 1 省（市）级政府, 2 产业园区, 3 牵头企业, 4 牵头学校, with
    the bars the standard writes into them, e.g. 「近3年内累计投入100万元以上」, 「须为是」),
    二、实质性指标 (the 「四个合作」 to be built up and monitored) and 三、否定性指标 (16 负面清单,
    marked 【过程监测、退出机制】: any one of them is disqualifying).  The notice's 组织实施
    (「严格对照建设标准查摆问题」, 「通过评估、调研、监测等形式」) asks for problems found against
    the standard, not for a score; so:

      1. a negative-list item flagged (suspected or confirmed by the expert)  -> ``reject_label``
      2. each 基础性指标 bar not met (``unmet_basic_blocks``), and each point the standard says
         must be 「是」 answered 否 (``yes_required_blocks``), is named as a reason -> ``rectify_label``
         (optionally also a basic bar that cannot be decided: ``undecided_basic_blocks``)
      3. otherwise                                                         -> ``pass_label``

    Evidence coverage (佐证覆盖率 = (found + conflict × ``conflict_weight`` + partial ×
    ``partial_weight``) ÷ points, %) mostly measures how much the tool found; it informs the
    opinion (a note below ``coverage_note_bar``) but decides nothing unless a rules file sets
    ``coverage_bar`` above 0 (opt-in, not the standard's rule).
    """

    coverage_bar: float = 0.0             #: opt-in: coverage below this % -> 整改后复核 (0 = never decides)
    coverage_note_bar: float = 60.0       #: coverage below this % is pointed out in 总体评价 (informs only)
    partial_weight: float = 0.5           #: a partially evidenced point counts this much
    conflict_weight: float = 1.0          #: conflicting figures are still evidence
    unmet_basic_blocks: bool = True       #: a 基础性指标 bar not met -> 整改后复核
    yes_required_blocks: bool = True      #: a 「须为是」 point answered 否 -> 整改后复核 (any level)
    undecided_basic_blocks: bool = False  #: basic threshold with no data -> 整改后复核 as well
    pass_label: str = "建议通过"
    rectify_label: str = "整改后复核"
    reject_label: str = "不予通过"
    max_problem_items: int = 6            #: 存在问题 holds at most this many items (lower ranks merged)

    @classmethod
    def from_dict(cls, data: Any, where: str = "评审规则") -> "AssessSettings":
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise AssessSettingsError(f"{where}：应为“键: 值”形式的映射")
        known = {f.name: f for f in fields(cls)}
        unknown = [k for k in data if k not in known]
        if unknown:
            raise AssessSettingsError(f"{where}：未知的设置项 {', '.join(map(str, unknown))}；"
                                      f"可用：{', '.join(known)}")
        kwargs: dict[str, Any] = {}
        for k, v in data.items():
            default = getattr(cls(), k)
            try:
                if isinstance(default, bool):
                    if not isinstance(v, bool):
                        raise TypeError
                    kwargs[k] = v
                elif isinstance(default, int) and not isinstance(default, bool):
                    kwargs[k] = int(v)
                elif isinstance(default, float):
                    kwargs[k] = float(v)
                else:
                    kwargs[k] = str(v)
            except (TypeError, ValueError):
                raise AssessSettingsError(f"{where}：设置项 {k} 的值「{v}」类型不对"
                                          f"（应为 {type(default).__name__}）") from None
        s = cls(**kwargs)
        if not 0 <= s.coverage_bar <= 100:
            raise AssessSettingsError(f"{where}：coverage_bar 应在 0–100 之间（百分比）")
        for k in ("partial_weight", "conflict_weight"):
            if not 0 <= getattr(s, k) <= 1:
                raise AssessSettingsError(f"{where}：{k} 应在 0–1 之间")
        return s

    @classmethod
    def from_yaml(cls, path: Path | str) -> "AssessSettings":
        import yaml

        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise AssessSettingsError(f"找不到评审规则文件：{path}") from None
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise AssessSettingsError(f"评审规则文件 {path.name} 无法解析：{exc}") from None
        return cls.from_dict(data, where=path.name)

    def coverage_formula(self) -> str:
        return (f"佐证覆盖率＝（已找到＋数据冲突×{_num(self.conflict_weight)}＋部分佐证×"
                f"{_num(self.partial_weight)}）÷观测点总数")

    def rule_text(self) -> str:
        """The rule in one paragraph, with the part of the standard it follows."""
        parts = [f"依据《市域产教联合体建设标准（试行）》（教职成厅函〔2024〕20号附件1），否定性指标"
                 f"（16.负面清单，“过程监测、退出机制”）任一项触发的，结论为“{self.reject_label}”"]
        blocks = []
        if self.unmet_basic_blocks:
            blocks.append("基础性指标的门槛要求未达到" + ("或无法判定" if self.undecided_basic_blocks else ""))
        if self.yes_required_blocks:
            blocks.append("标准要求须为“是”的观测点材料表述为“否”")
        if self.coverage_bar > 0:
            blocks.append(f"观测点佐证覆盖率低于{_num(self.coverage_bar)}%")
        if blocks:
            parts.append("；".join(blocks) + f"的，逐项列为理由，结论为“{self.rectify_label}”")
        parts.append(f"其余为“{self.pass_label}”")
        text = "；".join(parts) + "。"
        if self.coverage_bar <= 0:
            text += "佐证覆盖率反映材料中能找到佐证的程度，仅作参考，不作为结论依据。"
        return text


#: User-facing environment variable naming a YAML rules file when ``review --rules`` is not
#: given; read once by the CLI (``cli.settings_from_args``), never here.
SETTINGS_ENV = "CONSORTIUM_REVIEW_RULES"


def load_settings(source: Any = None) -> AssessSettings:
    """Settings from an ``AssessSettings``, a dict, a YAML path, or None (the defaults).

    The pipeline passes the run's settings to the renderers as ``evidence["assess_settings"]``
    (never written to evidence.json); a caller can also put a path or a dict there.
    """
    if source is None:
        return AssessSettings()
    if isinstance(source, AssessSettings):
        return source
    if isinstance(source, dict):
        return AssessSettings.from_dict(source)
    return AssessSettings.from_yaml(source)


# --------------------------------------------------------------------------- formatting

def _num(x: float) -> str:
    """320.0 -> '320', 4.25 -> '4.25', 1/3 -> '0.33' (never scientific notation)."""
    if isinstance(x, bool):
        return "是" if x else "否"
    if isinstance(x, int):
        return str(x)
    if not math.isfinite(x):
        return str(x)
    if float(x).is_integer():
        return str(int(x))
    s = f"{x:.4f}".rstrip("0").rstrip(".")
    return s


def qz(text: object) -> str:
    """Chinese double quotes around catalogue text; inner “” become ‘’ (「“8.‘五金’建设”」)."""
    return "“" + str(text).replace("“", "‘").replace("”", "’") + "”"


def format_value(value: Any, unit: Optional[str] = None, quantities: Optional[list] = None) -> str:
    """A value as written in the opinion: '320万元', '4%', '是', '省级', '120人次、3600课时'."""
    if quantities:
        parts = [format_value(q.get("value"), q.get("unit")) for q in quantities if q.get("value") is not None]
        parts = [p for p in parts if p]
        if parts:
            return "、".join(parts)
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return _num(value) + (unit or "")
    return str(value).strip()


_UNIT_SUFFIX = re.compile(r"[（(][^（）()]{1,12}[)）]\s*$")
#: a parenthesised unit inside a name: 「园区总产值（亿元）以及在省内排名」
_UNIT_INNER = re.compile(r"[（(](?:万元|亿元|元|%|％|个|人|人次|课时|小时/周|人月|人日|项|本|门|次|份|场|[、，, ])+[)）]")


def point_subject(name: str) -> str:
    """The point's name without units such as 「（万元）」「(人次、课时)」 (trailing or inside)."""
    s = _UNIT_INNER.sub("", name.strip())
    while True:
        t = _UNIT_SUFFIX.sub("", s).strip()
        if t == s:
            return s.rstrip("。.,，、：:")
        s = t


def code_list(codes: list[str], limit: int = 6) -> str:
    """「3.3.2、3.3.3」; longer lists end with 「等N个」."""
    if len(codes) <= limit:
        return "、".join(codes)
    return "、".join(codes[:limit]) + f"等{len(codes)}个"


def evidence_hint(op: ObservationPoint) -> str:
    """What would evidence a point — for the 「佐证材料缺失清单」 (derived from name/type/unit)."""
    subject = point_subject(op.name)
    scope = {"three_years": "（近三年逐年数据）", "annual": "（本年度数据）"}.get(op.scope or "", "")
    if op.type == "yesno":
        core = subject
        if core.startswith("是否"):
            core = core[2:]
        elif "是否" in core:
            core = core.replace("是否", "", 1)
        text = f"提供能证明{qz(core)}的会议纪要、正式文件、通知或制度文本等材料"
    elif op.type == "amount":
        text = f"提供{subject}的统计表（单位：{op.unit}）{scope}，附财务凭证、审计报告或资金到账证明"
    elif op.type == "count":
        text = f"提供{subject}的统计表（单位：{op.unit}）{scope}及清单、名单或认定文件"
    elif op.type == "percent":
        text = f"提供{subject}的统计数据{scope}及计算口径（分子、分母），附统计表或证明材料"
    elif op.type == "rate":
        text = f"提供{subject}的统计表（单位：{op.unit}）{scope}及使用记录"
    elif op.type == "multi":
        units = "、".join(op.units) if op.units else (op.unit or "")
        text = f"提供{subject}的统计表（单位：{units}）{scope}及名单、记录"
    elif op.type == "category":
        cats = "、".join(op.categories)
        text = f"提供{subject}的认定文件、批文或证书（{cats}）"
    else:
        text = f"提供{subject}的情况说明{scope}及相关佐证材料"
    if op.threshold:
        text += f"，并说明是否达到{qz(op.threshold.rule)}"
    return text


# --------------------------------------------------------------------------- findings

@dataclass
class PointFinding:
    """One observation point after expert overrides (观测点评估结果)."""

    code: str
    name: str
    type: str
    unit: Optional[str]
    level1: str
    level2_code: str
    level2_name: str
    group: str
    indicator_code: str
    indicator_name: str
    status: str                              # effective status (expert's if given)
    extracted_status: str
    value: Any                               # effective value (expert's if given)
    extracted_value: Any
    quantities: list[dict] = field(default_factory=list)
    threshold_rule: Optional[str] = None
    threshold_met: Optional[bool] = None     # effective
    threshold_op: Optional[str] = None       # from the catalogue: ">=", "in", "true" …
    threshold_value: Any = None
    threshold_unit: Optional[str] = None
    evidence: list[dict] = field(default_factory=list)
    confidence: float = 0.0
    note: Optional[str] = None
    expert: Optional[dict] = None            # {"status", "value", "comment"} as typed
    expert_status: bool = False              # the expert set the status
    expert_value: bool = False               # the expert set the value
    hint: str = ""                           # what would evidence it

    @property
    def expert_confirmed(self) -> bool:
        return self.expert_status or self.expert_value

    @property
    def expert_comment(self) -> str:
        return str((self.expert or {}).get("comment") or "").strip()

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def is_basic(self) -> bool:
        return self.level1 == BASIC

    @property
    def has_threshold(self) -> bool:
        return self.threshold_rule is not None

    @property
    def subject(self) -> str:
        return point_subject(self.name)

    @property
    def value_text(self) -> str:
        qs = None if self.expert_value else self.quantities
        return format_value(self.value, self.unit, qs)

    @property
    def source_text(self) -> str:
        if self.expert_value and not self.evidence:
            return "专家确认"
        return source_of(self.evidence[0]) if self.evidence else ""

    @property
    def threshold_label(self) -> str:
        if not self.has_threshold:
            return ""
        return {True: "达标", False: "未达标", None: "无法判定"}[self.threshold_met]


@dataclass
class NegativeFinding:
    """One negative-list item (否定性指标) after expert overrides."""

    code: str
    name: str
    flagged: bool
    extracted_flagged: bool
    evidence: list[dict] = field(default_factory=list)
    note: Optional[str] = None
    expert: Optional[dict] = None
    expert_confirmed: bool = False

    @property
    def label(self) -> str:
        if self.expert_confirmed:
            return "确认触发" if self.flagged else "确认未触发"
        return NEGATIVE_LABELS[self.flagged]

    @property
    def confirmed(self) -> bool:
        """Flagged and confirmed by the expert (never called 疑似 then)."""
        return self.flagged and self.expert_confirmed

    @property
    def state_text(self) -> str:
        """「经评审专家核实确认触发」 / 「疑似触发（待专家核实）」."""
        return "经评审专家核实确认触发" if self.confirmed else "疑似触发（待专家核实）"


@dataclass
class Coverage:
    """Status counts and the coverage percentage of a set of points."""

    found: int = 0
    partial: int = 0
    conflict: int = 0
    missing: int = 0
    percent: float = 0.0

    @property
    def total(self) -> int:
        return self.found + self.partial + self.conflict + self.missing

    def count(self, status: str) -> int:
        return getattr(self, status, 0)

    @classmethod
    def of(cls, points: list[PointFinding], settings: AssessSettings) -> "Coverage":
        c = cls()
        for p in points:
            if p.status in STATUS_ORDER:
                setattr(c, p.status, getattr(c, p.status) + 1)
            else:
                c.missing += 1
        if c.total:
            got = c.found + c.conflict * settings.conflict_weight + c.partial * settings.partial_weight
            c.percent = round(100.0 * got / c.total, 1)
        return c

    @property
    def brief(self) -> str:
        """'共4个观测点，已找到2个、数据冲突1个、未见佐证1个' (zero counts left out)."""
        names = {"found": "已找到", "partial": "部分佐证", "conflict": "数据冲突", "missing": "未见佐证"}
        parts = [f"{names[s]}{self.count(s)}个" for s in STATUS_ORDER if self.count(s)]
        return f"共{self.total}个观测点，" + "、".join(parts) if parts else f"共{self.total}个观测点"

    @property
    def summary(self) -> str:
        """'共12个观测点：已找到8个、部分佐证1个、数据冲突1个、未见佐证2个'."""
        return (f"共{self.total}个观测点：已找到{self.found}个、部分佐证{self.partial}个、"
                f"数据冲突{self.conflict}个、未见佐证{self.missing}个")


@dataclass
class Level2Finding:
    code: str
    name: str
    level1: str
    group: str
    points: list[PointFinding]
    coverage: Coverage


@dataclass
class GroupFinding:
    name: str
    title: str
    level2: list[Level2Finding]
    coverage: Coverage

    @property
    def points(self) -> list[PointFinding]:
        return [p for l2 in self.level2 for p in l2.points]


@dataclass
class Issue:
    """A problem, a suggestion or a request to verify, with the codes it is about."""

    kind: str           # negative | basic_unmet | yes_required | unmet | basic_undecided | admission |
                        # core | progress | conflict | coverage | missing | verify
    text: str
    codes: list[str] = field(default_factory=list)
    short: str = ""     # the same without quotations, for a body that must stay within 5 pages

    @property
    def brief(self) -> str:
        return self.short or self.text


@dataclass
class Admission:
    """Something the materials themselves say is not (yet) done (材料自述的问题)."""

    code: str
    subject: str
    statement: str          # 「5.4.3 人员聘用及评价体系…尚未建立」
    snippet: str
    source: str
    group: str
    planned: str = ""       # a date the materials give for doing it (「2025年上半年」)
    action: str = ""        # the positive action (「建立…」) for the suggestion


@dataclass
class Conclusion:
    label: str
    rule: str
    reasons: list[str]


@dataclass
class Assessment:
    """Everything the render stage needs to write an opinion or a report."""

    consortium: dict
    name: str                           # consortium name or the folder name
    name_known: bool
    standard: str
    documents: list[dict]
    points: list[PointFinding]
    level2: list[Level2Finding]
    groups: list[GroupFinding]
    negatives: list[NegativeFinding]
    coverage: Coverage
    problems: list[Issue]
    suggestions: list[Issue]
    conclusion: Conclusion
    settings: AssessSettings
    year: Optional[int] = None                                   # the year under review, if stated
    admissions: list[Admission] = field(default_factory=list)
    progress: list = field(default_factory=list)                 # progress.Progress
    trends: list = field(default_factory=list)                   # progress.Trend
    year_clashes: list = field(default_factory=list)             # progress.YearClash
    year_explained: list[str] = field(default_factory=list)      # 'conflicts' that are earlier-year baselines
    verify: list[Issue] = field(default_factory=list)            # 需核实事项

    @property
    def confirmed_flags(self) -> list["NegativeFinding"]:
        return [n for n in self.negatives if n.confirmed]

    @property
    def thresholds(self) -> list[PointFinding]:
        return [p for p in self.points if p.has_threshold]

    @property
    def basic_thresholds(self) -> list[PointFinding]:
        return [p for p in self.thresholds if p.is_basic]

    @property
    def flagged(self) -> list[NegativeFinding]:
        return [n for n in self.negatives if n.flagged]

    @property
    def gaps(self) -> list[PointFinding]:
        """Missing or partial points (the 「佐证材料缺失清单」)."""
        return [p for p in self.points if p.status in ("missing", "partial")]

    @property
    def conflicts(self) -> list[PointFinding]:
        return [p for p in self.points if p.status == "conflict"]

    @property
    def real_conflicts(self) -> list[PointFinding]:
        """Conflicts that are not an earlier year's figure next to this year's."""
        return [p for p in self.conflicts if p.code not in self.year_explained]

    @property
    def expert_points(self) -> list[PointFinding]:
        return [p for p in self.points if p.expert]

    @property
    def own_documents(self) -> list[dict]:
        """The consortium's own materials (submitted evidence); a document without a role is own."""
        return [d for d in self.documents if d.get("role", "own") != "reference"]

    @property
    def reference_documents(self) -> list[dict]:
        """Documents found in the folder but not evidence: the standard, notices, rosters, other
        consortia's news (``role == "reference"``, with ``role_reason``)."""
        return [d for d in self.documents if d.get("role") == "reference"]

    @property
    def pages_total(self) -> int:
        """Pages of the submitted materials (reference documents not counted)."""
        return sum(int(d.get("pages") or 0) for d in self.own_documents)

    @property
    def failed_documents(self) -> list[dict]:
        return [d for d in self.documents if d.get("status") in ("error", "skipped")]

    def point(self, code: str) -> PointFinding:
        for p in self.points:
            if p.code == code:
                return p
        raise KeyError(code)


# --------------------------------------------------------------------------- expert values

_TRUE = {"是", "有", "已", "已召开", "已出台", "已建立", "true", "yes", "y", "1", "√", "✓", "对"}
_FALSE = {"否", "无", "未", "没有", "false", "no", "n", "0", "×", "✗", "不是"}
_NUMBER = re.compile(r"^\s*([-+]?\d[\d,，]*(?:\.\d+)?)\s*(.*?)\s*$")


def parse_expert_value(raw: Any, op: ObservationPoint) -> Any:
    """The expert's 专家取值 as a typed value for ``op`` (kept as text when not parseable).

    Numbers are accepted bare or followed by the point's own unit ("320", "320万元"); a number
    with another unit stays text so it is never compared against a threshold in the wrong unit.
    """
    if raw is None:
        return None
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)):
        if op.type == "yesno":
            return bool(raw) if raw in (0, 1) else raw
        return float(raw)
    s = str(raw).strip()
    if not s:
        return None
    if op.type == "yesno":
        low = s.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        return s
    if op.is_numeric:
        m = _NUMBER.match(s)
        if m:
            rest = m.group(2)
            if not rest or rest == (op.unit or "") or (op.units and rest in op.units):
                try:
                    return float(m.group(1).replace(",", "").replace("，", ""))
                except ValueError:
                    return s
        return s
    return s


def _expert_status(expert: Optional[dict]) -> Optional[str]:
    if not expert:
        return None
    raw = expert.get("status")
    if raw is None:
        return None
    s = str(raw).strip()
    if s in STATUS_ORDER:
        return s
    return STATUS_FROM_LABEL.get(s) or STATUS_FROM_LABEL.get(s.lower())


def _point_finding(op: ObservationPoint, data: dict, group: str) -> PointFinding:
    status = data.get("status") if data.get("status") in STATUS_ORDER else "missing"
    value = data.get("value")
    evidence = [e for e in (data.get("evidence") or []) if isinstance(e, dict)]
    th = data.get("threshold") if isinstance(data.get("threshold"), dict) else None
    rule = (th or {}).get("rule") or (op.threshold.rule if op.threshold else None)
    met = (th or {}).get("met") if th else None
    if rule and met is None and op.threshold and status in ("found",) and value is not None:
        met = op.threshold.evaluate(value, data.get("unit") or op.unit)
    if status == "missing":
        met = None
    pf = PointFinding(
        code=op.code, name=op.name, type=op.type, unit=data.get("unit") or op.unit,
        level1=op.level1, level2_code=op.level2_code, level2_name=op.level2_name, group=group,
        indicator_code=op.indicator_code, indicator_name=op.indicator_name,
        status=status, extracted_status=status, value=value, extracted_value=value,
        quantities=list(data.get("quantities") or []), threshold_rule=rule, threshold_met=met,
        evidence=evidence, confidence=float(data.get("confidence") or 0.0), note=data.get("note"),
        hint=evidence_hint(op),
    )
    if op.threshold:
        pf.threshold_op, pf.threshold_value, pf.threshold_unit = op.threshold.op, op.threshold.value, op.threshold.unit
    expert = data.get("expert") if isinstance(data.get("expert"), dict) else None
    if expert and any(v not in (None, "") for v in expert.values()):
        pf.expert = dict(expert)
        es = _expert_status(expert)
        ev = parse_expert_value(expert.get("value"), op)
        if ev is not None:
            pf.value = ev
            pf.unit = op.unit
            pf.expert_value = True
            pf.status = "found"
        if es:
            pf.status = es
            pf.expert_status = True
        if pf.status == "missing":
            pf.value = None if not pf.expert_value else pf.value
        if pf.expert_confirmed and rule:
            if pf.status == "missing" and not pf.expert_value:
                pf.threshold_met = None
            elif pf.expert_value and op.threshold:
                pf.threshold_met = op.threshold.evaluate(pf.value, op.unit)
    return pf


def _negative_finding(code: str, name: str, data: dict) -> NegativeFinding:
    flagged = bool(data.get("flagged"))
    nf = NegativeFinding(code=code, name=name, flagged=flagged, extracted_flagged=flagged,
                         evidence=[e for e in (data.get("evidence") or []) if isinstance(e, dict)],
                         note=data.get("note"))
    expert = data.get("expert") if isinstance(data.get("expert"), dict) else None
    if expert and any(v not in (None, "") for v in expert.values()):
        nf.expert = dict(expert)
        raw = str(expert.get("status") or "").strip()
        decided = NEGATIVE_FROM_LABEL.get(raw, NEGATIVE_FROM_LABEL.get(raw.lower()))
        if decided is not None:
            nf.flagged = decided
            nf.expert_confirmed = True
    return nf


def group_of(level1: str, group: Optional[str], level2_name: str = "") -> str:
    if level1 == BASIC:
        return BASIC
    return group or level1 or level2_name


# --------------------------------------------------------------------------- assess

def assess(evidence: dict, catalogue: Catalogue, settings: Any = None, previous: Optional[dict] = None) -> Assessment:
    """Findings for one consortium: coverage, thresholds, negatives, problems, conclusion."""
    settings = load_settings(settings)
    by_code = {p.get("code"): p for p in evidence.get("points") or [] if isinstance(p, dict)}
    points = [_point_finding(op, by_code.get(op.code) or {}, group_of(op.level1, op.group, op.level2_name))
              for op in catalogue.points]

    level2: list[Level2Finding] = []
    seen: dict[str, Level2Finding] = {}
    for p in points:
        l2 = seen.get(p.level2_code)
        if l2 is None:
            l2 = Level2Finding(code=p.level2_code, name=p.level2_name, level1=p.level1, group=p.group,
                               points=[], coverage=Coverage())
            seen[p.level2_code] = l2
            level2.append(l2)
        l2.points.append(p)
    for l2 in level2:
        l2.coverage = Coverage.of(l2.points, settings)

    group_names = [g for g in GROUP_ORDER if any(l2.group == g for l2 in level2)]
    group_names += [l2.group for l2 in level2 if l2.group not in group_names]
    group_names = list(dict.fromkeys(group_names))
    groups = []
    for g in group_names:
        members = [l2 for l2 in level2 if l2.group == g]
        groups.append(GroupFinding(name=g, title=GROUP_TITLES.get(g, g), level2=members,
                                   coverage=Coverage.of([p for l2 in members for p in l2.points], settings)))

    neg_by_code = {n.get("code"): n for n in evidence.get("negative_list") or [] if isinstance(n, dict)}
    negatives = [_negative_finding(item.code, item.name, neg_by_code.get(item.code) or {})
                 for item in catalogue.negative_list]

    coverage = Coverage.of(points, settings)
    cons = dict(evidence.get("consortium") or {})
    name = str(cons.get("name") or "").strip()
    documents = [d for d in evidence.get("documents") or [] if isinstance(d, dict)]
    a = Assessment(
        consortium=cons, name=name or str(evidence.get("folder") or "").strip() or "联合体",
        name_known=bool(name), standard=str(evidence.get("standard") or catalogue.id),
        documents=documents,
        points=points, level2=level2, groups=groups, negatives=negatives, coverage=coverage,
        problems=[], suggestions=[], conclusion=Conclusion("", "", []), settings=settings,
        year=pg.report_year(documents, evidence.get("annual") if isinstance(evidence.get("annual"), dict) else None))
    ops = {op.code: op for op in catalogue.points}
    prev_points = {q.get("code"): q for q in (previous or {}).get("points") or [] if isinstance(q, dict)}
    for p in points:
        op = ops[p.code]
        pr = pg.point_progress(p, op.type == "amount")
        if pr is not None:
            a.progress.append(pr)
        tr, clash = pg.point_trend(p, a.year)
        if prev_points:
            tr = pg.previous_file_trend(p, prev_points.get(p.code)) or tr
        if tr is not None:
            a.trends.append(tr)
        if clash is not None:
            a.year_clashes.append(clash)
        if pg.explained_by_years(p, a.year):
            a.year_explained.append(p.code)
    a.admissions = admissions_of(points)
    a.problems, a.suggestions = derive_issues(a)
    a.verify = verify_items(a)
    a.conclusion = conclude(a)
    return a


# --------------------------------------------------------------------------- wording

def yesno_statement(subject: str, value: bool) -> str:
    """「是否召开相关会议」 + True -> 「已召开相关会议」; False -> 「未召开相关会议」."""
    if subject.count("是否") != 1:
        return f"{subject}：{'是' if value else '否'}"
    before, after = subject.split("是否", 1)
    if after.startswith("为"):
        verb, after = ("为" if value else "不是"), after[1:]
    elif after.startswith(("完备", "健全", "齐全", "可操作", "完善")):
        verb = "" if value else "不"
    else:
        verb = "已" if value else "未"
    return before + verb + after


def yesno_action(subject: str) -> str:
    """「是否建立决策机制」 -> 「建立决策机制」; 「…是否纳入…」 -> 「将…纳入…」 (for a suggestion)."""
    s = _first_question(subject)
    if s.count("是否") != 1:
        return s
    before, after = s.split("是否", 1)
    if after.startswith("为"):
        return ""
    if after.startswith(("完备", "健全", "齐全", "可操作", "完善")):
        return f"完善{before}"
    if before and after.startswith(("纳入", "列入")):
        return f"将{before}{after}"
    if before and len(after) <= 3:          # 「…体系是否建立」 -> 「建立…体系」
        return after + before.rstrip("、，")
    return before + after


def _first_question(subject: str) -> str:
    """A name with several 「是否」 questions keeps the first (「是否出台…实施细则」)."""
    if subject.count("是否") > 1:
        return subject.split("，")[0].split("；")[0]
    return subject


def _clip(text: object, n: int = 60) -> str:
    s = re.sub(r"\s+", " ", str(text or "")).strip()
    return s if len(s) <= n else s[: n - 1] + "…"


def admissions_of(points: list[PointFinding]) -> list[Admission]:
    """Yes/no points the materials answer 否 (and denials in the evidence): the materials' own
    account of what is not done.  A 「须为是」 bar answered 否 is a threshold problem instead."""
    out: list[Admission] = []
    for p in points:
        if p.threshold_op == "true":
            continue
        ev = None
        if p.type == "yesno" and p.value is False and p.status in ("found", "conflict"):
            noes = [e for e in p.evidence if e.get("value") is False] or p.evidence
            # a sentence reads better than a self-assessment table row
            ev = next((e for e in noes if " | " not in str(e.get("snippet") or "")), noes[0] if noes else None)
            statement = yesno_statement(_first_question(p.subject), False)
        elif p.type != "yesno" and p.status != "missing" and not p.expert_confirmed:
            ev = next((e for e in p.evidence if e.get("kind") == "denied"), None)
            statement = f"{p.subject}：材料表述为未开展/未达到" if ev else ""
        if ev is None and not (p.type == "yesno" and p.value is False and p.expert_value):
            continue
        if ev is None:
            statement = yesno_statement(_first_question(p.subject), False)
        snippet = str((ev or {}).get("snippet") or "")
        out.append(Admission(code=p.code, subject=p.subject, statement=statement, snippet=snippet,
                             source=source_of(ev) if ev else "专家确认", group=p.group,
                             planned=pg.planned_date(snippet),
                             action=yesno_action(p.subject) if p.type == "yesno" else ""))
    return out


def _with_source(p: PointFinding) -> str:
    src = p.source_text
    mark = "，专家确认" if p.expert_value else ""
    return f"（{src}{mark}）" if src and src != "专家确认" else ("（专家确认）" if p.expert_value else "")


def _conflict_values(p: PointFinding, limit: int = 4) -> str:
    parts = []
    for e in p.evidence[:limit]:
        v = format_value(e.get("value"), e.get("unit") or p.unit, e.get("quantities"))
        parts.append(f"{v or '（未给出数值）'}（{source_of(e)}）")
    return "与".join(parts) if len(parts) <= 2 else "、".join(parts)


#: core items of a consortium's substance (the notice's 「实体化运作」, funding in place,
#: enterprise participation): topic -> (codes, what a gap means)
CORE_TOPICS: list[tuple[str, tuple[str, ...]]] = [
    ("经费到位", ("6.1.2", "6.1.6")),
    ("实体化运作", ("5.1.1", "5.3.1", "5.3.2", "5.3.3", "5.4.1", "5.4.2")),
    ("企业参与", ("3.2.1", "7.2.1", "7.2.2", "11.2.4", "13.2.3")),
]


def _subjects(ps: list[PointFinding], limit: int = 3) -> str:
    names = [f"{p.code} {p.subject}" for p in ps[:limit]]
    return "、".join(names) + ("等" if len(ps) > limit else "")


def derive_issues(a: Assessment) -> tuple[list[Issue], list[Issue]]:
    """存在问题 and 意见建议, ranked: negative list > bars not met > the materials' own admissions >
    core items (funding, 实体化运作, enterprise participation, plan progress) > conflicts > missing
    evidence (grouped).  At most ``max_problem_items`` items: lower ranks are merged, never dropped."""
    s = a.settings
    blocks: list[list[tuple[Issue, Issue]]] = []     # each block is one rank; merged when too many

    # 1. negative list
    neg = []
    for n in a.flagged:
        src = f"（{source_of(n.evidence[0])}：“{_clip(n.evidence[0].get('snippet'), 50)}”）" if n.evidence else ""
        neg.append((Issue("negative", f"负面清单{qz(n.code + ' ' + n.name)}{n.state_text}{src}。", [n.code],
                          f"负面清单{qz(n.code + ' ' + n.name)}{n.state_text}"
                          + (f"（{source_of(n.evidence[0])}）" if n.evidence else "") + "。"),
                    Issue("negative", f"就{qz(n.name)}作出书面说明，提供相关凭证"
                                      + ("；经核实确属触发的，按标准“过程监测、退出机制”处理。" if not n.confirmed
                                         else "，并按标准“过程监测、退出机制”的要求整改。"), [n.code])))
    blocks.append(neg)

    # 2. bars not met: basic thresholds, 「须为是」 answered 否, other thresholds
    bars = []
    yes_no = [p for p in a.thresholds if p.threshold_met is False and p.threshold_op == "true"]
    unmet = [p for p in a.thresholds if p.threshold_met is False and p.threshold_op != "true"]
    for basic in (True, False):
        for p in [q for q in unmet if q.is_basic == basic]:
            what = "基础性指标门槛" if basic else "建设标准"
            bars.append((Issue("basic_unmet" if basic else "unmet",
                               f"{p.code} {p.subject}为{p.value_text}{_with_source(p)}，未达到{what}{qz(p.threshold_rule)}。",
                               [p.code]),
                         Issue("basic_unmet" if basic else "unmet",
                               f"针对{p.code} {p.subject}（现为{p.value_text}，标准为{qz(p.threshold_rule)}）"
                               f"制定达标计划，明确时间节点和责任主体。", [p.code])))
    for p in yes_no:
        bars.append((Issue("yes_required", f"{p.code} {yesno_statement(p.subject, False)}{_with_source(p)}，"
                                           f"而标准要求须为“是”。", [p.code]),
                     Issue("yes_required", f"对照{p.code}的要求（须为“是”）补齐条件并提供认定文件。", [p.code])))
    undecided = [p for p in a.basic_thresholds if p.threshold_met is None]
    if undecided and s.undecided_basic_blocks:
        codes = [p.code for p in undecided]
        bars.append((Issue("basic_undecided", "基础性指标门槛无法判定（未见可核实的数据）："
                           + "、".join(f"{p.code} {p.subject}（{p.threshold_rule}）" for p in undecided) + "。", codes),
                     Issue("basic_undecided", "补充" + "、".join(f"{p.code} {p.subject}" for p in undecided)
                           + "的数据及证明材料。", codes)))
    blocks.append(bars)

    # 3. the materials' own admissions, grouped by part of the standard
    adm = []
    by_group: dict[str, list[Admission]] = {}
    for x in a.admissions:
        by_group.setdefault(x.group, []).append(x)
    for g, xs in by_group.items():
        head = GROUP_TITLES.get(g, g)
        text = f"{head}方面，材料自述尚有{len(xs)}项未落实：" + "；".join(
            f"{x.code} {x.statement}（{x.source}" + ("" if " | " in x.snippet or not x.snippet
                                                      else f"：“{_clip(x.snippet, 30)}”") + "）"
            for x in xs) + "。"
        acts = []
        for x in xs:
            act = x.action or x.subject
            acts.append(f"{act}（材料所述时限：{x.planned}）" if x.planned else act)
        short = f"{head}方面，材料自述尚有{len(xs)}项未落实：" + "；".join(
            f"{x.code} {x.statement}（{x.source}）" for x in xs) + "。"
        sug = f"{head}方面：" + "；".join(acts) + "，明确牵头单位和完成时限。"
        adm.append((Issue("admission", text, [x.code for x in xs], short),
                    Issue("admission", sug, [x.code for x in xs],
                          f"{head}方面：" + "、".join((x.action or x.subject)[:24] for x in xs[:2])
                          + ("等" if len(xs) > 2 else "") + "，明确牵头单位和完成时限。")))
    blocks.append(adm)

    # 4. core items and plan progress
    core = []
    by_code = {p.code: p for p in a.points}
    admitted = {x.code for x in a.admissions}
    for topic, codes in CORE_TOPICS:
        ps = [by_code[c] for c in codes if c in by_code and c not in admitted]
        gaps = [p for p in ps if p.status in ("missing", "partial")]
        if topic == "经费到位":
            behind = [pr for pr in a.progress if pr.is_budget and pr.code in codes and pr.behind
                      and (pr.target.year is None or a.year is None or pr.target.year <= a.year)]
            if behind:
                pr = behind[0]
                core.append((Issue("core", f"经费到位不足：{pr.code} {pr.subject}，计划{_num(pr.target.value)}{pr.unit}"
                                           f"（{pr.target.source}），实际{_num(pr.achieved.value)}{pr.unit}"
                                           f"（{pr.achieved.source}），到位（执行）率{_num(pr.percent)}%。", [pr.code]),
                             Issue("core", f"督促各出资方按计划拨付{pr.subject}（差额{_num(pr.target.value - pr.achieved.value)}"
                                           f"{pr.unit}），建立经费到位和执行情况季度通报制度。", [pr.code])))
                continue
        if gaps and len(gaps) * 2 >= len(ps):
            core.append((Issue("core", f"{topic}的佐证不足：{_subjects(gaps)}未见或仅见部分佐证材料。",
                               [p.code for p in gaps]),
                         Issue("core", f"补充{topic}的佐证（{_subjects(gaps, 2)}），"
                                       + {"经费到位": "提供拨款文件、到账凭证和支出明细。",
                                          "实体化运作": "提供理事会决议、议事规则、秘书处人员和运行记录。",
                                          "企业参与": "提供企业投入凭证、共建协议和项目清单。"}[topic],
                               [p.code for p in gaps])))
    behind = [pr for pr in a.progress if pr.behind and not (pr.is_budget and pr.code in CORE_TOPICS[0][1])
              and (pr.target.year is None or a.year is None or pr.target.year <= a.year)]
    if behind:
        behind.sort(key=lambda pr: pr.percent or 0)
        text = "部分建设任务进度滞后于规划目标：" + "；".join(
            f"{pr.code} {pr.subject}完成{_num(pr.achieved.value)}{pr.unit}，目标{_num(pr.target.value)}{pr.unit}"
            f"（完成{_num(pr.percent)}%）" for pr in behind[:4]) + ("等" if len(behind) > 4 else "") + "。"
        core.append((Issue("progress", text, [pr.code for pr in behind]),
                     Issue("progress", "对照建设方案逐项分析" + "、".join(pr.subject for pr in behind[:3])
                           + "等任务滞后的原因，调整年度推进计划并明确责任单位。", [pr.code for pr in behind])))
    blocks.append(core)

    # 5. conflicts
    conf = []
    real = a.real_conflicts
    if real:
        conf.append((Issue("conflict", "部分数据在不同材料中不一致：" + "；".join(
            f"{p.code} {p.subject}{_conflict_values(p, 3)}" for p in real[:3]) + ("等" if len(real) > 3 else "")
            + "（详见附件3）。", [p.code for p in real],
            f"{len(real)}项数据在不同材料中不一致（{code_list([p.code for p in real])}，见附件3和需核实事项）。"),
                     Issue("conflict", "核实并统一" + "、".join(p.subject for p in real[:3])
                           + ("等" if len(real) > 3 else "") + "的数据口径，以经审核的统计数据为准更正材料。",
                           [p.code for p in real])))
    blocks.append(conf)

    # 6. missing evidence, grouped
    miss = []
    missing = [p for p in a.points if p.status == "missing"]
    partial = [p for p in a.points if p.status == "partial"]
    if missing or partial:
        per: dict[str, int] = {}
        for p in missing:
            per[f"{p.level2_code}.{p.level2_name}"] = per.get(f"{p.level2_code}.{p.level2_name}", 0) + 1
        top = sorted(per.items(), key=lambda kv: -kv[1])[:4]
        bits = []
        if missing:
            bits.append(f"{len(missing)}个观测点未见佐证材料，集中在" + "、".join(f"“{k}”（{v}个）" for k, v in top))
        if partial:
            bits.append(f"{len(partial)}个观测点佐证不完整（多为仅见规划目标、未见完成情况）")
        focus = [p for p in missing + partial if p.is_basic or p.code in {c for _, cs in CORE_TOPICS for c in cs}]
        focus = focus or (missing + partial)
        miss.append((Issue("missing", "；".join(bits) + "（清单见附件2）。", [p.code for p in missing + partial]),
                     Issue("missing", "按附件2补充佐证材料，优先补充" + _subjects(focus, 3)
                           + "，并注明材料名称和页码。", [p.code for p in missing + partial])))
    blocks.append(miss)
    if a.coverage.total and s.coverage_bar > 0 and a.coverage.percent < s.coverage_bar:
        blocks[-1].append((Issue("coverage", f"观测点佐证覆盖率为{_num(a.coverage.percent)}%，低于规则设定的"
                                             f"{_num(s.coverage_bar)}%（{a.coverage.summary}）。",
                                 [p.code for p in missing + partial]), Issue("coverage", "", [])))

    pairs = _cap(blocks, s.max_problem_items)
    return [p for p, _ in pairs], [q for _, q in pairs if q.text]


def _merge(pairs: list[tuple[Issue, Issue]]) -> tuple[Issue, Issue]:
    codes = [c for p, _ in pairs for c in p.codes]
    return (Issue(pairs[0][0].kind, "".join(p.text for p, _ in pairs), codes, "".join(p.brief for p, _ in pairs)),
            Issue(pairs[0][1].kind, "".join(q.text for _, q in pairs if q.text), codes,
                  "".join(q.brief for _, q in pairs if q.text)))


def _cap(blocks: list[list[tuple[Issue, Issue]]], limit: int) -> list[tuple[Issue, Issue]]:
    """Flatten the ranked blocks; while there are more than ``limit`` items, merge the items
    inside the largest lowest-ranked block (then across blocks) — nothing is dropped."""
    blocks = [list(b) for b in blocks if b]
    if limit <= 0:
        return [x for b in blocks for x in b]
    while sum(len(b) for b in blocks) > limit:
        multi = [i for i, b in enumerate(blocks) if len(b) > 1]
        if multi:
            i = max(multi, key=lambda j: (len(blocks[j]) > 2, j))
            b = blocks[i]
            blocks[i] = b[:-2] + [_merge(b[-2:])]
        else:   # one item per block and still too many: merge the two lowest ranks
            blocks[-2:] = [[_merge(blocks[-2] + blocks[-1])]]
    return [x for b in blocks for x in b]


def verify_items(a: Assessment) -> list[Issue]:
    """需核实事项: specific requests for the consortium and items for the site visit."""
    out: list[Issue] = []
    for n in a.flagged:
        if not n.confirmed:
            src = f"（{source_of(n.evidence[0])}）" if n.evidence else ""
            out.append(Issue("verify", f"实地核查负面清单{qz(n.code + ' ' + n.name)}所涉情形{src}，"
                                       f"调阅相关文件和凭证后认定是否触发。", [n.code]))
    cited = []
    for p in a.points:
        if p.status in ("found", "conflict") and (p.type == "yesno" or p.is_basic):
            for num, src in pg.document_numbers(p.evidence):
                cited.append((num, src, p.code))
    for num, src, code in cited[:3]:
        out.append(Issue("verify", f"请提供{num}原件（{code}所引，见{src}）。", [code]))
    for p in a.real_conflicts[:3]:
        out.append(Issue("verify", f"请核实{p.code} {p.subject}：{_conflict_values(p, 3)}，以哪一数据为准。", [p.code]))
    for c in a.year_clashes[:2]:
        labels = "、".join(f"{y}年（{src}）" for y, src in c.labels[:3])
        out.append(Issue("verify", f"请核实{c.code} {c.subject}：同一数值{_num(c.value)}{c.unit}分别标注为{labels}。",
                         [c.code]))
    targets_only = [p for p in a.points if p.status == "partial" and p.note and "目标" in str(p.note)]
    if targets_only:
        out.append(Issue("verify", "请提供" + "、".join(f"{p.code} {p.subject}" for p in targets_only[:4])
                         + ("等" if len(targets_only) > 4 else "") + "的实际完成数据（材料仅见规划目标）。",
                         [p.code for p in targets_only]))
    for d in a.failed_documents[:2]:
        out.append(Issue("verify", f"请补交可读取的{d.get('file')}（{d.get('error') or '无法读取'}）。", []))
    entity = [p for p in a.points if p.code in ("5.3.1", "5.3.2", "5.4.2") and p.status == "found"]
    if entity:
        out.append(Issue("verify", "实地查看理事会和秘书处的运行记录（会议纪要、议事规则执行、专职人员），核实实体化运作情况。",
                         [p.code for p in entity]))
    return out[:8]


def conclude(a: Assessment) -> Conclusion:
    """The suggested conclusion by the stated rule (see ``AssessSettings``)."""
    s = a.settings
    reasons: list[str] = []
    flagged = a.flagged
    if flagged:
        for n in flagged:
            reasons.append(f"负面清单{n.code} {n.name}{'（经专家核实确认触发）' if n.confirmed else '（疑似触发，待专家核实）'}")
        return Conclusion(s.reject_label, s.rule_text(), reasons)
    if s.unmet_basic_blocks:
        for p in a.basic_thresholds:
            if p.threshold_met is False and p.threshold_op != "true":
                reasons.append(f"基础性指标{p.code} {p.subject}为{p.value_text}，未达到{qz(p.threshold_rule)}")
    if s.yes_required_blocks:
        for p in a.thresholds:
            if p.threshold_met is False and p.threshold_op == "true":
                reasons.append(f"{p.code} {yesno_statement(p.subject, False)}，标准要求须为“是”")
    if s.undecided_basic_blocks:
        for p in a.basic_thresholds:
            if p.threshold_met is None:
                reasons.append(f"基础性指标{p.code} {p.subject}是否达到{qz(p.threshold_rule)}无法判定")
    if s.coverage_bar > 0 and a.coverage.total and a.coverage.percent < s.coverage_bar:
        reasons.append(f"观测点佐证覆盖率{_num(a.coverage.percent)}%，低于{_num(s.coverage_bar)}%")
    if reasons:
        return Conclusion(s.rectify_label, s.rule_text(), reasons)
    basic = a.basic_thresholds
    met = sum(1 for p in basic if p.threshold_met is True)
    text = "负面清单未发现触发情形"
    if basic:
        text += f"，基础性指标{len(basic)}项门槛要求中{met}项已达到" + ("、其余无法判定（不作为否定理由）" if met < len(basic) else "")
    reasons.append(text)
    return Conclusion(s.pass_label, s.rule_text(), reasons)
