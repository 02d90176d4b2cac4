"""Prose of the annual report: wording helpers, sentences, report sections, the 附表 rows.

Part of the annual report's render stage (the run: ``consortium_review.annual``). It writes from
``YearData`` alone: the sentences and table figures it quotes were taken from the documents by
the annual run, so nothing here reads or parses the materials.
"""

from __future__ import annotations

import re
from typing import Any, Optional, Sequence

from consortium_review.catalogue import Catalogue, ObservationPoint

from . import officedoc as od
from .yoy import NO_PREVIOUS, TO_FILL, PointChange, format_number, format_plain, is_number
from .annual_data import (BASIC_TOPICS, CODE_SEP, GROUP_VARS, PLACEHOLDER, QUOTE_MAX, TO_FILL_MARK, YearData,
                          own_documents, _MEMBERS, _NOT_PLAN, _PLAN_SECTION, _PLAN_WORDS, _PROBLEM_SECTION, _PROBLEM_WORDS)
from .assess import format_value
from .assess import source_of as _src
from .datasheet import unit_label


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

    return _src(ev)


def value_text(pt: dict, op: Optional[ObservationPoint] = None) -> str:
    """A stated value as written in the report ('320万元', '是', '86人次、3600课时')."""

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
    out: list[tuple[str, dict]] = []
    seen = set()
    for sent, where in cur.sentences:
        if not pattern.search(sent) or (need is not None and not need.search(sent)):
            continue
        key = sent.strip()
        if key in seen:
            continue
        seen.add(key)
        out.append((key, dict(where)))
        if len(out) >= limit:
            return out
    return out


def _section_paragraphs(cur: YearData, section: re.Pattern, words: re.Pattern, exclude: Optional[re.Pattern],
                        limit: int) -> list[tuple[str, dict]]:
    """Body paragraphs under a heading matching ``section`` that contain ``words``."""
    out: list[tuple[str, dict]] = []
    for d in own_documents(cur.documents, cur.sheets):
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

    b = _block_at(cur, ev.get("file"), ev.get("locator")) if cur.documents else None
    v = ev.get("value")
    if b is not None and b.kind == "table_row" and b.header and is_number(v):
        for head_year, figures in cur.year_columns.get((ev.get("file"), b.locator)) or []:
            if any(x == float(v) for x in figures):
                return head_year
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
            if stated(ppt) and ppt.get("previous_source"):
                source.add(("；" if source else "") + "上年：" + str(ppt["previous_source"]))
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

    return unit_label(op)


