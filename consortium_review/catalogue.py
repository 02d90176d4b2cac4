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
                "indicator_code", "indicator_name", "indicator_description"]


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
    path: Optional[Path] = None

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
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
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
    if v is None or v == "":
        return ()
    if isinstance(v, str):
        return tuple(s.strip() for s in re.split(r"[;；\n]", v) if s.strip())
    return tuple(str(s) for s in v)


def _threshold(d: Any, where: str) -> Optional[Threshold]:
    if d in (None, "", {}):
        return None
    if not isinstance(d, dict):
        raise CatalogueError(f"{where}：threshold 应为包含 rule/op/value 的对象")
    op = str(d.get("op", "")).strip()
    if op not in THRESHOLD_OPS:
        raise CatalogueError(f"{where}：threshold.op「{op}」无效，应为 {sorted(THRESHOLD_OPS)} 之一")
    value = d.get("value")
    if op in (">", ">=", "<", "<="):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise CatalogueError(f"{where}：threshold.value 应为数字，实际为「{value}」") from None
    if op == "in":
        value = list(_tuple(value))
        if not value:
            raise CatalogueError(f"{where}：threshold.op 为 in 时 value 应列出类别")
    rule = str(d.get("rule") or "").strip()
    if not rule:
        raise CatalogueError(f"{where}：threshold 缺少 rule（给用户看的规则说明）")
    return Threshold(rule=rule, op=op, value=value, unit=d.get("unit") or None)


def _point(d: Any, where: str, level2: dict[str, Level2], indicators: dict[str, dict]) -> ObservationPoint:
    if not isinstance(d, dict):
        raise CatalogueError(f"{where}：应为一个观测点对象")
    code = str(d.get("code", "")).strip()
    if not CODE_RE.match(code):
        raise CatalogueError(f"{where}：观测点编号「{code}」格式错误，应形如 3.2.1")
    where = f"{where}（{code}）"
    name = str(d.get("name") or "").strip()
    if not name:
        raise CatalogueError(f"{where}：缺少观测点名称 name")
    ptype = str(d.get("type") or "").strip()
    if ptype not in POINT_TYPES:
        raise CatalogueError(f"{where}：type「{ptype}」无效，应为 {', '.join(POINT_TYPES)} 之一")
    unit = d.get("unit") or None
    units = _tuple(d.get("units"))
    if ptype in ("amount", "count", "percent", "rate") and not unit:
        raise CatalogueError(f"{where}：数值型观测点必须给出 unit")
    if ptype == "multi" and len(units) < 2:
        raise CatalogueError(f"{where}：type 为 multi 时 units 至少列出两个单位")
    categories = _tuple(d.get("categories"))
    if ptype == "category" and not categories:
        raise CatalogueError(f"{where}：type 为 category 时须列出 categories")
    keywords = _tuple(d.get("keywords"))
    if not keywords:
        raise CatalogueError(f"{where}：至少需要一个关键词 keywords")
    ind_code = code.rsplit(".", 1)[0]
    ind = indicators.get(ind_code)
    if ind is None:
        raise CatalogueError(f"{where}：所属三级指标 {ind_code} 未在 indicators 中定义")
    l2 = level2.get(code.split(".")[0])
    if l2 is None:
        raise CatalogueError(f"{where}：所属二级指标 {code.split('.')[0]} 未在 level2 中定义")
    scope = d.get("scope") or None
    if scope not in (None, "three_years", "annual"):
        raise CatalogueError(f"{where}：scope「{scope}」无效，应为 three_years 或 annual")
    return ObservationPoint(
        code=code, name=name, type=ptype, unit=unit,
        units=units if ptype == "multi" else (), categories=categories,
        threshold=_threshold(d.get("threshold"), where), keywords=keywords,
        exclude=_tuple(d.get("exclude")), scope=scope,
        indicator_code=ind_code, indicator_name=str(ind.get("name", "")),
        indicator_description=str(ind.get("description", "")),
        level2_code=l2.code, level2_name=l2.name, level1=l2.level1, group=l2.group,
    )


def catalogue_from_dict(data: Any, where: str = "catalogue") -> Catalogue:
    """Build and validate a ``Catalogue`` from the YAML structure."""
    if not isinstance(data, dict):
        raise CatalogueError(f"{where}：顶层应为映射（id、title、level2、indicators、points …）")
    for key in ("id", "title", "level2", "indicators", "points"):
        if key not in data:
            raise CatalogueError(f"{where}：缺少必填项「{key}」")
    level2: dict[str, Level2] = {}
    for i, d in enumerate(data["level2"] or [], 1):
        w = f"{where} level2 第{i}项"
        code = str((d or {}).get("code", "")).strip()
        if not LEVEL2_RE.match(code):
            raise CatalogueError(f"{w}：二级指标编号「{code}」格式错误，应为数字")
        if code in level2:
            raise CatalogueError(f"{w}：二级指标编号 {code} 重复")
        if not d.get("name") or not d.get("level1"):
            raise CatalogueError(f"{w}（{code}）：缺少 name 或 level1")
        level2[code] = Level2(code=code, name=str(d["name"]), level1=str(d["level1"]),
                              group=d.get("group") or None, description=str(d.get("description") or ""))
    indicators: dict[str, dict] = {}
    for i, d in enumerate(data["indicators"] or [], 1):
        w = f"{where} indicators 第{i}项"
        code = str((d or {}).get("code", "")).strip()
        if not INDICATOR_RE.match(code):
            raise CatalogueError(f"{w}：三级指标编号「{code}」格式错误，应形如 3.2")
        if code in indicators:
            raise CatalogueError(f"{w}：三级指标编号 {code} 重复")
        if code.split(".")[0] not in level2:
            raise CatalogueError(f"{w}（{code}）：所属二级指标未定义")
        indicators[code] = d
    points: list[ObservationPoint] = []
    seen: set[str] = set()
    for i, d in enumerate(data["points"] or [], 1):
        p = _point(d, f"{where} points 第{i}项", level2, indicators)
        if p.code in seen:
            raise CatalogueError(f"{where} points 第{i}项：观测点编号 {p.code} 重复")
        seen.add(p.code)
        points.append(p)
    if not points:
        raise CatalogueError(f"{where}：没有任何观测点")
    negative: list[NegativeItem] = []
    for i, d in enumerate(data.get("negative_list") or [], 1):
        w = f"{where} negative_list 第{i}项"
        code = str((d or {}).get("code", "")).strip()
        if not INDICATOR_RE.match(code) or not d.get("name"):
            raise CatalogueError(f"{w}：负面清单项需要形如 16.1 的 code 和 name")
        if not _tuple(d.get("triggers")):
            raise CatalogueError(f"{w}（{code}）：至少需要一个触发短语 triggers")
        negative.append(NegativeItem(code=code, name=str(d["name"]), triggers=_tuple(d.get("triggers")),
                                     denials=_tuple(d.get("denials")),
                                     description=str(d.get("description") or "")))
    rosters: list[RosterEntry] = []
    for i, d in enumerate(data.get("rosters") or [], 1):
        w = f"{where} rosters 第{i}项"
        try:
            rosters.append(RosterEntry(batch=str(d["batch"]), index=int(d["index"]), name=str(d["name"]),
                                       park=str(d.get("park") or ""),
                                       lead_schools=_tuple(d.get("lead_schools")),
                                       lead_enterprise=str(d.get("lead_enterprise") or ""),
                                       aliases=_tuple(d.get("aliases"))))
        except (KeyError, TypeError, ValueError) as exc:
            raise CatalogueError(f"{w}：名单条目需要 batch、index、name（{exc}）") from None
    groups = {str(k): [str(x) for x in v] for k, v in (data.get("groups") or {}).items()}
    return Catalogue(id=str(data["id"]), title=str(data["title"]), source=str(data.get("source") or ""),
                     version=str(data.get("version") or ""), level1=[str(x) for x in data.get("level1") or []],
                     level2=list(level2.values()), groups=groups, points=points,
                     negative_list=negative, rosters=rosters)


def catalogue_from_xlsx(path: Path) -> Catalogue:
    """Read the flat one-row-per-point workbook (see ``XLSX_COLUMNS``).

    Sheet 1 holds the points; optional sheets 「负面清单」 (code, name, triggers, denials) and
    「名单」 (batch, index, name, park, lead_schools, lead_enterprise).
    """
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for bad files
        raise CatalogueError(f"无法打开指标体系工作簿 {path.name}：{exc}") from exc
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        raise CatalogueError(f"{path.name}：第一个工作表为空")
    header = [str(c).strip() if c is not None else "" for c in rows[0]]
    missing = [c for c in ("code", "name", "type", "keywords") if c not in header]
    if missing:
        raise CatalogueError(f"{path.name}：表头缺少列 {', '.join(missing)}（第1行）")
    col = {name: i for i, name in enumerate(header)}

    def get(row: tuple, name: str) -> Any:
        i = col.get(name)
        v = row[i] if i is not None and i < len(row) else None
        return v.strip() if isinstance(v, str) else v

    level2: dict[str, dict] = {}
    indicators: dict[str, dict] = {}
    points = []
    for r, row in enumerate(rows[1:], 2):
        if all(v in (None, "") for v in row):
            continue
        code = str(get(row, "code") or "").strip()
        l2 = str(get(row, "level2_code") or code.split(".")[0])
        level2.setdefault(l2, {"code": l2, "name": get(row, "level2_name") or l2,
                               "level1": get(row, "level1") or "实质性指标", "group": get(row, "group")})
        ic = str(get(row, "indicator_code") or code.rsplit(".", 1)[0])
        indicators.setdefault(ic, {"code": ic, "name": get(row, "indicator_name") or "",
                                   "description": get(row, "indicator_description") or ""})
        th = None
        if get(row, "threshold_op"):
            th = {"rule": get(row, "threshold_rule"), "op": get(row, "threshold_op"),
                  "value": get(row, "threshold_value"), "unit": get(row, "threshold_unit")}
        points.append({"code": code, "name": get(row, "name"), "type": get(row, "type"),
                       "unit": get(row, "unit"), "units": get(row, "units"),
                       "categories": get(row, "categories"), "threshold": th,
                       "keywords": get(row, "keywords"), "exclude": get(row, "exclude"),
                       "scope": get(row, "scope"), "_row": r})
    data: dict[str, Any] = {"id": path.stem, "title": path.stem, "level2": list(level2.values()),
                            "indicators": list(indicators.values()), "points": [], "negative_list": [],
                            "rosters": []}
    # validate row by row so the message names the spreadsheet row
    cat = None
    for p in points:
        r = p.pop("_row")
        try:
            _point(p, f"{path.name} 第{r}行", {k: Level2(**v) for k, v in level2.items()}, indicators)
        except CatalogueError:
            raise
        data["points"].append(p)
    names = [ws.title for ws in wb.worksheets]
    if "负面清单" in names:
        for r, row in enumerate(wb["负面清单"].iter_rows(min_row=2, values_only=True), 2):
            if row and row[0]:
                data["negative_list"].append({"code": str(row[0]), "name": row[1],
                                              "triggers": row[2] if len(row) > 2 else None,
                                              "denials": row[3] if len(row) > 3 else None})
    if "名单" in names:
        for row in wb["名单"].iter_rows(min_row=2, values_only=True):
            if row and row[0]:
                data["rosters"].append({"batch": row[0], "index": row[1], "name": row[2], "park": row[3],
                                        "lead_schools": row[4], "lead_enterprise": row[5]})
    wb.close()
    cat = catalogue_from_dict(data, where=path.name)
    return cat
