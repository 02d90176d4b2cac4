#!/usr/bin/env python3
"""Generate the bundled sample submission (示例材料) and its exact label file.

    python3 tools/make_sample.py            # writes input_docs/ and tests/corpus/labels/input_docs.json
    python3 tools/make_sample.py --check    # regenerate in a temp dir and compare with the committed files

The sample is ONE fictional consortium (「滨江新区智能装备产教联合体（示例）」) whose documents
exercise every stage of the reviewer: numbers in many forms, negations, plan targets next to
achieved figures, previous-year and provincial figures, another member's share, one conflict
between the PDF and the self-evaluation workbook, points that are simply missing, and no
negative-list problem (only denials).

Documents and labels are generated from the same statements (``Doc.s``), so the labels cannot
drift from the texts: each achieved statement registers (code, value, unit, file, anchor); PDF
pages are found afterwards by searching the converted PDF's text with pypdfium2.

The module doubles as the small generation engine used by ``tools/make_heldout.py``.
Output is deterministic: fixed document properties, fixed zip timestamps, and the PDF's
creation date / ID normalised after LibreOffice's conversion.  The PDF needs LibreOffice
(``soffice``); without it the script stops with a one-line message (the committed PDF stays).
"""

from __future__ import annotations

import argparse
import copy
import datetime as _dt
import filecmp
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import docx
import openpyxl
from docx.enum.section import WD_ORIENT  # noqa: F401  (kept for callers that want landscape)
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt
from openpyxl.styles import Alignment, Border, Font, Side

ROOT = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------------------------
# The standard's observation points (教职成厅函〔2024〕20号 附件1), with the notice's numbering
# glitches resolved: the heading 「7.“五金”建设」 holds 8.x, 「176.3」 is 6.3, the second
# 「13.2共享成果」 is 13.3, the repeated 「5.3规章制度」 is 5.4.  (code, name, unit)
# --------------------------------------------------------------------------------------------
POINTS: list[tuple[str, str, Optional[str]]] = [
    ("1.1.1", "是否召开相关会议", None),
    ("1.1.2", "是否出台相关文件", None),
    ("1.2.1", "是否召开专题会议", None),
    ("1.2.2", "是否出台支持市域产教联合体发展细化方案", None),
    ("2.1.1", "产业园区等级：国家级、省级", None),
    ("2.1.2", "产业发展状况：园区总产值（亿元）以及在省内排名", "亿元"),
    ("2.2.1", "园区主导产业及其类别", None),
    ("2.3.1", "列入市域重点产业目录，占全市相应产业产值的比重（%）", "%"),
    ("3.1.1", "是否为行业龙头企业、专精特新“小巨人”企业或省级及以上产教融合型企业", None),
    ("3.2.1", "牵头企业近三年在产教融合领域的总投入（万元）", "万元"),
    ("3.3.1", "牵头企业提取职工教育经费比例（%）", "%"),
    ("3.3.2", "用于技能人才培训的比例（%）", "%"),
    ("3.3.3", "市域产教联合体内学校承担的牵头企业高技能人才培训比例（%）", "%"),
    ("4.1.1", "是否为国家级、省级高水平职业学校或专业群建设单位，或本科层次职业学校", None),
    ("4.2.1", "牵头学校高水平专业群与产业园区产业匹配度（%）", "%"),
    ("5.1.1", "园区牵头成立政府、企业、学校、科研机构等多方参与的理事会", None),
    ("5.1.2", "学校涵盖中职、高职（含职教本科）学校和普通本科学校", None),
    ("5.2.1", "市域产教联合体建设情况是否纳入产业园区工作考核指标", None),
    ("5.2.2", "市域产教联合体建设情况是否纳入区域职业教育工作目标考核体系", None),
    ("5.3.1", "是否建立决策机制", None),
    ("5.3.2", "是否出台议事规则", None),
    ("5.3.3", "是否明确各主体工作职责", None),
    ("5.4.1", "《市域产教联合体章程》是否完备", None),
    ("5.4.2", "运营管理制度是否建立", None),
    ("5.4.3", "人员聘用及评价体系、绩效考核体系、运营质量保障体系是否建立", None),
    ("6.1.1", "是否安排专项经费", None),
    ("6.1.2", "专项经费实际到位资金（万元）", "万元"),
    ("6.1.3", "专项经费使用情况", None),
    ("6.1.4", "专项经费三年投入规划等", None),
    ("6.1.5", "是否安排日常经费", None),
    ("6.1.6", "日常经费实际到位资金（万元）", "万元"),
    ("6.1.7", "日常经费使用情况", None),
    ("6.1.8", "日常经费三年投入规划等", None),
    ("6.2.1", "是否出台支持市域产教联合体建设的“金融+财政+土地+信用”的实施细则", None),
    ("6.2.2", "市域产教联合体内企业抵免企业当年应缴教育附加费和地方教育附加费情况", "万元"),
    ("6.2.3", "是否允许学校社会服务的净收入，用于劳动报酬和改善办学条件", None),
    ("6.3.1", "是否出台职业学校毕业生在就业、落户、参加招聘、职称评审、晋升等方面的支持政策", None),
    ("7.1.1", "高等职业教育资源下沉到县域的专业数（个）", "个"),
    ("7.1.2", "高等职业教育资源下沉到县域的学生数（人）", "人"),
    ("7.2.1", "企业参与共建现代产业学院（个）", "个"),
    ("7.2.2", "企业参与共建开放型区域产教融合实践中心（个）", "个"),
    ("8.1.1", "是否建立专业规划联动机制", None),
    ("8.1.2", "是否共同制定人才培养方案", None),
    ("8.1.3", "共建专业数（个）", "个"),
    ("8.1.4", "市域产教联合体特有专业方向数（个）", "个"),
    ("8.2.1", "联合建设教学资源库数（个）", "个"),
    ("8.2.2", "联合开发课程数（门）", "门"),
    ("8.2.3", "入选国家级课程数（门）", "门"),
    ("8.3.1", "联合编写教材数（本）", "本"),
    ("8.3.2", "转化企业培训教材数（本）", "本"),
    ("8.3.3", "入选国家规划教材数（本）", "本"),
    ("8.4.1", "企业兼职教师（人次、课时）", "人次、课时"),
    ("8.4.2", "校际兼职教师（人次、课时）", "人次、课时"),
    ("8.4.3", "教师企业实践（人月）", "人月"),
    ("8.4.4", "教师教学团队获国家级奖励情况（项）", "项"),
    ("8.4.5", "校企互聘机制建设情况", None),
    ("8.5.1", "共建实训基地数（个）", "个"),
    ("8.5.2", "共建实训基地工位数（个）", "个"),
    ("8.5.3", "共建实训工位利用率（小时/周）", "小时/周"),
    ("8.5.4", "共建实训基地覆盖学生数（人）", "人"),
    ("8.5.5", "是否覆盖主要生产流程", None),
    ("8.5.6", "是否出台实训基地共建共享管理细则", None),
    ("9.1.1", "联合招生（人）", "人"),
    ("9.1.2", "联合培养（人）", "人"),
    ("9.1.3", "委托培养（人）", "人"),
    ("9.1.4", "订单培养（人）", "人"),
    ("9.1.5", "中国特色学徒制培养（人）", "人"),
    ("9.1.6", "现场工程师培养（人）", "人"),
    ("9.1.7", "市域产教联合体组织校企对接场次（次）", "次"),
    ("9.1.8", "校企对接活动参与企业（个）", "个"),
    ("9.2.1", "中高职贯通培养（人）", "人"),
    ("9.2.2", "高本贯通培养（人）", "人"),
    ("9.2.3", "市域产教联合体内普通本科学校招收中职、高职毕业生和企业一线优秀员工就读本科和专业学位研究生（人）", "人"),
    ("9.2.4", "通过“文化素质+职业技能”考试招生学生升学比例（%）", "%"),
    ("10.1.1", "是否建立市域产教联合体各主体共同参与的职业教育专业动态调整机制", None),
    ("10.1.2", "专业与市域产教联合体产业匹配度（%）", "%"),
    ("10.2.1", "是否定期梳理核心产品清单、技术需求清单、人才需求清单", None),
    ("10.2.2", "市域产教联合体人才需求报告（份）", "份"),
    ("10.2.3", "市域产教联合体专业分布报告（份）", "份"),
    ("11.1.1", "平台注册用户数（人）", "人"),
    ("11.1.2", "平台注册企业数（个）", "个"),
    ("11.1.3", "人才需求清单发布次数（次）", "次"),
    ("11.1.4", "发布就业岗位数（个）", "个"),
    ("11.2.1", "就业指导活动（人次）", "人次"),
    ("11.2.2", "书记校长访企拓岗企业数（个）", "个"),
    ("11.2.3", "毕业生创业情况（人次）", "人次"),
    ("11.2.4", "市域产教联合体内企业为学生提供实习实训量（人月）", "人月"),
    ("11.2.5", "市域产教联合体内企业设立学徒岗位占岗位总量的比例（%）", "%"),
    ("12.1.1", "就业率（%）", "%"),
    ("12.1.2", "就业对口率（%）", "%"),
    ("12.1.3", "本地就业率（%）", "%"),
    ("13.1.1", "产业园区生产总值增速超全市平均水平", None),
    ("13.1.2", "典型案例数（个）", "个"),
    ("13.1.3", "媒体报道、政府奖励情况", None),
    ("13.2.1", "核心产品清单发布次数（次）", "次"),
    ("13.2.2", "技术需求清单发布次数（次）", "次"),
    ("13.2.3", "技术服务合同金额（万元）", "万元"),
    ("13.2.4", "为市域产教联合体内企业提供技术咨询与服务次数（次）", "次"),
    ("13.3.1", "发明专利数（个）", "个"),
    ("13.3.2", "其他专利数（个）", "个"),
    ("13.3.3", "软件著作权数（个）", "个"),
    ("13.3.4", "研究成果转化数（个）", "个"),
    ("13.3.5", "研究成果转化经费（万元）", "万元"),
    ("14.1.1", "技能鉴定数量（人次）", "人次"),
    ("14.1.2", "技能大师工作室（个）", "个"),
    ("14.1.3", "面向企业员工开展培训数（人日）", "人日"),
    ("14.1.4", "面向农民工、退役军人、下岗职工等开展培训数（人日）", "人日"),
    ("14.2.1", "学生获得技能等级证书（人次）", "人次"),
    ("14.2.2", "学生获得省级以上技能大赛等奖励（人次）", "人次"),
    ("15.1.1", "境外办学项目数（个）", "个"),
    ("15.1.2", "招收留学生人数（人）", "人"),
    ("15.1.3", "境外培训人数（人）", "人"),
    ("15.2.1", "国家级教育教学成果奖（项）", "项"),
    ("15.2.2", "国家级科学技术奖励（项）", "项"),
    ("15.2.3", "省级教育教学成果奖（项）", "项"),
    ("15.2.4", "省级科学技术奖励（项）", "项"),
]
NAMES = {c: n for c, n, _ in POINTS}
UNITS = {c: u for c, _, u in POINTS}
MULTI = {"8.4.1": ("人次", "课时"), "8.4.2": ("人次", "课时")}
TEXT_ONLY = {"2.2.1", "6.1.3", "6.1.4", "6.1.7", "6.1.8", "8.4.5", "13.1.3"}
NEGATIVE = ["16.1", "16.2", "16.3", "16.4", "16.5", "16.6"]
assert len(POINTS) == 116 and len(NAMES) == 116

# --------------------------------------------------------------------------------------------
# Number forms
# --------------------------------------------------------------------------------------------
_DIG = "零一二三四五六七八九"


def num_str(x: float, comma: bool = False) -> str:
    """Shortest plain decimal for x (no exponent); thousands separators when ``comma``."""
    if float(x) == int(x):
        s = f"{int(x):,}" if comma else str(int(x))
        return s
    s = f"{x:.6f}".rstrip("0").rstrip(".")
    if comma:
        i, _, f = s.partition(".")
        s = f"{int(i):,}" + ("." + f if f else "")
    return s


def _cn4(n: int) -> str:
    out, zero, started = "", False, False
    for d, u in zip(f"{n:04d}", "千百十 "):
        d = int(d)
        if d == 0:
            zero = zero or started
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIG[d] + u.strip()
        started = True
    return out


def cn_num(x: float) -> str:
    """Chinese numerals: 120 -> 一百二十, 12 -> 十二, 74.6 -> 七十四点六, 1002 -> 一千零二."""
    ip = int(x)
    if ip == 0:
        s = "零"
    else:
        parts = []
        yi, rest = divmod(ip, 10 ** 8)
        wan, rest = divmod(rest, 10 ** 4)
        if yi:
            parts.append(_cn4(yi) + "亿")
        if wan:
            if yi and wan < 1000:
                parts.append("零")
            parts.append(_cn4(wan) + "万")
        if rest:
            if (yi or wan) and rest < 1000:
                parts.append("零")
            parts.append(_cn4(rest))
        s = "".join(parts)
        if s.startswith("一十"):
            s = s[1:]
    if float(x) != ip:
        frac = num_str(x).split(".")[1]
        s += "点" + "".join(_DIG[int(c)] for c in frac)
    return s


# unit conversions for display: (canonical unit, shown unit) -> factor
_CONV = {("万元", "元"): 10000, ("万元", "亿元"): 0.0001, ("亿元", "万元"): 10000}


def fv(value: float, unit: Optional[str], style: str = "d", word: Optional[str] = None) -> str:
    """Render ``value`` (in canonical ``unit``) as a document would state it.

    style: d = digits, c = digits with thousands separators, cn = Chinese numerals,
    w = scaled to 万 (1.62万人次), wc = 万 with Chinese numerals (一百二十万元 is cn on 万元).
    word: the unit or measure word shown (名 for 人, 家 for 个, 元 for 万元 ...); for % the
    word may be "％" (full width) or "百分之" (prefix form).
    """
    word = unit if word is None else word
    v = value * _CONV.get((unit, word), 1)
    v = round(v, 6)
    if word == "百分之":
        return "百分之" + (cn_num(v) if style == "cn" else num_str(v))
    if style == "w":
        return num_str(round(v / 10000, 6)) + "万" + (word or "")
    if style == "cn":
        return cn_num(v) + (word or "")
    return num_str(v, comma=(style == "c")) + (word or "")


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None or isinstance(a, str):
        return a == b
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))


def squash(s: str) -> str:
    """Remove all white space (PDF text has spaces between CJK and digits, line breaks)."""
    return re.sub(r"\s+", "", s)


# --------------------------------------------------------------------------------------------
# Statements and submissions
# --------------------------------------------------------------------------------------------
@dataclass
class Stmt:
    """One place where a document states something about an observation point."""

    code: str
    value: Any                  # number | dict(unit->number) | bool | str | None (text points)
    kind: str                   # "achieved" (labelled) | "target" (plan target only)
    file: str                   # path relative to the consortium folder
    anchor: str                 # text that locates it (white space ignored)
    vtext: str = ""             # the rendered value inside the anchor ("" when none)
    pages: list[int] = field(default_factory=list)


class Submission:
    """One consortium folder: its files, the statements they make, and the label."""

    def __init__(self, folder: str, info: dict[str, str], negative: Optional[dict[str, bool]] = None):
        self.folder = folder
        self.info = info
        self.negative = {c: False for c in NEGATIVE}
        self.negative.update(negative or {})
        self.stmts: list[Stmt] = []
        self.files: list[str] = []
        self.priority: list[str] = []     # files in order of preference for the primary source

    def add(self, st: Stmt) -> None:
        if st.code not in NAMES:
            raise ValueError(f"unknown code {st.code}")
        self.stmts.append(st)

    # ---------------------------------------------------------------- label
    def label(self) -> dict[str, Any]:
        def prio(st: Stmt) -> tuple:
            f = st.file
            p = self.priority.index(f) if f in self.priority else len(self.priority)
            return (p, st.pages[0] if st.pages else 0)

        points: dict[str, Any] = {}
        for code, _, unit in POINTS:
            ach = sorted([s for s in self.stmts if s.code == code and s.kind == "achieved"], key=prio)
            tgt = [s for s in self.stmts if s.code == code and s.kind == "target"]
            if not ach:
                if tgt:
                    t = tgt[0]
                    points[code] = {"present": False, "target_only": True,
                                    "target": {"value": t.value, "unit": unit}}
                else:
                    points[code] = {"present": False}
                continue
            prim = ach[0]
            entry: dict[str, Any] = {"present": True}
            distinct: list[Any] = []
            for s in ach:
                if not any(same_value(s.value, d) for d in distinct):
                    distinct.append(s.value)
            if len(distinct) > 1:
                entry.update({"conflict": True, "values": distinct, "unit": unit})
                same = ach
            else:
                v = prim.value
                if isinstance(v, dict):
                    entry["quantities"] = [{"value": x, "unit": u} for u, x in v.items()]
                elif v is not None:
                    entry["value"] = v
                    if unit and not isinstance(v, (bool, str)):
                        entry["unit"] = unit
                same = ach
            page = prim.pages[0] if prim.pages else None
            entry["file"] = prim.file
            entry["page"] = page
            sources: list[dict[str, Any]] = []
            for s in same:
                for pg in (s.pages or [None]):
                    src = {"file": s.file, "page": pg}
                    if src not in sources:
                        sources.append(src)
            if len(sources) > 1:
                entry["sources"] = sources
            if tgt:
                entry["plan_target_nearby"] = True
            points[code] = entry
        return {"consortium": dict(self.info), "points": points,
                "negative_list": dict(self.negative), "files": sorted(self.files)}


# --------------------------------------------------------------------------------------------
# Writers: a .docx (also the source of a PDF) and an .xlsx
# --------------------------------------------------------------------------------------------
ANCHOR_OPEN, ANCHOR_CLOSE = "⟨", "⟩"
CJK_FONT = "Noto Serif CJK SC"
HEI_FONT = "Noto Sans CJK SC"


def _set_run_font(run, name: str = CJK_FONT, size: Optional[float] = None, bold: Optional[bool] = None):
    run.font.name = name
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = parse_xml(f"<w:rFonts {nsdecls('w')}/>")
        rpr.insert(0, rfonts)
    for a in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        rfonts.set(qn(a), name)
    if size:
        run.font.size = Pt(size)
    if bold is not None:
        run.font.bold = bold


class StatementMixin:
    """``s()``: render a statement into text and register it with the submission."""

    sub: Submission
    rel: str

    def s(self, code: str, value: Any, tpl: str, style: str = "d", word: Optional[str] = None,
          kind: str = "achieved", anchor: Optional[str] = None, words: Optional[tuple] = None,
          styles: Optional[tuple] = None) -> str:
        """Render ``tpl`` ({v}, or {v1}/{v2} for two-unit points) and register the statement.

        The anchor is the text between ⟨ ⟩ in ``tpl`` if marked, else ``anchor``, else the
        rendered value with up to eight characters before it, else the whole text.
        """
        unit = UNITS[code]
        vtext = ""
        text = tpl
        if isinstance(value, dict):
            units = list(value)
            ws = words or tuple(units)
            sts = styles or tuple(style for _ in units)
            parts = [fv(value[u], u, sts[i], ws[i]) for i, u in enumerate(units)]
            for i, p in enumerate(parts, 1):
                text = text.replace("{v%d}" % i, p)
            vtext = parts[0]
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and "{v}" in tpl:
            vtext = fv(value, unit, style, word)
            text = tpl.replace("{v}", vtext)
        elif "{v}" in tpl:
            raise ValueError(f"{code}: template needs a numeric value")
        if ANCHOR_OPEN in text:
            a = text[text.index(ANCHOR_OPEN) + 1:text.index(ANCHOR_CLOSE)]
            text = text.replace(ANCHOR_OPEN, "").replace(ANCHOR_CLOSE, "")
        elif anchor:
            a = anchor
        elif vtext:
            i = text.index(vtext)
            a = text[max(0, i - 8):i + len(vtext)]
            if isinstance(value, dict):
                last = parts[-1]
                a = text[max(0, i - 8):text.index(last, i) + len(last)]
        else:
            a = text.strip("。；，")
        if not anchor and a not in text:   # an explicit anchor may span table cells
            raise ValueError(f"{code}: anchor {a!r} not in text {text!r}")
        self.sub.add(Stmt(code, value, kind, self.rel, a, vtext))
        return text

    def t(self, code: str, value: Any, tpl: str, **kw) -> str:
        """A plan target (only labelled when no achieved value exists)."""
        return self.s(code, value, tpl, kind="target", **kw)


class Doc(StatementMixin):
    """A Word document built with python-docx (a 公文-like layout)."""

    def __init__(self, sub: Submission, rel: str, header: str = "", footer_page: bool = True,
                 footer_fmt: tuple[str, str] = ("— ", " —"),
                 size: float = 14, font: str = CJK_FONT, line_spacing: float = 1.5,
                 author: str = "联合体秘书处", date: _dt.datetime = _dt.datetime(2024, 12, 20, 9, 0)):
        self.sub, self.rel = sub, rel
        self.size, self.font = size, font
        self.date = date
        self.doc = docx.Document()
        self.ntables = 0
        cp = self.doc.core_properties
        cp.author = author
        cp.last_modified_by = author
        cp.created = date
        cp.modified = date
        cp.revision = 1
        cp.title = ""
        cp.comments = ""
        sec = self.doc.sections[0]
        sec.page_width, sec.page_height = Mm(210), Mm(297)
        sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
        sec.left_margin, sec.right_margin = Mm(28), Mm(26)
        sec.header_distance, sec.footer_distance = Mm(15), Mm(18)
        normal = self.doc.styles["Normal"]
        normal.font.name = font
        normal.font.size = Pt(size)
        rpr = normal.element.get_or_add_rPr()
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = parse_xml(f"<w:rFonts {nsdecls('w')}/>")
            rpr.insert(0, rfonts)
        for a in ("w:ascii", "w:hAnsi", "w:eastAsia"):
            rfonts.set(qn(a), font)
        normal.paragraph_format.line_spacing = line_spacing
        normal.paragraph_format.space_after = Pt(0)
        for name, sz in (("Heading 1", size + 2), ("Heading 2", size + 1), ("Heading 3", size)):
            st = self.doc.styles[name]
            st.font.name = HEI_FONT
            st.font.size = Pt(sz)
            st.font.bold = True
            st.font.color.rgb = None
            st.paragraph_format.space_before = Pt(6)
            st.paragraph_format.space_after = Pt(3)
            r = st.element.get_or_add_rPr()
            rf = r.find(qn("w:rFonts"))
            if rf is None:
                rf = parse_xml(f"<w:rFonts {nsdecls('w')}/>")
                r.insert(0, rf)
            for a in ("w:ascii", "w:hAnsi", "w:eastAsia"):
                rf.set(qn(a), HEI_FONT)
            for att in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                if rf.get(qn(att)) is not None:
                    del rf.attrib[qn(att)]
            col = r.find(qn("w:color"))
            if col is not None:
                r.remove(col)
        if header:
            hp = sec.header.paragraphs[0]
            hp.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _set_run_font(hp.add_run(header), size=10.5)
        fp = sec.footer.paragraphs[0]
        if footer_page:
            fp.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _set_run_font(fp.add_run(footer_fmt[0]), size=10.5)
            fp._p.append(parse_xml(
                f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
            _set_run_font(fp.add_run(footer_fmt[1]), size=10.5)

    # ---------------------------------------------------------------- blocks
    def title(self, text: str, size: float = 20, bold: bool = True, font: str = HEI_FONT):
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_after = Pt(6)
        _set_run_font(p.add_run(text), font, size, bold)
        return p

    def center(self, text: str, size: Optional[float] = None):
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_run_font(p.add_run(text), self.font, size or self.size)
        return p

    def right(self, text: str):
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _set_run_font(p.add_run(text), self.font, self.size)
        return p

    def h(self, text: str, level: int = 1, style: bool = False):
        """A heading: a Word 'Heading N' paragraph (``style``) or a bold plain paragraph."""
        if style:
            p = self.doc.add_paragraph(style=f"Heading {level}")
            p.add_run(text)
            return p
        p = self.doc.add_paragraph()
        p.paragraph_format.keep_with_next = True
        p.paragraph_format.first_line_indent = Pt(self.size * 2) if level > 1 else None
        font = HEI_FONT if level == 1 else self.font
        _set_run_font(p.add_run(text), font, self.size, bold=True)
        return p

    def p(self, *parts: str, indent: bool = True):
        """A body paragraph made of text fragments (statements already rendered by ``s``)."""
        text = "".join(parts)
        p = self.doc.add_paragraph()
        if indent:
            p.paragraph_format.first_line_indent = Pt(self.size * 2)
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        _set_run_font(p.add_run(text), self.font, self.size)
        return p

    def caption(self, text: str):
        p = self.doc.add_paragraph()
        p.paragraph_format.keep_with_next = True
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_run_font(p.add_run(text), HEI_FONT, self.size - 1.5, bold=True)
        return p

    def blank(self):
        return self.doc.add_paragraph()

    def page_break(self):
        from docx.enum.text import WD_BREAK
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def table(self, rows: list[list[str]], widths: Optional[list[float]] = None,
              size: Optional[float] = None, header_bold: bool = True,
              vmerge: Optional[list[tuple[int, int, int]]] = None,
              hmerge: Optional[list[tuple[int, int, int]]] = None, container=None):
        """A grid table. vmerge: (col, first_row, last_row); hmerge: (row, first_col, last_col).

        Merged ranges keep the text of their first cell (the others must be "").
        """
        size = size or self.size - 2
        ncols = max(len(r) for r in rows)
        host = container if container is not None else self.doc
        t = host.add_table(rows=len(rows), cols=ncols)
        t.style = self.doc.styles["Table Grid"]
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        for i, row in enumerate(rows):
            for j in range(ncols):
                txt = row[j] if j < len(row) else ""
                cell = t.cell(i, j)
                para = cell.paragraphs[0]
                para.paragraph_format.line_spacing = 1.15
                para.paragraph_format.first_line_indent = None
                if txt:
                    _set_run_font(para.add_run(txt), self.font, size, bold=(header_bold and i == 0) or None)
        for col, r0, r1 in vmerge or []:
            a, b = t.cell(r0, col), t.cell(r1, col)
            a.merge(b)
            _strip_empty_paras(t.cell(r0, col))
        for row, c0, c1 in hmerge or []:
            t.cell(row, c0).merge(t.cell(row, c1))
            _strip_empty_paras(t.cell(row, c0))
        if widths:
            t.autofit = False
            for i, w in enumerate(widths):
                t.columns[i].width = Mm(w)          # the grid (LibreOffice honours this)
                for cell in t.columns[i].cells:
                    cell.width = Mm(w)              # and each cell (Word honours this)
        if container is None:
            self.ntables += 1
        return t

    def textbox(self, lines: list[str], height_pt: float = 90, width_mm: float = 150):
        """A Word text box (DrawingML with a VML fallback, as Word writes it)."""
        cx, cy = int(width_mm * 36000), int(height_pt * 12700)

        def paras() -> str:
            out = []
            for ln in lines:
                out.append(
                    "<w:p><w:pPr><w:spacing w:line=\"300\" w:lineRule=\"auto\"/></w:pPr><w:r><w:rPr>"
                    f"<w:rFonts w:ascii=\"{self.font}\" w:hAnsi=\"{self.font}\" w:eastAsia=\"{self.font}\"/>"
                    f"<w:sz w:val=\"{int((self.size - 2) * 2)}\"/></w:rPr><w:t xml:space=\"preserve\">"
                    f"{_xml_escape(ln)}</w:t></w:r></w:p>")
            return "".join(out)

        xml = (
            f'<w:r {_TB_NS}>'
            '<mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
            '<wp:inline distT="0" distB="0" distL="0" distR="0">'
            f'<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
            '<wp:docPr id="101" name="文本框 1"/><wp:cNvGraphicFramePr/>'
            '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
            '<wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr>'
            f'<a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
            '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill>'
            '<a:ln w="9525"><a:solidFill><a:srgbClr val="000000"/></a:solidFill></a:ln></wps:spPr>'
            f'<wps:txbx><w:txbxContent>{paras()}</w:txbxContent></wps:txbx>'
            '<wps:bodyPr rot="0" vert="horz" wrap="square" lIns="91440" tIns="45720" rIns="91440" bIns="45720" '
            'anchor="t" anchorCtr="0"><a:noAutofit/></wps:bodyPr></wps:wsp></a:graphicData></a:graphic>'
            '</wp:inline></w:drawing></mc:Choice><mc:Fallback><w:pict>'
            f'<v:shape id="文本框 1" o:spid="_x0000_s1026" type="#_x0000_t202" '
            f'style="width:{width_mm * 72 / 25.4:.1f}pt;height:{height_pt:.1f}pt" strokeweight=".5pt">'
            f'<v:textbox><w:txbxContent>{paras()}</w:txbxContent></v:textbox></v:shape>'
            '</w:pict></mc:Fallback></mc:AlternateContent></w:r>')
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p._p.append(parse_xml(xml))
        return p

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.doc.save(str(path))
        normalize_zip(path, self.date)


_TB_NS = " ".join(f'xmlns:{k}="{v}"' for k, v in {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "v": "urn:schemas-microsoft-com:vml",
    "o": "urn:schemas-microsoft-com:office:office",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
}.items())


def _xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _strip_empty_paras(cell) -> None:
    ps = cell.paragraphs
    if len(ps) > 1:
        for p in ps:
            if not p.text and len(cell.paragraphs) > 1 and not p._p.findall(qn("w:r")):
                p._p.getparent().remove(p._p)


class Sheet(StatementMixin):
    """Statements rendered into workbook cells (the self-evaluation form 自评表)."""

    def __init__(self, sub: Submission, rel: str):
        self.sub, self.rel = sub, rel

    def num(self, code: str, value: Any, shown: Any = None) -> Any:
        """A numeric cell: register ``value`` (canonical unit) and return the cell value."""
        cell = value if shown is None else shown
        self.sub.add(Stmt(code, value, "achieved", self.rel, num_str(cell) if
                          isinstance(cell, (int, float)) else str(cell), ""))
        return cell

    def yes(self, code: str, value: bool, text: str) -> str:
        self.sub.add(Stmt(code, value, "achieved", self.rel, text, ""))
        return text


def write_xlsx(path: Path, sheets: list[dict[str, Any]], date: _dt.datetime,
               author: str = "联合体秘书处") -> None:
    """Write a workbook. Each sheet: {title, rows, widths, merge_rows (full-width rows),
    title_rows (count of rows at top merged across), header_row (1-based), page_header}."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    thin = Side(style="thin")
    for sh in sheets:
        ws = wb.create_sheet(sh["title"])
        rows = sh["rows"]
        ncols = max(len(r) for r in rows)
        for r in rows:
            ws.append(list(r))
        for i, w in enumerate(sh.get("widths", []), 1):
            ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width = w
        for rnum in sh.get("merge_rows", []):
            ws.merge_cells(start_row=rnum, start_column=1, end_row=rnum, end_column=ncols)
        hdr = sh.get("header_row")
        for row in ws.iter_rows(min_row=hdr or 1, max_row=len(rows)):
            for c in row:
                c.alignment = Alignment(wrap_text=True, vertical="center")
                if hdr:
                    c.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        if hdr:
            for c in ws[hdr]:
                c.font = Font(bold=True)
        for rnum in sh.get("merge_rows", []):
            ws.cell(rnum, 1).font = Font(bold=True, size=14 if rnum == 1 else 11)
        if sh.get("page_header"):
            ws.oddHeader.center.text = sh["page_header"]
    wb.properties.creator = author
    wb.properties.lastModifiedBy = author
    wb.properties.created = date
    wb.properties.modified = date
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(str(path))
    normalize_zip(path, date)


# --------------------------------------------------------------------------------------------
# Determinism helpers
# --------------------------------------------------------------------------------------------
def normalize_zip(path: Path, date: _dt.datetime) -> None:
    """Rewrite an OOXML zip with fixed entry timestamps and fixed core-property dates."""
    stamp = date.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                              lambda m: m.group(1) + stamp.encode() + m.group(2), data)
            zi = zipfile.ZipInfo(name, date.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            z.writestr(zi, data)
    path.write_bytes(buf.getvalue())


def soffice_path() -> Optional[str]:
    for name in ("soffice", "libreoffice"):
        p = shutil.which(name)
        if p:
            return p
    return None


def docx_to_pdf(src: Path, dst: Path, date: _dt.datetime) -> None:
    """Convert with LibreOffice (private profile, so parallel runs do not collide)."""
    exe = soffice_path()
    if not exe:
        raise SystemExit("未找到 LibreOffice（soffice），无法生成 PDF；已提交的 PDF 仍可直接使用。")
    with tempfile.TemporaryDirectory(prefix="mksample-") as td:
        prof = Path(td, "profile").as_uri()
        out = Path(td, "out")
        cmd = [exe, f"-env:UserInstallation={prof}", "--headless", "--convert-to", "pdf",
               "--outdir", str(out), str(src)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=300)
        pdf = out / (src.stem + ".pdf")
        if not pdf.exists():
            raise SystemExit(f"LibreOffice 未能转换 {src.name}")
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(normalize_pdf(pdf.read_bytes(), date))


def normalize_pdf(b: bytes, date: _dt.datetime) -> bytes:
    """Same-length replacement of the creation date, /ID and /DocChecksum (xref stays valid)."""
    d = date.strftime("%Y%m%d%H%M%S").encode()
    b = re.sub(rb"/CreationDate\(D:\d{14}", b"/CreationDate(D:" + d, b)
    b = re.sub(rb"/ModDate\(D:\d{14}", b"/ModDate(D:" + d, b)
    blank = re.sub(rb"<[0-9A-Fa-f]{32}>", b"<" + b"0" * 32 + b">", b)
    blank = re.sub(rb"/DocChecksum /[0-9A-Fa-f]{32}", b"/DocChecksum /" + b"0" * 32, blank)
    h = hashlib.md5(blank).hexdigest().upper().encode()
    b = re.sub(rb"/ID \[ <[0-9A-Fa-f]{32}>\s*<[0-9A-Fa-f]{32}> \]",
               lambda m: re.sub(rb"<[0-9A-Fa-f]{32}>", b"<" + h + b">", m.group(0)), b)
    b = re.sub(rb"/DocChecksum /[0-9A-Fa-f]{32}", b"/DocChecksum /" + h, b)
    return b


# --------------------------------------------------------------------------------------------
# Locating statements: PDF pages, and presence checks in docx/xlsx
# --------------------------------------------------------------------------------------------
def pdf_pages_text(path: Path) -> list[str]:
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(str(path))
    try:
        out = []
        for i in range(len(pdf)):
            page = pdf[i]
            tp = page.get_textpage()
            out.append(tp.get_text_range())
            tp.close()
            page.close()
        return out
    finally:
        pdf.close()


def locate_pdf(sub: Submission, rel: str, path: Path, header: str,
               footer_fmt: tuple[str, str] = ("— ", " —")) -> int:
    """Give every statement of ``rel`` its page(s). Returns the page count.

    Page texts are squashed (no white space) and the running header (first line) and the
    page-number footer are cut off, then concatenated; an anchor must occur exactly once.  Its
    page is the page where its value starts (for an anchor without a value: where it starts),
    also when the sentence around it crosses a page break.
    """
    pages = pdf_pages_text(path)
    hdr = squash(header)
    bodies = []
    for i, t in enumerate(pages, 1):
        s = squash(t)
        if hdr and s.startswith(hdr):
            s = s[len(hdr):]
        s = re.sub(re.escape(squash(footer_fmt[0])) + str(i) + re.escape(squash(footer_fmt[1])) + "$", "", s)
        bodies.append(s)
    full, starts = "", []
    for s in bodies:
        starts.append(len(full))
        full += s

    def page_at(off: int) -> int:
        pg = 1
        for i, st in enumerate(starts, 1):
            if off >= st:
                pg = i
        return pg

    for st in sub.stmts:
        if st.file != rel:
            continue
        a = squash(st.anchor)
        n = full.count(a)
        if n != 1:
            raise SystemExit(f"{sub.folder}/{rel}: anchor for {st.code} found {n} times: {st.anchor!r}")
        i = full.index(a)
        vi = i + (a.index(squash(st.vtext)) if st.vtext and squash(st.vtext) in a else 0)
        st.pages = [page_at(vi)]
    return len(pages)


def docx_all_text(path: Path) -> str:
    """All text of a .docx: body (tables, nested tables, text boxes), headers and footers."""
    out = []
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            if re.match(r"word/(document|header\d*|footer\d*)\.xml$", n):
                x = z.read(n).decode("utf-8")
                x = re.sub(r"<mc:Fallback>.*?</mc:Fallback>", "", x, flags=re.S)
                for para in re.findall(r"<w:p[ >].*?</w:p>", x, flags=re.S):
                    out.append("".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", para)))
    return "\n".join(t.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">") for t in out)


def xlsx_all_text(path: Path) -> str:
    wb = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    try:
        rows = []
        for ws in wb.worksheets:
            for r in ws.iter_rows(values_only=True):
                rows.append(" ".join(num_str(v) if isinstance(v, (int, float)) and not isinstance(v, bool)
                                     else str(v) for v in r if v is not None))
        return "\n".join(rows)
    finally:
        wb.close()


def verify_present(sub: Submission, rel: str, path: Path) -> None:
    """Every statement of a Word/Excel file must be findable in that file's text."""
    text = squash(docx_all_text(path) if path.suffix == ".docx" else xlsx_all_text(path))
    for st in sub.stmts:
        if st.file == rel and squash(st.anchor) not in text:
            raise SystemExit(f"{sub.folder}/{rel}: statement for {st.code} not found: {st.anchor!r}")


def finish(sub: Submission, folder: Path, pdf_headers: dict[str, str],
           pdf_footers: Optional[dict[str, tuple[str, str]]] = None) -> dict[str, Any]:
    """Locate every statement in the generated files and return the label."""
    for rel in sub.files:
        path = folder / rel
        if rel.endswith(".pdf"):
            locate_pdf(sub, rel, path, pdf_headers.get(rel, ""), (pdf_footers or {}).get(rel, ("— ", " —")))
        else:
            verify_present(sub, rel, path)
    missing = {s.file for s in sub.stmts} - set(sub.files)
    if missing:
        raise SystemExit(f"statements refer to files not written: {sorted(missing)}")
    return sub.label()


def write_label(label: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    txt = "{\n" + ",\n".join([
        '  "consortium": ' + json.dumps(label["consortium"], ensure_ascii=False),
        '  "points": {\n' + ",\n".join(
            f'    "{c}": ' + json.dumps(v, ensure_ascii=False) for c, v in label["points"].items()) + "\n  }",
        '  "negative_list": ' + json.dumps(label["negative_list"], ensure_ascii=False),
        '  "files": ' + json.dumps(label["files"], ensure_ascii=False),
    ]) + "\n}\n"
    path.write_text(txt, encoding="utf-8")


def summary(label: dict[str, Any]) -> str:
    pts = label["points"].values()
    present = sum(1 for p in pts if p["present"])
    conflicts = sum(1 for p in pts if p.get("conflict"))
    targets = sum(1 for p in pts if p.get("target_only"))
    neg = [c for c, f in label["negative_list"].items() if f]
    return (f"{present} points stated, {conflicts} conflicts, {targets} target-only, "
            f"negative list flagged: {neg or 'none'}")


# --------------------------------------------------------------------------------------------
# The sample consortium
# --------------------------------------------------------------------------------------------
SAMPLE_INFO = {
    "name": "滨江新区智能装备产教联合体（示例）",
    "park": "云澜滨江经济技术开发区",
    "lead_school": "云澜智能装备职业技术学院",
    "lead_enterprise": "云澜精工智能装备集团有限公司",
}
SAMPLE_MARK = "示例材料（模拟数据）"   # not 「虚构」: that word reads like 造假 (16.2)
PLAN = "建设方案.docx"
REPORT = "2024年度工作总结.pdf"
SELF = "自评表.xlsx"
CHARTER = "佐证材料/理事会章程.docx"

SAMPLE_README = """# 示例材料（虚构）

本文件夹是产教联合体评审助手自带的**演示用申报材料**（各文件页眉标有“示例材料（模拟数据）”），代表一个虚构的联合体
「滨江新区智能装备产教联合体（示例）」。其中的城市（云澜市）、园区、学校、企业、
人员和全部数据均为虚构，不对应任何真实单位，请勿引用。

运行 `consortium-review review` 即可对本文件夹试跑一遍，结果写入
`output/input_docs/`。

| 文件 | 内容 |
|---|---|
| 建设方案.docx | 建设背景、建设目标（规划值）、组织架构（含合并单元格表格、嵌套表格、文本框、页眉页脚） |
| 2024年度工作总结.pdf | 年度实际完成情况（正文与表格），由 Word 文档经 LibreOffice 转换，页脚带页码 |
| 自评表.xlsx | 按观测点编号填写的自评表（含数值与单位列） |
| 佐证材料/理事会章程.docx | 理事会章程（子文件夹中的佐证材料） |

材料有意包含：多种数字写法（千分位、以元或亿元计的金额、中文数字、“百分之……”、
以“万”计的人数、“以上”等修饰语、家/件/名/期/场/部等量词）、否定表述（尚未建立、
暂未出台、未纳入）、与实际完成值并列的规划目标和上年数据、全省或成员单位的数字、
工作总结与自评表之间一处不一致的数字，
以及若干未提供佐证的观测点。负面清单各项均无问题。

这些文件由 `tools/make_sample.py` 生成（需要 LibreOffice 才能重新生成 PDF），
对应的标注答案在 `tests/corpus/labels/input_docs.json`。
"""


def build_sample(folder: Path) -> dict[str, Any]:
    """Write the sample submission into ``folder`` and return its label."""
    info = SAMPLE_INFO
    sub = Submission("input_docs", info)
    sub.priority = [REPORT, PLAN, CHARTER, SELF]
    name, park, school, ent = info["name"], info["park"], info["lead_school"], info["lead_enterprise"]
    short_ent = "云澜精工"

    # ------------------------------------------------------------------ 建设方案.docx
    d = Doc(sub, PLAN, header=f"{name}建设方案　　{SAMPLE_MARK}",
            date=_dt.datetime(2023, 10, 20, 9, 0))
    d.title(f"{name}建设方案")
    d.center("（2023年10月）")
    d.p(f"【{SAMPLE_MARK}】本文件为产教联合体评审助手自带的演示材料，所涉单位、人员和数据均为模拟编写，不对应任何真实单位。",
        indent=False)
    d.h("一、建设背景", 1, style=True)
    d.p("为深入贯彻落实《关于深化现代职业教育体系建设改革的意见》，推动职业教育与区域产业深度融合，"
        f"云澜市依托{park}组建{name}。联合体由{school}牵头，联合{ent}等龙头企业、"
        "成员院校和科研机构共同建设。")
    d.caption("表1  联合体基本信息")
    d.table([["项目", "内容"], ["联合体名称", name], ["依托园区", park], ["牵头学校", school],
             ["牵头企业", ent], ["成立时间", "2023年10月"]], widths=[40, 110])
    d.blank()
    d.h("（一）园区基础", 2, style=True)
    d.p(d.s("2.1.1", "国家级", f"{park}于2012年⟨升级为国家级经济技术开发区⟩，"),
        "是云澜市先进制造业的主阵地。",
        d.s("2.1.2", 1286, "2023年园区实现总产值{v}", style="c"),
        "，较上年的1,135亿元增长13.3%，在全省开发区中排名第4位。")
    d.p(d.s("2.2.1", None, "⟨园区主导产业为智能装备制造⟩，涵盖工业机器人、数控机床和智能检测装备，"
            "属于传统产业升级与新兴产业壮大并重的产业类别。"),
        d.s("2.3.1", 41.5, "智能装备已列入云澜市重点产业目录，园区智能装备产值占全市该产业产值的{v}。",
            style="cn", word="百分之"))
    d.p(d.s("1.2.1", True, "⟨2023年11月，云澜市委教育工作领导小组召开专题会议⟩，研究联合体规划建设等工作，"),
        "明确由园区管委会牵头、教育、发展改革、财政、人力资源社会保障等部门协同推进。")
    d.h("（二）牵头单位基础", 2, style=True)
    d.p(d.s("3.1.1", True, f"{ent}⟨是国家级专精特新“小巨人”企业⟩，"),
        "2022年入选省级产教融合型企业建设培育名单。",
        d.s("3.2.1", 12000, "近三年，该公司通过共建生产性实训基地、捐赠教学设备等方式在产教融合领域累计投入{v}",
            word="亿元"),
        "，其中2023年当年投入4,300万元。")
    d.p(d.s("4.1.1", True, f"{school}⟨为省级高水平高职学校建设单位⟩，"),
        d.s("4.2.1", 82, "其智能制造专业群与园区主导产业的匹配度达到{v}。"),
        "学校与园区企业共建订单班、现代学徒制试点班，具备较好的合作基础。")
    d.textbox(["建设亮点",
               "联合体前期已形成一批可复制的经验做法，" +
               d.s("13.1.2", 3, "⟨入选省级产教融合典型案例{v}⟩。"),
               "牵头学校连续三年获评云澜市校企合作先进单位。"], height_pt=96)
    d.h("二、建设目标", 1, style=True)
    d.p("主要目标：到2026年，",
        d.t("8.1.3", 20, "共建专业达到{v}；"),
        d.t("8.1.4", 8, "特有专业方向达到{v}；"),
        d.t("8.2.2", 80, "联合开发课程不少于{v}；"),
        d.t("9.2.2", 150, "高本贯通培养规模达到{v}；"),
        d.t("11.2.5", 10, "企业学徒岗位占岗位总量的比例力争达到{v}；"),
        d.t("15.2.1", 1, "力争获得国家级教育教学成果奖{v}。"),
        "建成布局合理、资源共享、运行高效的市域产教联合体。")
    d.caption("表2  主要建设指标（目标值）")
    d.table([["指标", "单位", "2024年", "2025年", "2026年"],
             ["共建实训基地", "个", "6", "8", d.t("8.5.1", 10, "{v}", word="", anchor="共建实训基地个6810")],
             ["订单培养", "人", "280", "320", d.t("9.1.4", 360, "{v}", word="", anchor="订单培养人280320360")],
             ["技术服务合同金额", "万元", "1200", "1500",
              d.t("13.2.3", 2000, "{v}", word="", anchor="技术服务合同金额万元120015002000")],
             ["境外培训", "人", "50", "80", d.t("15.1.3", 120, "{v}", word="", anchor="境外培训人5080120")],
             ["技能鉴定", "人次", "3000", "3500", d.t("14.1.1", 4000, "{v}", word="", anchor="技能鉴定人次300035004000")],
             ["面向农民工、退役军人等培训", "人日", "5000", "8000",
              d.t("14.1.4", 10000, "{v}", word="", anchor="退役军人等培训人日5000800010000")]],
            widths=[60, 20, 22, 22, 22])
    d.blank()
    d.h("三、组织架构与运行机制", 1, style=True)
    d.p(d.s("5.3.1", True, "联合体⟨实行理事会决策、秘书处执行、专门委员会咨询的决策机制⟩，"),
        "重大事项由理事会集体研究决定。",
        d.s("5.4.2", True, "⟨建立了项目管理、财务管理、资产管理和信息公开等运营管理制度⟩。"))
    d.caption("表3  联合体组织架构")
    org = d.table([["机构", "组成", "主要职责"], ["理事会", "", "审议章程、发展规划、年度计划和重大事项"],
                   ["秘书处", f"设在{school}", "负责日常工作"],
                   ["专门委员会", "专业建设、校企合作、技术服务等委员会", "提供咨询和专项推进"]],
                  widths=[28, 72, 50])
    inner_cell = org.cell(1, 1)
    d.table([["理事长单位", f"{park}管委会"], ["副理事长单位", f"{school}、{ent}"],
             ["理事单位", "成员企业、院校及科研机构"]], container=inner_cell, header_bold=False)
    d.blank()
    d.p(d.s("5.1.2", True, "⟨成员学校涵盖中职、高职和普通本科学校⟩"), "，具体见表4。")
    d.caption("表4  成员学校")
    d.table([["类别", "学校名称", "备注"],
             ["中职", "云澜第一职业中等专业学校", "国家级重点中职学校"],
             ["", "云澜滨江职业技术学校", ""],
             ["高职", school, "牵头学校"],
             ["", "云澜工贸职业技术学院", ""],
             ["", "云澜交通职业技术学院", ""],
             ["本科", "云澜理工大学", "普通本科高校"],
             ["注：成员学校名单以理事会审议通过的为准。", "", ""]],
            widths=[25, 75, 50], vmerge=[(0, 1, 2), (0, 3, 5)], hmerge=[(7, 0, 2)])
    d.blank()
    d.h("四、保障措施", 1, style=True)
    d.p("市财政",
        d.t("6.1.2", 2000, "计划每年安排联合体建设专项经费{v}", style="c"),
        "，各成员单位按章程约定分摊日常运行经费。各项工作按照“年初有计划、季度有调度、年底有考核”的要求组织实施。")
    d.p("联合体注重发挥牵头学校和牵头企业的双主体作用，推动资源共建共享，定期向理事会报告建设进展。")
    d.save(folder / PLAN)
    sub.files.append(PLAN)

    # ------------------------------------------------------------------ 2024年度工作总结 (docx -> pdf)
    rhead = f"{name}2024年度工作总结　{SAMPLE_MARK}"
    r = Doc(sub, REPORT, header=rhead, date=_dt.datetime(2025, 1, 10, 9, 0), size=15)
    r.title(f"{name}2024年度工作总结")
    r.center(f"{school}（联合体秘书处）")
    r.center(f"（{SAMPLE_MARK}，仅供演示）", size=12)
    r.p(f"2024年，{name}在云澜市委、市政府的领导下，依托{park}，由{school}和{ent}共同牵头，"
        "以服务智能装备产业高质量发展为目标，坚持以教促产、以产助教，各项建设任务有序推进，现将全年工作总结如下。")
    r.h("一、总体情况")
    r.p("一年来，联合体围绕“四个合作”和“五金”建设两条主线，聚焦园区智能装备产业链人才需求，"
        "推动成员单位由松散合作向实体化运行转变，基本形成了政府统筹、园区主导、校企协同、多方参与的建设格局。")
    r.p(f"{short_ent}严格执行职工教育经费提取政策，",
        r.s("3.3.1", 2.5, "按职工工资总额的{v}以上提取职工教育经费"),
        "（全省规模以上工业企业平均提取比例为1.8%），",
        r.s("3.3.2", 60, "其中用于一线技能人才培训的比例为{v}。"),
        "联合体坚持以教促产、以产助教，推动教育链、人才链与产业链、创新链有机衔接。")
    r.p("园区全年生产总值增速为9.6%，",
        r.s("13.1.1", True, "⟨高于全市平均水平⟩2.1个百分点。"),
        "智能装备产业集群效应进一步显现，新增规模以上企业27家，工业机器人、数控机床和智能检测装备三条细分产业链"
        "对技术技能人才的需求持续增长。")
    r.h("二、组织运行与制度建设")
    r.p(r.s("5.1.1", True, "⟨园区管委会牵头成立了由政府部门、行业企业、职业院校和科研院所共同参与的联合体理事会⟩，"),
        "首届理事会成员单位36家。",
        r.s("5.3.2", True, "⟨制定印发《理事会议事规则》⟩，对会议召开、议题提交和表决程序作出规定。"),
        r.s("5.4.1", True, "⟨《联合体章程》经首届理事会审议通过⟩，共六章三十二条，对组织机构、成员权利义务、经费管理、"
            "退出机制等作出完整规定。"))
    r.p("全年召开理事会全体会议两次、秘书长办公会四次，研究审议年度工作要点、专项经费预算和重点项目立项等事项。"
        "秘书处实行专人专岗，建立月度工作台账和季度调度制度，重点任务逐项明确责任单位和完成时限。")
    r.p(r.s("5.2.1", True, "⟨联合体建设情况已纳入园区年度工作考核指标⟩，"),
        r.s("5.2.2", False, "但⟨目前仍未纳入区域职业教育工作目标考核体系⟩。"),
        r.s("5.4.3", False, "⟨专职人员聘用及评价、绩效考核和运营质量保障体系尚未建立⟩，"),
        "拟于2025年上半年出台相关办法。")
    r.h("三、政策供给与条件保障")
    r.p(r.s("1.1.1", True, "⟨2024年3月，省委教育工作领导小组召开会议⟩，专题研究市域产教联合体建设工作。"),
        r.s("1.1.2", True, "省教育厅等八部门⟨联合印发《关于加快推进市域产教联合体建设的实施意见》⟩。"),
        r.s("1.2.2", False, "⟨支持联合体发展的市级细化方案暂未出台⟩，目前正在征求意见。"),
        r.s("6.3.1", True, "⟨云澜市出台职业学校毕业生在就业、落户、参加招聘、职称评审、晋升等方面的支持政策⟩。"),
        r.s("6.2.1", False, "⟨支持联合体建设的“金融+财政+土地+信用”实施细则暂未出台⟩。"))
    r.p(r.s("6.1.1", True, "⟨市财政设立市域产教联合体建设专项经费⟩，纳入年度预算管理。"),
        r.s("6.1.2", 1850, "2024年专项经费实际到位{v}", style="c"),
        "，",
        r.s("6.1.3", None, "⟨专项经费主要用于实训基地建设、课程开发和师资培训⟩，全年执行率为92.5%。"),
        r.s("6.1.4", None, "⟨制定了2024—2026年专项经费三年投入规划⟩，计划三年累计投入6,000万元。"))
    r.p(r.s("6.1.5", True, "⟨各成员单位按章程约定分摊联合体日常运行经费⟩，"),
        r.s("6.1.6", 320, "全年日常经费实际到位{v}", style="c", word="元"),
        "，其中牵头学校承担95万元。")
    r.h("四、深化合作办学")
    r.p(r.s("7.1.1", 4, "⟨下沉至云溪县办学的高职专业{v}⟩，"),
        r.s("7.1.2", 180, "下沉县域专业在校生人数较上年的120人增长至{v}。"),
        r.s("7.2.1", 3, "企业参与共建现代产业学院{v}。", style="cn"))
    r.p("产业学院实行理事会领导下的院长负责制，由企业技术骨干担任副院长，校企双方共同制定发展规划、"
        "共同投入建设资金、共同组建教学团队、共同开展质量评价，形成了“四共同”运行模式。")
    r.h("五、推进“五金”建设")
    r.h("（一）专业建设", 2)
    r.p(r.s("8.1.1", True, "⟨建立学校专业设置与园区产业发展规划联动机制⟩，"),
        "每年根据园区产业规划调整专业布局。",
        r.s("8.1.3", 12, "联合体内校企共建专业{v}，"),
        "较上年增加3个。新增工业互联网技术、智能检测技术等紧缺专业，撤并与园区产业关联度低的专业两个。")
    r.h("（二）课程建设", 2)
    r.p(r.s("8.2.2", 32, "校企联合开发课程{v}，", style="cn", word="门"),
        "课程内容对接企业真实生产项目和典型工作任务，引入新技术、新工艺、新规范，"
        "推行项目化、模块化教学。")
    r.h("（三）教材建设", 2)
    r.p(r.s("8.3.1", 15, "校企联合编写工作手册式、新形态教材{v}，", word="部"),
        r.s("8.3.3", 2, "⟨{v}教材入选“十四五”职业教育国家规划教材⟩。"))
    r.h("（四）师资队伍建设", 2)
    r.p(r.s("8.4.1", {"人次": 86, "课时": 2580}, "聘请企业兼职教师{v1}，承担教学任务{v2}。",
            styles=("d", "c")),
        r.s("8.4.3", 312, "教师企业实践累计{v}，"),
        "较上年的268人月有所增长。",
        r.s("8.4.5", None, "⟨出台《校企人员互兼互聘管理办法》⟩，推进校企人员双向聘用。"))
    r.p("联合体分批选派专业教师到成员企业生产一线实岗锻炼，实践成果纳入教师职称评审和绩效考核；"
        "同时聘请企业技能大师、能工巧匠担任产业导师，参与课程开发、实训指导和毕业设计。")
    r.h("（五）实习实训基地建设", 2)
    r.p(r.s("8.5.4", 8600, "共建实训基地年度覆盖学生{v}，", style="c"),
        "成员院校在校生总数为41,200人。",
        r.s("8.5.3", 26, "共建实训工位周均使用{v}。", word="小时"),
        r.s("8.5.5", True, "⟨实训项目覆盖智能装备主要生产流程⟩，"),
        "基本实现了“教学过程与生产过程对接”。")
    r.caption("表1  2024年度主要建设任务完成情况")
    r.table([["序号", "建设任务", "完成数量", "备注"],
             ["1", "共建实训基地", r.s("8.5.1", 9, "{v}", anchor="共建实训基地9个"), "2026年目标10个"],
             ["2", "实训基地工位", r.s("8.5.2", 1460, "{v}", style="c", anchor="实训基地工位1,460个"),
              "上年度1,210个"],
             ["3", "平台注册企业", r.s("11.1.2", 412, "{v}", word="家", anchor="平台注册企业412家"), ""],
             ["4", "发布就业岗位", r.s("11.1.4", 5680, "{v}", style="c", anchor="发布就业岗位5,680个"), ""],
             ["5", "学生技能等级证书", r.s("14.2.1", 2980, "{v}", style="c", anchor="学生技能等级证书2,980人次"),
              "上年度2,415人次"],
             ["6", "发明专利", r.s("13.3.1", 18, "{v}", word="件", anchor="发明专利18件"), ""],
             ["7", "其他专利", r.s("13.3.2", 46, "{v}", word="件", anchor="其他专利46件"),
              "含实用新型专利41件、外观设计专利5件"]],
            widths=[14, 50, 36, 50])
    r.blank()
    r.h("六、推进融通贯通培养")
    r.p(r.s("9.1.2", 1260, "联合培养学生{v}，", style="c"),
        "开设订单班18个，",
        r.s("9.1.4", 312, "订单培养学生{v}。"),
        r.s("9.1.5", 140, "开展中国特色学徒制培养{v}，", word="名"),
        f"其中{short_ent}接收学徒64名。学徒实行“双导师”制，由企业师傅和学校教师共同指导。")
    r.p(r.s("9.1.7", 24, "联合体组织校企对接活动{v}，", word="场"),
        r.s("9.1.8", 156, "吸引企业{v}参与。", word="家"),
        r.s("9.2.1", 480, "中高职贯通培养学生{v}，"),
        r.s("9.2.4", 35, "通过“文化素质+职业技能”考试招生的学生升学比例为{v}，", style="cn", word="百分之"),
        "高于全省百分之二十八的平均水平。")
    r.h("七、深化合作就业")
    r.p(r.s("10.1.1", True, "⟨建立了各主体共同参与的职业教育专业动态调整机制⟩，"),
        r.s("10.1.2", 88.5, "专业与联合体产业匹配度为{v}。"),
        r.s("10.2.2", 1, "全年发布联合体人才需求报告{v}。"))
    r.p(r.s("11.1.1", 23600, "技能人才供需信息平台注册用户达{v}，", style="w"),
        r.s("11.1.3", 12, "全年通过平台发布人才需求清单{v}。", word="期"),
        r.s("11.2.1", 16200, "开展就业指导活动，覆盖学生{v}。", style="w"))
    r.p(r.s("12.1.1", 96.8, "2024届毕业生就业率为{v}，"),
        "高于全省平均水平（93.1%）。毕业生主要从事设备装调、运维和质量检测等岗位，用人单位满意度持续提升。")
    r.h("八、服务区域产业发展")
    r.p(r.s("13.2.3", 1536, "成员院校与园区企业签订技术服务合同金额{v}，", style="c"),
        f"其中{school}到账638万元。校企联合组建技术攻关团队，围绕设备智能化改造、工艺优化和质量检测开展协同创新。")
    r.p(r.s("13.3.4", 32, "实现研究成果转化{v}，", style="cn"),
        r.s("13.3.5", 120, "成果转化到账经费{v}。", style="cn"),
        r.s("13.1.3", None, "⟨联合体建设经验被学习强国、云澜日报等媒体报道⟩。"))
    r.h("九、助力职业发展")
    r.p(r.s("14.1.3", 28000, "面向园区企业员工开展岗位培训{v}。", style="w"),
        r.s("14.2.2", 47, "学生获得省级以上技能大赛奖励{v}，"),
        "较上年的31人次明显增加。联合体推行“岗课赛证”综合育人，将职业技能等级标准融入课程教学。")
    r.h("十、职教出海与社会影响")
    r.p(r.s("15.1.1", 1, "与“一带一路”沿线国家合作开展境外办学项目{v}，", style="cn"),
        "随园区企业“走出去”，为海外项目培养本土化技术技能人才。")
    r.h("十一、存在问题与下一步工作")
    r.p("一是实体化运行程度还不够高，成员单位之间的协同深度有待加强；二是企业参与办学的积极性仍需进一步激发；"
        "三是服务中小企业技术创新的能力还需提升；四是部分考核评价制度尚未配套，运行保障机制有待健全。")
    r.p("对照负面清单逐项自查，联合体在招生、就业、安全等领域未发生重大违法违规事件，申报和建设过程中不存在造假行为，"
        "各项经费均按计划落实，相关政策按期出台。")
    r.p("2025年，联合体将进一步完善运行机制，深化“四个合作”，持续提升服务区域发展能力，",
        r.t("15.1.3", 80, "力争境外培训达到{v}，"),
        "面向农民工、退役军人等群体的培训规模明显扩大。重点做好以下工作：")
    r.p("（一）推动实体化运行。完善理事会议事决策和秘书处日常运行机制，配齐专职工作人员，"
        "建立成员单位年度绩效评价和动态调整制度。")
    r.p("（二）深化产教供需对接。定期发布产业人才需求和技术需求，组织校企对接和项目路演，"
        "推动更多企业深度参与专业建设、课程开发和实习实训。")
    r.p("（三）提升服务产业能力。依托共建技术服务平台，面向园区中小企业开展技术诊断、工艺改进和员工培训，"
        "推动科研成果在园区转化落地。")
    r.right(f"{name}秘书处")
    r.right("2025年1月10日")
    with tempfile.TemporaryDirectory(prefix="mksample-") as td:
        src = Path(td) / "2024年度工作总结.docx"
        r.save(src)
        docx_to_pdf(src, folder / REPORT, r.date)
    sub.files.append(REPORT)

    # ------------------------------------------------------------------ 自评表.xlsx
    x = Sheet(sub, SELF)
    ev = "附件"
    rows: list[list[Any]] = [
        [f"{name}建设自评表（{SAMPLE_MARK}）"] + [None] * 6,
        ["序号", "观测点编号", "观测点", "完成情况", "数值", "单位", "佐证材料"],
        ["一、基础性指标"] + [None] * 6,
    ]
    basic = [
        ("1.1.2", x.yes("1.1.2", True, "已出台"), None, None, f"{ev}1-2 文件扫描件"),
        ("1.2.2", x.yes("1.2.2", False, "否（细化方案尚在起草）"), None, None, f"{ev}1-4 起草说明"),
        ("2.1.2", "园区总产值，全省第4位", x.num("2.1.2", 1286), "亿元", f"{ev}2-2 统计公报"),
        ("3.2.1", "已完成", x.num("3.2.1", 12000), "万元", f"{ev}3-2 投入明细"),
        ("3.3.1", "已落实", x.num("3.3.1", 2.5), "%", f"{ev}3-3 财务报表"),
        ("3.3.2", "已落实", x.num("3.3.2", 60), "%", f"{ev}3-3 财务报表"),
        ("3.3.3", "待统计", None, None, None),
        ("4.2.1", "已完成", x.num("4.2.1", 82), "%", f"{ev}4-2 匹配度分析"),
    ]
    solid = [
        ("5.2.2", x.yes("5.2.2", False, "未纳入"), None, None, None),
        ("6.1.6", "已到位", x.num("6.1.6", 320), "万元", f"{ev}6-6 到账凭证"),
        ("7.1.2", "已完成", x.num("7.1.2", 180), "人", f"{ev}7-2 学籍名册"),
        ("8.2.1", "已完成", x.num("8.2.1", 2), "个", f"{ev}8-3 资源库建设协议"),
        ("8.4.1", x.s("8.4.1", {"人次": 86, "课时": 2580}, "企业兼职教师{v1}，承担{v2}"), None, None,
         f"{ev}8-7 聘任名单"),
        ("8.5.3", "/", None, None, None),
        ("9.1.2", "已完成", x.num("9.1.2", 1260), "人", f"{ev}9-2 培养协议"),
        ("9.1.4", "已完成", x.num("9.1.4", 298), "人", f"{ev}9-4 订单班名册"),
        ("9.2.4", "已完成", x.num("9.2.4", 35), "%", f"{ev}9-9 录取统计"),
        ("11.1.1", "已完成", x.num("11.1.1", 23600), "人", f"{ev}11-1 平台后台截图"),
        ("12.1.1", "已完成", x.num("12.1.1", 96.8), "%", f"{ev}12-1 就业质量报告"),
        ("13.2.3", "已完成", x.num("13.2.3", 1536, 15360000), "元", f"{ev}13-3 合同清单"),
        ("13.3.3", "—", None, None, None),
        ("14.1.3", "已完成", x.num("14.1.3", 28000), "人日", f"{ev}14-3 培训台账"),
        ("14.1.4", "待统计", None, None, None),
        ("15.1.3", "—", None, None, None),
        ("15.2.4", "/", None, None, None),
    ]
    n = 0
    for grp, items in ((None, basic), ("二、实质性指标", solid)):
        if grp:
            rows.append([grp] + [None] * 6)
        for code, status, val, unit, evid in items:
            n += 1
            rows.append([n, code, NAMES[code], status, val, unit, evid])
    merge = [1, 3] + [i + 1 for i, row in enumerate(rows) if row[0] == "二、实质性指标"]
    notes = [["填表说明"], ["1. 完成情况填写截至2024年12月31日的数据。"],
             ["2. 数值列按“单位”列所示单位填写；无数据的填“—”或“/”。"],
             ["3. 佐证材料编号与附件目录一致。"], [f"4. 本表为{SAMPLE_MARK}，仅供演示。"]]
    write_xlsx(folder / SELF, [
        {"title": "自评表", "rows": rows, "widths": [6, 11, 46, 22, 12, 8, 20], "merge_rows": merge,
         "header_row": 2, "page_header": f"{name}　{SAMPLE_MARK}"},
        {"title": "填表说明", "rows": notes, "widths": [70]},
    ], date=_dt.datetime(2025, 1, 8, 9, 0))
    sub.files.append(SELF)

    # ------------------------------------------------------------------ 佐证材料/理事会章程.docx
    c = Doc(sub, CHARTER, header=f"{name}理事会章程　　{SAMPLE_MARK}", date=_dt.datetime(2023, 12, 5, 9, 0))
    c.title(f"{name}理事会章程")
    c.center("（2023年12月5日首届理事会第一次会议审议通过）", size=12)
    c.h("第一章  总则", 1)
    c.p(f"第一条　本联合体是在云澜市人民政府指导下，由政府、行业企业、学校、科研机构自愿组成的非营利性产教融合组织，"
        f"全称为{name}。")
    c.p("第二条　联合体遵守国家法律法规，坚持党建引领，坚持共建共享、互利共赢的原则。")
    c.h("第二章  成员", 1)
    c.p("第三条　成员单位享有参加联合体活动、获得联合体服务、对联合体工作提出建议的权利。")
    c.p("第四条　", c.s("5.1.2", True, "⟨联合体成员学校包括中等职业学校、高等职业学校和普通本科学校⟩。"))
    c.h("第三章  组织机构", 1)
    c.p("第五条　", c.s("5.1.1", True, f"联合体设理事会，⟨由{park}管委会牵头，政府部门、行业企业、职业院校和科研院所等多方参与⟩。"))
    c.p("第六条　", c.s("5.3.1", True, "⟨理事会是联合体的最高决策机构⟩，理事会闭会期间由秘书处负责日常工作。"))
    c.p("第七条　理事会每年至少召开一次全体会议，会议须有三分之二以上理事单位出席方能召开。")
    c.h("第四章  运营管理", 1)
    c.p("第八条　", c.s("5.4.2", True, "⟨联合体建立项目管理、财务管理、资产管理和信息公开等运营管理制度⟩。"))
    c.p("第九条　联合体经费实行统一管理、专款专用，接受成员单位和有关部门监督。")
    c.h("第五章  附则", 1)
    c.p("第十条　本章程自理事会审议通过之日起施行，解释权属联合体理事会。")
    c.save(folder / CHARTER)
    sub.files.append(CHARTER)

    (folder / "README.md").write_text(SAMPLE_README, encoding="utf-8")
    return finish(sub, folder, {REPORT: rhead})


def _same_tree(a: Path, b: Path) -> list[str]:
    diffs = []
    for f in sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file()):
        if not (b / f).exists() or not filecmp.cmp(a / f, b / f, shallow=False):
            diffs.append(str(f))
    for f in sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file()):
        if not (a / f).exists():
            diffs.append(str(f))
    return diffs


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description="生成自带示例材料（input_docs/）及其标注文件")
    ap.add_argument("--out", default=str(ROOT / "input_docs"), help="示例材料输出文件夹")
    ap.add_argument("--label", default=str(ROOT / "tests" / "corpus" / "labels" / "input_docs.json"))
    ap.add_argument("--check", action="store_true", help="在临时目录重新生成并与现有文件比较")
    args = ap.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory(prefix="mksample-check-") as td:
            out = Path(td) / "input_docs"
            label = build_sample(out)
            write_label(label, Path(td) / "label.json")
            diffs = _same_tree(out, Path(args.out))
            if Path(args.label).read_bytes() != (Path(td) / "label.json").read_bytes():
                diffs.append(str(args.label))
        print("一致" if not diffs else "不一致：" + "，".join(diffs))
        return 1 if diffs else 0
    out = Path(args.out)
    if out.exists():
        for p in sorted(out.rglob("*"), reverse=True):
            if p.is_file() and p.name != ".gitkeep":
                p.unlink()
            elif p.is_dir():
                try:
                    p.rmdir()
                except OSError:
                    pass
    label = build_sample(out)
    write_label(label, Path(args.label))
    print(f"示例材料已写入 {out}：{summary(label)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
