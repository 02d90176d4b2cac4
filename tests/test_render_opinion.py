"""评审意见.docx read back: GB/T 9704 layout, fonts, sections, gap marks, hostile text, expert edits."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm
from lxml import etree

from consortium_review.generator import charts, officedoc as od, review_opinion, workbook
from consortium_review.generator.assess import assess, load_settings
from test_assess import HOSTILE, HOSTILE_CLEAN, sample_evidence, small_catalogue

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
EVIL = "{{ 7*7 }} {% if 1 %}X{% endif %} & <w:t> ]]> {_{ %_}"
EVIL_FILE = "报告&{{x}}]]>.pdf"


def render_all(evidence, cat, out: Path, with_charts: bool = True) -> dict[str, Path]:
    """The pipeline's renderers, in the pipeline's order (charts skipped to save time if asked)."""
    got = {}
    if not with_charts:
        evidence.setdefault("_rendered", {})["charts"] = {}
    for name, mod in (("workbook", workbook), ("charts", charts), ("opinion", review_opinion)):
        if name == "charts" and not with_charts:
            continue
        got[name] = mod.render(evidence, cat, out)
    return got


def no_charts(evidence: dict) -> dict:
    """Evidence as if the charts renderer ran and drew nothing (keeps tests that don't need charts fast)."""
    evidence["_rendered"] = {"charts": {}}
    return evidence


def hostile_evidence(cat):
    e = sample_evidence(cat)
    e["consortium"]["park"] = "测试园区" + EVIL + "\x0b"
    e["documents"].append({"file": EVIL_FILE, "sha256": "q", "format": "pdf", "pages": 2, "status": "ok", "error": None})
    p = next(x for x in e["points"] if x["code"] == "13.1.3")
    p.update(status="found", value="获省级表彰" + EVIL, evidence=[
        {"file": EVIL_FILE, "page": 2, "locator": "", "snippet": EVIL + "\x0b\x01", "value": None, "unit": None}])
    return e


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    cat = small_catalogue()
    e = hostile_evidence(cat)
    out = tmp_path_factory.mktemp("op")
    got = render_all(e, cat, out)
    path = got["opinion"][0]
    return {"cat": cat, "evidence": e, "out": out, "path": path, "doc": Document(str(path)), "charts": got["charts"]}


def body_items(doc):
    """(kind, style id, text, element) for every body paragraph and table-cell paragraph, in order."""
    out = []
    for el in doc.element.body.iterchildren():
        if el.tag == qn("w:p"):
            out.append(("p", _style(el), _text(el), el))
        elif el.tag == qn("w:tbl"):
            for p in el.iter(qn("w:p")):
                out.append(("cell", _style(p), _text(p), p))
    return out


def _style(p) -> str:
    s = p.find(f"{W}pPr/{W}pStyle")
    return s.get(f"{W}val") if s is not None else "Normal"


def _text(p) -> str:
    parts = []
    for el in p.iter(f"{W}t", f"{W}br", f"{W}tab"):
        parts.append(el.text or "" if el.tag == f"{W}t" else "\n" if el.tag == f"{W}br" else "\t")
    return "".join(parts)


def full_text(doc) -> str:
    return "\n".join(t for _, _, t, _ in body_items(doc))


# --------------------------------------------------------------------------- layout and fonts

def test_file_name_and_page_setup(rendered):
    assert rendered["path"].name == "测试市域产教联合体-评审意见.docx"
    for s in rendered["doc"].sections:
        assert abs(s.page_width - Mm(210)) < Mm(0.5) and abs(s.page_height - Mm(297)) < Mm(0.5)
        assert [round(x / 36000) for x in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)] == [37, 35, 28, 26]
    sect = rendered["doc"].element.body.find(qn("w:sectPr"))
    assert sect.find(qn("w:pgSz")).get(qn("w:w")) == "11906" and sect.find(qn("w:pgSz")).get(qn("w:h")) == "16838"
    assert sect.find(qn("w:docGrid")).get(qn("w:linePitch")) == "579"


def _style_el(doc, style_id):
    return doc.styles.element.find(f"{W}style[@{W}styleId='{style_id}']")


def _fonts(style_el):
    rf = style_el.find(f"{W}rPr/{W}rFonts")
    return {k: rf.get(f"{W}{k}") for k in ("eastAsia", "ascii", "hAnsi")}, rf


def test_styles_fonts_sizes_and_spacing(rendered):
    doc = rendered["doc"]
    expect = {"Normal": ("仿宋_GB2312", 32), "GwTitle": ("方正小标宋简体", 44), "GwHeading1": ("黑体", 32),
              "GwHeading2": ("楷体_GB2312", 32), "Footer": ("宋体", 28)}
    for sid, (font, half_points) in expect.items():
        el = _style_el(doc, sid)
        fonts, rf = _fonts(el)
        assert fonts == {"eastAsia": font, "ascii": font, "hAnsi": font}, sid
        assert not [a for a in rf.attrib if a.endswith("Theme")], sid          # no theme font overrides
        assert el.find(f"{W}rPr/{W}sz").get(f"{W}val") == str(half_points), sid
    normal = _style_el(doc, "Normal").find(f"{W}pPr/{W}spacing")
    assert (normal.get(f"{W}line"), normal.get(f"{W}lineRule")) == ("579", "exact")       # 28.95 pt
    assert _style_el(doc, "GwTitle").find(f"{W}pPr/{W}jc").get(f"{W}val") == "center"
    assert _style_el(doc, "Normal").find(f"{W}pPr/{W}ind").get(f"{W}firstLineChars") == "200"
    defaults = doc.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert defaults.get(f"{W}eastAsia") == "仿宋_GB2312" and defaults.get(f"{W}eastAsiaTheme") is None
    # headings of the document really use those styles
    items = body_items(doc)
    assert ("GwHeading1", "一、基本情况") in [(s, t) for _, s, t, _ in items]
    assert ("GwHeading1", "二、总体评价") in [(s, t) for _, s, t, _ in items]
    assert ("GwHeading2", "（一）基础性指标") in [(s, t) for _, s, t, _ in items]
    assert items[0][1] == "GwTitle" and items[0][2] == "测试市域产教联合体评审意见"


def _footer_paragraph(footer):
    ps = footer._element.findall(qn("w:p"))
    assert len(ps) == 1
    return ps[0]


def test_page_number_footer(rendered):
    """GB/T 9704 7.5: 「— 1 —」 in 4号宋体, odd pages right-aligned and even pages left-aligned,
    one character (14 pt = 280 twips) in from the edge of the text block."""
    doc = rendered["doc"]
    with zipfile.ZipFile(rendered["path"]) as z:
        settings = etree.fromstring(z.read("word/settings.xml"))
    assert settings.find(qn("w:evenAndOddHeaders")) is not None
    for s in doc.sections:
        for footer, side in ((s.footer, "right"), (s.even_page_footer, "left")):
            assert not footer.is_linked_to_previous or s is not doc.sections[0]
            p = _footer_paragraph(footer)
            assert "PAGE" in "".join(t.text or "" for t in p.iter(qn("w:instrText")))
            texts = [t.text for t in p.iter(qn("w:t"))]
            assert texts[0] == "— " and texts[-1] == " —"
            for r in p.iter(qn("w:r")):
                rf = r.find(f"{W}rPr/{W}rFonts")
                assert rf is not None and rf.get(f"{W}eastAsia") == "宋体"
                assert r.find(f"{W}rPr/{W}sz").get(f"{W}val") == "28"
            assert p.find(f"{W}pPr/{W}jc").get(f"{W}val") == side
            assert p.find(f"{W}pPr/{W}ind").get(f"{W}{side}") == "280"


# --------------------------------------------------------------------------- content

SECTIONS = ["一、基本情况", "二、总体评价", "三、主要成效", "四、存在问题", "五、意见建议", "六、评审结论（建议）",
            "七、需核实事项", "附件：1．观测点逐项核查情况", "\u3000\u3000\u30002．佐证材料缺失清单",
            "\u3000\u3000\u30003．数据冲突清单", "\u3000\u3000\u30004．证据明细表", "评审专家（签字）：", "日期：",
            "附件1", "观测点逐项核查情况", "一、门槛指标达标情况", "二、负面清单核查", "三、规划目标完成情况", "四、同比情况",
            "五、分项核查", "（一）基础性指标", "（二）合作办学", "（三）合作育人（含“五金”建设）", "（四）合作就业",
            "（五）合作发展", "附件2", "佐证材料缺失清单", "附件3", "数据冲突清单", "附件4", "证据明细表"]


def test_every_section_present_in_order(rendered):
    texts = [t.strip(" \t\n") for kind, _, t, _ in body_items(rendered["doc"]) if kind == "p"]
    pos = []
    for s in SECTIONS:
        hits = [i for i, t in enumerate(texts) if t.startswith(s)]
        assert hits, f"missing section {s}"
        pos.append(hits[0])
    assert pos == sorted(pos)
    cells = [t for kind, _, t, _ in body_items(rendered["doc"]) if kind == "cell"]
    for label in ("联合体名称", "依托园区", "牵头学校", "牵头企业", "评审材料", "评审日期"):
        assert label in cells
    assert "1．2024年度工作总结.pdf（12页）" in "\n".join(cells)
    assert "损坏文件.docx（无法读取：文件已损坏，无法打开）" in "\n".join(cells)


def test_figures_quote_value_unit_and_source(rendered):
    text = full_text(rendered["doc"])
    assert "3.2.1 牵头企业近三年在产教融合领域的总投入为320万元（来源：2024年度工作总结.pdf 第3页），" \
           "达到“近三年累计≥100万元”的要求" in text
    assert "8.4.2 校际兼职教师为120人次、3600课时（来源：2024年度工作总结.pdf 第6页）" in text
    assert "5.1.1 园区牵头成立政府、企业、学校、科研机构等多方参与的理事会：是（来源：建设方案.docx 第12段）" in text
    assert "2.1.1 产业园区等级为省级" in text
    a = assess(rendered["evidence"], rendered["cat"])
    assert a.coverage.percent == 65.6 and a.conclusion.label == "建议通过"
    assert "建议结论：建议通过。理由：负面清单未发现触发情形，基础性指标5项门槛要求中3项已达到" in text
    # the stated rule names the standard and says coverage decides nothing by default
    assert "教职成厅函〔2024〕20号附件1" in text and "仅作参考，不作为结论依据" in text
    assert "观测点佐证覆盖率低于" not in text


def _highlighted(run) -> bool:
    h = run.find(f"{W}rPr/{W}highlight")
    return h is not None and h.get(f"{W}val") == "yellow"


def test_missing_points_marked_inline_and_listed_in_appendix(rendered):
    a = assess(rendered["evidence"], rendered["cat"])
    items = body_items(rendered["doc"])
    paras = [(t, el) for kind, _, t, el in items if kind == "p"]
    for p in [x for x in a.points if x.status == "missing"]:
        hit = [el for t, el in paras if f"{p.code} {p.subject}【未见佐证材料】" in t]
        assert hit, p.code
        marks = [r for r in hit[0].iter(f"{W}r") if "".join(t.text or "" for t in r.iter(f"{W}t")) == "【未见佐证材料】"]
        assert marks and all(_highlighted(r) for r in marks)
    # appendix 1: every missing or partial point, with what would evidence it
    app = [t for _, _, t, _ in items[[i for i, x in enumerate(items) if x[2] == "佐证材料缺失清单"][0]:]]
    joined = "\n".join(app)
    for p in a.gaps:
        assert p.code in app and p.hint in joined
    assert "提供牵头企业提取职工教育经费比例" not in joined                 # conflicts are not gaps
    assert "提供用于技能人才培训的比例的统计数据及计算口径（分子、分母），附统计表或证明材料" in joined


def test_conflict_appendix_lists_both_sources(rendered):
    items = body_items(rendered["doc"])
    start = [i for i, x in enumerate(items) if x[2] == "数据冲突清单"][0]
    end = [i for i, x in enumerate(items) if x[2] == "证据明细表"][0]
    text = "\n".join(t for _, _, t, _ in items[start:end])
    assert "①2%（2024年度工作总结.pdf 第4页）" in text and "②3%（自评表.xlsx 工作表“自评”第5行）" in text


def test_evidence_table_has_every_point_and_negative(rendered):
    doc = rendered["doc"]
    last = doc.tables[-1]
    codes = [r.cells[0].text for r in last.rows[1:]]
    assert codes == [p.code for p in rendered["cat"].points] + ["16.1", "16.3"]
    assert [c.text for c in last.rows[0].cells] == ["编号", "观测点", "状态", "取值", "来源（文件、页码）", "摘录"]
    row = {r.cells[0].text: [c.text for c in r.cells] for r in last.rows[1:]}
    assert row["3.2.1"][2:5] == ["已找到", "320万元", "2024年度工作总结.pdf 第3页"]


def test_hostile_text_survives_exactly_and_is_never_executed(rendered):
    text = full_text(rendered["doc"])
    assert HOSTILE_CLEAN in text                        # snippet in the evidence table, exact
    assert EVIL in text and "测试园区" + EVIL in text     # park (header table) and a text value
    assert EVIL_FILE in text
    assert "49" not in text                             # {{ 7*7 }} was not evaluated
    assert "\x0b" not in text and "\x01" not in text
    # every XML part of the package parses strictly (no recovery)
    with zipfile.ZipFile(rendered["path"]) as z:
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(z.read(name))


def test_charts_embedded_at_text_width(rendered):
    doc = rendered["doc"]
    shapes = doc.inline_shapes
    # three charts are drawn; the opinion embeds the two that carry a judgement (coverage per part
    # and the thresholds), both in 附件1, none in the 2–5 page body
    assert len(rendered["charts"]) == 3 and len(shapes) == 2
    for s in shapes:
        assert Mm(100) <= s.width <= Mm(od.TEXT_WIDTH_MM)
        assert s.height <= Mm(225)
    items = body_items(doc)
    texts = [t for _, _, t, _ in items]
    assert "图1　门槛指标对照" in texts and "图2　各二级指标佐证覆盖情况" in texts
    assert not [t for t in texts if "佐证状态分布" in t]
    figure_paras = [i for i, (_, _, _, el) in enumerate(items) if el.find(f".//{W}drawing") is not None]
    assert all(_style(items[i][3]) == "GwFigure" for i in figure_paras)   # not clipped by fixed line spacing
    annex = texts.index("附件1")
    assert all(i > annex for i in figure_paras)


def test_no_invented_numbers(rendered):
    """Every number in the opinion's first pages (information table, sections 一–七, 附件说明) comes
    from the evidence, the catalogue or counts of the assessment."""
    e, cat = rendered["evidence"], rendered["cat"]
    a = assess(e, cat)
    items = body_items(rendered["doc"])
    end = [i for i, x in enumerate(items) if x[2] == "附件1"][0]
    body = "\n".join(t for _, _, t, _ in items[:end])
    assert "一、基本情况" in body and "七、需核实事项" in body
    allowed_text = json.dumps(e, ensure_ascii=False) + json.dumps([p.to_json() for p in cat.points], ensure_ascii=False)
    allowed = set(re.findall(r"\d+(?:\.\d+)?", allowed_text))
    allowed |= {f"{float(x):g}" for x in allowed}       # 320.0 in JSON is written 320
    covs = [a.coverage] + [g.coverage for g in a.groups] + [l.coverage for l in a.level2]
    for c in covs:
        allowed |= {str(c.total), str(c.found), str(c.partial), str(c.conflict), str(c.missing)}
        allowed.add(f"{c.percent:g}")
    allowed |= {str(len(x)) for x in (a.problems, a.suggestions, a.thresholds, a.basic_thresholds, a.gaps,
                                       a.conflicts, a.documents, a.negatives)}
    allowed.add(str(a.pages_total))                     # 可计页材料N页 = sum of the documents' pages
    allowed |= {str(sum(1 for p in a.basic_thresholds if p.threshold_met is v)) for v in (True, False, None)}
    allowed |= {str(i) for i in range(1, 8)}           # list numbering (一–七 items, 附件1–4)
    found = set(re.findall(r"\d+(?:\.\d+)?", body))
    assert {"320", "12", "860", "2", "3", "2024"} <= found            # the body does quote figures
    found = set(re.findall(r"\d+(?:\.\d+)?", body))
    assert not sorted(found - allowed)


# --------------------------------------------------------------------------- expert round trip

def _edit_workbook(path: Path, edits: dict) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb[workbook.SHEET_MAIN]
    header = [c.value for c in ws[1]]
    for row in range(2, ws.max_row + 1):
        code = ws.cell(row, header.index("观测点编号") + 1).value
        for h, v in edits.get(code, {}).items():
            ws.cell(row, header.index(h) + 1).value = v
    wb.save(path)


def test_expert_edits_flow_into_the_regenerated_opinion(tmp_path):
    cat = small_catalogue()
    got = render_all(sample_evidence(cat), cat, tmp_path, with_charts=False)
    _edit_workbook(got["workbook"][0], {
        "3.3.1": {"专家取值": 2.8, "专家意见": "以财务报表为准"},
        "2.3.1": {"专家判定": "已找到", "专家取值": "35%"},
        "13.2.3": {"专家判定": "已找到", "专家取值": 150},
        "8.1.3": {"专家取值": "12个"},                                   # confirms the documents' figure
        "11.2.1": {"专家判定": "已找到", "专家意见": "现场查看活动记录"},   # status only, no value
    })
    got = render_all(sample_evidence(cat), cat, tmp_path, with_charts=False)   # re-run: fresh extraction
    doc = Document(str(got["opinion"][0]))
    text = full_text(doc)
    # 2.8 % is stated by no document: the expert is the only source cited
    assert "3.3.1 牵头企业提取职工教育经费比例为2.8%（专家确认），" \
           "达到“不少于职工工资总额的2.5%”的要求，专家意见：以财务报表为准" in text
    assert "8.1.3 共建专业数为12个（来源：2024年度工作总结.pdf 第5页；专家确认）" in text
    assert "5.1.1 园区牵头成立政府、企业、学校、科研机构等多方参与的理事会：经评审专家核实" not in text
    assert "2.3.1 列入市域重点产业目录，占全市相应产业产值的比重为35%（专家确认），达到" in text
    assert "13.2.3 技术服务合同金额为150万元（专家确认）" in text
    assert "13.2.3 技术服务合同金额【未见佐证材料】" not in text
    assert "11.2.1 就业指导活动：经评审专家核实有相应佐证（专家确认），专家意见：现场查看活动记录" in text
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in doc.tables[1].rows[1:]}    # threshold table
    assert rows["2.3.1"][4] == "达标（专家确认）" and rows["3.3.1"][3].startswith("2.8%")
    # the edited workbook still holds exactly what the expert typed
    wb = openpyxl.load_workbook(got["workbook"][0])
    ws = wb[workbook.SHEET_MAIN]
    header = [c.value for c in ws[1]]
    vals = {r[header.index("观测点编号")]: r[header.index("专家取值")] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert (vals["3.3.1"], vals["2.3.1"], vals["13.2.3"]) == (2.8, "35%", 150)


def test_unknown_name_falls_back_to_folder(tmp_path):
    cat = small_catalogue()
    e = sample_evidence(cat)
    e["consortium"] = {"name": None, "park": None, "lead_school": None, "lead_enterprise": None, "roster": None}
    e["folder"] = "材料:第3批/XX"                                  # not a valid Windows file name
    path = review_opinion.render(no_charts(e), cat, tmp_path)[0]
    assert path.name == "材料_第3批_XX-评审意见.docx"
    text = full_text(Document(str(path)))
    assert "以文件夹名称“材料:第3批/XX”代称【材料中未识别】" in text
    assert "依托园区\n【材料中未识别】" in text


def test_settings_file_changes_the_stated_rule(tmp_path):
    cat = small_catalogue()
    rules = tmp_path / "评审规则.yaml"
    rules.write_text("coverage_bar: 50\n", encoding="utf-8")
    e = no_charts(sample_evidence(cat))
    e["assess_settings"] = load_settings(rules)          # what the pipeline hands the renderers
    path = review_opinion.render(e, cat, tmp_path / "out")[0]
    text = full_text(Document(str(path)))
    assert "建议结论：建议通过。" in text and "低于50%" in text


def test_opinion_without_charts_still_renders(tmp_path):
    cat = small_catalogue()
    e = no_charts(sample_evidence(cat))             # the charts renderer failed earlier in the run
    doc = Document(str(review_opinion.render(e, cat, tmp_path)[0]))
    assert len(doc.inline_shapes) == 0 and "图1" not in full_text(doc)


# --------------------------------------------------------------------------- template

def test_template_variables_are_provided_and_documented(tmp_path):
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(str(review_opinion.OPINION_TEMPLATE))
    used = tpl.get_undeclared_template_variables()
    a = assess(sample_evidence(), small_catalogue())
    ctx = review_opinion.build_context(a, small_catalogue())
    assert used <= set(ctx), used - set(ctx)
    readme = (review_opinion.TEMPLATES_DIR / "README.md").read_text(encoding="utf-8")
    assert not [v for v in used if f"`{v}`" not in readme]


def test_template_builder_reproduces_a_working_template(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_templates", review_opinion.TEMPLATES_DIR / "build_templates.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    fresh = mod.build_opinion_template(tmp_path / "t.docx")
    cat = small_catalogue()
    path = review_opinion.render_opinion(no_charts(sample_evidence(cat)), cat, tmp_path / "out", template=fresh)
    text = full_text(Document(str(path)))
    assert "二、总体评价" in text and "建议结论：建议通过。" in text
    # the fresh template is the shipped one: same body text
    shipped = review_opinion.render_opinion(no_charts(sample_evidence(cat)), cat, tmp_path / "shipped")
    assert full_text(Document(str(shipped))) == text


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) 未安装，跳过 PDF 转换检查")
def test_libreoffice_converts_to_pdf(rendered, tmp_path):
    import pypdfium2 as pdfium

    src = tmp_path / "opinion.docx"
    shutil.copy(rendered["path"], src)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(src)], check=True, capture_output=True, timeout=240)
    pdf = pdfium.PdfDocument(str(tmp_path / "opinion.pdf"))
    assert len(pdf) >= 1
    w, h = pdf[0].get_size()
    assert abs(w - 595.3) < 2 and abs(h - 841.9) < 2           # A4 in points
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "佐证材料缺失清单" in text and "— 1 —" in text.replace("\r", "")


# --------------------------------------------------------------------------- officedoc helpers

def test_officedoc_helpers_build_a_valid_official_document(tmp_path):
    doc = od.new_document()
    od.add_heading(doc, "标题", 0)
    od.add_heading(doc, "一、总体评价", 1)
    p = od.add_paragraph(doc, HOSTILE)
    od.add_missing_mark(p)
    od.add_table(doc, ["编号", "摘录"], [["3.2.1", HOSTILE]], [20, 136], small=True)
    path = tmp_path / "od.docx"
    doc.save(path)
    back = Document(str(path))
    texts = [x.text for x in back.paragraphs]
    assert texts[:3] == ["标题", "一、总体评价", HOSTILE_CLEAN + od.MISSING_MARK]
    assert back.paragraphs[0].style.name == od.STYLE_TITLE and back.paragraphs[1].style.name == od.STYLE_HEADING1
    assert back.paragraphs[2].runs[-1].font.highlight_color == od.HIGHLIGHT
    t = back.tables[0]
    assert t.cell(1, 1).text == HOSTILE_CLEAN
    assert t.rows[0]._tr.find(f"{W}trPr/{W}tblHeader") is not None
    assert t.rows[1]._tr.find(f"{W}trPr/{W}cantSplit") is not None
    s = back.sections[0]
    assert (round(s.top_margin / 36000), round(s.left_margin / 36000)) == (37, 28)
    assert "— " in s.footer.paragraphs[0].text


def test_sanitize_and_safe_filename():
    assert od.sanitize_text("a\x0bb\x00c\r\nd\ud800e\ufffe") == "abc\nde"
    assert od.sanitize_text("x" * 10, max_len=5) == "xxxx…"
    assert od.escape_xml_text("{{ a }} {% b %} & <") == "&#123;&#123; a &#125;&#125; &#123;&#37; b &#37;&#125; &amp; &lt;"
    assert od.safe_filename("CON") == "_CON"
    assert od.safe_filename(" ..  ") == "联合体"
    assert od.safe_filename("a" * 200, max_len=80) == "a" * 80
    assert od.safe_filename("XX联合体.") == "XX联合体"
