"""Official-document (公文) layout helpers per GB/T 9704-2012, shared by every Word output.

What this module knows, in one place:

* page: A4, margins top 37 mm / bottom 35 mm / left 28 mm / right 26 mm, a text grid of
  22 lines × 28 characters (fixed line spacing 28.95 pt);
* fonts: body 3号 (16 pt) 仿宋_GB2312; title 2号 (22 pt) 方正小标宋简体 centred; 「一、」 headings
  3号 黑体; 「（一）」 headings 3号 楷体_GB2312; page number 「— 1 —」 4号 (14 pt) 宋体 centred in
  the footer.  East-Asian fonts are always written to ``w:rFonts/@w:eastAsia`` (plus ascii,
  hAnsi and cs), and theme-font attributes are removed so they cannot take precedence;
* named paragraph styles (``STYLE_*``) that templates and code refer to by name;
* safe text: ``sanitize_text`` (strip XML-illegal control characters) and, for docxtpl
  templates, ``xml_text`` / ``RichRuns`` which escape untrusted text so neither XML nor Jinja
  nor docxtpl's post-processing can reinterpret it;
* ``safe_filename`` for Windows-safe output names.

Build a document with ``new_document()`` (python-docx) or style an existing one with
``setup_document(doc)``; ``templates/build_templates.py`` uses the same calls so templates and
code-built documents look identical.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Iterable, Optional, Sequence

from docx import Document as _new_docx
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_COLOR_INDEX, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

# --------------------------------------------------------------------------- layout constants

PAGE_WIDTH_MM = 210
PAGE_HEIGHT_MM = 297
MARGIN_TOP_MM = 37
MARGIN_BOTTOM_MM = 35
MARGIN_LEFT_MM = 28
MARGIN_RIGHT_MM = 26
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
#: fixed line spacing of body text: (297 - 37 - 35) mm / 22 lines ≈ 28.95 pt
LINE_SPACING_PT = 28.95
TEXT_WIDTH_MM = PAGE_WIDTH_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM      # 156 mm
#: body characters are condensed by 0.25 pt (w:spacing in 1/20 pt) so that 28 characters of
#: 16 pt fit the 156 mm (442 pt) line: 28 × 15.75 pt = 441 pt
CHAR_SPACING_TWENTIETHS = -5

FONT_BODY = "仿宋_GB2312"
FONT_TITLE = "方正小标宋简体"
FONT_HEADING1 = "黑体"
FONT_HEADING2 = "楷体_GB2312"
FONT_PAGE_NUMBER = "宋体"

#: Chinese font sizes (字号) in points
SIZE_2 = 22.0      # 二号
SIZE_3 = 16.0      # 三号
SIZE_4 = 14.0      # 四号
SIZE_SMALL_4 = 12.0  # 小四
SIZE_5 = 10.5      # 五号

#: Fonts that are missing on many machines and what Word/WPS may use instead (w:altName).
FONT_ALTERNATES = {
    "仿宋_GB2312": "仿宋",
    "楷体_GB2312": "楷体",
    "方正小标宋简体": "宋体",
    "黑体": "SimHei",
    "宋体": "SimSun",
}

# Paragraph style names (visible to the secretary in Word's style list).
STYLE_BODY = "Normal"             # 正文：3号仿宋，固定行距，首行缩进2字
STYLE_TITLE = "公文标题"           # 2号方正小标宋简体，居中
STYLE_SUBTITLE = "公文副标题"      # 3号楷体，居中（标题下的联合体名称等）
STYLE_HEADING1 = "一级标题"        # 「一、」3号黑体
STYLE_HEADING2 = "二级标题"        # 「（一）」3号楷体_GB2312
STYLE_ATTACHMENT = "附件标识"      # 「附件1」3号黑体，顶格
STYLE_PLAIN = "无缩进正文"         # 正文但不缩进（落款、说明）
STYLE_BODY_LEFT = "正文（左对齐）"  # 正文，左对齐：条目中有文件名、编号时不被两端对齐拉开字距
STYLE_ATTACHMENT_NOTE = "附件说明"  # 「附件：1．…」：左空二字，回行与附件名称首字对齐
STYLE_SIGNATURE = "落款"           # 右对齐
STYLE_FIGURE = "图片"              # 居中、单倍行距（固定行距会裁掉图片）
STYLE_CAPTION = "图表题注"         # 4号仿宋，居中
STYLE_TABLE_TEXT = "表格文字"      # 小四仿宋，单倍行距
STYLE_TABLE_HEAD = "表格表头"      # 小四黑体，居中
STYLE_TABLE_TEXT_SMALL = "表格文字（小）"   # 五号仿宋（附件长表）
STYLE_TABLE_HEAD_SMALL = "表格表头（小）"   # 五号黑体
STYLE_TABLE_TEXT_LARGE = "表格文字（大）"   # 四号仿宋（首页信息表）
STYLE_TABLE_HEAD_LARGE = "表格表头（大）"   # 四号黑体
STYLE_FOOTER = "Footer"           # 页码所在段落

# ASCII style ids so every Word/WPS version resolves them (names stay Chinese).
_STYLE_IDS = {
    STYLE_TITLE: "GwTitle", STYLE_SUBTITLE: "GwSubtitle", STYLE_HEADING1: "GwHeading1",
    STYLE_HEADING2: "GwHeading2", STYLE_ATTACHMENT: "GwAttachment", STYLE_PLAIN: "GwPlain",
    STYLE_SIGNATURE: "GwSignature", STYLE_FIGURE: "GwFigure", STYLE_CAPTION: "GwCaption",
    STYLE_TABLE_TEXT: "GwTableText", STYLE_TABLE_HEAD: "GwTableHead",
    STYLE_TABLE_TEXT_SMALL: "GwTableTextSmall", STYLE_TABLE_HEAD_SMALL: "GwTableHeadSmall",
    STYLE_TABLE_TEXT_LARGE: "GwTableTextLarge", STYLE_TABLE_HEAD_LARGE: "GwTableHeadLarge",
    STYLE_BODY_LEFT: "GwBodyLeft", STYLE_ATTACHMENT_NOTE: "GwAttachmentNote",
}

MISSING_MARK = "【未见佐证材料】"
HIGHLIGHT = WD_COLOR_INDEX.YELLOW

# --------------------------------------------------------------------------- safe text

# XML 1.0 allows \t \n \r and U+0020..U+D7FF, U+E000..U+FFFD, U+10000..U+10FFFF.
_XML_ILLEGAL = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# Invisible characters never belong in a document: they break search and copy-paste
# (zero-width space/joiners, word joiner, BOM). Line breaks after 「、」 need no help.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def nest_quotes(text: str) -> str:
    """Chinese nested quotation marks: double quotes inside double quotes become single.

    「“8.“五金”建设”」 -> 「“8.‘五金’建设”」, so a name that carries its own quotes can be
    quoted by any sentence without 「““」. Quotes that are not nested are left alone.
    """
    if text.count("“") < 2:
        return text
    out, depth = [], 0
    for ch in text:
        if ch == "“":
            out.append("‘" if depth % 2 else "“")
            depth += 1
        elif ch == "”" and depth:
            depth -= 1
            out.append("’" if depth % 2 else "”")
        else:
            out.append(ch)
    return "".join(out)


def quoted(name: object) -> str:
    """「“name”」 with the name's own double quotes turned into single ones."""
    return nest_quotes(f"“{sanitize_text(name)}”")


def sanitize_text(value: object, *, max_len: Optional[int] = None) -> str:
    """Untrusted text -> a string that is safe inside any XML part.

    Removes XML-illegal characters (``\\x00``-``\\x1f`` except tab/newline/CR, lone surrogates,
    U+FFFE/U+FFFF) and invisible zero-width characters; ``\\r\\n``/``\\r`` become ``\\n``.  ``&``, ``<``, ``>`` and template syntax stay
    as literal text — escaping is the writer's job (python-docx/openpyxl/``xml_text``).
    ``max_len`` truncates with 「…」.
    """
    if value is None:
        return ""
    s = value if isinstance(value, str) else str(value)
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = _XML_ILLEGAL.sub("", s)
    s = _INVISIBLE.sub("", s)
    if max_len is not None and len(s) > max_len:
        s = s[: max(0, max_len - 1)] + "…"
    return s


# Characters escaped as numeric references for docxtpl: besides XML's & < > (and quotes),
# "{", "}" and "%" — docxtpl rewrites "{_{", "}_}", "{_%", "%_}" in the rendered XML, and a
# reference keeps them out of reach of that and of any later template pass.
_TEMPLATE_REFS = {"{": "&#123;", "}": "&#125;", "%": "&#37;"}


def escape_xml_text(value: object) -> str:
    """Sanitised text escaped for a ``w:t`` element of a template being rendered."""
    s = html.escape(nest_quotes(sanitize_text(value)), quote=True)
    return "".join(_TEMPLATE_REFS.get(c, c) for c in s)


def xml_text(value: object):
    """Untrusted text as a docxtpl context value (``{{ var }}``), rendered verbatim.

    Returns ``markupsafe.Markup`` holding the escaped XML, so Jinja's autoescape does not
    escape it twice; newlines become line breaks (docxtpl turns ``\\n`` into ``<w:br/>``).
    """
    from markupsafe import Markup

    return Markup(escape_xml_text(value))


def _rpr_xml(*, highlight: Optional[str] = None, bold: bool = False, font: Optional[str] = None,
             size_pt: Optional[float] = None, color: Optional[str] = None) -> str:
    parts = []
    if font:
        f = html.escape(font, quote=True)
        parts.append(f'<w:rFonts w:ascii="{f}" w:hAnsi="{f}" w:eastAsia="{f}" w:cs="{f}" w:hint="eastAsia"/>')
    if bold:
        parts.append("<w:b/><w:bCs/>")
    if color:
        parts.append(f'<w:color w:val="{color}"/>')
    if size_pt:
        hp = int(round(size_pt * 2))
        parts.append(f'<w:sz w:val="{hp}"/><w:szCs w:val="{hp}"/>')
    if highlight:
        parts.append(f'<w:highlight w:val="{highlight}"/>')
    return "<w:rPr>" + "".join(parts) + "</w:rPr>" if parts else ""


def _make_rich_base():
    try:
        from docxtpl import RichText
    except ImportError:  # docxtpl is a dependency; keep officedoc importable without it
        return object
    return RichText


class RichRuns(_make_rich_base()):
    """A docxtpl rich-text value (``{{r var }}``) built from untrusted pieces, safely.

    Every piece is sanitised and escaped (see ``escape_xml_text``); pieces can be highlighted
    (``highlight="yellow"`` writes a real ``w:highlight``) or bold.  Runs inherit the font of
    the paragraph style they land in, unless ``font`` is given.
    """

    def __init__(self, text: object = None, **props):
        self.xml = ""
        if text is not None and text != "":
            self.add(text, **props)

    def add(self, text: object, *, highlight: Optional[str] = None, bold: bool = False,  # type: ignore[override]
            font: Optional[str] = None, size_pt: Optional[float] = None,
            color: Optional[str] = None) -> "RichRuns":
        if isinstance(text, RichRuns):
            self.xml += text.xml
            return self
        body = escape_xml_text(text)
        if not body:
            return self
        rpr = _rpr_xml(highlight=highlight, bold=bold, font=font, size_pt=size_pt, color=color)
        self.xml += f'<w:r>{rpr}<w:t xml:space="preserve">{body}</w:t></w:r>'
        return self

    def mark(self, text: str = MISSING_MARK) -> "RichRuns":
        """Append a highlighted marker such as 「【未见佐证材料】」."""
        return self.add(text, highlight="yellow")

    def __str__(self) -> str:
        return self.xml

    __unicode__ = __str__

    def __html__(self) -> str:
        return self.xml

    def __bool__(self) -> bool:
        return bool(self.xml)


_WIN_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                 *(f"LPT{i}" for i in range(1, 10))}


def safe_filename(name: object, fallback: str = "联合体", max_len: int = 80, max_bytes: int = 160) -> str:
    """A file-name stem that is valid on Windows, macOS and Linux.

    Replaces ``<>:"/\\|?*`` and control characters with 「_」, strips trailing dots/spaces,
    avoids reserved device names (CON, NUL, COM1 …) and limits the length (``max_bytes`` in
    UTF-8, so that the stem plus any suffix of this tool fits the 255-byte name limit).
    """
    s = unicodedata.normalize("NFC", sanitize_text(name))
    s = re.sub(r'[<>:"/\\|?*\x00-\x1f\x7f\n\t]', "_", s)
    s = re.sub(r"\s+", " ", s).strip().strip(".").strip()
    if len(s) > max_len:
        s = s[:max_len].rstrip(". ")
    if len(s.encode("utf-8")) > max_bytes:
        # 80 CJK characters are 240 bytes: with a suffix such as 「-证据清单.xlsx」 that is past
        # the 255-byte name limit of ext4/APFS (Errno 36)
        from consortium_review.fileio import fit_name

        s = fit_name(s, "", max_bytes)
    if not s or set(s) <= {"_", " "}:
        s = fallback
    if s.split(".")[0].upper() in _WIN_RESERVED:
        s = "_" + s
    return s


# --------------------------------------------------------------------------- fonts

def set_fonts(element, font: str, *, latin: Optional[str] = None) -> None:
    """Set ``w:rFonts`` (eastAsia, ascii, hAnsi, cs) on a run, style or rPr element.

    ``element`` may be a python-docx ``Run``/style or a raw ``w:rPr``/``w:r``/``w:style``
    element.  Theme-font attributes (``w:asciiTheme`` …) are removed because Word gives them
    precedence over the explicit names.
    """
    el = getattr(element, "_element", element)
    if el.tag == qn("w:rPr"):
        rpr = el
    else:
        rpr = el.find(qn("w:rPr"))
        if rpr is None:
            rpr = OxmlElement("w:rPr")
            # rPr must come after pPr in a style, first in a run
            ppr = el.find(qn("w:pPr"))
            if ppr is not None:
                ppr.addnext(rpr)
            elif el.tag == qn("w:style"):
                _insert_style_child(el, rpr)
            else:
                el.insert(0, rpr)
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    lat = latin or font
    rfonts.set(qn("w:ascii"), lat)
    rfonts.set(qn("w:hAnsi"), lat)
    rfonts.set(qn("w:eastAsia"), font)
    rfonts.set(qn("w:cs"), lat)
    rfonts.set(qn("w:hint"), "eastAsia")


_STYLE_ORDER = ["w:name", "w:aliases", "w:basedOn", "w:next", "w:link", "w:autoRedefine", "w:hidden",
                "w:uiPriority", "w:semiHidden", "w:unhideWhenUsed", "w:qFormat", "w:locked",
                "w:personal", "w:personalCompose", "w:personalReply", "w:rsid", "w:pPr", "w:rPr",
                "w:tblPr", "w:trPr", "w:tcPr", "w:tblStylePr"]


def _insert_style_child(style_el, child) -> None:
    """Insert ``child`` into a ``w:style`` respecting the schema order."""
    order = [qn(t) for t in _STYLE_ORDER]
    pos = order.index(child.tag)
    for i, existing in enumerate(style_el):
        if existing.tag in order and order.index(existing.tag) > pos:
            existing.addprevious(child)
            return
    style_el.append(child)


def font_of(run_or_rpr, slot: str = "eastAsia") -> Optional[str]:
    """The explicit font name of a run (or rPr) in one slot; None when inherited."""
    el = getattr(run_or_rpr, "_element", run_or_rpr)
    rfonts = el.find(".//" + qn("w:rFonts"))
    return rfonts.get(qn("w:" + slot)) if rfonts is not None else None


# --------------------------------------------------------------------------- page setup

def _twips(mm: float) -> int:
    return int(round(mm / 25.4 * 1440))


def setup_page(section, *, landscape: bool = False) -> None:
    """A4 with the GB/T 9704 margins and a 22-line grid (28.95 pt pitch)."""
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(PAGE_HEIGHT_MM), Mm(PAGE_WIDTH_MM)
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
    section.top_margin = Mm(MARGIN_TOP_MM)
    section.bottom_margin = Mm(MARGIN_BOTTOM_MM)
    section.left_margin = Mm(MARGIN_LEFT_MM)
    section.right_margin = Mm(MARGIN_RIGHT_MM)
    section.header_distance = Mm(15)
    # page number: the em-dash line sits ~7 mm below the text block (GB/T 9704 7.5)
    section.footer_distance = Mm(MARGIN_BOTTOM_MM - 7 - 5)
    section.gutter = Mm(0)
    sect = section._sectPr
    grid = sect.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect.append(grid)
    # A line grid only: a character grid (type linesAndChars with a negative charSpace) makes
    # LibreOffice put each CJK character in two grid cells.  28 characters per line come from
    # the body style's condensed character spacing instead (see CHAR_SPACING_TWENTIETHS).
    for a in ("w:charSpace",):
        grid.attrib.pop(qn(a), None)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(int(round(LINE_SPACING_PT * 20))))


def _paragraph_format(style, *, size: float, font: str, align=None, first_line_chars: Optional[int] = 2,
                      line_exact: Optional[float] = LINE_SPACING_PT, before: float = 0, after: float = 0,
                      bold: bool = False, latin: Optional[str] = None, keep_with_next: bool = False,
                      outline_level: Optional[int] = None) -> None:
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    set_fonts(style, font, latin=latin)
    pf = style.paragraph_format
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    if line_exact:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(line_exact)
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    if align is not None:
        pf.alignment = align
    pf.keep_with_next = keep_with_next
    ppr = style.element.get_or_add_pPr()
    ind = ppr.find(qn("w:ind"))
    if ind is not None:
        ppr.remove(ind)
    ind = OxmlElement("w:ind")
    if first_line_chars:
        ind.set(qn("w:firstLineChars"), str(first_line_chars * 100))
        ind.set(qn("w:firstLine"), str(int(first_line_chars * size * 20)))
    else:
        ind.set(qn("w:firstLineChars"), "0")
        ind.set(qn("w:firstLine"), "0")
    ind.set(qn("w:left"), "0")
    ind.set(qn("w:leftChars"), "0")
    ppr.append(ind)
    _reorder_ppr(ppr)
    if outline_level is not None:
        lvl = ppr.find(qn("w:outlineLvl"))
        if lvl is None:
            lvl = OxmlElement("w:outlineLvl")
            ppr.append(lvl)
        lvl.set(qn("w:val"), str(outline_level))
        _reorder_ppr(ppr)
    # snap to the document grid so Word/WPS keep 28 characters per line
    snap = ppr.find(qn("w:snapToGrid"))
    if snap is not None:
        ppr.remove(snap)


_PPR_ORDER = ["w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl",
              "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens",
              "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE",
              "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
              "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
              "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr",
              "w:sectPr", "w:pPrChange"]


def _reorder_ppr(ppr) -> None:
    order = {qn(t): i for i, t in enumerate(_PPR_ORDER)}
    children = list(ppr)
    children.sort(key=lambda c: order.get(c.tag, len(order)))
    for c in children:
        ppr.remove(c)
    for c in children:
        ppr.append(c)


_RPR_ORDER = ["w:rStyle", "w:rFonts", "w:b", "w:bCs", "w:i", "w:iCs", "w:caps", "w:smallCaps", "w:strike",
              "w:dstrike", "w:outline", "w:shadow", "w:emboss", "w:imprint", "w:noProof", "w:snapToGrid",
              "w:vanish", "w:webHidden", "w:color", "w:spacing", "w:w", "w:kern", "w:position", "w:sz",
              "w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText", "w:vertAlign",
              "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath"]


def _reorder_rpr(rpr) -> None:
    order = {qn(t): i for i, t in enumerate(_RPR_ORDER)}
    children = sorted(rpr, key=lambda c: order.get(c.tag, len(order)))
    for c in children:
        rpr.remove(c)
    for c in children:
        rpr.append(c)


def _get_or_add_style(doc: DocxDocument, name: str, type_=WD_STYLE_TYPE.PARAGRAPH):
    try:
        style = doc.styles[name]
    except KeyError:
        style = doc.styles.add_style(name, type_)
        if name in _STYLE_IDS:
            style.element.set(qn("w:styleId"), _STYLE_IDS[name])
    style.hidden = False
    style.quick_style = True
    return style


def setup_styles(doc: DocxDocument) -> None:
    """Define the body, title, heading, table, figure and footer styles (idempotent)."""
    styles = doc.styles
    # document defaults: Chinese language, explicit fonts (no theme fonts anywhere)
    defaults = styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if rpr is not None:
            set_fonts(rpr, FONT_BODY)
            lang = rpr.find(qn("w:lang"))
            if lang is None:
                lang = OxmlElement("w:lang")
                rpr.append(lang)
            lang.set(qn("w:val"), "en-US")
            lang.set(qn("w:eastAsia"), "zh-CN")
            lang.set(qn("w:bidi"), "ar-SA")
            for tag in ("w:sz", "w:szCs"):
                el = rpr.find(qn(tag))
                if el is not None:
                    el.set(qn("w:val"), str(int(SIZE_3 * 2)))
        ppr = defaults.find(qn("w:pPrDefault") + "/" + qn("w:pPr"))
        if ppr is not None:
            sp = ppr.find(qn("w:spacing"))
            if sp is not None:
                ppr.remove(sp)

    normal = styles["Normal"]
    _paragraph_format(normal, size=SIZE_3, font=FONT_BODY, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    normal.paragraph_format.widow_control = False
    rpr = normal.element.get_or_add_rPr()
    spacing = rpr.find(qn("w:spacing"))
    if spacing is None:
        spacing = OxmlElement("w:spacing")
        rpr.append(spacing)
    spacing.set(qn("w:val"), str(CHAR_SPACING_TWENTIETHS))
    _reorder_rpr(rpr)

    def para(name, **kw):
        st = _get_or_add_style(doc, name)
        st.base_style = normal
        st.next_paragraph_style = normal
        _paragraph_format(st, **kw)
        return st

    para(STYLE_TITLE, size=SIZE_2, font=FONT_TITLE, align=WD_ALIGN_PARAGRAPH.CENTER, first_line_chars=None,
         line_exact=36, after=LINE_SPACING_PT * 0.5, keep_with_next=True)
    para(STYLE_SUBTITLE, size=SIZE_3, font=FONT_HEADING2, align=WD_ALIGN_PARAGRAPH.CENTER,
         first_line_chars=None, after=LINE_SPACING_PT * 0.5, keep_with_next=True)
    para(STYLE_HEADING1, size=SIZE_3, font=FONT_HEADING1, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
         keep_with_next=True, outline_level=0)
    para(STYLE_HEADING2, size=SIZE_3, font=FONT_HEADING2, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
         keep_with_next=True, outline_level=1)
    para(STYLE_ATTACHMENT, size=SIZE_3, font=FONT_HEADING1, align=WD_ALIGN_PARAGRAPH.LEFT,
         first_line_chars=None, keep_with_next=True)
    para(STYLE_PLAIN, size=SIZE_3, font=FONT_BODY, align=WD_ALIGN_PARAGRAPH.LEFT, first_line_chars=None)
    para(STYLE_BODY_LEFT, size=SIZE_3, font=FONT_BODY, align=WD_ALIGN_PARAGRAPH.LEFT)
    note = para(STYLE_ATTACHMENT_NOTE, size=SIZE_3, font=FONT_BODY, align=WD_ALIGN_PARAGRAPH.LEFT,
                first_line_chars=None)
    # GB/T 9704 7.3.6: 「附件：」 two characters in, continuation lines under the first name
    # (hanging indent): left 2+3+2 = 7 characters, first line pulled back 5 characters
    note.paragraph_format.left_indent = Pt(SIZE_3 * 7)
    note.paragraph_format.first_line_indent = Pt(-SIZE_3 * 5)
    para(STYLE_SIGNATURE, size=SIZE_3, font=FONT_BODY, align=WD_ALIGN_PARAGRAPH.RIGHT, first_line_chars=None)
    para(STYLE_FIGURE, size=SIZE_3, font=FONT_BODY, align=WD_ALIGN_PARAGRAPH.CENTER, first_line_chars=None,
         line_exact=None, before=4, after=2, keep_with_next=True)
    para(STYLE_CAPTION, size=SIZE_4, font=FONT_BODY, align=WD_ALIGN_PARAGRAPH.CENTER, first_line_chars=None,
         line_exact=None, after=6)
    para(STYLE_TABLE_TEXT, size=SIZE_SMALL_4, font=FONT_BODY, align=WD_ALIGN_PARAGRAPH.LEFT,
         first_line_chars=None, line_exact=None)
    para(STYLE_TABLE_HEAD, size=SIZE_SMALL_4, font=FONT_HEADING1, align=WD_ALIGN_PARAGRAPH.CENTER,
         first_line_chars=None, line_exact=None)
    para(STYLE_TABLE_TEXT_SMALL, size=SIZE_5, font=FONT_BODY, align=WD_ALIGN_PARAGRAPH.LEFT,
         first_line_chars=None, line_exact=None)
    para(STYLE_TABLE_HEAD_SMALL, size=SIZE_5, font=FONT_HEADING1, align=WD_ALIGN_PARAGRAPH.CENTER,
         first_line_chars=None, line_exact=None)
    para(STYLE_TABLE_TEXT_LARGE, size=SIZE_4, font=FONT_BODY, align=WD_ALIGN_PARAGRAPH.LEFT,
         first_line_chars=None, line_exact=None)
    para(STYLE_TABLE_HEAD_LARGE, size=SIZE_4, font=FONT_HEADING1, align=WD_ALIGN_PARAGRAPH.CENTER,
         first_line_chars=None, line_exact=None)
    footer = _get_or_add_style(doc, STYLE_FOOTER)
    footer.base_style = normal
    _paragraph_format(footer, size=SIZE_4, font=FONT_PAGE_NUMBER, align=WD_ALIGN_PARAGRAPH.CENTER,
                      first_line_chars=None, line_exact=None)
    # table text sits on single spacing: drop the grid snap so rows stay compact
    for name in (STYLE_TABLE_TEXT, STYLE_TABLE_HEAD, STYLE_TABLE_TEXT_SMALL, STYLE_TABLE_HEAD_SMALL,
                 STYLE_TABLE_TEXT_LARGE, STYLE_TABLE_HEAD_LARGE, STYLE_FIGURE, STYLE_CAPTION, STYLE_FOOTER):
        ppr = styles[name].element.get_or_add_pPr()
        snap = OxmlElement("w:snapToGrid")
        snap.set(qn("w:val"), "0")
        ppr.append(snap)
        _reorder_ppr(ppr)
    # python-docx's default headings/title are blue Calibri: make them official too, in case a
    # secretary picks them in Word
    for name, font, size in (("Heading 1", FONT_HEADING1, SIZE_3), ("Heading 2", FONT_HEADING2, SIZE_3),
                             ("Title", FONT_TITLE, SIZE_2)):
        try:
            st = styles[name]
        except KeyError:
            continue
        _paragraph_format(st, size=size, font=font, first_line_chars=None if name == "Title" else 2,
                          align=WD_ALIGN_PARAGRAPH.CENTER if name == "Title" else None,
                          keep_with_next=True)
        for tag in ("w:pBdr",):
            el = st.element.get_or_add_pPr().find(qn(tag))
            if el is not None:
                el.getparent().remove(el)
    for name in ("Heading 1 Char", "Heading 2 Char", "Title Char"):
        try:
            st = styles[name]
        except KeyError:
            continue
        st.font.color.rgb = RGBColor(0, 0, 0)
        set_fonts(st, FONT_HEADING1 if "1" in name else FONT_HEADING2 if "2" in name else FONT_TITLE)


def add_font_alternates(doc: DocxDocument) -> None:
    """Declare the GB fonts in the font table with a common alternate (w:altName).

    Machines without 仿宋_GB2312/楷体_GB2312/方正小标宋简体 then substitute 仿宋/楷体/宋体
    rather than an arbitrary font.
    """
    part = None
    for rel in doc.part.rels.values():
        if rel.reltype.endswith("/fontTable") and not rel.is_external:
            part = rel.target_part
            break
    if part is None:
        return
    root = etree.fromstring(part.blob)
    existing = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for name, alt in FONT_ALTERNATES.items():
        if name in existing:
            continue
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        alt_el = etree.SubElement(font, qn("w:altName"))
        alt_el.set(qn("w:val"), alt)
        charset = etree.SubElement(font, qn("w:charset"))
        charset.set(qn("w:val"), "86")        # GB2312
        family = etree.SubElement(font, qn("w:family"))
        family.set(qn("w:val"), "modern" if "仿宋" in name or "楷体" in name else "auto")
        pitch = etree.SubElement(font, qn("w:pitch"))
        pitch.set(qn("w:val"), "fixed" if "GB2312" in name else "variable")
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


#: GB/T 9704 7.5: the page number sits one character (4号 = 14 pt) in from the edge
PAGE_NUMBER_INDENT_PT = SIZE_4


def _page_number_paragraph(footer, *, odd: bool) -> Paragraph:
    footer.is_linked_to_previous = False
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    for r in list(p.runs):
        r._element.getparent().remove(r._element)
    p.style = STYLE_FOOTER
    fmt = p.paragraph_format
    if odd:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        fmt.right_indent, fmt.left_indent = Pt(PAGE_NUMBER_INDENT_PT), Pt(0)
    else:
        p.alignment = WD_ALIGN_PARAGRAPH.LEFT
        fmt.left_indent, fmt.right_indent = Pt(PAGE_NUMBER_INDENT_PT), Pt(0)

    def run(text: str = "") -> Run:
        r = p.add_run(text)
        r.font.size = Pt(SIZE_4)
        set_fonts(r, FONT_PAGE_NUMBER)
        return r

    run("— ")
    r = run()
    fld = OxmlElement("w:fldChar")
    fld.set(qn("w:fldCharType"), "begin")
    r._element.append(fld)
    r = run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    r._element.append(instr)
    r = run()
    fld = OxmlElement("w:fldChar")
    fld.set(qn("w:fldCharType"), "separate")
    r._element.append(fld)
    run("1")
    r = run()
    fld = OxmlElement("w:fldChar")
    fld.set(qn("w:fldCharType"), "end")
    r._element.append(fld)
    run(" —")
    return p


def add_page_number_footer(section) -> Paragraph:
    """Footers 「— 1 —」 in 4号宋体 (GB/T 9704 7.5): odd pages right, even pages left, one
    character in.  Needs ``w:evenAndOddHeaders`` in the settings (``setup_document`` sets it);
    returns the odd-page paragraph."""
    p = _page_number_paragraph(section.footer, odd=True)
    _page_number_paragraph(section.even_page_footer, odd=False)
    return p


def set_odd_even_footers(doc: DocxDocument) -> None:
    """Turn on separate odd/even headers and footers (``w:evenAndOddHeaders``)."""
    doc.settings.odd_and_even_pages_header_footer = True


def setup_document(doc: DocxDocument) -> DocxDocument:
    """Apply the GB/T 9704 page, styles, font table and page-number footer to ``doc``."""
    setup_styles(doc)
    add_font_alternates(doc)
    for section in doc.sections:
        setup_page(section)
        add_page_number_footer(section)
    set_odd_even_footers(doc)
    settings = doc.settings.element
    # tell Word the document's East-Asian language so punctuation compression etc. apply
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is None:
        theme_lang = OxmlElement("w:themeFontLang")
        settings.append(theme_lang)
    theme_lang.set(qn("w:val"), "en-US")
    theme_lang.set(qn("w:eastAsia"), "zh-CN")
    return doc


def new_document() -> DocxDocument:
    """An empty python-docx document already set up per GB/T 9704."""
    doc = _new_docx()
    # drop the single empty paragraph of the default template
    body = doc.element.body
    for p in body.findall(qn("w:p")):
        body.remove(p)
    return setup_document(doc)


# --------------------------------------------------------------------------- content helpers

def add_paragraph(container, text: object = "", style: Optional[str] = None) -> Paragraph:
    """Append a paragraph with sanitised ``text`` (container: document, cell, header …)."""
    p = container.add_paragraph(style=style)
    if text not in (None, ""):
        p.add_run(sanitize_text(text))
    return p


def add_run(paragraph: Paragraph, text: object, *, bold: bool = False, highlight: bool = False,
            font: Optional[str] = None, size: Optional[float] = None) -> Run:
    """Append a sanitised run; ``highlight`` uses Word's yellow highlighter."""
    r = paragraph.add_run(sanitize_text(text))
    if bold:
        r.bold = True
    if highlight:
        r.font.highlight_color = HIGHLIGHT
    if font:
        set_fonts(r, font)
    if size:
        r.font.size = Pt(size)
    return r


def add_missing_mark(paragraph: Paragraph, text: str = MISSING_MARK) -> Run:
    """Append the highlighted 「【未见佐证材料】」 mark."""
    return add_run(paragraph, text, highlight=True)


def add_heading(doc, text: object, level: int = 1) -> Paragraph:
    style = {0: STYLE_TITLE, 1: STYLE_HEADING1, 2: STYLE_HEADING2}.get(level, STYLE_HEADING2)
    return add_paragraph(doc, text, style=style)


def add_page_break(doc) -> Paragraph:
    p = doc.add_paragraph(style=STYLE_PLAIN)
    p.add_run().add_break(WD_BREAK.PAGE)
    return p


def set_cell_shading(cell, fill_hex: str) -> None:
    tcpr = cell._element.get_or_add_tcPr()
    shd = tcpr.find(qn("w:shd"))
    if shd is None:
        shd = OxmlElement("w:shd")
        tcpr.append(shd)
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill_hex)


def set_table_borders(table: Table, size_eighths: int = 4) -> None:
    """Single black borders on every edge and inner line (independent of table styles)."""
    tblpr = table._element.tblPr
    borders = tblpr.find(qn("w:tblBorders"))
    if borders is None:
        borders = OxmlElement("w:tblBorders")
        tblpr.append(borders)
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = borders.find(qn(f"w:{edge}"))
        if el is None:
            el = OxmlElement(f"w:{edge}")
            borders.append(el)
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), str(size_eighths))
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")


def set_cant_split(row) -> None:
    """Keep a table row on one page."""
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:cantSplit")
    trpr.insert(0, el)


def set_cell_margins(table: Table, left_right_mm: float = 1.0, top_bottom_mm: float = 0.4) -> None:
    """Narrower cell padding than Word's 1.9 mm default, so codes like 13.1.1 fit one line."""
    tblpr = table._element.tblPr
    mar = tblpr.find(qn("w:tblCellMar"))
    if mar is None:
        mar = OxmlElement("w:tblCellMar")
        tblpr.append(mar)
    for edge, mm in (("top", top_bottom_mm), ("left", left_right_mm), ("bottom", top_bottom_mm),
                     ("right", left_right_mm)):
        el = mar.find(qn(f"w:{edge}"))
        if el is None:
            el = OxmlElement(f"w:{edge}")
            mar.append(el)
        el.set(qn("w:w"), str(_twips(mm)))
        el.set(qn("w:type"), "dxa")


def set_repeat_header(row) -> None:
    """Repeat this table row at the top of every page."""
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def set_column_widths(table: Table, widths_mm: Sequence[float]) -> None:
    table.autofit = False
    tblpr = table._element.tblPr
    layout = tblpr.find(qn("w:tblLayout"))
    if layout is None:
        layout = OxmlElement("w:tblLayout")
        tblpr.append(layout)
    layout.set(qn("w:type"), "fixed")
    tblw = tblpr.find(qn("w:tblW"))
    if tblw is None:
        tblw = OxmlElement("w:tblW")
        tblpr.append(tblw)
    tblw.set(qn("w:w"), str(sum(_twips(w) for w in widths_mm)))
    tblw.set(qn("w:type"), "dxa")
    grid = table._element.tblGrid
    cols = grid.findall(qn("w:gridCol"))
    for col, w in zip(cols, widths_mm):
        col.set(qn("w:w"), str(_twips(w)))
    for row in table.rows:
        for cell, w in zip(row.cells, widths_mm):
            cell.width = Mm(w)


def add_table(container, header: Optional[Sequence[object]], rows: Iterable[Sequence[object]],
              widths_mm: Sequence[float], *, small: bool = False, large: bool = False,
              fills: Optional[Sequence[Optional[str]]] = None) -> Table:
    """A bordered table with a repeated header row; every cell text is sanitised.

    Text is 小四 by default, 五号 with ``small`` (long appendix tables), 四号 with ``large``
    (the information table on page 1).  Rows never split across pages.  ``fills`` gives an
    optional background colour (hex) per body row.
    """
    head_style = STYLE_TABLE_HEAD_SMALL if small else STYLE_TABLE_HEAD_LARGE if large else STYLE_TABLE_HEAD
    text_style = STYLE_TABLE_TEXT_SMALL if small else STYLE_TABLE_TEXT_LARGE if large else STYLE_TABLE_TEXT
    rows = [list(r) for r in rows]
    ncols = len(widths_mm)
    table = container.add_table(rows=0, cols=ncols)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    set_table_borders(table)
    set_cell_margins(table)
    if header:
        cells = table.add_row().cells
        for c, text in zip(cells, header):
            _set_cell_text(c, text, head_style)
        set_repeat_header(table.rows[0])
    for i, row in enumerate(rows):
        new_row = table.add_row()
        set_cant_split(new_row)
        cells = new_row.cells
        for c, text in zip(cells, row):
            _set_cell_text(c, text, text_style)
            if fills and i < len(fills) and fills[i]:
                set_cell_shading(c, fills[i])
    set_column_widths(table, widths_mm)
    return table


def _set_cell_text(cell, text: object, style: str) -> None:
    p = cell.paragraphs[0]
    p.style = style
    if isinstance(text, Paragraph):  # pragma: no cover - convenience
        text = text.text
    if text not in (None, ""):
        p.add_run(sanitize_text(text))


def image_width_mm(fraction: float = 1.0) -> Mm:
    """A width for inline images as a fraction of the text block (156 mm)."""
    return Mm(TEXT_WIDTH_MM * fraction)

