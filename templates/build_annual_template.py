"""Build ``templates/年度报告模板.docx`` — the docxtpl template of the annual report (年度报告).

Run ``python templates/build_annual_template.py`` after changing the layout; the .docx is
committed so that a secretary can open it in Word or WPS, adjust wording or styles and save it
back (keep the ``{{ }}`` / ``{% %}`` tags; their meaning is in ``README-annual.md``).

Layout: GB/T 9704 page, fonts and styles from ``consortium_review.generator.officedoc``; three sections —

1. 封面 and 目录 (no page number); the 目录 is a TOC field (Word/WPS update it, the file asks
   to update fields on opening) whose cached result already lists the sections;
2. 正文 (page numbers 「— 1 —」 restarting at 1);
3. 附表 in landscape (page numbers continue).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from docx.enum.section import WD_SECTION  # noqa: E402
from docx.enum.table import WD_TABLE_ALIGNMENT  # noqa: E402
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK  # noqa: E402
from docx.oxml import OxmlElement  # noqa: E402
from docx.oxml.ns import qn  # noqa: E402
from docx.shared import Mm, Pt  # noqa: E402

from consortium_review.fileio import atomic_path  # noqa: E402
from consortium_review.generator import officedoc as od  # noqa: E402

TEMPLATE_NAME = "年度报告模板.docx"

STYLE_COVER_TITLE = "封面标题"
STYLE_COVER_INFO = "封面信息"
STYLE_TOC_TITLE = "目录标题"
STYLE_TOC1 = "toc 1"
STYLE_TOC2 = "toc 2"

#: 附表 column titles and widths (mm) — landscape text width is 297 − 28 − 26 = 243 mm
TABLE_COLUMNS = [("编号", 15), ("观测点", 72), ("单位", 14), ("本年度", 28), ("上年度", 26),
                 ("增减", 24), ("增幅", 21), ("数据来源", 43)]
TABLE_FIELDS = ["code", "name", "unit", "current", "previous", "delta", "percent", "source"]
GROUP_FILL = "E7E6E6"

#: the static entries of the 目录 (shown until the TOC field is updated): (level, text)
TOC_ENTRIES = [
    (1, "一、基本情况"),
    (1, "二、年度建设成效"),
    (2, "（一）合作办学"),
    (2, "（二）合作育人（含“五金”建设）"),
    (2, "（三）合作就业"),
    (2, "（四）合作发展"),
    (1, "三、存在问题与改进措施"),
    (1, "四、下一年度工作计划"),
    (1, "附表　观测点数据一览表"),
]


def _style(doc, name: str, *, base: str, size: float, font: str, align=None, indent_mm: float = 0,
           line_exact: float | None = None, before: float = 0, after: float = 0, style_id: str | None = None):
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_LINE_SPACING

    try:
        st = doc.styles[name]
    except KeyError:
        st = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        if style_id:
            st.element.set(qn("w:styleId"), style_id)
    st.base_style = doc.styles[base]
    st.hidden = False
    st.quick_style = True
    st.font.size = Pt(size)
    od.set_fonts(st, font)
    pf = st.paragraph_format
    if align is not None:
        pf.alignment = align
    pf.first_line_indent = Mm(0)
    pf.left_indent = Mm(indent_mm)
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    if line_exact:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(line_exact)
    return st


def _para(doc, text: str = "", style: str | None = None):
    """A paragraph whose every Jinja tag sits in a run of its own (docxtpl needs whole tags)."""
    p = doc.add_paragraph(style=style)
    if text:
        p.add_run(text)
    return p


def _tag(doc, tag: str):
    """A paragraph holding only a ``{%p … %}`` tag (docxtpl removes the paragraph)."""
    return _para(doc, tag, od.STYLE_PLAIN)


def _loop(doc, var: str, style: str = od.STYLE_BODY, item: str = "para"):
    _tag(doc, f"{{%p for {item} in {var} %}}")
    _para(doc, f"{{{{r {item} }}}}", style)
    _tag(doc, "{%p endfor %}")


def _chart(doc, var: str, caption_var: str):
    _tag(doc, f"{{%p if {var} %}}")
    _para(doc, f"{{{{ {var} }}}}", od.STYLE_FIGURE)
    _para(doc, f"{{{{r {caption_var} }}}}", od.STYLE_CAPTION)
    _tag(doc, "{%p endif %}")


def _field_run(p, kind: str, instr: str | None = None):
    r = OxmlElement("w:r")
    if kind == "instr":
        el = OxmlElement("w:instrText")
        el.set(qn("xml:space"), "preserve")
        el.text = instr
    else:
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            el.set(qn("w:dirty"), "true")
    r.append(el)
    p._p.append(r)


def _toc(doc):
    """A TOC field spanning the static entries (its cached result)."""
    for i, (level, text) in enumerate(TOC_ENTRIES):
        p = doc.add_paragraph(style=STYLE_TOC1 if level == 1 else STYLE_TOC2)
        if i == 0:
            _field_run(p, "begin")
            _field_run(p, "instr", ' TOC \\o "1-2" \\h \\z \\u \\t "一级标题,1,二级标题,2" ')
            _field_run(p, "separate")
        p.add_run(text)
        if i == len(TOC_ENTRIES) - 1:
            _field_run(p, "end")


def _update_fields_on_open(doc):
    settings = doc.settings.element
    el = settings.find(qn("w:updateFields"))
    if el is None:
        el = OxmlElement("w:updateFields")
        after = ("w:hdrShapeDefaults", "w:footnotePr", "w:endnotePr", "w:compat", "w:docVars", "w:rsids",
                 "m:mathPr", "w:attachedSchema", "w:themeFontLang", "w:clrSchemeMapping")
        anchor = None
        for child in settings:
            if child.tag in {qn(t) for t in after}:
                anchor = child
                break
        if anchor is not None:
            anchor.addprevious(el)
        else:
            settings.append(el)
    el.set(qn("w:val"), "true")


def _no_page_number(section):
    for footer in (section.footer, section.even_page_footer):
        footer.is_linked_to_previous = False
        for p in footer.paragraphs:
            for r in list(p.runs):
                r._element.getparent().remove(r._element)


def _restart_numbering(section, start: int = 1):
    sect = section._sectPr
    pg = sect.find(qn("w:pgNumType"))
    if pg is None:
        pg = OxmlElement("w:pgNumType")
        # schema order: … pgSz, pgMar, …, pgNumType, cols, … docGrid
        cols = sect.find(qn("w:cols"))
        if cols is not None:
            cols.addprevious(pg)
        else:
            grid = sect.find(qn("w:docGrid"))
            grid.addprevious(pg) if grid is not None else sect.append(pg)
    pg.set(qn("w:start"), str(start))


def _cover_info_table(doc):
    rows = [("牵头学校", "lead_school"), ("牵头企业", "lead_enterprise"), ("编制单位", "compiler"),
            ("编制日期", "date")]
    table = doc.add_table(rows=0, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label, var in rows:
        cells = table.add_row().cells
        p = cells[0].paragraphs[0]
        p.style = STYLE_COVER_INFO
        p.alignment = WD_ALIGN_PARAGRAPH.DISTRIBUTE
        r = p.add_run(label)
        od.set_fonts(r, od.FONT_HEADING1)
        p2 = cells[1].paragraphs[0]
        p2.style = STYLE_COVER_INFO
        p2.add_run("：")
        p2.add_run(f"{{{{ {var} }}}}" if var == "date" else f"{{{{r {var} }}}}")
    od.set_column_widths(table, [28, 112])
    return table


def build(path: Path | None = None) -> Path:
    path = Path(path) if path else HERE / TEMPLATE_NAME
    doc = od.new_document()
    _style(doc, STYLE_COVER_TITLE, base=od.STYLE_TITLE, size=26, font=od.FONT_TITLE,
           align=WD_ALIGN_PARAGRAPH.CENTER, line_exact=44, after=6, style_id="GwCoverTitle")
    _style(doc, STYLE_COVER_INFO, base=od.STYLE_PLAIN, size=od.SIZE_3, font=od.FONT_BODY,
           align=WD_ALIGN_PARAGRAPH.LEFT, line_exact=36, style_id="GwCoverInfo")
    _style(doc, STYLE_TOC_TITLE, base=od.STYLE_TITLE, size=od.SIZE_2, font=od.FONT_HEADING1,
           align=WD_ALIGN_PARAGRAPH.CENTER, line_exact=36, after=od.LINE_SPACING_PT, style_id="GwTocTitle")
    _style(doc, STYLE_TOC1, base=od.STYLE_PLAIN, size=od.SIZE_3, font=od.FONT_HEADING1, style_id="TOC1",
           line_exact=od.LINE_SPACING_PT)
    _style(doc, STYLE_TOC2, base=od.STYLE_PLAIN, size=od.SIZE_3, font=od.FONT_HEADING2, indent_mm=11,
           style_id="TOC2", line_exact=od.LINE_SPACING_PT)
    for name in (STYLE_TOC1, STYLE_TOC2):
        # right-aligned page numbers with dot leaders when Word/WPS update the field
        ppr = doc.styles[name].element.get_or_add_pPr()
        tabs = OxmlElement("w:tabs")
        tab = OxmlElement("w:tab")
        tab.set(qn("w:val"), "right")
        tab.set(qn("w:leader"), "dot")
        tab.set(qn("w:pos"), str(int(od.TEXT_WIDTH_MM / 25.4 * 1440)))
        tabs.append(tab)
        ppr.append(tabs)
        od._reorder_ppr(ppr)

    # ---------------------------------------------------------------- section 1: cover + 目录
    for _ in range(4):
        _para(doc, "", od.STYLE_PLAIN)
    _para(doc, "{{r name }}", STYLE_COVER_TITLE)
    _para(doc, "{{ year }}年度报告", STYLE_COVER_TITLE)
    for _ in range(7):
        _para(doc, "", od.STYLE_PLAIN)
    _cover_info_table(doc)
    p = _para(doc, "", od.STYLE_PLAIN)
    p.add_run().add_break(WD_BREAK.PAGE)
    _para(doc, "目　　录", STYLE_TOC_TITLE)
    _toc(doc)

    # ---------------------------------------------------------------- section 2: 正文
    body = doc.add_section(WD_SECTION.NEW_PAGE)
    od.setup_page(body)
    _no_page_number(doc.sections[0])
    body.footer.is_linked_to_previous = False
    od.add_page_number_footer(body)
    _restart_numbering(body, 1)

    _para(doc, "{{r title }}", od.STYLE_TITLE)
    _loop(doc, "intro")
    _para(doc, "一、基本情况", od.STYLE_HEADING1)
    _loop(doc, "basic")
    _para(doc, "二、年度建设成效", od.STYLE_HEADING1)
    _loop(doc, "overview")
    _chart(doc, "chart_key", "caption_key")
    _chart(doc, "chart_trend", "caption_trend")
    _para(doc, "（一）合作办学", od.STYLE_HEADING2)
    _loop(doc, "schooling")
    _para(doc, "（二）合作育人（含“五金”建设）", od.STYLE_HEADING2)
    _loop(doc, "education")
    _para(doc, "（三）合作就业", od.STYLE_HEADING2)
    _loop(doc, "employment")
    _para(doc, "（四）合作发展", od.STYLE_HEADING2)
    _loop(doc, "development")
    _para(doc, "三、存在问题与改进措施", od.STYLE_HEADING1)
    _para(doc, "（一）存在问题", od.STYLE_HEADING2)
    _loop(doc, "problems")
    _chart(doc, "chart_coverage", "caption_coverage")
    _para(doc, "（二）改进措施", od.STYLE_HEADING2)
    _loop(doc, "measures")
    _para(doc, "四、下一年度工作计划", od.STYLE_HEADING1)
    _loop(doc, "plan")
    _para(doc, "", od.STYLE_PLAIN)
    _para(doc, "{{r compiler }}", od.STYLE_SIGNATURE)
    _para(doc, "{{ date }}", od.STYLE_SIGNATURE)

    # ---------------------------------------------------------------- section 3: 附表 (landscape)
    annex = doc.add_section(WD_SECTION.NEW_PAGE)
    od.setup_page(annex, landscape=True)
    pg = annex._sectPr.find(qn("w:pgNumType"))     # copied from the body section: numbering continues
    if pg is not None:
        annex._sectPr.remove(pg)
    _para(doc, "附表", od.STYLE_ATTACHMENT)
    _para(doc, "观测点数据一览表", od.STYLE_TITLE)
    _loop(doc, "table_note", od.STYLE_PLAIN)
    header = [c for c, _ in TABLE_COLUMNS]
    widths = [w for _, w in TABLE_COLUMNS]
    n = len(TABLE_COLUMNS)
    rows = [["{%tr for row in rows %}"] + [""] * (n - 1),
            ["{%tr if row.group %}"] + [""] * (n - 1),
            ["{{r row.code }}", "{{r row.name }}"] + [""] * (n - 2),           # 二级指标 row, merged
            ["{%tr else %}"] + [""] * (n - 1),
            ["{{r row." + f + " }}" for f in TABLE_FIELDS],
            ["{%tr endif %}"] + [""] * (n - 1),
            ["{%tr endfor %}"] + [""] * (n - 1)]
    table = od.add_table(doc, header, rows, widths, small=True)
    group = table.rows[3]                       # header is row 0
    group.cells[1].merge(group.cells[n - 1])
    for cell in group.cells:
        od.set_cell_shading(cell, GROUP_FILL)
        for p in cell.paragraphs:
            p.paragraph_format.keep_with_next = True     # never alone at the foot of a page
            for r in p.runs:
                r.bold = True
    trpr = group._tr.get_or_add_trPr()
    cant = OxmlElement("w:cantSplit")
    trpr.insert(0, cant)
    _para(doc, "", od.STYLE_PLAIN)      # a document must not end with a table

    _update_fields_on_open(doc)
    cp = doc.core_properties
    cp.title = "市域产教联合体年度报告模板"
    cp.author = "consortium-review"
    cp.comments = "变量说明见 templates/README-annual.md"
    with atomic_path(path) as tmp:
        doc.save(tmp)
    return path


if __name__ == "__main__":
    out = build(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    print(f"已生成模板：{out}")
