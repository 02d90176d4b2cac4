"""Build the docxtpl template 「评审意见模板.docx」 (run: ``python templates/build_templates.py``).

The template is generated so it is reproducible, and committed so a secretary can open it in
Word or WPS and change wording, order or layout.  Layout and styles come from
``consortium_review.generator.officedoc`` (GB/T 9704-2012), exactly as for documents built in code.  Every
variable is documented in ``templates/README.md``; evidence text reaches the document only as
context values (never as template source).

Jinja tags used:
  ``{{ x }}``        plain text value          ``{{r x }}``      rich text (highlighted marks)
  ``{%p … %}``       paragraph-level loop/if   ``{%tr … %}``     table-row loop
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from consortium_review.generator import officedoc as od  # noqa: E402

OPINION_TEMPLATE = HERE / "评审意见模板.docx"

#: header table: label -> rich-text variable
HEADER_ROWS = [
    ("联合体名称", "consortium_name_rt"),
    ("依托园区", "park_rt"),
    ("牵头学校", "lead_school_rt"),
    ("牵头企业", "lead_enterprise_rt"),
    ("评审材料", "materials_rt"),
    ("评审日期", "review_date_rt"),
]


def _p(doc, text: str = "", style: str = od.STYLE_BODY):
    """A template paragraph: text is template source here (trusted), so no sanitising needed."""
    p = doc.add_paragraph(style=style)
    if text:
        p.add_run(text)
    return p


def _loop_paragraphs(doc, var: str, item: str = "para", style: str = od.STYLE_BODY) -> None:
    _p(doc, f"{{%p for {item} in {var} %}}", style)
    _p(doc, f"{{{{r {item} }}}}", style)
    _p(doc, "{%p endfor %}", style)


def _figure(doc, var: str) -> None:
    _p(doc, f"{{%p if {var} %}}", od.STYLE_FIGURE)
    _p(doc, f"{{{{ {var}.image }}}}", od.STYLE_FIGURE)
    _p(doc, f"{{{{ {var}.caption }}}}", od.STYLE_CAPTION)
    _p(doc, "{%p endif %}", od.STYLE_FIGURE)


def _loop_table(doc, headers: list[str], widths_mm: list[float], loop: str, cells: list[str],
                small: bool = False) -> None:
    """A table with a header row and one templated row repeated by ``{%tr for … %}``."""
    text_style = od.STYLE_TABLE_TEXT_SMALL if small else od.STYLE_TABLE_TEXT
    t = od.add_table(doc, headers, [[f"{{%tr {loop} %}}"] + [""] * (len(headers) - 1), cells,
                                    ["{%tr endfor %}"] + [""] * (len(headers) - 1)], widths_mm, small=small)
    for row in t.rows[1:]:
        for c in row.cells:
            c.paragraphs[0].style = doc.styles[text_style]


def _attachment_mark(doc, text: str) -> None:
    """「附件N」 at the top of a new page (page break before the paragraph itself, so a body
    that ends at the foot of a page never leaves an empty page behind)."""
    p = _p(doc, text, od.STYLE_ATTACHMENT)
    p.paragraph_format.page_break_before = True


def build_opinion_template(path: Path = OPINION_TEMPLATE) -> Path:
    doc = od.new_document()
    doc.core_properties.title = "评审意见"
    doc.core_properties.subject = "市域产教联合体评审意见（初稿）"
    doc.core_properties.author = "consortium-review"
    doc.core_properties.comments = "由 templates/build_templates.py 生成；变量说明见 templates/README.md"

    _p(doc, "{{ title }}", od.STYLE_TITLE)
    _p(doc, "（评审意见初稿，供评审专家核改）", od.STYLE_SUBTITLE)

    rows = [[label, f"{{{{r {var} }}}}"] for label, var in HEADER_ROWS]
    t = od.add_table(doc, None, rows, [34, od.TEXT_WIDTH_MM - 34], large=True)
    for row in t.rows:
        row.cells[0].paragraphs[0].style = doc.styles[od.STYLE_TABLE_HEAD_LARGE]

    # ---- 正文 (2–5 pages): what an expert signs
    _p(doc, "一、基本情况", od.STYLE_HEADING1)
    _loop_paragraphs(doc, "basic")
    _p(doc, "二、总体评价", od.STYLE_HEADING1)
    _loop_paragraphs(doc, "overall")
    _p(doc, "三、主要成效", od.STYLE_HEADING1)
    _loop_paragraphs(doc, "achievements", "item", od.STYLE_BODY_LEFT)
    _p(doc, "四、存在问题", od.STYLE_HEADING1)
    _loop_paragraphs(doc, "problems", "item", od.STYLE_BODY_LEFT)
    _p(doc, "五、意见建议", od.STYLE_HEADING1)
    _loop_paragraphs(doc, "suggestions", "item", od.STYLE_BODY_LEFT)
    _p(doc, "六、评审结论（建议）", od.STYLE_HEADING1)
    _loop_paragraphs(doc, "conclusion_paragraphs", style=od.STYLE_BODY_LEFT)
    _p(doc, "七、需核实事项", od.STYLE_HEADING1)
    _loop_paragraphs(doc, "verify", "item", od.STYLE_BODY_LEFT)

    # GB/T 9704 附件说明: one blank line after the body, two characters in
    _p(doc, "", od.STYLE_PLAIN)
    _loop_paragraphs(doc, "annex_note", "item", od.STYLE_ATTACHMENT_NOTE)

    _p(doc, "评审专家（签字）：　　　　　　　　", od.STYLE_SIGNATURE)
    _p(doc, "{{ signature_date }}", od.STYLE_SIGNATURE)

    # ---- 附件1 逐项核查
    _attachment_mark(doc, "附件1")
    _p(doc, "观测点逐项核查情况", od.STYLE_TITLE)
    _p(doc, "一、门槛指标达标情况", od.STYLE_HEADING1)
    _loop_paragraphs(doc, "threshold_paragraphs")
    _loop_table(doc, ["编号", "观测点", "标准", "材料取值及来源", "判定"], [18, 40, 36, 44, 18],
                "for t in thresholds", ["{{ t.code }}", "{{ t.name }}", "{{ t.rule }}", "{{r t.value }}",
                                        "{{r t.verdict }}"], small=True)
    _figure(doc, "fig_thresholds")
    _p(doc, "二、负面清单核查", od.STYLE_HEADING1)
    _loop_paragraphs(doc, "negative_paragraphs")
    _loop_paragraphs(doc, "rule_paragraphs")
    _p(doc, "三、规划目标完成情况", od.STYLE_HEADING1)
    _loop_paragraphs(doc, "progress_intro")
    _p(doc, "{%p if progress_rows %}", od.STYLE_PLAIN)
    _loop_table(doc, ["编号", "观测点", "实际完成（来源）", "规划目标（来源）", "完成率"], [16, 34, 44, 44, 18],
                "for r in progress_rows", ["{{ r.code }}", "{{ r.name }}", "{{ r.achieved }}", "{{ r.target }}",
                                           "{{r r.rate }}"], small=True)
    _p(doc, "{%p endif %}", od.STYLE_PLAIN)
    _p(doc, "四、同比情况", od.STYLE_HEADING1)
    _loop_paragraphs(doc, "trend_intro")
    _p(doc, "{%p if trend_rows %}", od.STYLE_PLAIN)
    _loop_table(doc, ["编号", "观测点", "本年度（来源）", "上年度（来源）", "变化"], [16, 30, 44, 44, 22],
                "for r in trend_rows", ["{{ r.code }}", "{{ r.name }}", "{{ r.current }}", "{{ r.previous }}",
                                        "{{ r.change }}"], small=True)
    _p(doc, "{%p endif %}", od.STYLE_PLAIN)
    _p(doc, "五、分项核查", od.STYLE_HEADING1)
    _figure(doc, "fig_coverage")
    _p(doc, "{%p for g in groups %}", od.STYLE_HEADING2)
    _p(doc, "{{ g.heading }}", od.STYLE_HEADING2)
    _p(doc, "{%p for para in g.paragraphs %}", od.STYLE_BODY_LEFT)
    _p(doc, "{{r para }}", od.STYLE_BODY_LEFT)
    _p(doc, "{%p endfor %}", od.STYLE_BODY_LEFT)
    _p(doc, "{%p endfor %}", od.STYLE_HEADING2)

    # ---- 附件2
    _attachment_mark(doc, "附件2")
    _p(doc, "佐证材料缺失清单", od.STYLE_TITLE)
    _loop_paragraphs(doc, "gaps_intro", style=od.STYLE_BODY)
    _p(doc, "{%p if gaps %}", od.STYLE_PLAIN)
    _loop_table(doc, ["序号", "编号", "观测点", "状态", "建议补充的佐证材料"], [10, 16, 40, 18, 72],
                "for r in gaps", ["{{ r.no }}", "{{ r.code }}", "{{ r.name }}", "{{r r.status }}", "{{ r.hint }}"],
                small=True)
    _p(doc, "{%p endif %}", od.STYLE_PLAIN)

    # ---- 附件3
    _attachment_mark(doc, "附件3")
    _p(doc, "数据冲突清单", od.STYLE_TITLE)
    _loop_paragraphs(doc, "conflicts_intro")
    _p(doc, "{%p if conflicts %}", od.STYLE_PLAIN)
    _loop_table(doc, ["编号", "观测点", "各材料的取值及来源", "说明"], [16, 38, 72, 30],
                "for r in conflicts", ["{{ r.code }}", "{{ r.name }}", "{{r r.sources }}", "{{r r.note }}"],
                small=True)
    _p(doc, "{%p endif %}", od.STYLE_PLAIN)

    # ---- 附件4
    _attachment_mark(doc, "附件4")
    _p(doc, "证据明细表", od.STYLE_TITLE)
    _loop_paragraphs(doc, "evidence_intro")
    _loop_table(doc, ["编号", "观测点", "状态", "取值", "来源（文件、页码）", "摘录"], [16, 30, 16, 18, 30, 46],
                "for r in evidence_rows", ["{{ r.code }}", "{{ r.name }}", "{{r r.status }}", "{{r r.value }}",
                                           "{{ r.source }}", "{{ r.snippet }}"], small=True)

    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path)
    return path


def main() -> int:
    path = build_opinion_template()
    print(f"已生成模板：{path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
