"""The annual report (年度报告) a consortium's secretariat (秘书处) writes every year.

``consortium-review annual FOLDER [-o OUT] [--year 2025] [--previous PREV]``:

1. read + extract the year's materials (the same stages as ``review``) and write evidence.json;
2. find filled data-collection workbooks in the folder (``consortium_review.generator.datasheet``) and put their
   values first — documents confirm or conflict (``merge_datasheet``); the merged result is
   written as 年度数据.json (next year's ``--previous``);
3. optionally load last year (an evidence.json / 年度数据.json, or last year's materials folder)
   and compare every point (``consortium_review.generator.yoy``);
4. assemble the report context — prose per 「四个合作」 from the evidence, every figure with its
   source; problems from gaps, unmet thresholds, conflicts and decreases; next year's plan from
   targets and next-step paragraphs in the documents (else a marked placeholder); the 附表 of
   every observation point; charts — and render ``templates/年度报告模板.docx`` (docxtpl).

Also registers ``consortium-review datasheet -o FILE.xlsx`` (the blank data sheet).
Nothing here invents a figure: a value is shown only when a document or the data sheet states
it, and always with its source; what is missing says 「待补充」 / 「无上年数据」.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

from consortium_review.catalogue import Catalogue, ObservationPoint
from consortium_review.fileio import atomic_path, write_json_atomic
from consortium_review.folders import material_folder

from . import officedoc as od
from .datasheet import DataSheet, find_datasheets, merge_datasheet
from .yoy import NO_PREVIOUS, TO_FILL, PointChange, compare_point, format_number, format_plain, is_number

log = logging.getLogger(__name__)

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


# =========================================================================== wording helpers

_UNITISH = re.compile(r"[（(]([^（）()]{1,12})[)）]")
_UNIT_WORDS = {"万元", "亿元", "元", "%", "个", "人", "人次", "门", "本", "项", "次", "份", "人月", "人日", "课时",
               "小时/周", "家", "所"}


def _is_unit_paren(content: str) -> bool:
    parts = re.split(r"[、，,/]", content.replace("％", "%"))
    return content in _UNIT_WORDS or all(p.strip() in _UNIT_WORDS or p.strip() in ("小时", "周") for p in parts)


def point_label(op: ObservationPoint, keep_count_word: bool = False) -> str:
    """The point's name as the subject of a sentence: 「共建专业数（个）」 -> 「共建专业」.

    ``keep_count_word``: keep a final 「数」 (``with_value`` decides what to drop before a value).
    """
    s = _UNITISH.sub(lambda m: "" if _is_unit_paren(m.group(1)) else m.group(0), op.name).strip()
    if op.is_numeric:
        if "：" in s:
            s = s.split("：", 1)[1]
        s = s.split("以及")[0]
        if "，" in s:
            s = s.split("，")[-1]
        if s.endswith("数") and not s.endswith("人数") and len(s) > 2 and not keep_count_word:
            s = s[:-1]
    else:
        if "：" in s:
            s = s.split("：", 1)[0]
    return s.strip("，。；、 ")


_TIMES_WORDS = {"场次", "频次", "批次", "次数"}


def with_value(label: str, value: str) -> str:
    """A label followed by its value, saying the unit word once: 「人才需求清单发布次数」+「12次」 ->
    「人才需求清单发布12次」, 「招收留学生人数」+「30人」 -> 「招收留学生30人」, 「共建专业数」+「12个」
    -> 「共建专业12个」. Only a final count word (「…数」) is shortened; 「对接场次」 stays."""
    if value[:1].isdigit() and value.endswith("次") and label[-2:] in _TIMES_WORDS and len(label) > 3:
        return f"{label[:-2]}{value}"          # 「组织校企对接场次」+「24次」 -> 「组织校企对接24次」
    if not label.endswith("数") or len(label) <= 2:
        return f"{label}{value}"
    base = label[:-1]
    m = re.match(r"[\d.,]+([^\d、，,；]+)", value)
    if m:
        unit = m.group(1)
        for u in sorted({unit, unit[-1:]}, key=len, reverse=True):
            if base.endswith(u) and len(base) > len(u) + 1:
                return f"{base[:-len(u)]}{value}"
    if base.endswith("人"):            # 「兼职教师人数」+「86人次」: keep the word whole
        return f"{label}{value}"
    return f"{base}{value}"


def yesno_phrase(op: ObservationPoint, value: bool) -> str:
    """「是否建立专业规划联动机制」 + True -> 「已建立专业规划联动机制」; False -> 「尚未建立…」."""
    s = op.name.strip()
    if "是否" in s:
        i = s.index("是否")
        j = s.find("，", i)
        if j > 0:
            s = s[:j]
    s = s.rstrip("。；，")
    if "是否为" in s:
        before, after = s.split("是否为", 1)
        subject = before or op.level2_name
        return f"{subject}{'为' if value else '不属于'}{after}"
    if "是否" in s:
        return s.replace("是否", "已" if value else "尚未", 1)
    return s if value else f"{s}：否"


def quote(text: Any, limit: int = QUOTE_MAX) -> str:
    s = od.sanitize_text(text).replace("\n", " ").strip()
    return s if len(s) <= limit else s[: limit - 1] + "…"


def source_of(ev: dict) -> str:
    from .assess import source_of as _src

    return _src(ev)


def value_text(pt: dict, op: Optional[ObservationPoint] = None) -> str:
    """A stated value as written in the report ('320万元', '是', '86人次、3600课时')."""
    from .assess import format_value

    qs = pt.get("quantities") or None
    if qs and len(qs) < 2:
        qs = None
    v = pt.get("value")
    if op is not None and op.type == "text" and v is None:
        ev = (pt.get("evidence") or [{}])[0]
        return quote(ev.get("snippet"), 40)
    if is_number(v):
        return format_number(v) + (pt.get("unit") or "") if not qs else format_value(v, pt.get("unit"), qs)
    return format_value(v, pt.get("unit"), qs)


def stated(pt: Optional[dict]) -> bool:
    return bool(pt) and pt.get("status") in ("found", "conflict")


# =========================================================================== prose

class Prose:
    """Builds RichRuns paragraphs clause by clause."""

    def __init__(self, lead: str = ""):
        self.runs = od.RichRuns()
        self.count = 0
        if lead:
            self.runs.add(lead)

    def clause(self, piece: od.RichRuns) -> None:
        if self.count:
            self.runs.add("；")
        self.runs.add(piece)
        self.count += 1

    def finish(self, tail: str = "。") -> od.RichRuns:
        self.runs.add(tail)
        return self.runs


def point_clause(op: ObservationPoint, pt: dict, change: Optional[PointChange]) -> Optional[od.RichRuns]:
    """One clause about one point, with its source — None when the point states nothing."""
    if not stated(pt):
        return None
    r = od.RichRuns()
    v = pt.get("value")
    evs = pt.get("evidence") or []
    if op.type == "yesno":
        if not isinstance(v, bool):
            return None
        r.add(yesno_phrase(op, v))
    elif op.type == "text":
        text = v if isinstance(v, str) and v.strip() else (evs[0].get("snippet") if evs else "")
        if not text:
            return None
        r.add(f"{point_label(op)}：“{quote(text)}”")
    elif op.type == "category":
        if v in (None, ""):
            return None
        r.add(f"{point_label(op)}为{format_plain(v)}")
    else:
        if v is None:
            return None
        r.add(with_value(point_label(op, keep_count_word=True), value_text(pt, op)))
        if change is not None and change.prose:
            r.add("，" + change.prose)
    if evs:
        r.add(f"（来源：{_sources(pt)}）")
    if pt.get("status") == "conflict":
        r.add("，各材料数据不一致，")
        r.add("待核实", highlight="yellow")
    return r


def _sources(pt: dict, limit: int = 2) -> str:
    evs = pt.get("evidence") or []
    first = source_of(evs[0])
    confirmed = [c for c in pt.get("confirmed_by") or [] if c != first][: limit - 1]
    if confirmed:
        return first + "；" + "、".join(confirmed) + "印证"
    return first


def _missing_tail(prose: Prose, missing: list[ObservationPoint]) -> None:
    if not missing:
        return
    codes = CODE_SEP.join(p.code for p in missing[:8]) + ("等" if len(missing) > 8 else "")
    prose.runs.add(f"另有{len(missing)}个观测点暂无本年度数据（{codes}）")
    prose.runs.add(TO_FILL_MARK, highlight="yellow")
    prose.runs.add("。")


def topic_paragraph(lead: str, ops: Sequence[ObservationPoint], cur: YearData,
                    changes: dict[str, PointChange], extra: Sequence[od.RichRuns] = ()) -> od.RichRuns:
    """「在X方面，clause；clause。另有N个观测点暂无本年度数据（…）【待补充】。」"""
    prose = Prose(lead)
    missing = []
    for op in ops:
        c = point_clause(op, cur.point(op.code) or {}, changes.get(op.code))
        if c is None:
            missing.append(op)
        else:
            prose.clause(c)
    for piece in extra:
        prose.clause(piece)
    if not prose.count:
        prose.runs.add("本年度尚未采集到相关数据")
        prose.runs.add(TO_FILL_MARK, highlight="yellow")
        prose.runs.add("（见附表）。")
        return prose.runs
    prose.finish("。")
    _missing_tail(prose, missing)
    return prose.runs


# ---------------------------------------------------------------- sentences from the documents

def _doc_sentences(cur: YearData, pattern: re.Pattern, need: Optional[re.Pattern] = None,
                   limit: int = 2) -> list[tuple[str, dict]]:
    """Sentences (clauses) matching ``pattern`` in body text, with a pseudo-evidence for the source."""
    from consortium_review.extractors.context import split_sentences

    out: list[tuple[str, dict]] = []
    seen = set()
    docs = sorted(cur.documents, key=lambda d: (0 if re.search(r"总结|年度|报告", d.file) else 1, d.file))
    sheet_files = {s.file for s in cur.sheets}
    for d in docs:
        if d.status not in ("ok", "ocr") or d.file in sheet_files or d.format in ("xlsx", "xls", "csv", "txt"):
            continue
        for b in d.blocks:
            if b.kind not in ("paragraph", "textbox", "cell"):
                continue
            for _, sent in split_sentences(b.text):
                if not pattern.search(sent) or (need is not None and not need.search(sent)):
                    continue
                key = sent.strip()
                if key in seen:
                    continue
                seen.add(key)
                out.append((key, {"file": d.file, "page": b.page, "locator": b.locator}))
                if len(out) >= limit:
                    return out
    return out


def _section_paragraphs(cur: YearData, section: re.Pattern, words: re.Pattern, exclude: Optional[re.Pattern],
                        limit: int) -> list[tuple[str, dict]]:
    """Body paragraphs under a heading matching ``section`` that contain ``words``."""
    out: list[tuple[str, dict]] = []
    sheet_files = {s.file for s in cur.sheets}
    docs = sorted(cur.documents, key=lambda d: (0 if re.search(r"总结|年度|报告", d.file) else 1, d.file))
    for d in docs:
        if d.status not in ("ok", "ocr") or d.file in sheet_files or d.format in ("xlsx", "xls", "csv", "txt"):
            continue
        for b in d.blocks:
            if b.kind != "paragraph" or not section.search(b.section or ""):
                continue
            text = b.text.strip()
            if len(text) < 12 or not words.search(text) or (exclude is not None and exclude.search(text)):
                continue
            out.append((text, {"file": d.file, "page": b.page, "locator": b.locator}))
            if len(out) >= limit:
                return out
    return out


def _quoted(text: str, ev: dict, lead: str = "") -> od.RichRuns:
    return od.RichRuns(f"{lead}“{quote(text)}”（来源：{source_of(ev)}）")


# =========================================================================== report sections

def basic_section(catalogue: Catalogue, cur: YearData, changes: dict[str, PointChange],
                  names: dict[str, str]) -> tuple[list[od.RichRuns], set[str]]:
    """一、基本情况 paragraphs and the codes they used."""
    have = {p.code: p for p in catalogue.points}
    used: set[str] = set()
    paras: list[od.RichRuns] = []
    cons = cur.evidence.get("consortium") or {}
    paras.append(identity_sentence(names["name"], cons.get("park"), names.get("lead_school"),
                                   names.get("lead_enterprise")))
    topics: list = []
    for topic, codes in BASIC_TOPICS:
        ops = [have[c] for c in codes if c in have]
        if not ops:
            continue
        used.update(op.code for op in ops)
        extra: list[od.RichRuns] = []
        if topic == "理事会与秘书处":
            members = _doc_sentences(cur, _MEMBERS, None, 1)
            office = _doc_sentences(cur, re.compile(r"秘书处"), re.compile(r"设在|负责|实行|建立|配备|专人"), 1)
            extra += [_quoted(t, ev, "材料载明：") for t, ev in members + office]
            if not members:
                extra.append(od.RichRuns("成员单位数量").mark(PLACEHOLDER))
        topics.append((topic, f"{topic}方面，", ops, extra))
    # basic indicators of another catalogue that the topics do not name
    rest = [op for op in catalogue.points if op.level1 == "基础性指标" and op.code not in used]
    if rest:
        used.update(op.code for op in rest)
        topics.append(("其他基础条件", "其他基础条件方面，", rest, ()))
    paras.extend(topic_paragraphs(topics, cur, changes))
    return paras, used


def identity_sentence(name: str, park: Optional[str], school: Optional[str],
                      enterprise: Optional[str]) -> od.RichRuns:
    """「X依托A建设，牵头学校为B；牵头企业未在材料中找到【待补充】。」 — what is known as a
    sentence, what is not named once, never a dangling 「依托园区：」."""
    known = [text for value, text in ((park, f"依托{park}建设"), (school, f"牵头学校为{school}"),
                                      (enterprise, f"牵头企业为{enterprise}")) if value]
    unknown = [label for value, label in ((park, "依托园区"), (school, "牵头学校"), (enterprise, "牵头企业"))
               if not value]
    r = od.RichRuns(name)
    if known:
        r.add("，".join(known))
    if unknown:
        r.add(("；" if known else "的") + "、".join(unknown) + "未在材料中找到")
        r.add(PLACEHOLDER, highlight="yellow")
    r.add("。")
    return r


def topic_paragraphs(topics: Sequence[tuple[str, str, Sequence[ObservationPoint], Sequence[od.RichRuns]]],
                     cur: YearData, changes: dict[str, PointChange]) -> list[od.RichRuns]:
    """Paragraphs of (name, lead, points, extra) topics: those with data in order; those without
    are named once at the end, so no 「尚未采集」 sentence sits between figures of one part."""
    paras: list[od.RichRuns] = []
    empty: list[tuple[str, Sequence[ObservationPoint]]] = []
    for name, lead, ops, extra in topics:
        if extra or any(point_clause(op, cur.point(op.code) or {}, changes.get(op.code)) for op in ops):
            paras.append(topic_paragraph(lead, ops, cur, changes, extra))
        else:
            empty.append((name, ops))
    if empty:
        n = sum(len(ops) for _, ops in empty)
        if paras:
            r = od.RichRuns(f"此外，{'、'.join(name for name, _ in empty)}方面本年度暂无数据（{n}个观测点，见附表）")
        else:
            r = od.RichRuns(f"本部分{n}个观测点本年度均暂无数据（见附表）")
        r.add(TO_FILL_MARK, highlight="yellow")
        r.add("。")
        paras.append(r)
    return paras


def _add_or_mark(r: od.RichRuns, text: Optional[str]) -> None:
    if text:
        r.add(text)
    else:
        r.add(PLACEHOLDER, highlight="yellow")


def group_sections(catalogue: Catalogue, cur: YearData, changes: dict[str, PointChange],
                   used: set[str]) -> dict[str, list[od.RichRuns]]:
    """二、年度建设成效: paragraphs per 二级指标 (per 三级指标 for the 「五金」) of each 合作."""
    out: dict[str, list[od.RichRuns]] = {var: [] for var in GROUP_VARS.values()}
    topics: dict[str, list] = {var: [] for var in GROUP_VARS.values()}
    for l2 in catalogue.level2:
        var = GROUP_VARS.get(l2.group or "")
        if var is None:
            continue
        ops = [op for op in catalogue.points_of_level2(l2.code) if op.code not in used]
        if not ops:
            continue
        if "五金" in l2.name:
            indicators: dict[str, list[ObservationPoint]] = {}
            for op in ops:
                indicators.setdefault(op.indicator_code, []).append(op)
            for ind_ops in indicators.values():
                name = f"{l2.name}之{ind_ops[0].indicator_name}"
                topics[var].append((name, f"{name}方面，", ind_ops, ()))
        else:
            topics[var].append((l2.name, f"在{l2.name}方面，", ops, ()))
    for var, items in topics.items():
        out[var] = topic_paragraphs(items, cur, changes)
    for var, paras in out.items():
        if not paras:
            paras.append(od.RichRuns("本部分没有对应的观测点。"))
    return out


def overview_paragraphs(catalogue: Catalogue, cur: YearData, changes: dict[str, PointChange],
                        has_previous: bool) -> list[od.RichRuns]:
    pts = cur.evidence.get("points") or []
    n = len(catalogue.points)
    got = [p for p in pts if stated(p)]
    from_sheet = [p for p in got if p.get("source") == "datasheet"]
    conflicts = [p for p in pts if p.get("status") == "conflict"]
    r = od.RichRuns(f"本年度{n}个观测点中，采集到数据的{len(got)}个")
    if cur.sheets:
        r.add(f"（其中{len(from_sheet)}个取自数据采集表，{len(got) - len(from_sheet)}个取自其他材料）")
    r.add(f"，暂无数据的{n - len(got)}个")
    if n - len(got):
        r.add(TO_FILL_MARK, highlight="yellow")
    if conflicts:
        r.add(f"；{len(conflicts)}个观测点的数据在不同材料中不一致，已在第三部分列出")
    r.add("。")
    paras = [r]
    numeric = [c for c in changes.values() if c.main.numeric]
    if has_previous:
        up = sum(1 for c in numeric if c.main.delta > 0)
        down = sum(1 for c in numeric if c.main.delta < 0)
        same = sum(1 for c in numeric if c.main.delta == 0)
        paras.append(od.RichRuns(f"与上年相比，两年均有数据的数值型观测点{len(numeric)}个，其中增长{up}个、"
                                 f"下降{down}个、持平{same}个（逐项数值见附表）。"))
    else:
        paras.append(od.RichRuns("未提供上年数据，本报告不作同比分析，附表中的上年度数值和增减列标注“无上年数据”。"))
    return paras


def problems_and_measures(catalogue: Catalogue, cur: YearData, changes: dict[str, PointChange],
                          assessment) -> tuple[list[od.RichRuns], list[od.RichRuns]]:
    """三、存在问题与改进措施: numbered items derived from the data (and the documents' own review)."""
    ops = {p.code: p for p in catalogue.points}
    problems: list[od.RichRuns] = []
    measures: list[od.RichRuns] = []

    def add(problem: od.RichRuns, measure: Optional[str]) -> None:
        problems.append(od.RichRuns(f"{len(problems) + 1}．").add(problem))
        if measure:
            measures.append(od.RichRuns(f"{len(measures) + 1}．{measure}"))

    for n in cur.evidence.get("negative_list") or []:
        if n.get("flagged"):
            src = f"（来源：{source_of(n['evidence'][0])}）" if n.get("evidence") else ""
            add(od.RichRuns(f"材料中有涉及负面清单“{n.get('code')} {n.get('name')}”的表述{src}，需核实。"),
                f"就“{n.get('name')}”逐项核查并形成书面说明，确有问题的制定整改方案。")
    for p in assessment.points:
        if p.threshold_met is False:
            pt = cur.point(p.code) or {}
            add(od.RichRuns(f"{p.code} {p.subject}本年度为{value_text(pt, ops.get(p.code))}"
                            f"（来源：{_sources(pt)}），未达到建设标准“{p.threshold_rule}”。"),
                f"针对{p.subject}制定达标计划，明确责任单位和完成时限，力争达到“{p.threshold_rule}”。")
    for pt in cur.evidence.get("points") or []:
        if pt.get("status") != "conflict":
            continue
        op = ops.get(pt.get("code"))
        subject = point_label(op) if op else pt.get("name")
        note = pt.get("note") or "不同材料中的数据不一致"
        add(od.RichRuns(f"{pt.get('code')} {subject}的数据不一致：{quote(note, 200)}。"),
            f"核实{subject}的统计口径和数据，以经审核的数据为准，同步更正数据采集表和相关材料。")
    downs = [(code, c) for code, c in changes.items() if c.main.numeric and c.main.delta < 0]
    if downs:
        items = "、".join(f"{point_label(ops[code])}（{c.delta_text}，{c.percent_text}）"
                         for code, c in downs[:8] if code in ops)
        add(od.RichRuns(f"与上年相比，{len(downs)}项指标有所下降：{items}。"),
            "分析相关指标下降的原因，区分统计口径变化与实际工作变化，对实际下降的制定改进措施。")
    gaps = [(l2, [p for p in l2.points if p.status in ("missing", "partial")]) for l2 in assessment.level2
            if l2.level1 in ("基础性指标", "实质性指标")]
    gaps = [(l2, m) for l2, m in gaps if m]
    if gaps:
        total = sum(len(m) for _, m in gaps)
        r = od.RichRuns(f"本年度有{total}个观测点暂无数据").mark(TO_FILL_MARK)
        r.add("，涉及" + "、".join(f"“{l2.code}.{l2.name}”{len(m)}个" for l2, m in gaps) + "（详见附表）。")
        worst = sorted(gaps, key=lambda g: -len(g[1]))[:3]
        focus = "；".join(f"“{l2.name}”的{'、'.join(p.subject for p in m[:3])}{'等' if len(m) > 3 else ''}"
                         for l2, m in worst)
        add(r, f"按附表中标注“待补充”的项目组织成员单位补充数据和佐证材料，优先补充{focus}。")
    sheet_errors = [e for s in cur.sheets for e in s.errors]
    if sheet_errors:
        add(od.RichRuns(f"数据采集表中有{len(sheet_errors)}处填写无法识别，未予采用："
                        + "；".join(quote(e, 80) for e in sheet_errors[:5]) + "。"),
            "按填表说明更正数据采集表中无法识别的内容后重新生成报告。")
    own = _section_paragraphs(cur, _PROBLEM_SECTION, _PROBLEM_WORDS, None, 2)
    for text, ev in own:
        add(_quoted(text, ev, "年度材料自查："), None)
    if not problems:
        problems.append(od.RichRuns("根据现有数据未发现突出问题。"))
    if not measures:
        measures.append(od.RichRuns("继续按建设标准组织各成员单位做好数据采集和佐证材料归档。"))
    return problems, measures


def _block_at(cur: YearData, file: str, locator: str):
    for d in cur.documents:
        if d.file == file:
            for b in d.blocks:
                if b.locator == locator:
                    return b
    return None


def target_year(ev: dict, cur: YearData) -> Optional[int]:
    """The year a target is set for: the column header of its table cell (「2025年」), else the
    latest year its paragraph names (「到2026年，…」), else the snippet's; None when unstated."""
    from consortium_review.extractors.numbers import find_quantities

    b = _block_at(cur, ev.get("file"), ev.get("locator")) if cur.documents else None
    v = ev.get("value")
    if b is not None and b.kind == "table_row" and b.header and is_number(v):
        for cell, head in zip(b.cells, b.header):
            m = re.search(r"(20\d\d)", head or "")
            if m and any(float(q.value) == float(v) for q in find_quantities(cell) if not q.is_year):
                return int(m.group(1))
    text = b.text if b is not None and b.kind != "table_row" else (ev.get("snippet") or "")
    years = [int(y) for y in re.findall(r"(20\d\d)\s*年", text)]
    return max(years) if years else None


def plan_targets(catalogue: Catalogue, cur: YearData, year: Optional[int]) -> list[tuple[ObservationPoint, Optional[int], str, list[dict]]]:
    """Per point, the target for next year (else the nearest later one): (point, year, value, sources)."""
    ops = {p.code: p for p in catalogue.points}
    out = []
    for pt in cur.evidence.get("points") or []:
        op = ops.get(pt.get("code"))
        if op is None:
            continue
        cands: dict[tuple, list[dict]] = {}
        for ev in pt.get("evidence") or []:
            if ev.get("kind") != "target":
                continue
            ty = target_year(ev, cur)
            if year and ty is not None and ty <= year:
                continue            # this year's (or an earlier) target is not next year's plan
            cands.setdefault((ty, format_plain(ev.get("value"), ev.get("unit"))), []).append(ev)
        if not cands:
            continue
        def rank(k):
            ty = k[0]
            return (0 if year and ty == year + 1 else 1 if ty is not None else 2, ty or 0)
        best = min(cands, key=rank)
        out.append((op, best[0], best[1], cands[best]))
    return out


def plan_section(catalogue: Catalogue, cur: YearData, year: Optional[int]) -> list[od.RichRuns]:
    """四、下一年度工作计划: targets stated in the documents, else the placeholder."""
    paras: list[od.RichRuns] = []
    for i, (op, ty, value, evs) in enumerate(plan_targets(catalogue, cur, year), 1):
        when = f"{ty}年" if ty else ""
        what = f"{when}目标{value}" if value else f"“{quote(evs[0].get('snippet'), 80)}”"
        srcs = "；".join(dict.fromkeys(source_of(e) for e in evs[:3]))
        paras.append(od.RichRuns(f"{i}．{point_label(op)}：{what}（来源：{srcs}）。"))
    steps = _section_paragraphs(cur, _PLAN_SECTION, _PLAN_WORDS, _NOT_PLAN, 6)
    if paras:
        paras.insert(0, od.RichRuns("材料中提出的量化目标如下："))
    if steps:
        paras.append(od.RichRuns("材料中提出的下一步工作安排："))
        for i, (text, ev) in enumerate(steps, 1):
            paras.append(od.RichRuns(f"{i}．“{quote(text, 200)}”（来源：{source_of(ev)}）"))
    if not paras:
        r = od.RichRuns().mark(PLACEHOLDER)
        r.add("（材料中未见下一年度目标。建议对照附表中“待补充”和未达标的观测点确定下一年度重点任务。）")
        paras.append(r)
    else:
        paras.append(od.RichRuns("以上目标和安排摘自材料，请秘书处结合年度工作要点补充完善")
                     .mark(PLACEHOLDER).add("。"))
    return paras


# =========================================================================== 附表

def table_rows(catalogue: Catalogue, cur: YearData, prev: Optional[YearData],
               changes: dict[str, PointChange]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    current_l2 = None
    for op in catalogue.points:
        if op.level2_code != current_l2:
            current_l2 = op.level2_code
            label = f"{op.level2_name}" + (f"（{op.group}）" if op.group else f"（{op.level1}）" if op.level1 else "")
            rows.append({"group": True, "code": od.RichRuns(op.level2_code, bold=True),
                         "name": od.RichRuns(label, bold=True)})
        pt = cur.point(op.code) or {}
        ch = changes.get(op.code)
        if stated(pt):
            current = od.RichRuns(quote(value_text(pt, op), 18))
            if pt.get("status") == "conflict":
                current.add("（不一致）", highlight="yellow")
            source = od.RichRuns(_short_source(pt))
        else:
            current = od.RichRuns().mark(TO_FILL)
            note = "仅见规划目标" if pt.get("status") == "partial" else ""
            source = od.RichRuns(note)
        if prev is None:
            previous = od.RichRuns(NO_PREVIOUS)
        else:
            ppt = prev.point(op.code) or {}
            previous = od.RichRuns(quote(value_text(ppt, op), 18) if stated(ppt) else NO_PREVIOUS)
        delta = od.RichRuns(ch.delta_text if ch else NO_PREVIOUS)
        percent = od.RichRuns(ch.percent_text if ch else NO_PREVIOUS)
        if ch and ch.delta_text == TO_FILL:
            delta = od.RichRuns().mark(TO_FILL)
        rows.append({"group": False, "code": od.RichRuns(op.code), "name": od.RichRuns(op.name),
                     "unit": od.RichRuns(_unit_label(op)), "current": current, "previous": previous,
                     "delta": delta, "percent": percent, "source": source})
    return rows


def _short_source(pt: dict) -> str:
    """「自评表.xlsx 第4行」 rather than 「自评表.xlsx 工作表“自评表”第4行」 (table cells are narrow)."""
    evs = pt.get("evidence") or []
    if not evs:
        return ""
    ev = dict(evs[0])
    ev["locator"] = re.sub(r"工作表“[^”]*”\s*", "", str(ev.get("locator") or ""))
    more = len({e.get("file") for e in evs}) - 1
    return source_of(ev) + (f" 等{more + 1}份材料" if more > 0 else "")


def _unit_label(op: ObservationPoint) -> str:
    from .datasheet import unit_label

    return unit_label(op)


# =========================================================================== charts

@dataclass
class KeyItem:
    label: str
    unit: str
    current: Optional[float]
    previous: Optional[float]
    note: str = "无上年数据"          # shown instead of last year's bar when there is none


def key_items(catalogue: Catalogue, cur: YearData, prev: Optional[YearData]) -> list[KeyItem]:
    ops = {p.code: p for p in catalogue.points}
    order = [c for c in KEY_POINTS if c in ops] + [p.code for p in catalogue.points if p.code not in KEY_POINTS]
    out: list[KeyItem] = []
    for code in order:
        op = ops[code]
        if not op.is_numeric:
            continue
        pt = cur.point(code) or {}
        ppt = prev.point(code) if prev else None
        cv = pt.get("value") if stated(pt) and is_number(pt.get("value")) else None
        pv = ppt.get("value") if stated(ppt) and is_number(ppt.get("value")) else None
        note = "无上年数据"
        if pv is not None and (ppt.get("unit") or op.unit) != (pt.get("unit") or op.unit):
            pv, note = None, "单位不同"
        if cv is None:
            continue
        out.append(KeyItem(point_label(op), pt.get("unit") or op.unit or "", float(cv),
                           float(pv) if pv is not None else None, note))
        if len(out) >= KEY_MAX:
            break
    return out


def _short(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _wrap(s: str, n: int) -> str:
    """Break a CJK label every ``n`` characters (matplotlib does not wrap CJK text)."""
    return "\n".join(s[i:i + n] for i in range(0, len(s), n))


def key_chart(items: Sequence[KeyItem], path: Path, year: Optional[int], prev_year: Optional[int]) -> Optional[Path]:
    """Small multiples: per indicator, last year's and this year's bar on its own scale."""
    if not items:
        return None
    from .charts import setup_cjk_font

    setup_cjk_font()
    import matplotlib.pyplot as plt

    cols = 4 if len(items) > 6 else 3 if len(items) > 4 else len(items)
    rows = (len(items) + cols - 1) // cols
    row_in = 1.45
    fig, axes = plt.subplots(rows, cols, figsize=(6.2, row_in * rows + 0.3), dpi=CHART_DPI, squeeze=False)
    cy = f"{year}年" if year else "本年度"
    py = f"{prev_year}年" if prev_year else "上年度"
    for ax, it in zip(axes.flat, items):
        vals = [it.previous if it.previous is not None else 0.0, it.current]
        colors = ["#A5B4CB", "#2F5597"]
        bars = ax.bar([0, 1], vals, color=colors, width=0.62)
        if it.previous is None:
            bars[0].set_alpha(0)
            ax.text(0, 0, it.note, ha="center", va="bottom", fontsize=6.5, color="#777777")
        top = max(v for v in vals if v is not None) or 1.0
        for x, v, known in ((0, it.previous, it.previous is not None), (1, it.current, True)):
            if known:
                ax.text(x, v + top * 0.03, format_number(v), ha="center", va="bottom", fontsize=7)
        ax.set_ylim(0, top * 1.28)
        ax.set_xticks([0, 1])
        ax.set_xticklabels([py, cy], fontsize=7)
        ax.set_yticks([])
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.set_title(_wrap(f"{_short(it.label, 16)}（{it.unit}）", 9), fontsize=7, linespacing=1.1)
    for ax in list(axes.flat)[len(items):]:
        ax.axis("off")
    # a fixed layout: tight_layout over a dozen small axes costs seconds and gains nothing here
    height = row_in * rows + 0.3
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.3 / height, top=1 - 0.36 / height, wspace=0.18,
                        hspace=0.95)
    return _save(fig, path, tight=False)


def trend_chart(changes: dict[str, PointChange], catalogue: Catalogue, path: Path) -> tuple[Optional[Path], list[str]]:
    """Growth % per numeric point with both years (last year 0 excluded: no percentage)."""
    ops = {p.code: p for p in catalogue.points}
    items = []
    zero_base = []
    for code, ch in changes.items():
        c = ch.main
        if not c.numeric or code not in ops:
            continue
        if c.percent is None:
            zero_base.append(point_label(ops[code]))
            continue
        items.append((f"{code} {_short(point_label(ops[code]), 14)}", float(c.percent)))
    if not items:
        return None, zero_base
    from .charts import setup_cjk_font

    setup_cjk_font()
    import matplotlib.pyplot as plt

    items.sort(key=lambda t: t[1])
    if len(items) > TREND_MAX:            # the largest falls and rises
        items = items[: TREND_MAX // 2] + items[-(TREND_MAX - TREND_MAX // 2):]
    cap = 200.0
    fig = plt.figure(figsize=(6.2, 0.6 + 0.28 * len(items)), dpi=CHART_DPI)
    ax = fig.add_subplot(111)
    ys = list(range(len(items)))
    vals = [max(-cap, min(cap, v)) for _, v in items]
    ax.barh(ys, vals, color=["#3A9E5C" if v >= 0 else "#C9474A" for v in vals], height=0.6)
    for y, (_, v), shown in zip(ys, items, vals):
        label = ("+" if v > 0 else "") + f"{v:.1f}%"
        ax.text(shown + (3 if shown >= 0 else -3), y, label, va="center", ha="left" if shown >= 0 else "right",
                fontsize=7)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_yticks(ys)
    ax.set_yticklabels([l for l, _ in items], fontsize=7.5)
    lo = min(vals + [0])
    hi = max(vals + [0])
    pad = max(15.0, (hi - lo) * 0.18)
    ax.set_xlim(lo - pad if lo < 0 else -5, hi + pad)
    ax.set_xlabel("较上年增幅（%，超过±200%按200%显示）", fontsize=7.5)
    ax.tick_params(axis="x", labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return _save(fig, path), zero_base


def coverage_chart(assessment, path: Path) -> Optional[Path]:
    from .charts import STATUS_ORDER, CoverageRow
    from .charts import coverage_chart as _coverage

    rows = [CoverageRow(f"{l2.code}.{l2.name}", {s: l2.coverage.count(s) for s in STATUS_ORDER}, l2.coverage.percent)
            for l2 in assessment.level2]
    return _coverage(rows, path)


def _save(fig, path: Path, tight: bool = True) -> Path:
    import matplotlib.pyplot as plt

    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=CHART_DPI, bbox_inches="tight" if tight else None,
                        pad_inches=0.06, facecolor="white")
    finally:
        plt.close(fig)
    return Path(path)


# =========================================================================== context + render

def report_names(cur: YearData, folder_name: str = "") -> dict[str, Optional[str]]:
    """Identity for the cover: the data sheet's 基本信息 first, then the documents."""
    info = (cur.evidence.get("datasheet") or {}).get("info") or {}
    cons = cur.evidence.get("consortium") or {}
    name = info.get("联合体名称") or cons.get("name") or folder_name or "产教联合体"
    return {"name": od.sanitize_text(name).strip(), "lead_school": cons.get("lead_school"),
            "lead_enterprise": cons.get("lead_enterprise"), "park": cons.get("park")}


def chinese_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def changes_for(catalogue: Catalogue, cur: YearData, prev: Optional[YearData]) -> dict[str, PointChange]:
    out = {}
    for op in catalogue.points:
        ppt = prev.point(op.code) if prev else None
        out[op.code] = compare_point(op.code, cur.point(op.code), ppt, has_previous=prev is not None)
    return out


def build_context(catalogue: Catalogue, cur: YearData, prev: Optional[YearData], *, year: int,
                  out_dir: Path, date: Optional[dt.date] = None, folder_name: str = "",
                  template=None) -> dict[str, Any]:
    """Everything the template needs (see templates/README-annual.md)."""
    from .assess import assess

    names = report_names(cur, folder_name)
    changes = changes_for(catalogue, cur, prev)
    assessment = assess(cur.evidence, catalogue)
    name = names["name"]
    compiler = f"{name}秘书处"
    date = date or dt.date.today()

    docs = [d for d in cur.evidence.get("documents") or []]
    ok_docs = [d for d in docs if d.get("status") in ("ok", "ocr")]
    bad_docs = [d for d in docs if d.get("status") not in ("ok", "ocr")]
    intro = [od.RichRuns(
        f"本报告对照《{catalogue.title}》（{catalogue.source}）的{len(catalogue.points)}个观测点，"
        f"由{compiler}根据{year}年度" + ("数据采集表和" if cur.sheets else "")
        + f"{len(ok_docs)}份年度材料汇总编制。文中数据均注明来源（文件及页码、段落或行号）；"
        + ("数据采集表与其他材料不一致的，以数据采集表为准并在第三部分列出；" if cur.sheets else "")
        + "尚未采集到的数据标注“待补充”。")]
    listing = "、".join(f"{d['file']}" + (f"（{d['pages']}页）" if d.get("pages") else "") for d in ok_docs[:20])
    if listing:
        r = od.RichRuns(f"本年度材料：{listing}" + ("等" if len(ok_docs) > 20 else "") + "。")
        if bad_docs:
            r.add("未能读取：" + "；".join(f"{d['file']}（{d.get('error') or '读取失败'}）" for d in bad_docs[:5]) + "。")
        intro.append(r)
    if prev is not None:
        py = f"{prev.year}年度" if prev.year else "上年度"
        intro.append(od.RichRuns(f"上年数据取自{prev.origin}（{py}），用于同比分析。"))

    basic, used = basic_section(catalogue, cur, changes, names)
    groups = group_sections(catalogue, cur, changes, used)
    overview = overview_paragraphs(catalogue, cur, changes, prev is not None)
    problems, measures = problems_and_measures(catalogue, cur, changes, assessment)
    plan = plan_section(catalogue, cur, year)

    out_dir = Path(out_dir)
    prev_year = prev.year if prev and prev.year else None      # unknown: the chart says 「上年度」
    charts: dict[str, Optional[Path]] = {}
    try:
        charts["key"] = key_chart(key_items(catalogue, cur, prev), out_dir / CHART_FILES["key"], year, prev_year)
        charts["trend"], zero_base = (trend_chart(changes, catalogue, out_dir / CHART_FILES["trend"])
                                      if prev is not None else (None, []))
        charts["coverage"] = coverage_chart(assessment, out_dir / CHART_FILES["coverage"])
    except Exception as exc:       # charts are an aid: a font or plotting failure must not lose the report
        log.exception("annual charts failed")
        charts = {}
        zero_base = []
        overview.append(od.RichRuns(f"（图表未能生成：{type(exc).__name__}：{quote(exc, 80)}）"))
    for key, p in charts.items():
        if p is None and (out_dir / CHART_FILES[key]).exists():
            (out_dir / CHART_FILES[key]).unlink()

    def image(key: str, width_mm: float):
        p = charts.get(key)
        if not p or template is None:
            return ""
        from docx.shared import Mm
        from docxtpl import InlineImage

        return InlineImage(template, str(p), width=Mm(width_mm))

    key_caption = "图1　主要指标本年度与上年度对比" + ("" if prev is not None else "（无上年数据，仅列本年度）")
    trend_caption = "图2　主要数值指标较上年增幅"
    if zero_base:
        trend_caption += f"（上年为0、不计算增幅的：{'、'.join(zero_base[:4])}{'等' if len(zero_base) > 4 else ''}）"
    n = 3 if charts.get("trend") else 2
    table_note = [od.RichRuns(
        f"说明：本年度数值优先取自数据采集表，其余取自年度材料；“待补充”为尚未采集到的数据；"
        f"“无上年数据”表示上年没有可比数据；增减和增幅按本年度减上年度计算，上年为0时增幅记为“—”，"
        f"单位不同的不作比较。")]
    return {
        "name": od.RichRuns(name),
        # a long name goes on its own line so 「2025年度报告」 is not split
        "title": od.RichRuns(f"{name}{chr(10) if len(name) > 15 else ''}{year}年度报告"),
        "year": str(year),
        "lead_school": od.RichRuns(names["lead_school"]) if names["lead_school"] else od.RichRuns().mark(PLACEHOLDER),
        "lead_enterprise": (od.RichRuns(names["lead_enterprise"]) if names["lead_enterprise"]
                            else od.RichRuns().mark(PLACEHOLDER)),
        "compiler": od.RichRuns(compiler),
        "date": chinese_date(date),
        "intro": intro,
        "basic": basic,
        "overview": overview,
        **groups,
        "problems": problems,
        "measures": measures,
        "plan": plan,
        "chart_key": image("key", 150),
        "caption_key": od.RichRuns(key_caption),
        "chart_trend": image("trend", 150),
        "caption_trend": od.RichRuns(trend_caption),
        "chart_coverage": image("coverage", 150),
        "caption_coverage": od.RichRuns(f"图{n}　各二级指标数据覆盖情况"),
        "table_note": table_note,
        "rows": table_rows(catalogue, cur, prev, changes),
    }


def template_path(path: Optional[Path] = None) -> Path:
    from consortium_review import TEMPLATES_DIR

    p = Path(path) if path else TEMPLATES_DIR / TEMPLATE_NAME
    if not p.is_file():
        raise AnnualError(f"找不到年度报告模板：{p}（可运行 python templates/build_annual_template.py 生成）")
    return p


def report_filename(name: str, year: int) -> str:
    return f"{od.safe_filename(name)}{year}年度报告.docx"


def render_annual(catalogue: Catalogue, cur: YearData, prev: Optional[YearData], out_dir: Path, *,
                  year: Optional[int] = None, date: Optional[dt.date] = None, folder_name: str = "",
                  template: Optional[Path] = None, output: Optional[Path] = None) -> Path:
    """Write the annual report .docx (atomically) and return its path."""
    from docxtpl import DocxTemplate

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    year = int(year or cur.year or dt.date.today().year)
    tpl = DocxTemplate(str(template_path(template)))
    ctx = build_context(catalogue, cur, prev, year=year, out_dir=out_dir, date=date, folder_name=folder_name,
                        template=tpl)
    tpl.render(ctx, autoescape=True)
    target = Path(output) if output else out_dir / report_filename(report_names(cur, folder_name)["name"], year)
    with atomic_path(target) as tmp:
        tpl.save(str(tmp))
    return target


def annual_report(folder: Path, out_dir: Path, catalogue: Catalogue, *, year: Optional[int] = None,
                  previous: Optional[Path] = None, date: Optional[dt.date] = None,
                  template: Optional[Path] = None, output: Optional[Path] = None,
                  review_dir: Optional[Path] = None) -> dict[str, Any]:
    """The whole annual run for one consortium folder; returns a summary dict.

    ``review_dir``: the review's output folder of this consortium; the expert's decisions in
    its evidence.json are carried over into the annual data.
    """
    folder, out_dir = Path(folder), Path(out_dir)
    cur = collect_year(folder, catalogue, out_dir, year=year)
    carried = _carry_from_review(out_dir, Path(review_dir)) if review_dir is not None else 0
    if carried:
        cur.evidence = load_evidence_file(out_dir / ANNUAL_JSON)
    prev = load_previous(previous, catalogue) if previous else None
    path = render_annual(catalogue, cur, prev, out_dir, year=cur.year, date=date, folder_name=folder.name,
                         template=template, output=output)
    pts = cur.evidence.get("points") or []
    return {
        "report": path,
        "year": cur.year,
        "year_source": (cur.evidence.get("annual") or {}).get("source"),
        "expert_carried": carried,
        "datasheets": [s.file for s in cur.sheets],
        "from_datasheet": sum(1 for p in pts if p.get("source") == "datasheet"),
        "stated": sum(1 for p in pts if stated(p)),
        "missing": sum(1 for p in pts if not stated(p)),
        "conflicts": sum(1 for p in pts if p.get("status") == "conflict"),
        "sheet_errors": [e for s in cur.sheets for e in s.errors],
        "previous": prev.origin if prev else None,
        "documents_failed": [d for d in cur.evidence.get("documents") or [] if d.get("status") not in ("ok", "ocr")],
    }


# =========================================================================== CLI

def cmd_datasheet(args: argparse.Namespace) -> int:
    from consortium_review.catalogue import load_catalogue

    from .datasheet import write_datasheet

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


def carry_expert_decisions(evidence: dict, review: dict) -> int:
    """Copy the expert's decisions (``expert`` of points and negative-list items) from the
    review's evidence.json into ``evidence``; returns how many were carried over."""
    n = 0
    for key in ("points", "negative_list"):
        decided = {x.get("code"): x["expert"] for x in review.get(key) or [] if x.get("expert")}
        for x in evidence.get(key) or []:
            if x.get("code") in decided and not x.get("expert"):
                x["expert"] = decided[x.get("code")]
                n += 1
    return n


def _carry_from_review(out_dir: Path, review_dir: Path) -> int:
    """Expert decisions of ``review_dir/evidence.json`` into the annual run's JSON files."""
    try:
        review = json.loads((review_dir / "evidence.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    n = 0
    for name in ("evidence.json", ANNUAL_JSON):
        try:
            data = json.loads((out_dir / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        got = carry_expert_decisions(data, review)
        if got:
            write_json_atomic(out_dir / name, data)
            n = max(n, got)
    return n


def cmd_annual(args: argparse.Namespace) -> int:
    from consortium_review.catalogue import load_catalogue
    from consortium_review.fileio import mark_generated, mark_output_dir

    folder = material_folder(args.folder)
    if folder is None:
        return 2
    out = Path(args.output)
    if out.suffix.lower() in (".docx", ".doc", ".wps") or out.is_file():
        print(f"错误：-o 应为输出文件夹，不是文件（{out}）。年度报告写入 输出文件夹/{folder.resolve().name}/{ANNUAL_DIR}/。",
              file=sys.stderr)
        return 2
    catalogue = load_catalogue(args.standard)
    review_dir = out / folder.resolve().name
    out_dir = review_dir / ANNUAL_DIR          # the review's evidence.json and workbook stay untouched
    mark_output_dir(out)
    try:
        s = annual_report(folder, out_dir, catalogue, year=args.year, previous=args.previous,
                          template=args.template, review_dir=review_dir)
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
    else:
        print("  未发现数据采集表（可用 consortium-review datasheet 生成空表，填好后放入材料文件夹）")
    for e in s["sheet_errors"][:10]:
        print(f"  ！{e}")
    print(f"  上年数据：{s['previous'] or '未提供（报告中标注“无上年数据”）'}")
    for d in s["documents_failed"]:
        print(f"  × {d.get('file')}：{d.get('error')}")
    return 0


def add_commands(subparsers) -> None:
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
