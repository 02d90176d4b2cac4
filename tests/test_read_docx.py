"""The .docx reader on real files: built here with python-docx (+ raw XML for what python-docx
cannot write) and the peer corpus of awkward real-world documents."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import qn

from consortium_review.extractors.readers import ReadError
from consortium_review.extractors.readers import docx as reader

PEER = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "peer"

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = (f'xmlns:w="{W}" '
      'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
      'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
      'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
      'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
      'xmlns:v="urn:schemas-microsoft-com:vml" '
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')


# --------------------------------------------------------------------------- helpers

def peer(name: str) -> Path:
    p = PEER / name
    if not p.is_file():
        pytest.skip(f"peer corpus file {name} not present ({PEER})")
    return p


def read(path: Path):
    return reader.read(path, path.name)


def add_xml(doc, xml: str):
    """Append raw WordprocessingML (one block element) to the body, before the final sectPr."""
    el = parse_xml(xml.replace("NSDECL", NS))
    doc.element.body.find(qn("w:sectPr")).addprevious(el)
    return el


def p_xml(inner: str) -> str:
    return f"<w:p NSDECL>{inner}</w:p>"


def r(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def texts(reading, *kinds: str) -> list[str]:
    return [b.text for b in reading.blocks if not kinds or b.kind in kinds]


def all_text(reading) -> str:
    return "\n".join(b.text for b in reading.blocks)


def add_part(path: Path, name: str, xml: str, rel_type: str, content_type: str) -> None:
    """Add a part to a saved .docx: the part, its relationship from the main part, its content type."""
    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    out = []
    for info, data in items:
        if info.filename == "word/_rels/document.xml.rels":
            rel = (f'<Relationship Id="rIdX{len(name)}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   f'relationships/{rel_type}" Target="{name.split("/", 1)[1]}"/>')
            data = data.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
        elif info.filename == "[Content_Types].xml":
            ov = f'<Override PartName="/{name}" ContentType="{content_type}"/>'
            data = data.replace(b"</Types>", ov.encode() + b"</Types>")
        out.append((info.filename, data))
    out.append((name, xml.encode("utf-8")))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in out:
            z.writestr(n, data)


def replace_part(path: Path, name: str, data: bytes) -> None:
    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in items:
            z.writestr(n, data if n == name else d)


# --------------------------------------------------------------------------- body, headings, sections

def test_body_order_headings_sections_and_locators(tmp_path):
    doc = Document()
    doc.add_paragraph("宜宾临港市域产教联合体建设方案")
    doc.add_paragraph("一、建设背景")
    doc.add_paragraph("联合体依托园区组建，成员单位52家。")
    doc.add_paragraph("（一）组织架构")
    doc.add_paragraph("1.理事会")
    doc.add_paragraph("（1）秘书处")
    doc.add_paragraph("1.联合体成员单位共52家，其中企业35家，学校10家，科研机构7家，覆盖园区主导产业的主要环节。")
    doc.add_paragraph("表2  主要建设指标（目标值）")
    t = doc.add_table(rows=3, cols=3)
    for i, row in enumerate([["指标", "单位", "2024年"], ["发布就业岗位", "个", "1520"], ["就业指导活动", "人次", "1098"]]):
        for j, v in enumerate(row):
            t.cell(i, j).text = v
    doc.add_paragraph("二、建设目标")
    doc.add_heading("组织实施", level=2)
    doc.add_paragraph("")   # empty paragraphs give no block and are not counted
    doc.add_paragraph("最后一段。")
    path = tmp_path / "方案.docx"
    doc.save(path)
    before = path.read_bytes()

    got = read(path)
    assert path.read_bytes() == before
    kinds = [(b.kind, b.level, b.text) for b in got.blocks]
    assert kinds == [
        ("paragraph", None, "宜宾临港市域产教联合体建设方案"),
        ("heading", 1, "一、建设背景"),
        ("paragraph", None, "联合体依托园区组建，成员单位52家。"),
        ("heading", 2, "（一）组织架构"),
        ("heading", 3, "1.理事会"),
        ("heading", 4, "（1）秘书处"),
        ("paragraph", None, "1.联合体成员单位共52家，其中企业35家，学校10家，科研机构7家，覆盖园区主导产业的主要环节。"),
        ("caption", None, "表2 主要建设指标（目标值）"),
        ("table_row", None, "指标 | 单位 | 2024年"),
        ("table_row", None, "发布就业岗位 | 个 | 1520"),
        ("table_row", None, "就业指导活动 | 人次 | 1098"),
        ("heading", 1, "二、建设目标"),
        ("heading", 2, "组织实施"),
        ("paragraph", None, "最后一段。"),
    ]
    by_text = {b.text: b for b in got.blocks}
    assert by_text["联合体依托园区组建，成员单位52家。"].section == "一、建设背景"
    assert by_text["（1）秘书处"].section == "1.理事会"          # a heading's section is its parent
    assert by_text["1.理事会"].section == "（一）组织架构"
    assert by_text["最后一段。"].locator == "第11段"
    assert by_text["一、建设背景"].locator == "第2段"
    row = by_text["发布就业岗位 | 个 | 1520"]
    assert (row.table, row.row, row.locator) == (1, 2, "表1第2行")
    assert row.cells == ["发布就业岗位", "个", "1520"]
    assert row.header == ["指标", "单位", "2024年"]
    assert by_text["指标 | 单位 | 2024年"].header == ["指标", "单位", "2024年"]
    assert row.section == "（1）秘书处"
    assert all(b.file == "方案.docx" for b in got.blocks)


def test_heading_styles_outline_levels_and_chinese_style_names(tmp_path):
    doc = Document()
    doc.add_heading("Word 标题样式", level=3)
    st = doc.styles.add_style("标题 2", 1)          # WPS/Chinese Word name a heading style like this
    doc.add_paragraph("中文样式名的标题", style=st)
    p = doc.add_paragraph("大纲级别设定的标题")
    p._p.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl xmlns:w="{W}" w:val="0"/>'))
    body = doc.add_heading("正文级别", level=1)
    body._p.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl xmlns:w="{W}" w:val="9"/>'))  # 9 = body text
    path = tmp_path / "h.docx"
    doc.save(path)
    got = {b.text: b for b in read(path).blocks}
    assert (got["Word 标题样式"].kind, got["Word 标题样式"].level) == ("heading", 3)
    assert (got["中文样式名的标题"].kind, got["中文样式名的标题"].level) == ("heading", 2)
    assert (got["大纲级别设定的标题"].kind, got["大纲级别设定的标题"].level) == ("heading", 1)
    assert got["正文级别"].kind == "paragraph"


def test_automatic_list_labels_are_rendered(tmp_path):
    doc = Document()
    doc.add_paragraph("first item", style="List Number")
    doc.add_paragraph("second item", style="List Number")
    doc.add_paragraph("a bullet", style="List Bullet")
    path = tmp_path / "list.docx"
    doc.save(path)
    assert texts(read(path)) == ["1. first item", "2. second item", "a bullet"]


def test_chinese_numbering_formats():
    assert [reader._format_number(n, "chineseCounting") for n in (1, 10, 11, 20, 21, 100, 105)] == \
        ["一", "十", "十一", "二十", "二十一", "一百", "一百零五"]
    assert reader._format_number(3, "ideographTraditional") == "丙"
    assert reader._format_number(4, "upperRoman") == "IV"
    assert reader._format_number(2, "decimalEnclosedCircle") == "②"


def test_page_break_splits_a_paragraph(tmp_path):
    doc = Document()
    p = doc.add_paragraph("上一页的结尾。")
    p.add_run().add_break(WD_BREAK.PAGE)
    p.add_run("二、主要任务")
    path = tmp_path / "pb.docx"
    doc.save(path)
    got = read(path).blocks
    assert [(b.kind, b.text) for b in got] == [("paragraph", "上一页的结尾。"), ("heading", "二、主要任务")]


# --------------------------------------------------------------------------- tables

def test_merged_cells_appear_once_and_columns_line_up(tmp_path):
    doc = Document()
    t = doc.add_table(rows=4, cols=3)
    t.cell(0, 0).text, t.cell(0, 1).text, t.cell(0, 2).text = "类别", "成员单位", "人数"
    t.cell(1, 0).text, t.cell(1, 1).text, t.cell(1, 2).text = "中职", "宜宾技师学院", "120"
    t.cell(2, 1).text, t.cell(2, 2).text = "宜宾中等专业学校", "80"
    t.cell(1, 0).merge(t.cell(2, 0))                         # vertical merge (vMerge)
    merged = t.cell(3, 0).merge(t.cell(3, 1))                # horizontal merge (gridSpan)
    merged.text = "合计（横向合并）"
    t.cell(3, 2).text = "200"
    path = tmp_path / "merged.docx"
    doc.save(path)
    rows = [b for b in read(path).blocks if b.kind == "table_row"]
    assert [b.cells for b in rows] == [
        ["类别", "成员单位", "人数"],
        ["中职", "宜宾技师学院", "120"],
        ["", "宜宾中等专业学校", "80"],
        ["合计（横向合并）", "", "200"],
    ]
    assert all_text(read(path)).count("中职") == 1
    assert all_text(read(path)).count("合计（横向合并）") == 1
    assert [b.row for b in rows] == [1, 2, 3, 4]
    assert rows[3].text == "合计（横向合并） | 200"


def test_nested_table_is_its_own_table_after_its_row(tmp_path):
    doc = Document()
    doc.add_paragraph("成员情况如下：")
    outer = doc.add_table(rows=3, cols=2)
    outer.cell(0, 0).text, outer.cell(0, 1).text = "项目", "内容"
    outer.cell(1, 0).text = "成员单位"
    cell = outer.cell(1, 1)
    cell.text = "见下表"
    inner = cell.add_table(rows=2, cols=2)
    inner.cell(0, 0).text, inner.cell(0, 1).text = "单位", "类型"
    inner.cell(1, 0).text, inner.cell(1, 1).text = "宜宾职业技术学院", "高职"
    outer.cell(2, 0).text, outer.cell(2, 1).text = "经费", "100万元"
    doc.add_table(rows=1, cols=1).cell(0, 0).text = "第三个表"
    path = tmp_path / "nested.docx"
    doc.save(path)
    got = read(path)
    seq = [(b.table, b.row, b.text) for b in got.blocks if b.kind == "table_row"]
    assert seq == [
        (1, 1, "项目 | 内容"),
        (1, 2, "成员单位 | 见下表"),
        (2, 1, "单位 | 类型"),
        (2, 2, "宜宾职业技术学院 | 高职"),
        (1, 3, "经费 | 100万元"),
        (3, 1, "第三个表"),
    ]
    assert all_text(got).count("宜宾职业技术学院") == 1
    nested_row = [b for b in got.blocks if b.table == 2][1]
    assert nested_row.header == ["单位", "类型"] and nested_row.locator == "表2第2行"


def test_title_row_above_header_row():
    assert reader.header_row([["表1 成员单位", "", ""], ["单位", "类型", "人数"], ["a", "b", "1"]]) == \
        ["单位", "类型", "人数"]
    assert reader.header_row([["单位", "类型"], ["a", "b"]]) == ["单位", "类型"]


# --------------------------------------------------------------------------- text boxes, content controls

TEXTBOX = """<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor distT="0" distB="0"
 distL="0" distR="0" simplePos="0" relativeHeight="1" behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">
 <wp:simplePos x="0" y="0"/><wp:positionH relativeFrom="column"><wp:posOffset>0</wp:posOffset></wp:positionH>
 <wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV><wp:extent cx="100" cy="100"/>
 <wp:wrapNone/><wp:docPr id="1" name="Text Box 1"/><a:graphic><a:graphicData
 uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp><wps:cNvSpPr txBox="1"/>
 <wps:spPr/><wps:txbx><w:txbxContent><w:p><w:r><w:t>理事会</w:t></w:r></w:p><w:p><w:r><w:t>秘书处（文本框）</w:t></w:r></w:p>
 </w:txbxContent></wps:txbx><wps:bodyPr/></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing>
 </mc:Choice><mc:Fallback><w:pict><v:shape id="tb1"><v:textbox><w:txbxContent><w:p><w:r><w:t>理事会</w:t></w:r></w:p>
 <w:p><w:r><w:t>秘书处（文本框）</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>
 </mc:AlternateContent></w:r>"""


def test_textbox_read_once_from_one_branch_where_anchored(tmp_path):
    doc = Document()
    doc.add_paragraph("组织架构如图：")
    add_xml(doc, p_xml(r("图1 组织架构") + TEXTBOX))
    doc.add_paragraph("之后的段落")
    vml_only = TEXTBOX[TEXTBOX.index("<w:pict>"):TEXTBOX.index("</w:pict>") + len("</w:pict>")]
    add_xml(doc, p_xml(f"<w:r>{vml_only.replace('秘书处（文本框）', '旧式文本框')}</w:r>"))
    path = tmp_path / "tb.docx"
    doc.save(path)
    got = read(path)
    seq = [(b.kind, b.text) for b in got.blocks]
    assert seq == [
        ("paragraph", "组织架构如图："),
        ("caption", "图1 组织架构"),
        ("textbox", "理事会"),
        ("textbox", "秘书处（文本框）"),
        ("paragraph", "之后的段落"),
        ("textbox", "理事会"),
        ("textbox", "旧式文本框"),
    ]
    assert all_text(got).count("秘书处（文本框）") == 1
    assert got.blocks[2].locator == "第2段文本框"


def test_textbox_in_a_table_cell_follows_its_row(tmp_path):
    doc = Document()
    add_xml(doc, "<w:tbl NSDECL><w:tblGrid><w:gridCol/><w:gridCol/></w:tblGrid>"
                 "<w:tr><w:tc><w:p>" + r("架构") + "</w:p></w:tc><w:tc><w:p>" + r("见图") + TEXTBOX + "</w:p></w:tc></w:tr>"
                 "<w:tr><w:tc><w:p>" + r("下一行") + "</w:p></w:tc><w:tc><w:p/></w:tc></w:tr></w:tbl>")
    path = tmp_path / "tb-cell.docx"
    doc.save(path)
    got = read(path)
    assert [(b.kind, b.locator, b.text) for b in got.blocks] == [
        ("table_row", "表1第1行", "架构 | 见图"),
        ("textbox", "表1第1行文本框", "理事会"),
        ("textbox", "表1第1行文本框", "秘书处（文本框）"),
        ("table_row", "表1第2行", "下一行"),
    ]


def test_unknown_choice_takes_the_fallback(tmp_path):
    doc = Document()
    xml = p_xml(r("笑脸") + '<w:r><mc:AlternateContent xmlns:w16se="http://schemas.microsoft.com/office/word/2015/'
                'wordml/symex"><mc:Choice Requires="w16se"><w16se:symEx w16se:font="Segoe UI Emoji" w16se:char="1F600"/>'
                '</mc:Choice><mc:Fallback><w:t>😀</w:t></mc:Fallback></mc:AlternateContent></w:r>')
    add_xml(doc, xml)
    path = tmp_path / "emoji.docx"
    doc.save(path)
    assert texts(read(path)) == ["笑脸😀"]


def test_content_controls_block_and_inline(tmp_path):
    doc = Document()
    add_xml(doc, "<w:sdt NSDECL><w:sdtPr><w:alias w:val=\"牵头单位\"/><w:tag w:val=\"lead\"/></w:sdtPr><w:sdtContent>"
                 + p_xml(r("牵头院校：宜宾职业技术学院")).replace(" NSDECL", "")
                 + "</w:sdtContent></w:sdt>")
    add_xml(doc, p_xml(r("成员单位") + "<w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent>"
                       + r("52") + "</w:sdtContent></w:sdt>" + r("家")))
    # a content control wrapping a whole cell
    add_xml(doc, "<w:tbl NSDECL><w:tblGrid><w:gridCol/><w:gridCol/></w:tblGrid><w:tr>"
                 "<w:tc><w:p>" + r("控件表格") + "</w:p></w:tc>"
                 "<w:sdt><w:sdtPr/><w:sdtContent><w:tc><w:p>" + r("单元格控件") + "</w:p></w:tc></w:sdtContent></w:sdt>"
                 "</w:tr></w:tbl>")
    path = tmp_path / "sdt.docx"
    doc.save(path)
    got = read(path)
    assert texts(got) == ["牵头院校：宜宾职业技术学院", "成员单位52家", "控件表格 | 单元格控件"]
    assert texts(got, "paragraph")[0] == "牵头院校：宜宾职业技术学院"


# --------------------------------------------------------------------------- revisions and fields

def test_tracked_changes_accept_all(tmp_path):
    doc = Document()
    rev = 'w:id="{}" w:author="审阅人" w:date="2024-05-01T00:00:00Z"'
    add_xml(doc, p_xml(r("共建实训基地")
                       + f'<w:del {rev.format(1)}><w:r><w:delText>5</w:delText></w:r></w:del>'
                       + f'<w:ins {rev.format(2)}>{r("7")}</w:ins>' + r("个。")))
    add_xml(doc, p_xml(f'<w:moveFrom {rev.format(3)}>{r("被移走的句子。")}</w:moveFrom>' + r("保留的句子。")))
    add_xml(doc, p_xml(r("移到这里：") + f'<w:moveTo {rev.format(4)}>{r("被移走的句子。")}</w:moveTo>'))
    t = doc.add_table(rows=2, cols=1)
    t.cell(0, 0).text = "保留行"
    t.cell(1, 0).text = "已删除的行"
    t._tbl.tr_lst[1].get_or_add_trPr().append(parse_xml(f'<w:del xmlns:w="{W}" {rev.format(5)}/>'))
    path = tmp_path / "rev.docx"
    doc.save(path)
    got = read(path)
    assert texts(got) == ["共建实训基地7个。", "保留的句子。", "移到这里：被移走的句子。", "保留行"]
    assert any("修订" in w for w in got.warnings)


def test_fields_show_result_only_and_drop_page_numbers(tmp_path):
    doc = Document()
    fld = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> REF _Ref1 \\h '
           '</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>' + r("表3") +
           '<w:r><w:fldChar w:fldCharType="end"/></w:r>')
    add_xml(doc, p_xml(r("详见") + fld + r("。")))
    add_xml(doc, p_xml(r("超链接：") + '<w:fldSimple w:instr=" HYPERLINK &quot;http://x&quot; ">' + r("链接文字")
                       + "</w:fldSimple>"))
    page = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r>' + r("7") + '<w:r><w:fldChar w:fldCharType="end"/></w:r>')
    add_xml(doc, p_xml(r("第") + page + r("页")))
    sec = doc.sections[0]
    sec.footer.paragraphs[0]._p.append(parse_xml(f"<w:r xmlns:w=\"{W}\"><w:t>- </w:t></w:r>"))
    for el in parse_xml(f"<w:p xmlns:w=\"{W}\">{page}</w:p>"):
        sec.footer.paragraphs[0]._p.append(el)
    path = tmp_path / "fields.docx"
    doc.save(path)
    got = read(path)
    assert texts(got) == ["详见表3。", "超链接：链接文字", "第页"]
    assert "REF" not in all_text(got) and "HYPERLINK" not in all_text(got)
    assert texts(got, "footer") == []     # a footer with only a page number carries no content


# --------------------------------------------------------------------------- headers, footers, notes

FOOTNOTES = f"""<w:footnotes xmlns:w="{W}">
<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>
<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>
<w:footnote w:id="1"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> 数据来源：2024年统计年报。</w:t></w:r></w:p></w:footnote>
<w:footnote w:id="2"><w:p><w:r><w:t>第二条脚注</w:t></w:r></w:p></w:footnote>
</w:footnotes>"""
ENDNOTES = f"""<w:endnotes xmlns:w="{W}">
<w:endnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:endnote>
<w:endnote w:id="1"><w:p><w:r><w:t>尾注内容</w:t></w:r></w:p></w:endnote></w:endnotes>"""


def test_headers_footers_deduplicated_and_notes(tmp_path):
    doc = Document()
    doc.sections[0].header.paragraphs[0].text = "宜宾临港市域产教联合体"
    doc.sections[0].footer.paragraphs[0].text = "联合体秘书处印"
    add_xml(doc, p_xml(r("正文引用脚注") + '<w:r><w:footnoteReference w:id="1"/></w:r>'))
    doc.add_section()
    sec2 = doc.sections[1]
    sec2.header.is_linked_to_previous = False
    sec2.header.paragraphs[0].text = "宜宾临港市域产教联合体"      # identical text: one block
    sec2.first_page_header.paragraphs[0].text = "首页页眉"
    sec2.different_first_page_header_footer = True
    doc.add_paragraph("后一节的正文内容")
    path = tmp_path / "hf.docx"
    doc.save(path)
    add_part(path, "word/footnotes.xml", FOOTNOTES, "footnotes",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml")
    add_part(path, "word/endnotes.xml", ENDNOTES, "endnotes",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.endnotes+xml")
    got = read(path)
    assert texts(got, "paragraph") == ["正文引用脚注", "后一节的正文内容"]
    headers = [(b.locator, b.text) for b in got.blocks if b.kind == "header"]
    assert sorted(t for _, t in headers) == ["宜宾临港市域产教联合体", "首页页眉"]
    assert headers[0][0] == "页眉" and headers[1][0] == "页眉2"
    assert [(b.locator, b.text) for b in got.blocks if b.kind == "footer"] == [("页脚", "联合体秘书处印")]
    assert [(b.locator, b.text) for b in got.blocks if b.kind == "footnote"] == [
        ("脚注1", "数据来源：2024年统计年报。"), ("脚注2", "第二条脚注"), ("尾注1", "尾注内容")]
    # body first, then headers/footers/notes; the body's headings do not leak into them
    kinds = [b.kind for b in got.blocks]
    assert kinds.index("header") > kinds.index("paragraph")


# --------------------------------------------------------------------------- package robustness

def test_main_part_found_through_rels_and_strict_namespaces(tmp_path):
    doc = Document()
    doc.add_paragraph("改名的正文部件")
    path = tmp_path / "renamed.docx"
    doc.save(path)
    with zipfile.ZipFile(path) as z:
        items = {i.filename: z.read(i.filename) for i in z.infolist()}
    items["word/main-body.xml"] = items.pop("word/document.xml")
    items["word/_rels/main-body.xml.rels"] = items.pop("word/_rels/document.xml.rels")
    items["_rels/.rels"] = items["_rels/.rels"].replace(b"word/document.xml", b"word/main-body.xml")
    items["[Content_Types].xml"] = items["[Content_Types].xml"].replace(b"/word/document.xml", b"/word/main-body.xml")
    # strict OOXML: purl.oclc.org namespaces everywhere
    strict = items["word/main-body.xml"].replace(W.encode(), b"http://purl.oclc.org/ooxml/wordprocessingml/main")
    items["word/main-body.xml"] = b"\xef\xbb\xbf" + strict          # and a UTF-8 BOM
    items["_rels/.rels"] = items["_rels/.rels"].replace(
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
        b"http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument")
    with zipfile.ZipFile(path, "w") as z:
        for n, d in items.items():
            z.writestr(n, d)
    assert texts(read(path)) == ["改名的正文部件"]


def test_not_a_zip_and_empty_zip_are_clean_errors(tmp_path):
    junk = tmp_path / "junk.docx"
    junk.write_bytes(b"this is not a word document" * 10)
    with pytest.raises(ReadError, match="不是有效的 Word 文档"):
        read(junk)
    empty = tmp_path / "empty.docx"
    with zipfile.ZipFile(empty, "w"):
        pass
    with pytest.raises(ReadError, match="找不到正文"):
        read(empty)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE w:document [
 <!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>before &xxe; after</w:t></w:r></w:p></w:body></w:document>"""


@pytest.mark.parametrize("hostile", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
@pytest.mark.parametrize("part", ["word/document.xml", "word/styles.xml"])
def test_entity_attacks_are_refused(tmp_path, hostile, part):
    doc = Document()
    doc.add_paragraph("正常内容")
    path = tmp_path / "hostile.docx"
    doc.save(path)
    replace_part(path, part, hostile.replace("{W}", W).encode())
    try:
        got = read(path)
    except ReadError as exc:
        assert "DTD" in str(exc) or "实体" in str(exc)
        return
    text = all_text(got)   # if it is read at all, nothing was expanded or fetched
    assert "lollol" not in text and "root:" not in text


def test_zip_bomb_is_refused_without_inflating(tmp_path):
    path = tmp_path / "bomb.docx"
    doc = Document()
    doc.add_paragraph("x")
    doc.save(path)
    with zipfile.ZipFile(path) as z:
        items = {i.filename: z.read(i.filename) for i in z.infolist() if i.filename != "word/document.xml"}
    chunk = b"\0" * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for n, d in items.items():
            z.writestr(n, d)
        with z.open("word/document.xml", "w", force_zip64=True) as w:   # streamed: 200 MB of zeros
            for _ in range(200):
                w.write(chunk)
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("word/document.xml")
        assert info.file_size == 200 << 20 and info.compress_size < 1 << 20
    with pytest.raises(ReadError, match="疑似压缩炸弹"):
        read(path)


def test_input_with_ole_container_is_explained(tmp_path):
    got = pytest.raises(ReadError, read, peer("enc-agile.docx"))
    assert "加密" in str(got.value)


def test_bounded_nesting_of_tables(tmp_path):
    doc = Document()
    cell = doc.add_table(rows=1, cols=1).cell(0, 0)
    for depth in range(30):
        cell.text = f"层{depth}"
        cell = cell.add_table(rows=1, cols=1).cell(0, 0)
    cell.text = "最深处"
    path = tmp_path / "deep.docx"
    doc.save(path)
    text = all_text(read(path))
    assert "最深处" in text and text.count("层29") == 1


# --------------------------------------------------------------------------- peer corpus

def _expected(name: str) -> list[str]:
    return [ln.strip() for ln in peer(name).read_text(encoding="utf-8").splitlines() if ln.strip()]


def test_peer_cn_asian_text():
    got = read(peer("cn-asian-text.docx"))
    assert texts(got, "paragraph") == _expected("cn-asian-text.expected.txt")


def test_peer_tracked_changes_emoji():
    got = read(peer("tracked-changes-emoji.docx"))
    assert texts(got, "paragraph") == _expected("tracked-changes-emoji.expected.txt")
    assert "deleted" not in all_text(got)


def test_peer_huge_attribute_value():
    got = read(peer("huge-attribute-value.docx"))
    assert any(re.search("A second test of reviewing, but with Unicode characters in", t) for t in texts(got))
    assert texts(got, "paragraph") == _expected("tracked-changes-emoji.expected.txt")


def test_peer_textboxes_body_and_header():
    got = read(peer("textboxes-body-header.docx"))
    seq = [(b.kind, b.text) for b in got.blocks if b.kind in ("paragraph", "textbox")]
    assert seq[:6] == [
        ("paragraph", "Paragraph 1"), ("textbox", "First text box, regular"),
        ("paragraph", "Paragraph 2"), ("textbox", "A shape with text inside"),
        ("paragraph", "Paragraph 3"),
        ("textbox", "Second text box, copied and pasted from the first. The anchor point is the same")]
    tb = texts(got, "textbox")
    assert "Vertical text box added too" in tb
    assert len(tb) == len(set(tb))       # each box once: Choice taken, Fallback not
    header = texts(got, "header")
    assert len(header) == 1 and "Header box 2" in header[0] and "Header box 1" in header[0]


def test_peer_content_control():
    got = read(peer("content-control-sdt.docx"))
    assert texts(got) == ["This is a test", "For a content control or content container in word."]


def test_peer_nested_tables_notes_headers():
    got = read(peer("nested-tables-notes-hdrftr.docx"))
    notes = texts(got, "footnote")
    assert notes[:2] == ["First footnote", "Second footnote"]
    assert [b.locator for b in got.blocks if b.kind == "footnote"][:2] == ["脚注1", "脚注2"]
    assert texts(got, "header") == ["Header text"] and texts(got, "footer") == ["Footer text"]
    rows = [b for b in got.blocks if b.kind == "table_row"]
    assert [b.text for b in rows if b.table == 2] == ["Nested | Table", "A | B"]
    assert all("Nested" not in b.text for b in rows if b.table == 1)
    assert texts(got)[0].startswith("I. expect I")


def test_peer_strict_renamed_bom_google():
    strict = read(peer("strict-ooxml.docx"))
    assert [b.text for b in strict.blocks if b.kind == "table_row"] == ["Cellaa | Cellab", "Cellba | Cellbb"]
    assert "Number1" in all_text(strict) and "Bullet2" in all_text(strict)
    assert texts(read(peer("renamed-main-part.docx"))) == ["This is a link to my website."]
    assert texts(read(peer("xml-utf8-bom.docx"))) == ["This XML has a byte order mark."]
    google = read(peer("google-docs-no-docprops.docx"))
    assert len(texts(google, "paragraph")) >= 5 and google.pages is None


def test_peer_empty_zip():
    with pytest.raises(ReadError, match="找不到正文"):
        read(peer("corrupt-empty-zip.docx"))


def test_peer_merged_cells_no_duplicates():
    rows = [b.cells for b in read(peer("merged-cells.docx")).blocks if b.kind == "table_row"]
    assert rows == [["0-0", "0-12", "", "0-3"], ["12-0", "1-1", "1-2", "1-3"], ["", "2-1", "2-2", "2-3"],
                    ["3-0", "34-123", "", ""], ["4-0", "", "", ""]]


def test_peer_libreoffice_chinese_procurement_document():
    got = read(peer("cn-libreoffice-textbox-merged.docx"))
    text = all_text(got)
    assert "东阳市歌山镇人民政府" in text and "DYBWCG2021-JZ-019-1" in text
    assert ("heading", 1, "一、项目基本情况") in [(b.kind, b.level, b.text) for b in got.blocks]
    rows = [b for b in got.blocks if b.kind == "table_row"]
    assert any(b.cells == ["序号", "项目名称", "服务期限", "预算金额"] for b in rows)
    # text that lives in text boxes (LibreOffice frames holding tables) is read exactly once
    assert text.count("粘\n贴\n处") == 1
    # horizontal spans: text once, in the first grid column of the span, "" for the rest
    assert ["通讯代码", "", "电话", "", "传真", "", "", "邮政编码", "", "", ""] in [b.cells for b in rows]
    assert text.count("负责市场的巡逻、监控、消防和车管等工作") == 2   # the document really repeats this table


def test_peer_big_document_reads_completely():
    got = read(peer("many-pages-872p.docx"))
    assert len(texts(got, "paragraph", "heading")) > 4000
    assert len(texts(got, "footnote")) >= 3
    assert sum(len(b.text) for b in got.blocks) > 700_000


def test_alt_chunk_is_reported_not_silently_lost(tmp_path):
    doc = Document()
    doc.add_paragraph("正文")
    add_xml(doc, '<w:altChunk NSDECL r:id="rIdHtml1"/>')
    path = tmp_path / "alt.docx"
    doc.save(path)
    got = read(path)
    assert texts(got) == ["正文"]
    assert any("altChunk" in w for w in got.warnings)
