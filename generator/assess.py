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

    Conclusion rule (applied in this order):
      1. any negative-list item flagged (疑似触发)                    -> ``reject_label`` (不予通过)
      2. a 基础性指标 threshold unmet, or coverage below ``coverage_bar``
         (or, when ``undecided_basic_blocks``, a basic threshold that cannot be decided)
                                                                     -> ``rectify_label`` (整改后复核)
      3. otherwise                                                   -> ``pass_label`` (建议通过)

    Coverage (佐证覆盖率) = (found + conflict × ``conflict_weight`` + partial × ``partial_weight``)
    ÷ number of observation points, in percent.
    """

    coverage_bar: float = 60.0            #: % of points evidenced below which -> 整改后复核
    partial_weight: float = 0.5           #: a partially evidenced point counts this much
    conflict_weight: float = 1.0          #: conflicting figures are still evidence
    undecided_basic_blocks: bool = False  #: basic threshold with no data -> 整改后复核 as well
    pass_label: str = "建议通过"
    rectify_label: str = "整改后复核"
    reject_label: str = "不予通过"
    max_problem_items: int = 0            #: 0 = list every problem; else keep the first N

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
        undecided = "或无法判定" if self.undecided_basic_blocks else ""
        return (f"负面清单任一项疑似触发的，结论为“{self.reject_label}”；基础性指标门槛未达标{undecided}，"
                f"或观测点佐证覆盖率低于{_num(self.coverage_bar)}%的，结论为“{self.rectify_label}”；"
                f"其余为“{self.pass_label}”。{self.coverage_formula()}。")


#: environment variable naming a YAML rules file, used when nothing else is given
SETTINGS_ENV = "CONSORTIUM_REVIEW_RULES"


def load_settings(source: Any = None) -> AssessSettings:
    """Settings from an ``AssessSettings``, a dict, a YAML path, or None.

    None means: the YAML file named by the environment variable ``CONSORTIUM_REVIEW_RULES``
    if set, else the defaults.  (Renderers pass ``evidence.get("assess_settings")``, so a
    caller can also put a path or a dict there.)
    """
    if source is None:
        import os

        env = os.environ.get(SETTINGS_ENV, "").strip()
        return AssessSettings.from_yaml(env) if env else AssessSettings()
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


def source_of(ev: dict) -> str:
    """Where a piece of evidence is: '2024年度工作总结.pdf 第3页' / '建设方案.docx 第12段'."""
    file = str(ev.get("file") or "").strip() or "（未注明文件）"
    page = ev.get("page")
    if page not in (None, ""):
        return f"{file} 第{page}页"
    loc = str(ev.get("locator") or "").strip()
    return f"{file} {loc}" if loc else file


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
        return NEGATIVE_LABELS[self.flagged]


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
    """A problem or a suggestion, with the codes it is about."""

    kind: str           # negative | basic_unmet | basic_undecided | unmet | conflict | coverage | missing
    text: str
    codes: list[str] = field(default_factory=list)


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
    def expert_points(self) -> list[PointFinding]:
        return [p for p in self.points if p.expert]

    @property
    def pages_total(self) -> int:
        return sum(int(d.get("pages") or 0) for d in self.documents)

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

def assess(evidence: dict, catalogue: Catalogue, settings: Any = None) -> Assessment:
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
    a = Assessment(
        consortium=cons, name=name or str(evidence.get("folder") or "").strip() or "联合体",
        name_known=bool(name), standard=str(evidence.get("standard") or catalogue.id),
        documents=[d for d in evidence.get("documents") or [] if isinstance(d, dict)],
        points=points, level2=level2, groups=groups, negatives=negatives, coverage=coverage,
        problems=[], suggestions=[], conclusion=Conclusion("", "", []), settings=settings)
    a.problems, a.suggestions = derive_issues(a)
    a.conclusion = conclude(a)
    return a


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


def derive_issues(a: Assessment) -> tuple[list[Issue], list[Issue]]:
    """主要问题 and 改进建议 from negatives, unmet/undecided thresholds, conflicts and gaps."""
    problems: list[Issue] = []
    suggestions: list[Issue] = []
    s = a.settings
    for n in a.flagged:
        src = f"（{source_of(n.evidence[0])}）" if n.evidence else ""
        who = "，专家确认" if n.expert_confirmed else ""
        problems.append(Issue("negative", f"负面清单{qz(n.code + ' ' + n.name)}疑似触发{src}{who}。", [n.code]))
        suggestions.append(Issue("negative", f"就{qz(n.name)}作出书面说明并提供整改材料，由评审专家核实认定。",
                                 [n.code]))
    for basic in (True, False):
        for p in a.thresholds:
            if p.is_basic != basic or p.threshold_met is not False:
                continue
            kind = "basic_unmet" if basic else "unmet"
            what = "基础性指标门槛" if basic else "建设标准"
            problems.append(Issue(kind, f"{p.code} {p.subject}为{p.value_text}{_with_source(p)}，"
                                        f"未达到{what}{qz(p.threshold_rule)}。", [p.code]))
            suggestions.append(Issue(kind, f"针对{p.code} {p.subject}（现为{p.value_text}，标准为"
                                           f"{qz(p.threshold_rule)}）制定达标计划，明确时间节点和责任主体。",
                                     [p.code]))
        if basic:
            undecided = [p for p in a.basic_thresholds if p.threshold_met is None]
            if undecided:
                codes = [p.code for p in undecided]
                listed = "、".join(f"{p.code} {p.subject}（{p.threshold_rule}）" for p in undecided)
                problems.append(Issue("basic_undecided", f"基础性指标门槛无法判定（未见可核实的数据）：{listed}。",
                                      codes))
                suggestions.append(Issue("basic_undecided",
                                         "补充" + "、".join(f"{p.code} {p.subject}" for p in undecided)
                                         + "的数据及证明材料，以便判定是否达到基础性指标门槛。", codes))
    for p in a.conflicts:
        problems.append(Issue("conflict", f"{p.code} {p.subject}在不同材料中的表述不一致：{_conflict_values(p)}。",
                              [p.code]))
        suggestions.append(Issue("conflict", f"核实并统一{p.code} {p.subject}的数据口径，以经审核的正式数据为准，"
                                             f"更正不一致的材料。", [p.code]))
    if a.coverage.total and a.coverage.percent < s.coverage_bar:
        problems.append(Issue("coverage", f"观测点佐证覆盖率为{_num(a.coverage.percent)}%，低于"
                                          f"{_num(s.coverage_bar)}%的复核线（{a.coverage.summary}）。"))
    for l2 in a.level2:
        missing = [p for p in l2.points if p.status == "missing"]
        partial = [p for p in l2.points if p.status == "partial"]
        if not missing and not partial:
            continue
        bits = []
        if missing:
            bits.append(f"{len(missing)}个观测点（{code_list([p.code for p in missing])}）未见佐证材料")
        if partial:
            bits.append(f"{len(partial)}个观测点（{code_list([p.code for p in partial])}）佐证不完整")
        codes = [p.code for p in missing + partial]
        problems.append(Issue("missing", qz(f"{l2.code}.{l2.name}") + "有" + "，另有".join(bits) + "。", codes))
        focus = "、".join(p.subject for p in (missing + partial)[:3])
        more = "等" if len(missing) + len(partial) > 3 else ""
        suggestions.append(Issue("missing", f"补充{qz(l2.code + '.' + l2.name)}相关佐证材料，重点是{focus}{more}"
                                            f"（详见附件1）。", codes))
    if s.max_problem_items and len(problems) > s.max_problem_items:
        problems = problems[: s.max_problem_items]
        suggestions = suggestions[: s.max_problem_items]
    return problems, suggestions


def conclude(a: Assessment) -> Conclusion:
    """The suggested conclusion by the stated rule (see ``AssessSettings``)."""
    s = a.settings
    reasons: list[str] = []
    flagged = a.flagged
    if flagged:
        reasons.append("负面清单疑似触发：" + "、".join(f"{n.code} {n.name}" for n in flagged))
        return Conclusion(s.reject_label, s.rule_text(), reasons)
    unmet = [p for p in a.basic_thresholds if p.threshold_met is False]
    if unmet:
        reasons.append("基础性指标门槛未达标：" + "、".join(f"{p.code}（{p.threshold_rule}）" for p in unmet))
    undecided = [p for p in a.basic_thresholds if p.threshold_met is None]
    if undecided and s.undecided_basic_blocks:
        reasons.append("基础性指标门槛无法判定：" + "、".join(p.code for p in undecided))
    if a.coverage.total and a.coverage.percent < s.coverage_bar:
        reasons.append(f"观测点佐证覆盖率{_num(a.coverage.percent)}%，低于{_num(s.coverage_bar)}%")
    if reasons:
        return Conclusion(s.rectify_label, s.rule_text(), reasons)
    reasons.append(f"负面清单未发现触发项，基础性指标门槛均已达标或待专家判定，"
                   f"观测点佐证覆盖率{_num(a.coverage.percent)}%，不低于{_num(s.coverage_bar)}%")
    return Conclusion(s.pass_label, s.rule_text(), reasons)
