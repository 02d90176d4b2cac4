"""The draft review opinion (评审意见) — 「<联合体名称>-评审意见.docx」 from the docxtpl template.

``render(evidence, catalogue, out_dir)`` assesses the evidence (``consortium_review.generator.assess``, the
expert's workbook edits included), builds the template context and renders
``templates/评审意见模板.docx``.  This module only turns findings into Chinese sentences and
context values; the layout lives in the template (editable in Word/WPS) and ``officedoc``.

Rules kept here:
* every figure in the text comes from the evidence dict or from the expert's entry (marked
  「专家确认」) — counts and coverage percentages are computed from the statuses;
* untrusted text (snippets, file names, values) reaches the template only as escaped context
  values (``RichRuns`` / ``xml_text``) and rendering uses ``autoescape=True``;
* missing evidence is marked inline with a highlighted 「【未见佐证材料】」 and listed in 附件1.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from consortium_review import TEMPLATES_DIR          # the project's templates/ folder
from consortium_review.fileio import atomic_path

from . import officedoc as od
from .assess import (Assessment, PointFinding, STATUS_LABELS, _num, assess, format_value, qz, source_of,
                     yesno_statement)

log = logging.getLogger(__name__)

OPINION_TEMPLATE = TEMPLATES_DIR / "评审意见模板.docx"
FILE_SUFFIX = "评审意见"
MISSING = od.MISSING_MARK                       # 【未见佐证材料】
PARTIAL_MARK = "【佐证不完整】"
CONFLICT_MARK = "【数据冲突，待核实】"
EXPERT_MARK = "（专家确认）"
UNKNOWN_MARK = "【材料中未识别】"
HL = "yellow"
SNIPPET_CHARS = 160                              # appendix excerpt length (the workbook has all)
ORDINALS = "一二三四五六七八九十"
FIG_WIDTHS_MM = {"status": 150, "coverage": 150, "thresholds": 150}
FIG_CAPTIONS = {"status": "佐证状态分布", "coverage": "各二级指标佐证覆盖情况", "thresholds": "门槛指标对照"}


class TemplateMissingError(FileNotFoundError):
    pass


def opinion_path(evidence: dict, out_dir: Path) -> Path:
    """「<联合体名称>-评审意见.docx」 (folder name when the name is unknown), Windows-safe."""
    cons = evidence.get("consortium") or {}
    stem = od.safe_filename(cons.get("name") or evidence.get("folder") or "", fallback="联合体")
    return Path(out_dir) / f"{stem}-{FILE_SUFFIX}.docx"


# --------------------------------------------------------------------------- sentences

def R(text: object = None, **kw) -> od.RichRuns:
    return od.RichRuns(text, **kw)


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) < 1e-9
    return a is not None and str(a).strip() == str(b).strip()


def _src(p: PointFinding) -> str:
    """「（来源：…）」 for a point's best evidence; an expert's value cites the evidence that
    states that same value, else only 「（专家确认）」."""
    if p.expert_value:
        same = [e for e in p.evidence if _same_value(e.get("value"), p.value)]
        return f"（来源：{source_of(same[0])}；专家确认）" if same else "（专家确认）"
    if p.evidence:
        return f"（来源：{source_of(p.evidence[0])}）"
    return ""


def _threshold_clause(p: PointFinding) -> str:
    if not p.has_threshold:
        return ""
    if p.threshold_met is True:
        return f"，达到{qz(p.threshold_rule)}的要求"
    if p.threshold_met is False:
        return f"，未达到{qz(p.threshold_rule)}的要求"
    return f"，是否达到{qz(p.threshold_rule)}尚无法判定"


def _excerpt(text: object, n: int = 60) -> str:
    s = od.sanitize_text(text).replace("\n", " ").strip()
    return s if len(s) <= n else s[: n - 1] + "…"


def describe_found(p: PointFinding) -> od.RichRuns:
    """One sentence for a point with evidence (found, or confirmed by the expert)."""
    subject = p.subject
    r = R(f"{p.code} ")
    if p.type == "yesno" and isinstance(p.value, bool):
        r.add(yesno_statement(subject, p.value))
    elif p.type == "category" and p.value not in (None, ""):
        head = subject.split("：")[0].split(":")[0]
        r.add(f"{head}为{format_value(p.value)}")
    elif p.value_text:
        if p.type == "text" or isinstance(p.value, str):
            r.add(f"{subject}：“{_excerpt(p.value_text, 80)}”")
        else:
            r.add(f"{subject}为{p.value_text}")
    elif p.evidence:
        r.add(f"{subject}：材料载有“{_excerpt(p.evidence[0].get('snippet'))}”")
    elif p.expert_status:
        r.add(f"{subject}：经评审专家核实有相应佐证")
    else:
        r.add(subject)
    r.add(_src(p))
    r.add(_threshold_clause(p))
    if p.expert_status and not p.expert_value:
        r.add(EXPERT_MARK)
    if p.expert_comment:
        r.add(f"，专家意见：{p.expert_comment}")
    return r


def describe_partial(p: PointFinding) -> od.RichRuns:
    r = R(f"{p.code} {p.subject}")
    if p.evidence:
        r.add(f"仅见相关表述“{_excerpt(p.evidence[0].get('snippet'))}”{_src(p)}")
    if p.note:
        r.add(f"（{od.sanitize_text(p.note)}）")
    r.mark(PARTIAL_MARK)
    if p.expert_status:
        r.add(EXPERT_MARK)
    if p.expert_comment:
        r.add(f"，专家意见：{p.expert_comment}")
    return r


def conflict_sources(p: PointFinding, sep: str = "与") -> str:
    parts = []
    for e in p.evidence:
        v = format_value(e.get("value"), e.get("unit") or p.unit, e.get("quantities"))
        parts.append(f"{v or '（未给出数值）'}（{source_of(e)}）")
    return sep.join(parts)


def describe_conflict(p: PointFinding) -> od.RichRuns:
    r = R(f"{p.code} {p.subject}各材料表述不一致：{conflict_sources(p)}")
    r.mark(CONFLICT_MARK)
    if p.expert_status:
        r.add(EXPERT_MARK)
    if p.expert_comment:
        r.add(f"，专家意见：{p.expert_comment}")
    return r


def describe_missing(p: PointFinding) -> od.RichRuns:
    r = R(f"{p.code} {p.subject}")
    r.mark(MISSING)
    if p.expert_status:
        r.add(EXPERT_MARK)
    if p.expert_comment:
        r.add(f"（专家意见：{p.expert_comment}）")
    return r


def _join(pieces: list[od.RichRuns], sep: str = "；", end: str = "。") -> od.RichRuns:
    out = R()
    for i, piece in enumerate(pieces):
        if i:
            out.add(sep)
        out.add(piece)
    if pieces:
        out.add(end)
    return out


def level2_paragraphs(l2) -> list[od.RichRuns]:
    """Paragraphs on one 二级指标: what the documents show; what is partial or conflicting; what
    is missing (each missing point with a highlighted 「【未见佐证材料】」)."""
    found = [p for p in l2.points if p.status == "found"]
    partial = [p for p in l2.points if p.status == "partial"]
    conflict = [p for p in l2.points if p.status == "conflict"]
    missing = [p for p in l2.points if p.status == "missing"]
    first = R(f"{l2.code}．{l2.name}。", bold=True)
    first.add(f"{l2.coverage.brief}。")
    if found:
        first.add("材料显示：")
        first.add(_join([describe_found(p) for p in found]))
    out = [first]
    if partial or conflict:
        r = R()
        if partial:
            r.add("佐证不完整的：")
            r.add(_join([describe_partial(p) for p in partial]))
        if conflict:
            r.add("数据冲突的：")
            r.add(_join([describe_conflict(p) for p in conflict]))
        out.append(r)
    if missing:
        r = R("未见佐证材料的：")
        r.add(_join([describe_missing(p) for p in missing]))
        out.append(r)
    return out


def group_paragraphs(g) -> list[od.RichRuns]:
    cov = g.coverage
    intro = R(f"本部分{cov.brief}，佐证覆盖率{_num(cov.percent)}%。")
    met = [p for p in g.points if p.has_threshold]
    if met:
        ok = sum(1 for p in met if p.threshold_met is True)
        bad = sum(1 for p in met if p.threshold_met is False)
        unknown = len(met) - ok - bad
        intro.add(f"涉及门槛要求的观测点{len(met)}个，达标{ok}个、未达标{bad}个、无法判定{unknown}个。")
    return [intro] + [p for l2 in g.level2 for p in level2_paragraphs(l2)]


def basic_paragraphs(a: Assessment, standard_title: str) -> list[od.RichRuns]:
    """一、基本情况: who, what was read, what was found (one paragraph)."""
    c = a.consortium
    first = R()
    if a.name_known:
        first.add(a.name)
    else:
        first.add(f"该联合体（材料中未识别出联合体名称，以文件夹名称“{a.name}”代称")
        first.mark(UNKNOWN_MARK)
        first.add("）")
    bits = []
    if c.get("park"):
        bits.append(f"依托{c['park']}")
    if c.get("lead_school"):
        bits.append(f"牵头学校为{c['lead_school']}")
    if c.get("lead_enterprise"):
        bits.append(f"牵头企业为{c['lead_enterprise']}")
    first.add("，".join([""] + bits) + "。" if bits else "。")
    docs = a.own_documents
    first.add(f"本次审阅{a.year}年度申报材料{len(docs)}份" if a.year else f"本次审阅申报材料{len(docs)}份")
    if a.pages_total:
        first.add(f"（可计页材料{a.pages_total}页）")
    refs = a.reference_documents
    if refs:
        first.add(f"，另有{len(refs)}份参考材料（" + "、".join(str(d.get("file")) for d in refs[:3])
                  + ("等" if len(refs) > 3 else "") + "）未计入申报材料、不作为佐证")
    ocr = [d for d in docs if d.get("status") == "ocr"]
    if ocr:
        first.add(f"，其中{len(ocr)}份为扫描件，经文字识别读取")
    failed = a.failed_documents
    if failed:
        first.add(f"；{len(failed)}份无法读取，其内容未纳入评审")
        first.mark("【请补交可读文件】")
    cov = a.coverage
    first.add(f"。对照《{standard_title}》{cov.total}个观测点逐项查找佐证，材料中有明确佐证的{cov.found}个、"
              f"佐证不完整的{cov.partial}个、不同材料数据不一致的{cov.conflict}个、未见佐证的{cov.missing}个"
              f"（材料清单和逐项情况见附件）。")
    return [first]


def _best_and_weakest(a: Assessment) -> tuple[Optional[Any], Optional[Any]]:
    parts = [g for g in a.groups if g.name != "基础性指标" and g.coverage.total]
    if len(parts) < 2:
        return None, None
    ranked = sorted(parts, key=lambda g: g.coverage.percent)
    return ranked[-1], ranked[0]


def overall_paragraphs(a: Assessment) -> list[od.RichRuns]:
    """二、总体评价: an actual judgement, in the words an expert would use."""
    r = R()
    basic = a.basic_thresholds
    unmet = [p for p in basic if p.threshold_met is False]
    basic_adm = [x for x in a.admissions if x.group == "基础性指标"]
    if basic and not unmet:
        r.add(f"该联合体基础条件较好，基础性指标中设有门槛要求的{len(basic)}项")
        undecided = [p for p in basic if p.threshold_met is None]
        r.add("均达到建设标准要求" if not undecided else
              f"中{len(basic) - len(undecided)}项达到要求、{len(undecided)}项材料未给出可核实的数据")
    elif unmet:
        r.add("该联合体基础条件尚有短板，" + "、".join(f"{p.code} {p.subject}" for p in unmet)
              + "未达到基础性指标门槛要求")
    else:
        r.add("该联合体基础条件基本具备")
    if basic_adm:
        r.add("，但" + "、".join(x.statement for x in basic_adm[:2]) + ("等" if len(basic_adm) > 2 else "")
              + "，政府统筹有待加强")
    r.add("。")
    best, weakest = _best_and_weakest(a)
    if best is not None and weakest is not None and best is not weakest:
        r.add(f"从“四个合作”看，{best.title}推进相对扎实，{weakest.title}的佐证和成效较少。")
    others = [x for x in a.admissions if x.group != "基础性指标"]
    if others:
        r.add(f"材料自述尚有{len(others)}项制度或政策未落实（如" + "、".join(x.statement for x in others[:2])
              + "），是当前的主要薄弱环节。")
    behind = [pr for pr in a.progress if pr.behind and (pr.target.year is None or a.year is None
                                                         or pr.target.year <= a.year)]
    if behind:
        r.add(f"对照规划目标，有{len(behind)}项任务进度滞后。")
    if a.real_conflicts:
        r.add(f"另有{len(a.real_conflicts)}项数据在不同材料中不一致，需核实后采信。")
    out = [r]
    j = R()
    flagged = a.flagged
    label = a.conclusion.label
    if flagged:
        who = "经评审专家核实，" if all(n.confirmed for n in flagged) else "材料显示"
        state = "确认触发" if all(n.confirmed for n in flagged) else "疑似触发"
        j.add(f"{who}负面清单" + "、".join(f"{n.code} {n.name}" for n in flagged) + f"{state}，"
              f"按建设标准的否定性指标，建议{label}" + ("" if label.startswith(("建议", "不予")) else "")
              + ("。" if all(n.confirmed for n in flagged) else "（待专家核实后确定）。"))
    elif label == a.settings.rectify_label:
        j.add(f"总体看，联合体建设有一定基础，但{'；'.join(a.conclusion.reasons[:2])}"
              f"{'等' if len(a.conclusion.reasons) > 2 else ''}，建议{label}。")
    else:
        j.add(f"总体看，联合体建设已取得阶段性成效，符合建设标准的基本要求，负面清单未发现触发情形，"
              f"建议{label.removeprefix('建议')}；下列问题请在下一年度建设中整改。")
    cov = a.coverage
    if a.settings.coverage_note_bar and cov.total and cov.percent < a.settings.coverage_note_bar:
        j.add(f"（材料中能找到佐证的观测点比例为{_num(cov.percent)}%，材料对建设标准的对应不够完整，"
              f"仅作参考，不作为结论依据。）")
    out.append(j)
    return out


#: the figures that speak for a consortium's achievements, per part (first ones with data win)
KEY_FIGURES = {
    "基础性指标": ["3.2.1", "2.1.2", "2.3.1", "4.2.1", "3.3.1"],
    "合作办学": ["6.1.2", "6.1.6", "7.2.1", "7.1.1", "7.1.2", "7.2.2"],
    "合作育人": ["8.5.1", "8.1.3", "8.2.2", "8.3.1", "9.1.2", "9.1.4", "8.2.1"],
    "合作就业": ["11.1.4", "12.1.1", "12.1.3", "11.2.4", "10.1.2", "11.1.2"],
    "合作发展": ["13.2.3", "14.1.3", "14.2.1", "13.3.1", "14.1.1", "15.1.3"],
}
ACHIEVEMENT_FIGURES = 3


def _brief(p: PointFinding) -> str:
    """「专项经费实际到位资金1850万元（2024年度工作总结.pdf 第3页）」."""
    if p.type == "yesno" and isinstance(p.value, bool):
        text = yesno_statement(p.subject, p.value)
    elif p.type == "category":
        text = f"{p.subject.split('：')[0]}为{format_value(p.value)}"
    else:
        text = f"{p.subject}{p.value_text}"
    src = _src(p).replace("来源：", "")
    return text + src


def achievement_items(a: Assessment, per_part: int = ACHIEVEMENT_FIGURES) -> list[od.RichRuns]:
    """三、主要成效: one item per part with the key figures (with sources), trend and progress."""
    trends = {t.code: t for t in a.trends}
    progress = {pr.code: pr for pr in a.progress}
    items = []
    for g in a.groups:
        keys = KEY_FIGURES.get(g.name, [])
        pts = {p.code: p for p in g.points}
        chosen = [pts[c] for c in keys if c in pts and pts[c].status == "found"
                  and pts[c].value not in (None, "", False) and (pts[c].threshold_met is not False)]
        if len(chosen) < per_part:   # other figures of the part, in catalogue order
            chosen += [p for p in g.points if p not in chosen and p.status == "found" and p.type != "text"
                       and isinstance(p.value, (int, float)) and not isinstance(p.value, bool)
                       and p.threshold_met is not False][: per_part - len(chosen)]
        chosen = chosen[:per_part]
        if not chosen:
            continue
        bits = []
        for p in chosen:
            b = _brief(p)
            t = trends.get(p.code)
            if t is not None and t.previous is not None and t.percent is not None:
                y = f"{t.previous.year}年" if t.previous.year else "上年"
                b += f"，较{y}的{_num(t.previous.value)}{t.unit}{'增长' if t.percent >= 0 else '下降'}{_num(abs(t.percent))}%"
            elif t is not None and t.stated_change:
                b += f"，{t.stated_change}"
            pr = progress.get(p.code)
            if pr is not None and pr.percent is not None:
                b += f"，为规划目标{_num(pr.target.value)}{pr.unit}的{_num(pr.percent)}%"
            bits.append(b)
        title = "基础条件" if g.name == "基础性指标" else g.title
        items.append(R(f"{title}：" + "；".join(bits) + "。"))
    return _numbered_runs(items)


def _numbered_runs(items: list[od.RichRuns]) -> list[od.RichRuns]:
    out = []
    for i, r in enumerate(items, 1):
        head = R(f"{i}．")
        head.add(r)
        out.append(head)
    return out


def negative_paragraphs(a: Assessment) -> list[od.RichRuns]:
    if not a.negatives:
        return [R("本指标体系未设负面清单。")]
    flagged = a.flagged
    out = []
    if not flagged:
        r = R(f"对照负面清单{len(a.negatives)}项（{a.negatives[0].code}—{a.negatives[-1].code}）逐项核查，"
              f"材料中未发现触发情形。")
        cleared = [n for n in a.negatives if n.expert_confirmed]
        if cleared:
            r.add("其中" + "、".join(n.code for n in cleared) + "经评审专家确认未触发。")
        r.add("以上核查以申报材料为限，是否存在材料未反映的情形，请评审专家结合实地核查确认。")
        out.append(r)
        return out
    confirmed = [n for n in flagged if n.confirmed]
    head = f"对照负面清单{len(a.negatives)}项逐项核查，"
    if confirmed:
        head += f"经评审专家核实确认触发{len(confirmed)}项"
        if len(confirmed) < len(flagged):
            head += f"，疑似触发待核实{len(flagged) - len(confirmed)}项"
    else:
        head += f"疑似触发{len(flagged)}项"
    out.append(R(head + "，具体如下："))
    for n in flagged:
        r = R(f"{n.code} {n.name}：", bold=True)
        if n.evidence:
            e = n.evidence[0]
            r.add(f"材料载有“{_excerpt(e.get('snippet'), 100)}”（来源：{source_of(e)}）")
        elif n.expert_confirmed:
            r.add("经评审专家确认触发")
        r.add("。")
        if n.expert_confirmed:
            r.add("经评审专家核实，确认触发。")
        else:
            r.mark("【疑似触发，请专家核实】")
        if n.expert and n.expert.get("comment"):
            r.add(f"专家意见：{od.sanitize_text(n.expert.get('comment'))}")
        out.append(r)
    return out


def _numbered(items, start: int = 1, brief: bool = False) -> list[od.RichRuns]:
    """「1．…」 items (full-width point, as everywhere in the document); these paragraphs are
    left-aligned in the template, so code lists and file names never stretch a line."""
    return [R(f"{i}．{it.brief if brief else it.text}") for i, it in enumerate(items, start)]


#: body budget: 5 pages of 22 lines less the title block and the signature (GB/T 9704 layout)
BODY_LINES = 5 * od.LINES_PER_PAGE - 8
TITLE_BLOCK_LINES = 14


def estimate_lines(paragraphs: list) -> int:
    """Lines a list of body paragraphs takes at 28 characters a line (2 of indent)."""
    import html
    import math

    def plain(p) -> str:
        return html.unescape(re.sub(r"<[^>]+>", "", str(p))) if "<w:" in str(p) else str(p)

    def width(t: str) -> float:       # Latin letters and digits are half as wide as CJK characters
        return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in t)

    # the body's -0.25 pt character spacing fits about one more character a line
    return sum(max(1, math.ceil((width(plain(p)) + 2) / (od.CHARS_PER_LINE + 1))) for p in paragraphs)


def body_parts(a: Assessment, standard_title: str) -> dict[str, list[od.RichRuns]]:
    """The body's sections, compacted (no quotations, fewer figures) when the full text would
    run past 5 pages."""
    def build(per_part: int, brief: bool, verify_max: int, items: int = 6) -> dict[str, list[od.RichRuns]]:
        problems, suggestions = a.problems, a.suggestions
        if len(problems) > items:          # merge the lowest ranks (never drop a problem)
            problems = problems[: items - 1] + [type(problems[0])(problems[-1].kind, "".join(
                x.text for x in problems[items - 1:]), [c for x in problems[items - 1:] for c in x.codes],
                "".join(x.brief for x in problems[items - 1:]))]
            suggestions = suggestions[: items - 1] + [type(suggestions[0])(suggestions[-1].kind, "".join(
                x.text for x in suggestions[items - 1:]), [c for x in suggestions[items - 1:] for c in x.codes],
                "".join(x.brief for x in suggestions[items - 1:]))]
        return {
            "basic": basic_paragraphs(a, standard_title),
            "overall": overall_paragraphs(a),
            "achievements": achievement_items(a, per_part) or [R("材料中未见可量化的建设成效数据。")],
            "problems": _numbered(problems, brief=brief) or [R("未发现需要指出的主要问题。")],
            "suggestions": _numbered(suggestions, brief=brief) or [R("无。")],
            "conclusion_paragraphs": conclusion_paragraphs(a),
            "verify": _numbered(a.verify[:verify_max]) or [R("无。")],
        }

    parts: dict[str, list[od.RichRuns]] = {}
    for per_part, brief, verify_max, items in ((3, False, 8, 6), (3, True, 6, 6), (2, True, 5, 6),
                                               (2, True, 4, 5), (1, True, 3, 5), (1, True, 3, 4)):
        parts = build(per_part, brief, verify_max, items)
        # headings (7), 附件说明 (5), signature (3); numbered items wrap a little earlier
        lines = (TITLE_BLOCK_LINES + len(a.documents) + (1 if a.reference_documents else 0) + 15
                 + sum(estimate_lines(v) for v in parts.values()))
        if lines <= BODY_LINES:
            break
    return parts


def conclusion_paragraphs(a: Assessment) -> list[od.RichRuns]:
    c = a.conclusion
    first = R("建议结论：", bold=True)
    first.add(c.label, bold=True)
    first.add("。")
    if c.reasons:
        first.add("理由：" + "；".join(c.reasons) + "。")
    out = [first]
    out.append(R("结论依据建设标准的否定性指标和基础性指标门槛要求作出，佐证覆盖率仅作参考（规则全文见附件1）。"))
    return out


def annex_note(has_conflicts: bool = True) -> list[od.RichRuns]:
    """GB/T 9704 附件说明: 「附件：1．…」, continuation lines under the first name."""
    names = ["观测点逐项核查情况", "佐证材料缺失清单", "数据冲突清单", "证据明细表"]
    # continuation items start under 「1．」: three full-width spaces stand for 「附件：」
    return [R(("附件：" if i == 1 else "\u3000" * 3) + f"{i}．{n}") for i, n in enumerate(names, 1)]


# --------------------------------------------------------------------------- tables

def threshold_rows(a: Assessment) -> list[dict]:
    rows = []
    for p in a.thresholds:
        value = R()
        if p.status == "missing" and not p.expert_value:
            value.mark(MISSING)
        elif p.status == "conflict" and not p.expert_value:
            value.add(conflict_sources(p, "；"))
        else:
            value.add(p.value_text or "（见材料表述）")
            value.add(_src(p))
        verdict = R()
        if p.threshold_met is True:
            verdict.add("达标")
        elif p.threshold_met is False:
            verdict.add("未达标", highlight=HL, bold=True)
        else:
            verdict.add("无法判定", highlight=HL)
        if p.expert_confirmed:
            verdict.add(EXPERT_MARK)
        rows.append({"code": od.xml_text(p.code), "name": od.xml_text(p.subject),
                     "rule": od.xml_text(p.threshold_rule), "value": value, "verdict": verdict})
    return rows


def _status_rt(p: PointFinding) -> od.RichRuns:
    label = STATUS_LABELS.get(p.status, p.status)
    r = R()
    if p.status in ("missing", "partial", "conflict"):
        r.add(label, highlight=HL)
    else:
        r.add(label)
    if p.expert_status or p.expert_value:
        r.add(EXPERT_MARK)
    return r


def progress_rows(a: Assessment) -> list[dict]:
    """规划目标完成情况: achieved vs target (and budget execution) with both sources."""
    rows = []
    for pr in a.progress:
        target = f"{_num(pr.target.value)}{pr.unit}"
        if pr.target.year:
            target += f"（{pr.target.year}年）"
        if pr.other_targets:
            target += "；其后" + "、".join(f"{_num(v)}{pr.unit}" for v in pr.other_targets)
        rate = f"{_num(pr.percent)}%" if pr.percent is not None else "—"
        if pr.stated_rate is not None and pr.percent is not None and abs(pr.stated_rate - pr.percent) > 0.15:
            rate += f"（材料所述{_num(pr.stated_rate)}%）"
        rows.append({"code": od.xml_text(pr.code), "name": od.xml_text(pr.subject),
                     "achieved": od.xml_text(f"{_num(pr.achieved.value)}{pr.unit}（{pr.achieved.source}）"),
                     "target": od.xml_text(f"{target}（{pr.target.source}）"),
                     "rate": R(rate, highlight=HL if pr.behind else None)})
    return rows


def trend_rows(a: Assessment) -> list[dict]:
    """同比: this year's figure against the earlier year the materials (or --previous) give."""
    rows = []
    for t in a.trends:
        cur_y = f"{a.year}年" if a.year else "本年"
        prev = "—"
        if t.previous is not None:
            y = f"{t.previous.year}年" if t.previous.year else "上年"
            prev = f"{y}{_num(t.previous.value)}{t.unit}（{t.previous.source}）"
        change = t.stated_change or ""
        if t.percent is not None:
            change = (f"{'+' if t.percent >= 0 else ''}{_num(t.percent)}%" + (f"（材料：{t.stated_change}）"
                                                                              if t.stated_change else ""))
        rows.append({"code": od.xml_text(t.code), "name": od.xml_text(t.subject),
                     "current": od.xml_text(f"{cur_y}{_num(t.current.value)}{t.unit}（{t.current.source}）"),
                     "previous": od.xml_text(prev), "change": od.xml_text(change or "—")})
    return rows


def gap_rows(a: Assessment) -> list[dict]:
    rows = []
    for i, p in enumerate(a.gaps, 1):
        hint = p.hint
        if p.status == "partial" and p.note:
            hint = f"{hint}（现有材料：{od.sanitize_text(p.note)}）"
        rows.append({"no": str(i), "code": od.xml_text(p.code), "name": od.xml_text(p.subject),
                     "status": R("未见佐证" if p.status == "missing" else "佐证不完整", highlight=HL),
                     "hint": od.xml_text(hint)})
    return rows


def conflict_rows(a: Assessment) -> list[dict]:
    rows = []
    for p in a.conflicts:
        sources = R()
        for i, e in enumerate(p.evidence):
            if i:
                sources.add("\n")
            v = format_value(e.get("value"), e.get("unit") or p.unit, e.get("quantities"))
            sources.add(f"{'①②③④⑤⑥⑦⑧⑨⑩'[i] if i < 10 else str(i + 1) + '.'}{v or '（未给出数值）'}"
                        f"（{source_of(e)}）：“{_excerpt(e.get('snippet'), 60)}”")
        note = R(od.sanitize_text(p.note) if p.note else "")
        if p.code in a.year_explained:
            note = R("各数值分属不同年度（较早年度为上年基数），不作为数据冲突，见附件1同比情况。")
        if p.expert_confirmed:
            note.add(f"专家判定：{STATUS_LABELS.get(p.status, p.status)}"
                     + (f"，取值{p.value_text}" if p.expert_value else ""))
        rows.append({"code": od.xml_text(p.code), "name": od.xml_text(p.subject), "sources": sources, "note": note})
    return rows


def evidence_rows(a: Assessment) -> list[dict]:
    rows = []
    for p in a.points:
        value = R()
        if p.expert_value:
            value.add(p.value_text)
            value.add(EXPERT_MARK)
        elif p.status == "conflict":
            value.add("；".join(format_value(e.get("value"), e.get("unit") or p.unit, e.get("quantities"))
                                or "—" for e in p.evidence))
        elif p.value_text:
            value.add(p.value_text)
        sources = "\n".join(source_of(e) for e in p.evidence)
        if len(p.evidence) > 1:
            snippet = "\n".join(f"{'①②③④⑤⑥⑦⑧⑨⑩'[i] if i < 10 else str(i + 1) + '.'}"
                                f"{_snip(e.get('snippet'))}" for i, e in enumerate(p.evidence))
        else:
            snippet = _snip(p.evidence[0].get("snippet")) if p.evidence else ""
        if p.expert_comment:
            snippet = (snippet + "\n" if snippet else "") + f"专家意见：{p.expert_comment}"
        rows.append({"code": od.xml_text(p.code), "name": od.xml_text(p.subject), "status": _status_rt(p),
                     "value": value, "source": od.xml_text(sources), "snippet": od.xml_text(snippet)})
    for n in a.negatives:
        rows.append({"code": od.xml_text(n.code), "name": od.xml_text(n.name),
                     "status": R(n.label, highlight=HL if n.flagged else None).add(EXPERT_MARK if n.expert_confirmed else ""),
                     "value": R(), "source": od.xml_text("\n".join(source_of(e) for e in n.evidence)),
                     "snippet": od.xml_text("\n".join(_snip(e.get("snippet")) for e in n.evidence))})
    return rows


def _snip(text: object) -> str:
    return od.sanitize_text(text, max_len=SNIPPET_CHARS)


# --------------------------------------------------------------------------- context & render

@dataclass
class Figure:
    image: Any
    caption: Any


def _materials(a: Assessment) -> od.RichRuns:
    r = R()
    if not a.own_documents:
        r.mark("【未收到材料】")
    for i, d in enumerate(a.own_documents, 1):
        if i > 1:
            r.add("\n")
        r.add(f"{i}．{d.get('file')}")
        pages = d.get("pages")
        status = d.get("status")
        if status in ("error", "skipped"):
            r.add(f"（无法读取：{d.get('error') or '原因不明'}）", highlight=HL)
            continue
        extra = []
        if pages:
            extra.append(f"{pages}页")
        if status == "ocr":
            extra.append("扫描件，经OCR识别")
        if extra:
            r.add("（" + "，".join(extra) + "）")
    refs = a.reference_documents
    if refs:
        # listed apart and not numbered with the submitted materials: they are not evidence
        r.add("\n参考材料（不计入申报材料，不作为佐证）：")
        for d in refs:
            r.add(f"\n· {d.get('file')}" + (f"（{d.get('role_reason')}）" if d.get("role_reason") else ""))
    return r


def _value_or_mark(value: Optional[str]) -> od.RichRuns:
    return R(value) if value else R().mark(UNKNOWN_MARK)


def _date_text(d: Optional[_dt.date]) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else "　　　　年　　月　　日"


def build_context(a: Assessment, catalogue, tpl=None, charts: Optional[dict[str, Path]] = None,
                  review_date: Optional[_dt.date] = None) -> dict[str, Any]:
    """The template context (see templates/README.md); ``tpl`` is needed only for images.

    ``review_date`` None leaves 评审日期 and the signature date blank for the expert; a date
    fills both with the same day.
    """
    c = a.consortium
    standard_title = catalogue.title or "建设标准"
    date_text = _date_text(review_date)
    ctx: dict[str, Any] = {
        # a 2号 title holds about 20 characters a line: a long name gets 「评审意见」 on its own line
        # rather than an orphaned 「见」
        "title": od.xml_text(f"{a.name}\n评审意见" if len(a.name) + 4 > 20 else f"{a.name}评审意见"),
        "consortium_name": od.xml_text(a.name),
        "consortium_name_rt": R(a.name) if a.name_known else R(a.name).mark(UNKNOWN_MARK),
        "park_rt": _value_or_mark(c.get("park")),
        "lead_school_rt": _value_or_mark(c.get("lead_school")),
        "lead_enterprise_rt": _value_or_mark(c.get("lead_enterprise")),
        "materials_rt": _materials(a),
        "standard_rt": R(f"《{standard_title}》" + (f"（{catalogue.source}）" if catalogue.source else "")),
        "review_date_rt": R(date_text),
        "signature_date": od.xml_text(date_text if review_date else "日期：　　　　年　　月　　日"),
        **body_parts(a, standard_title),
        "annex_note": annex_note(),
        # 附件1
        "groups": [{"heading": od.xml_text(f"（{ORDINALS[i] if i < 10 else i + 1}）{g.title}"),
                    "paragraphs": group_paragraphs(g)} for i, g in enumerate(a.groups)],
        "threshold_paragraphs": [R(f"建设标准对以下{len(a.thresholds)}个观测点设有门槛要求，"
                                   "逐项对照如下（“无法判定”表示材料中未见可核实的数据）。")] if a.thresholds
        else [R("本指标体系未设门槛要求。")],
        "thresholds": threshold_rows(a),
        "negative_paragraphs": negative_paragraphs(a),
        "rule_paragraphs": [R(f"评审结论规则：{a.conclusion.rule}")],
        "progress_intro": [R(f"以下{len(a.progress)}个观测点的材料同时给出了实际完成数和规划目标（或预算），"
                             "完成率＝实际÷目标；多年目标取首个年度。")] if a.progress
        else [R("材料中未见同时给出实际完成数和规划目标（或预算）的观测点。")],
        "progress_rows": progress_rows(a),
        "trend_intro": [R(f"以下{len(a.trends)}个观测点的材料给出了上年（或更早年度）的数值或较上年的变化。")]
        if a.trends else [R("材料中未见上年基数，未作同比分析。")],
        "trend_rows": trend_rows(a),
        "gaps_intro": [R(f"以下{len(a.gaps)}个观测点未见佐证材料或佐证不完整，请联合体按“建议补充的佐证材料”"
                         "一栏补充，并注明材料名称和页码。")] if a.gaps else [R("全部观测点均已找到佐证材料。")],
        "gaps": gap_rows(a),
        "conflicts_intro": [R(f"以下{len(a.conflicts)}个观测点在不同材料中的取值不一致，请联合体核实并以经审核的数据为准。")]
        if a.conflicts else [R("未发现不同材料之间的数据冲突。")],
        "conflicts": conflict_rows(a),
        "evidence_intro": [R(f"下表列出全部{len(a.points)}个观测点及负面清单的识别结果（摘录最多{SNIPPET_CHARS}字，"
                             "完整内容见证据清单工作簿）。")],
        "evidence_rows": evidence_rows(a),
        "fig_status": None, "fig_coverage": None, "fig_thresholds": None,
    }
    if tpl is not None and charts:
        from docx.shared import Mm
        from docxtpl import InlineImage

        n = 0
        for key in ("thresholds", "coverage"):       # in the order they appear in 附件1
            path = charts.get(key)
            if path and Path(path).is_file():
                n += 1
                ctx[f"fig_{key}"] = Figure(InlineImage(tpl, str(path), width=Mm(FIG_WIDTHS_MM[key])),
                                           od.xml_text(f"图{n}　{FIG_CAPTIONS[key]}"))
    return ctx


def _charts_for_run(evidence: dict, a: Assessment, out_dir: Path) -> dict[str, Path]:
    """The charts written earlier in this run, or fresh ones; {} when charts cannot be drawn."""
    made = (evidence.get("_rendered") or {}).get("charts")
    if made is not None:
        return {k: Path(v) for k, v in made.items() if Path(v).is_file()}
    try:
        from .charts import charts_for

        return charts_for(a, out_dir)
    except Exception as exc:  # charts are optional in the opinion; say why in the log
        log.warning("图表生成失败，评审意见中不插入图表：%s", exc)
        return {}


def render_opinion(evidence: dict, catalogue, out_dir: Path, *, settings: Any = None,
                   template: Optional[Path] = None, review_date: Optional[_dt.date] = None,
                   assessment: Optional[Assessment] = None, charts: Optional[dict[str, Path]] = None) -> Path:
    """Write the opinion; ``assessment`` is the pipeline's (assessed once), else assessed here."""
    from docxtpl import DocxTemplate

    template = Path(template) if template else OPINION_TEMPLATE
    if not template.is_file():
        raise TemplateMissingError(f"找不到评审意见模板：{template}（可运行 python templates/build_templates.py 重新生成）")
    out_dir = Path(out_dir)
    a = assessment if assessment is not None else assess(
        evidence, catalogue, settings if settings is not None else evidence.get("assess_settings"))
    tpl = DocxTemplate(str(template))
    ctx = build_context(a, catalogue, tpl, charts if charts is not None else _charts_for_run(evidence, a, out_dir),
                        review_date)
    tpl.render(ctx, autoescape=True)
    # document properties are set after rendering, never through the template engine
    props = tpl.docx.core_properties
    props.title = od.sanitize_text(f"{a.name}评审意见", max_len=250)
    props.subject = "市域产教联合体评审意见（初稿）"
    target = opinion_path(evidence, out_dir)
    with atomic_path(target) as tmp:
        tpl.save(str(tmp))
    return target


def render(evidence: dict, catalogue, out_dir: Path, assessment: Optional[Assessment] = None) -> list[Path]:
    """Pipeline renderer: 「<联合体名称>-评审意见.docx」 in ``out_dir``."""
    return [render_opinion(evidence, catalogue, out_dir, assessment=assessment)]
