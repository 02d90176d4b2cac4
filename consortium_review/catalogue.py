"""The indicator catalogue (指标体系) — the standard as data.

A catalogue is a YAML file (``standards/cjlht-2024.yaml``) or an .xlsx workbook with the same
columns (one row per observation point, see ``XLSX_COLUMNS``).  It is validated on load; a
malformed catalogue raises ``CatalogueError`` whose message names the row and the problem, in
Chinese, because the people who correct catalogues are secretaries and experts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

POINT_TYPES = {
    "yesno": "是/否",
    "amount": "金额",
    "count": "数量",
    "percent": "比例",
    "rate": "比率（如小时/周）",
    "category": "类别",
    "text": "文字描述",
    "multi": "多单位数量",
}
THRESHOLD_OPS = {">", ">=", "<", "<=", "in", "above_average", "true"}
CODE_RE = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{1,2}$")
INDICATOR_RE = re.compile(r"^\d{1,2}\.\d{1,2}$")
LEVEL2_RE = re.compile(r"^\d{1,2}$")

#: Columns of the flat .xlsx form of a catalogue (one row per observation point).
XLSX_COLUMNS = ["code", "name", "type", "unit", "units", "categories", "threshold_rule",
                "threshold_op", "threshold_value", "threshold_unit", "keywords", "exclude",
                "scope", "level1", "level2_code", "level2_name", "group",
                "indicator_code", "indicator_name", "indicator_description", "school_kinds", "implied_by"]

#: Chinese column headers of the workbook form (the loader accepts these or the field names).
COLUMN_LABELS = {
    "code": "编号", "name": "名称", "type": "取值类型", "unit": "单位", "units": "分项单位",
    "categories": "可选类别", "threshold_rule": "门槛说明", "threshold_op": "门槛比较方式",
    "threshold_value": "门槛值", "threshold_unit": "门槛单位", "keywords": "关键词", "exclude": "排除词",
    "scope": "统计口径", "level1": "一级指标", "level2_code": "二级指标序号", "level2_name": "二级指标名称",
    "group": "分组", "indicator_code": "三级指标编号", "indicator_name": "三级指标简称",
    "indicator_description": "三级指标原文", "triggers": "触发说法", "denials": "否认说法",
    "description": "说明", "batch": "批次", "index": "序号", "park": "园区", "lead_schools": "牵头学校",
    "lead_enterprise": "牵头企业", "aliases": "简称", "key": "项目", "value": "内容",
    "school_kinds": "按校名推定的学校类型", "implied_by": "由以下观测点的到位金额推定",
}
_LABEL_FIELDS = {v: k for k, v in COLUMN_LABELS.items()}


def column_field(header: str) -> str:
    """Field name of a workbook column header (Chinese label or the field name itself)."""
    return _LABEL_FIELDS.get(header, header)


class CatalogueError(ValueError):
    """A catalogue file is malformed; the message says where and what (Chinese)."""


@dataclass(frozen=True)
class Threshold:
    """A bar the standard sets for a point, e.g. 3.2.1 近三年累计 ≥ 100 万元."""

    rule: str                        # as shown to users: "≥100万元"
    op: str                          # one of THRESHOLD_OPS
    value: Any = None                # number, list of categories (op "in"), or None
    unit: Optional[str] = None

    def evaluate(self, value: Any, unit: Optional[str] = None) -> Optional[bool]:
        """True/False when ``value`` decides the rule, None when it cannot."""
        if value is None:
            return None
        if self.op == "true":
            return value is True if isinstance(value, bool) else None
        if self.op == "in":
            if isinstance(value, str):
                return any(c in value for c in (self.value or []))
            return None
        if self.op == "above_average":
            return value if isinstance(value, bool) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        if self.unit and unit and unit != self.unit:
            return None
        v, t = float(value), float(self.value)
        return {">": v > t, ">=": v >= t, "<": v < t, "<=": v <= t}[self.op]

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "op": self.op, "value": self.value, "unit": self.unit}


@dataclass(frozen=True)
class ObservationPoint:
    """观测点 — the unit of assessment."""

    code: str                        # "3.2.1"
    name: str                        # verbatim from the standard
    type: str                        # key of POINT_TYPES
    unit: Optional[str] = None       # canonical unit ("万元", "%", "个", ...)
    units: tuple[str, ...] = ()      # for type multi: every unit measured ("人次", "课时")
    categories: tuple[str, ...] = ()  # for type category: allowed values ("国家级", "省级")
    threshold: Optional[Threshold] = None
    keywords: tuple[str, ...] = ()   # phrases naming the point; "A&B" = both in one clause
    exclude: tuple[str, ...] = ()    # phrases that mean a different point
    scope: Optional[str] = None      # "three_years" | "annual" | None
    indicator_code: str = ""         # 三级指标 code "3.2"
    indicator_name: str = ""         # 三级指标 short name "支持教育状况"
    indicator_description: str = ""  # 三级指标 text
    level2_code: str = ""            # 二级指标 code "3"
    level2_name: str = ""            # "牵头企业"
    level1: str = ""                 # "基础性指标" | "实质性指标"
    group: Optional[str] = None      # 合作办学 / 合作育人 / 合作就业 / 合作发展 (实质性 only)
    school_kinds: tuple[str, ...] = ()  # yes/no point met when member schools of every kind are named
    implied_by: Optional[str] = None    # yes/no point met when this numeric point has an achieved figure > 0

    @property
    def is_numeric(self) -> bool:
        return self.type in ("amount", "count", "percent", "rate", "multi")

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code, "name": self.name, "type": self.type,
            "type_label": POINT_TYPES[self.type], "unit": self.unit,
            "units": list(self.units), "categories": list(self.categories),
            "threshold": self.threshold.to_json() if self.threshold else None,
            "keywords": list(self.keywords), "exclude": list(self.exclude),
            "scope": self.scope,
            "indicator": {"code": self.indicator_code, "name": self.indicator_name,
                          "description": self.indicator_description},
            "level2": {"code": self.level2_code, "name": self.level2_name},
            "level1": self.level1, "group": self.group,
            "parents": [self.level1, self.level2_code, self.indicator_code],
        }


@dataclass(frozen=True)
class NegativeItem:
    """否定性指标 (负面清单) item 16.x."""

    code: str
    name: str
    triggers: tuple[str, ...] = ()   # phrases stating the problem occurred
    denials: tuple[str, ...] = ()    # phrases stating it did not occur (never flag)
    description: str = ""


@dataclass(frozen=True)
class Subject:
    """Whom a point speaks of when it is not the consortium itself (牵头企业、牵头学校…)."""

    id: str                          # "lead_enterprise"
    name: str                        # "牵头企业"
    words: tuple[str, ...] = ()      # words naming the subject (from the standard)
    identity: str = ""               # ConsortiumInfo field holding its name
    points: tuple[str, ...] = ()     # point codes, or 二级指标 codes for all their points
    sentence: bool = True            # must be named in the same sentence (else the paragraph)

    def covers(self, point: "ObservationPoint") -> bool:
        return point.code in self.points or point.level2_code in self.points


@dataclass(frozen=True)
class RosterEntry:
    """One consortium of an official list (附件2)."""

    batch: str                       # "2024" (新设) | "2023" (第一批)
    index: int
    name: str
    park: str
    lead_schools: tuple[str, ...]
    lead_enterprise: str
    aliases: tuple[str, ...] = ()


@dataclass
class Level2:
    code: str
    name: str
    level1: str
    group: Optional[str] = None
    description: str = ""


@dataclass
class Catalogue:
    """A whole indicator system (指标体系)."""

    id: str
    title: str
    source: str = ""
    version: str = ""
    level1: list[str] = field(default_factory=list)
    level2: list[Level2] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)
    points: list[ObservationPoint] = field(default_factory=list)
    negative_list: list[NegativeItem] = field(default_factory=list)
    rosters: list[RosterEntry] = field(default_factory=list)
    synonyms: list[tuple[str, ...]] = field(default_factory=list)   # interchangeable words
    subjects: list[Subject] = field(default_factory=list)           # points about others than the consortium
    path: Optional[Path] = None

    def subject_of(self, point: "ObservationPoint") -> Optional[Subject]:
        return next((s for s in self.subjects if s.covers(point)), None)

    def point(self, code: str) -> ObservationPoint:
        for p in self.points:
            if p.code == code:
                return p
        raise KeyError(code)

    @property
    def indicators(self) -> dict[str, str]:
        """三级指标 code -> name, in catalogue order (incl. negative items)."""
        out: dict[str, str] = {}
        for p in self.points:
            out.setdefault(p.indicator_code, p.indicator_name)
        for n in self.negative_list:
            out.setdefault(n.code, n.name)
        return out

    def points_of_level2(self, code: str) -> list[ObservationPoint]:
        return [p for p in self.points if p.level2_code == code]

    def to_json(self) -> list[dict[str, Any]]:
        return [p.to_json() for p in self.points]


# --------------------------------------------------------------------------- loading

def load_catalogue(path: Path | str | None = None) -> Catalogue:
    """Load and validate a catalogue from .yaml/.yml or .xlsx (default: the 2024 standard)."""
    from . import DEFAULT_STANDARD

    path = Path(path) if path else DEFAULT_STANDARD
    if not path.is_file():
        raise CatalogueError(f"找不到指标体系文件：{path}")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        try:
            # the C loader (when PyYAML has it) is ~5x faster; both are "safe" loaders
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        except yaml.YAMLError as exc:
            raise CatalogueError(f"指标体系文件 {path.name} 不是有效的 YAML：{exc}") from exc
        except UnicodeDecodeError as exc:
            raise CatalogueError(f"指标体系文件 {path.name} 不是 UTF-8 编码") from exc
        cat = catalogue_from_dict(data, where=path.name)
    elif suffix == ".xlsx":
        cat = catalogue_from_xlsx(path)
    else:
        raise CatalogueError(f"不支持的指标体系文件格式：{path.suffix}（应为 .yaml 或 .xlsx）")
    cat.path = path
    return cat


def _tuple(v: Any) -> tuple[str, ...]:
    """A list field: a YAML list, or a string separated by ; ； or new lines (spreadsheet cells)."""
    if v is None or v == "":
        return ()
    if isinstance(v, str):
        return tuple(s.strip() for s in re.split(r"[;；\n]", v) if s.strip())
    if isinstance(v, (list, tuple)):
        return tuple(str(s).strip() for s in v if s is not None and str(s).strip())
    return (str(v).strip(),)


def _text(v: Any) -> str:
    """A scalar text field; numbers typed into a spreadsheet cell become text."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


#: Chinese type labels accepted in place of the keys (secretaries edit the workbook in Chinese).
_TYPE_BY_LABEL = {label: key for key, label in POINT_TYPES.items()}
_TYPE_BY_LABEL.update({"是否": "yesno", "是/否": "yesno", "比率": "rate", "文字": "text"})


def _check_phrases(phrases: tuple[str, ...], field_name: str, where: str) -> None:
    for kw in phrases:
        parts = kw.split("&")
        if any(not part.strip() for part in parts):
            raise CatalogueError(f"{where}：{field_name}「{kw}」格式错误（“&”两边都要有词语）")


def _threshold(d: Any, where: str) -> Optional[Threshold]:
    if d in (None, "", {}):
        return None
    if not isinstance(d, dict):
        raise CatalogueError(f"{where}：threshold 应为包含 rule/op/value 的对象")
    op = _text(d.get("op"))
    if op not in THRESHOLD_OPS:
        raise CatalogueError(f"{where}：threshold.op「{op}」无效，应为 {sorted(THRESHOLD_OPS)} 之一")
    value = d.get("value")
    if op in (">", ">=", "<", "<="):
        if isinstance(value, bool):
            raise CatalogueError(f"{where}：threshold.value 应为数字，实际为「{value}」")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise CatalogueError(f"{where}：threshold.value 应为数字，实际为「{value}」") from None
    elif op == "in":
        value = list(_tuple(value))
        if not value:
            raise CatalogueError(f"{where}：threshold.op 为 in 时 value 应列出类别")
    else:
        value = None
    rule = _text(d.get("rule"))
    if not rule:
        raise CatalogueError(f"{where}：threshold 缺少 rule（给用户看的规则说明）")
    return Threshold(rule=rule, op=op, value=value, unit=_text(d.get("unit")) or None)


def _point(d: Any, where: str, level2: dict[str, Level2], indicators: dict[str, dict]) -> ObservationPoint:
    if not isinstance(d, dict):
        raise CatalogueError(f"{where}：应为一个观测点对象")
    code = _text(d.get("code"))
    if not CODE_RE.match(code):
        raise CatalogueError(f"{where}：观测点编号「{code}」格式错误，应形如 3.2.1")
    where = f"{where}（{code}）"
    name = _text(d.get("name"))
    if not name:
        raise CatalogueError(f"{where}：缺少观测点名称 name")
    ptype = _text(d.get("type"))
    ptype = _TYPE_BY_LABEL.get(ptype, ptype)
    if ptype not in POINT_TYPES:
        raise CatalogueError(f"{where}：type「{ptype}」无效，应为 {', '.join(POINT_TYPES)} 之一")
    unit = _text(d.get("unit")) or None
    units = _tuple(d.get("units"))
    if ptype in ("amount", "count", "percent", "rate") and not unit:
        raise CatalogueError(f"{where}：数值型观测点（type 为 {ptype}）必须给出 unit")
    if ptype == "multi":
        if len(units) < 2:
            raise CatalogueError(f"{where}：type 为 multi 时 units 至少列出两个单位")
        if unit and unit not in units:
            raise CatalogueError(f"{where}：unit「{unit}」应为 units 中的一个")
    categories = _tuple(d.get("categories"))
    if ptype == "category" and not categories:
        raise CatalogueError(f"{where}：type 为 category 时须列出 categories")
    keywords = _tuple(d.get("keywords"))
    if not keywords:
        raise CatalogueError(f"{where}：至少需要一个关键词 keywords")
    _check_phrases(keywords, "关键词", where)
    exclude = _tuple(d.get("exclude"))
    _check_phrases(exclude, "排除词", where)
    ind_code = code.rsplit(".", 1)[0]
    ind = indicators.get(ind_code)
    if ind is None:
        raise CatalogueError(f"{where}：所属三级指标 {ind_code} 未在 indicators 中定义")
    l2 = level2.get(code.split(".")[0])
    if l2 is None:
        raise CatalogueError(f"{where}：所属二级指标 {code.split('.')[0]} 未在 level2 中定义")
    scope = _text(d.get("scope")) or None
    if scope not in (None, "three_years", "annual"):
        raise CatalogueError(f"{where}：scope「{scope}」无效，应为 three_years 或 annual")
    school_kinds = _tuple(d.get("school_kinds"))
    if school_kinds and (ptype != "yesno" or not set(school_kinds) <= {"中职", "高职", "普通本科"}):
        raise CatalogueError(f"{where}：school_kinds 只能用于 yesno 观测点，取值为 中职、高职、普通本科")
    implied_by = _text(d.get("implied_by")) or None
    if implied_by and (ptype != "yesno" or not CODE_RE.match(implied_by)):
        raise CatalogueError(f"{where}：implied_by 只能用于 yesno 观测点，取值为另一个数值型观测点的编号")
    threshold = _threshold(d.get("threshold"), where)
    if threshold is not None:
        if threshold.op in (">", ">=", "<", "<=") and ptype not in ("amount", "count", "percent", "rate", "multi"):
            raise CatalogueError(f"{where}：数值门槛（{threshold.op}）只能用于数值型观测点，本观测点 type 为 {ptype}")
        if threshold.op in (">", ">=", "<", "<=") and threshold.unit and unit and threshold.unit != unit \
                and threshold.unit not in units:
            raise CatalogueError(f"{where}：threshold.unit「{threshold.unit}」与观测点单位「{unit}」不一致")
        if threshold.op == "in" and categories and not set(threshold.value) <= set(categories):
            raise CatalogueError(f"{where}：threshold 的类别 {threshold.value} 不在 categories {list(categories)} 中")
    return ObservationPoint(
        code=code, name=name, type=ptype, unit=unit,
        units=units if ptype == "multi" else (), categories=categories,
        threshold=threshold, keywords=keywords,
        exclude=exclude, scope=scope,
        indicator_code=ind_code, indicator_name=_text(ind.get("name")),
        indicator_description=_text(ind.get("description")),
        level2_code=l2.code, level2_name=l2.name, level1=l2.level1, group=l2.group,
        school_kinds=school_kinds, implied_by=implied_by,
    )


def _mapping(d: Any, where: str) -> dict:
    if not isinstance(d, dict):
        raise CatalogueError(f"{where}：应为一个对象（键: 值），实际为「{d}」")
    return d


def _list(data: dict, key: str, where: str) -> list:
    v = data.get(key)
    if v is None:
        return []
    if not isinstance(v, list):
        raise CatalogueError(f"{where}：{key} 应为列表（每项以“- ”开头）")
    return v


def _negative_item(d: Any, where: str) -> NegativeItem:
    d = _mapping(d, where)
    code = _text(d.get("code"))
    if not INDICATOR_RE.match(code) or not _text(d.get("name")):
        raise CatalogueError(f"{where}：负面清单项需要形如 16.1 的 code 和 name")
    triggers = _tuple(d.get("triggers"))
    if not triggers:
        raise CatalogueError(f"{where}（{code}）：至少需要一个触发短语 triggers")
    _check_phrases(triggers, "触发短语", f"{where}（{code}）")
    return NegativeItem(code=code, name=_text(d.get("name")), triggers=triggers,
                        denials=_tuple(d.get("denials")), description=_text(d.get("description")))


def _roster_entry(d: Any, where: str) -> RosterEntry:
    d = _mapping(d, where)
    try:
        entry = RosterEntry(batch=_text(d["batch"]), index=int(d["index"]), name=_text(d["name"]),
                            park=_text(d.get("park")),
                            lead_schools=_tuple(d.get("lead_schools")),
                            lead_enterprise=_text(d.get("lead_enterprise")),
                            aliases=_tuple(d.get("aliases")))
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogueError(f"{where}：名单条目需要 batch、index（整数）、name（{exc}）") from None
    if not entry.batch or not entry.name:
        raise CatalogueError(f"{where}：名单条目的 batch 和 name 不能为空")
    return entry


def catalogue_from_dict(data: Any, where: str = "catalogue") -> Catalogue:
    """Build and validate a ``Catalogue`` from the YAML structure."""
    if not isinstance(data, dict):
        raise CatalogueError(f"{where}：顶层应为映射（id、title、level2、indicators、points …）")
    for key in ("id", "title", "level2", "indicators", "points"):
        if key not in data:
            raise CatalogueError(f"{where}：缺少必填项「{key}」")
    level1 = [_text(x) for x in _list(data, "level1", where)]
    groups_raw = data.get("groups") or {}
    if not isinstance(groups_raw, dict):
        raise CatalogueError(f"{where}：groups 应为“分组名: [二级指标序号…]”的映射")
    groups = {_text(k): [_text(x) for x in (v or [])] for k, v in groups_raw.items()}
    level2: dict[str, Level2] = {}
    for i, d in enumerate(_list(data, "level2", where), 1):
        w = f"{where} level2 第{i}项"
        d = _mapping(d, w)
        code = _text(d.get("code"))
        if not LEVEL2_RE.match(code):
            raise CatalogueError(f"{w}：二级指标编号「{code}」格式错误，应为数字")
        if code in level2:
            raise CatalogueError(f"{w}：二级指标编号 {code} 重复")
        if not _text(d.get("name")) or not _text(d.get("level1")):
            raise CatalogueError(f"{w}（{code}）：缺少 name 或 level1")
        l1 = _text(d.get("level1"))
        if level1 and l1 not in level1:
            raise CatalogueError(f"{w}（{code}）：一级指标「{l1}」不在 level1 {level1} 中")
        group = _text(d.get("group")) or None
        if group and groups and group not in groups:
            raise CatalogueError(f"{w}（{code}）：分组「{group}」不在 groups {list(groups)} 中")
        level2[code] = Level2(code=code, name=_text(d.get("name")), level1=l1,
                              group=group, description=_text(d.get("description")))
    for g, members in groups.items():
        for m in members:
            if m not in level2:
                raise CatalogueError(f"{where} groups「{g}」：二级指标 {m} 未在 level2 中定义")
            if level2[m].group != g:
                raise CatalogueError(f"{where} groups「{g}」：二级指标 {m} 的 group 应为「{g}」，"
                                     f"实际为「{level2[m].group or '未填写'}」")
    indicators: dict[str, dict] = {}
    for i, d in enumerate(_list(data, "indicators", where), 1):
        w = f"{where} indicators 第{i}项"
        d = _mapping(d, w)
        code = _text(d.get("code"))
        if not INDICATOR_RE.match(code):
            raise CatalogueError(f"{w}：三级指标编号「{code}」格式错误，应形如 3.2")
        if code in indicators:
            raise CatalogueError(f"{w}：三级指标编号 {code} 重复")
        if code.split(".")[0] not in level2:
            raise CatalogueError(f"{w}（{code}）：所属二级指标未定义")
        indicators[code] = d
    points: list[ObservationPoint] = []
    seen: set[str] = set()
    for i, d in enumerate(_list(data, "points", where), 1):
        p = _point(d, f"{where} points 第{i}项", level2, indicators)
        if p.code in seen:
            raise CatalogueError(f"{where} points 第{i}项：观测点编号 {p.code} 重复")
        seen.add(p.code)
        points.append(p)
    if not points:
        raise CatalogueError(f"{where}：没有任何观测点")
    negative: list[NegativeItem] = []
    for i, d in enumerate(_list(data, "negative_list", where), 1):
        item = _negative_item(d, f"{where} negative_list 第{i}项")
        if item.code in indicators or any(n.code == item.code for n in negative):
            raise CatalogueError(f"{where} negative_list 第{i}项：编号 {item.code} 重复")
        negative.append(item)
    rosters: list[RosterEntry] = []
    for i, d in enumerate(_list(data, "rosters", where), 1):
        entry = _roster_entry(d, f"{where} rosters 第{i}项")
        if any(r.batch == entry.batch and r.index == entry.index for r in rosters):
            raise CatalogueError(f"{where} rosters 第{i}项：批次 {entry.batch} 序号 {entry.index} 重复")
        rosters.append(entry)
    synonyms: list[tuple[str, ...]] = []
    for i, group in enumerate(data.get("synonyms") or [], 1):
        words = _tuple(group)
        if len(words) < 2:
            raise CatalogueError(f"{where} synonyms 第{i}项：同义词组至少要有两个词")
        synonyms.append(words)
    subjects: list[Subject] = []
    for i, d in enumerate(data.get("subjects") or [], 1):
        w = f"{where} subjects 第{i}项"
        if not isinstance(d, dict) or not d.get("id") or not d.get("points"):
            raise CatalogueError(f"{w}：需要 id 和 points")
        if d.get("identity") not in (None, "", "lead_enterprise", "lead_school", "park"):
            raise CatalogueError(f"{w}：identity 只能是 lead_enterprise / lead_school / park")
        subjects.append(Subject(id=_text(d["id"]), name=_text(d.get("name") or d["id"]), words=_tuple(d.get("words")),
                                identity=_text(d.get("identity")), points=tuple(str(x) for x in d["points"]),
                                sentence=bool(d.get("sentence", True))))
    return Catalogue(id=_text(data["id"]), title=_text(data["title"]), source=_text(data.get("source")),
                     version=_text(data.get("version")), level1=level1,
                     level2=list(level2.values()), groups=groups, points=points,
                     negative_list=negative, rosters=rosters, synonyms=synonyms, subjects=subjects)


#: Optional sheets of the workbook form and their columns (header row 1).
XLSX_POINTS_SHEET = "观测点"
XLSX_NEGATIVE_SHEET = "负面清单"
XLSX_NEGATIVE_COLUMNS = ["code", "name", "triggers", "denials", "description"]
XLSX_ROSTER_SHEET = "名单"
XLSX_ROSTER_COLUMNS = ["batch", "index", "name", "park", "lead_schools", "lead_enterprise", "aliases"]
XLSX_LEVEL2_SHEET = "二级指标"
XLSX_LEVEL2_COLUMNS = ["code", "name", "level1", "group", "description"]
XLSX_INFO_SHEET = "信息"          # rows: key | value (id, title, source, version, level1)


def _sheet_rows(ws, columns: list[str]) -> list[tuple[int, dict[str, Any]]]:
    """Rows of an optional sheet as dicts keyed by column name, with their 1-based row numbers.

    The first row is a header when it names the columns; otherwise the columns are taken in
    ``columns`` order and data starts on row 2 (older workbooks had no header names).
    """
    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        return []
    header = [column_field(_text(c)) for c in rows[0]]
    if "code" in header or "name" in header or "batch" in header or "key" in header:
        col = {h: i for i, h in enumerate(header) if h}
    else:
        col = {h: i for i, h in enumerate(columns)}
    out = []
    for r, row in enumerate(rows[1:], 2):
        if all(v in (None, "") for v in row):
            continue
        out.append((r, {name: (row[i] if i < len(row) else None) for name, i in col.items()}))
    return out


def catalogue_from_xlsx(path: Path) -> Catalogue:
    """Read the flat one-row-per-point workbook (see ``XLSX_COLUMNS``).

    The sheet 「观测点」 (else the first sheet) holds the points; optional sheets 「负面清单」
    (``XLSX_NEGATIVE_COLUMNS``), 「名单」 (``XLSX_ROSTER_COLUMNS``), 「二级指标」
    (``XLSX_LEVEL2_COLUMNS``) and 「信息」 (key/value: id, title, source, version, level1).
    Errors name the sheet and the spreadsheet row.
    """
    import openpyxl

    path = Path(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for bad files
        raise CatalogueError(f"无法打开指标体系工作簿 {path.name}：{exc}") from exc
    try:
        return _catalogue_from_workbook(wb, path)
    finally:
        wb.close()


def _catalogue_from_workbook(wb, path: Path) -> Catalogue:
    names = wb.sheetnames
    ws = wb[XLSX_POINTS_SHEET] if XLSX_POINTS_SHEET in names else wb.worksheets[0]
    sheet_where = f"{path.name} 工作表“{ws.title}”"
    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        raise CatalogueError(f"{sheet_where}：工作表为空")
    header = [column_field(_text(c)) for c in rows[0]]
    missing = [COLUMN_LABELS[c] for c in ("code", "name", "type", "keywords") if c not in header]
    if missing:
        raise CatalogueError(f"{sheet_where}第1行（表头）：缺少列 {'、'.join(missing)}；"
                             f"表头应为 {'、'.join(COLUMN_LABELS[c] for c in XLSX_COLUMNS)}")
    col = {name: i for i, name in enumerate(header) if name}

    def get(row: tuple, name: str) -> Any:
        i = col.get(name)
        v = row[i] if i is not None and i < len(row) else None
        return v.strip() if isinstance(v, str) else v

    # 二级指标 sheet (optional) gives descriptions and fixes names/levels
    level2: dict[str, dict] = {}
    if XLSX_LEVEL2_SHEET in names:
        for r, d in _sheet_rows(wb[XLSX_LEVEL2_SHEET], XLSX_LEVEL2_COLUMNS):
            code = _text(d.get("code"))
            if not LEVEL2_RE.match(code):
                raise CatalogueError(f"{path.name} 工作表“{XLSX_LEVEL2_SHEET}”第{r}行：二级指标编号「{code}」格式错误")
            level2[code] = {"code": code, "name": _text(d.get("name")) or code,
                            "level1": _text(d.get("level1")), "group": _text(d.get("group")) or None,
                            "description": _text(d.get("description"))}
    from_sheet = set(level2)
    indicators: dict[str, dict] = {}
    points: list[dict[str, Any]] = []
    first_row: dict[str, int] = {}
    for r, row in enumerate(rows[1:], 2):
        if all(v in (None, "") for v in row):
            continue
        where = f"{sheet_where}第{r}行"
        code = _text(get(row, "code"))
        if not CODE_RE.match(code):
            raise CatalogueError(f"{where}：观测点编号「{code}」格式错误，应形如 3.2.1")
        if code in first_row:
            raise CatalogueError(f"{where}：观测点编号 {code} 重复（与第{first_row[code]}行相同）")
        first_row[code] = r
        l2 = _text(get(row, "level2_code")) or code.split(".")[0]
        if l2 != code.split(".")[0]:
            raise CatalogueError(f"{where}（{code}）：level2_code「{l2}」与观测点编号不符")
        l2_name = _text(get(row, "level2_name"))
        if l2 not in level2:
            level2[l2] = {"code": l2, "name": l2_name or l2, "level1": _text(get(row, "level1")) or "实质性指标",
                          "group": _text(get(row, "group")) or None, "description": "", "_row": r}
        elif l2 not in from_sheet and l2_name and l2_name != level2[l2]["name"]:
            raise CatalogueError(f"{where}（{code}）：二级指标 {l2} 的名称「{l2_name}」与第{level2[l2]['_row']}行"
                                 f"「{level2[l2]['name']}」不一致")
        ic = _text(get(row, "indicator_code")) or code.rsplit(".", 1)[0]
        if ic != code.rsplit(".", 1)[0]:
            raise CatalogueError(f"{where}（{code}）：indicator_code「{ic}」与观测点编号不符")
        indicators.setdefault(ic, {"code": ic, "name": _text(get(row, "indicator_name")),
                                   "description": _text(get(row, "indicator_description"))})
        th = None
        if _text(get(row, "threshold_op")) or _text(get(row, "threshold_rule")):
            th = {"rule": get(row, "threshold_rule"), "op": get(row, "threshold_op"),
                  "value": get(row, "threshold_value"), "unit": get(row, "threshold_unit")}
        p = {"code": code, "name": get(row, "name"), "type": get(row, "type"),
             "unit": get(row, "unit"), "units": get(row, "units"),
             "categories": get(row, "categories"), "threshold": th,
             "keywords": get(row, "keywords"), "exclude": get(row, "exclude"),
             "scope": get(row, "scope"), "school_kinds": get(row, "school_kinds"),
             "implied_by": get(row, "implied_by")}
        # validate now so the message names the spreadsheet row
        l2_objs = {k: Level2(**{f: v[f] for f in ("code", "name", "level1", "group", "description")})
                   for k, v in level2.items()}
        _point(p, where, l2_objs, indicators)
        points.append(p)
    for v in level2.values():
        v.pop("_row", None)

    info: dict[str, Any] = {}
    if XLSX_INFO_SHEET in names:
        for row in wb[XLSX_INFO_SHEET].iter_rows(values_only=True):
            if row and row[0] not in (None, "", "key"):
                info[_text(row[0])] = row[1] if len(row) > 1 else None
    groups: dict[str, list[str]] = {}
    for v in level2.values():
        if v.get("group"):
            groups.setdefault(v["group"], []).append(v["code"])
    level1 = list(_tuple(info.get("level1")))
    if not level1:
        level1 = list(dict.fromkeys(v["level1"] for v in level2.values() if v["level1"]))

    data: dict[str, Any] = {"id": _text(info.get("id")) or path.stem, "title": _text(info.get("title")) or path.stem,
                            "source": info.get("source"), "version": info.get("version"),
                            "level1": level1, "groups": groups, "level2": list(level2.values()),
                            "indicators": list(indicators.values()), "points": points,
                            "negative_list": [], "rosters": []}
    if XLSX_NEGATIVE_SHEET in names:
        sheet = f"{path.name} 工作表“{XLSX_NEGATIVE_SHEET}”"
        seen_neg: dict[str, int] = {}
        for r, d in _sheet_rows(wb[XLSX_NEGATIVE_SHEET], XLSX_NEGATIVE_COLUMNS):
            item = _negative_item(d, f"{sheet}第{r}行")
            if item.code in seen_neg:
                raise CatalogueError(f"{sheet}第{r}行：编号 {item.code} 重复（与第{seen_neg[item.code]}行相同）")
            seen_neg[item.code] = r
            data["negative_list"].append({k: d.get(k) for k in XLSX_NEGATIVE_COLUMNS})
    if XLSX_ROSTER_SHEET in names:
        sheet = f"{path.name} 工作表“{XLSX_ROSTER_SHEET}”"
        seen_roster: dict[tuple[str, int], int] = {}
        for r, d in _sheet_rows(wb[XLSX_ROSTER_SHEET], XLSX_ROSTER_COLUMNS):
            entry = _roster_entry(d, f"{sheet}第{r}行")
            key = (entry.batch, entry.index)
            if key in seen_roster:
                raise CatalogueError(f"{sheet}第{r}行：批次 {entry.batch} 序号 {entry.index} 重复"
                                     f"（与第{seen_roster[key]}行相同）")
            seen_roster[key] = r
            data["rosters"].append({k: d.get(k) for k in XLSX_ROSTER_COLUMNS})
    return catalogue_from_dict(data, where=path.name)
