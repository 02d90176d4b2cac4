"""Issue 11, "How to show it": the review opinion as an expert reads it.

- the body (一、基本情况 … 落款) of the bundled sample's opinion is 2–5 pages in LibreOffice;
- every 存在问题 item traces to a point, an admission or a threshold;
- the conclusion follows the default rule (flag / threshold not met / 须为是 answered 否 / clean);
- a confirmed negative-list item is never called 疑似, in the body or the conclusion;
- odd/even footers (w:evenAndOddHeaders, right/left aligned page numbers).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx import Document

from consortium_review.generator.officedoc import nest_quotes
from lxml import etree

from consortium_review.catalogue import load_catalogue
from consortium_review.generator import review_opinion
from consortium_review.generator.assess import assess
from test_assess import ev, sample_evidence, small_catalogue
from test_render_opinion import W, body_items, full_text, no_charts

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "input_docs"


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """The bundled sample through the real pipeline (extraction, assessment, all renderers)."""
    from consortium_review.pipeline import review_consortium

    if not (SAMPLE / "2024年度工作总结.pdf").exists():
        pytest.skip("input_docs/ 样例材料不在，跳过")
    out = tmp_path_factory.mktemp("sample")
    cat = load_catalogue()
    review_consortium(SAMPLE, out, cat)
    evidence = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    opinion = next(out.glob("*-评审意见.docx"))
    return {"out": out, "cat": cat, "evidence": evidence, "opinion": opinion,
            "assessment": assess(evidence, cat, evidence.get("assess_settings"))}


# --------------------------------------------------------------------------- length

@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) 未安装，无法计算正文页数，跳过")
def test_sample_body_is_two_to_five_pages(sample_run, tmp_path):
    import pypdfium2 as pdfium

    src = tmp_path / "opinion.docx"
    shutil.copy(sample_run["opinion"], src)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(src)], check=True, capture_output=True, timeout=300)
    pdf = pdfium.PdfDocument(str(tmp_path / "opinion.pdf"))
    pages = [pdf[i].get_textpage().get_text_range().replace("\r", "") for i in range(len(pdf))]
    # the body ends on the page with the signature line; 附件1 starts on a new page
    sign = [i for i, t in enumerate(pages) if "评审专家（签字）" in t]
    annex = [i for i, t in enumerate(pages) if t.replace(" ", "").lstrip().startswith("附件1")]
    assert sign and annex and annex[0] == sign[0] + 1, (sign, annex)
    body_pages = sign[0] + 1
    assert 2 <= body_pages <= 5, body_pages
    assert "一、基本情况" in pages[0] and "七、需核实事项" in "".join(pages[:body_pages])
    # no 116-point walk-through and no pile of missing marks in the body
    body = "".join(pages[:body_pages])
    assert body.count("【未见佐证材料】") <= 3
    assert len(pdf) > body_pages                      # the appendices are still there


# --------------------------------------------------------------------------- problems

def _traces(issue, a) -> bool:
    """The issue's codes are points, admissions, thresholds or negative items of the assessment,
    of the kind the issue says it is about."""
    points = {p.code: p for p in a.points}
    neg = {n.code: n for n in a.negatives}
    if not issue.codes:
        return False
    kind = issue.kind
    for c in issue.codes:
        if kind == "negative":
            ok = c in neg and neg[c].flagged
        elif kind in ("basic_unmet", "unmet", "yes_required"):
            ok = c in points and points[c].threshold_met is False
        elif kind == "basic_undecided":
            ok = c in points and points[c].threshold_met is None
        elif kind == "admission":
            ok = c in {x.code for x in a.admissions}
        elif kind == "conflict":
            ok = c in points and points[c].status == "conflict"
        elif kind in ("missing", "coverage"):
            ok = c in points and points[c].status in ("missing", "partial")
        elif kind in ("core", "progress"):
            ok = c in points and (points[c].status in ("missing", "partial")
                                  or any(pr.code == c and pr.behind for pr in a.progress))
        else:
            ok = False
        if not ok:
            return False
    return True


def test_every_problem_traces_to_a_point_admission_or_threshold(sample_run):
    a = sample_run["assessment"]
    assert 1 <= len(a.problems) <= a.settings.max_problem_items
    for i in a.problems:
        assert _traces(i, a), (i.kind, i.codes, i.text)
    # the rendered 存在问题 holds exactly these items, numbered 1．2．…
    items = body_items(Document(str(sample_run["opinion"])))
    texts = [t for k, _, t, _ in items if k == "p"]
    start, end = texts.index("四、存在问题"), texts.index("五、意见建议")
    rendered = texts[start + 1:end]
    assert len(rendered) == len(a.problems)
    for n, (t, i) in enumerate(zip(rendered, a.problems), 1):
        assert t.startswith(f"{n}．")
        # the document composes nested quotes (「“8.‘五金’建设”」, officedoc.nest_quotes)
        assert t[len(f"{n}．"):] in (nest_quotes(i.text), nest_quotes(i.brief))


def test_problems_rank_admissions_and_bars_before_missing_evidence():
    e = sample_evidence()
    p = next(x for x in e["points"] if x["code"] == "3.2.1")
    p["value"], p["threshold"]["met"] = 60.0, False
    a = assess(e, small_catalogue())
    kinds = [i.kind for i in a.problems]
    assert kinds[0] == "basic_unmet" and kinds[-1] == "missing"
    assert all(_traces(i, a) for i in a.problems)


# --------------------------------------------------------------------------- conclusion

def _yes_no_answered_no(e: dict) -> dict:
    p = next(x for x in e["points"] if x["code"] == "3.1.1")         # 须为行业龙头企业 (op "true")
    p.update(value=False, threshold={**p["threshold"], "met": False})
    return e


def _flag(e: dict, confirmed: bool = False) -> dict:
    e["negative_list"][1].update(flagged=True, evidence=[ev("审计报告.pdf", 2, "连续两年未落实经费投入")],
                                 expert={"status": "触发"} if confirmed else None)
    return e


def _unmet(e: dict) -> dict:
    p = next(x for x in e["points"] if x["code"] == "3.2.1")
    p["value"], p["threshold"]["met"] = 60.0, False
    return e


@pytest.mark.parametrize("case, make, label, reason", [
    ("clean", lambda e: e, "建议通过", "负面清单未发现触发情形"),
    ("flag", _flag, "不予通过", "负面清单16.3"),
    ("threshold", _unmet, "整改后复核", "基础性指标3.2.1"),
    ("须为是", _yes_no_answered_no, "整改后复核", "标准要求须为“是”"),
    ("flag beats threshold", lambda e: _flag(_unmet(e)), "不予通过", "负面清单16.3"),
])
def test_conclusion_follows_the_default_rule(case, make, label, reason, tmp_path):
    cat = small_catalogue()
    e = make(sample_evidence(cat))
    a = assess(e, cat)
    assert a.conclusion.label == label, case
    assert any(r.startswith(reason) or reason in r for r in a.conclusion.reasons), (case, a.conclusion.reasons)
    if case in ("threshold", "须为是"):
        # each bar not met is its own named reason
        assert len(a.conclusion.reasons) == 1
    text = full_text(Document(str(review_opinion.render(no_charts(e), cat, tmp_path)[0])))
    assert f"建议结论：{label}。" in text
    assert reason in text


def test_yes_required_answered_no_is_a_problem():
    cat = small_catalogue()
    a = assess(_yes_no_answered_no(sample_evidence(cat)), cat)
    p = a.problems[0]
    assert p.kind == "yes_required" and p.codes == ["3.1.1"] and "须为“是”" in p.text


# --------------------------------------------------------------------------- confirmed items

def test_confirmed_negative_item_is_never_called_suspected_in_the_opinion(tmp_path):
    cat = small_catalogue()
    e = _flag(sample_evidence(cat), confirmed=True)
    a = assess(e, cat)
    assert a.flagged and all(n.confirmed for n in a.flagged)
    doc = Document(str(review_opinion.render(no_charts(e), cat, tmp_path)[0]))
    text = full_text(doc)
    assert "疑似" not in text
    assert "确认触发" in text and "建议结论：不予通过。" in text
    # and an unconfirmed one is called 疑似 and asks for the expert's check
    e2 = _flag(sample_evidence(cat))
    text2 = full_text(Document(str(review_opinion.render(no_charts(e2), cat, tmp_path / "u")[0])))
    assert "疑似触发" in text2 and "确认触发" not in text2


# --------------------------------------------------------------------------- footers

def test_odd_and_even_footers(sample_run):
    path = sample_run["opinion"]
    with zipfile.ZipFile(path) as z:
        settings = etree.fromstring(z.read("word/settings.xml"))
    assert settings.find(f"{W}evenAndOddHeaders") is not None
    doc = Document(str(path))
    for s in doc.sections:
        for footer, side in ((s.footer, "right"), (s.even_page_footer, "left")):
            p = footer._element.find(f"{W}p")
            assert p.find(f"{W}pPr/{W}jc").get(f"{W}val") == side
            assert p.find(f"{W}pPr/{W}ind").get(f"{W}{side}") == "280"      # one character in
            assert "PAGE" in "".join(t.text or "" for t in p.iter(f"{W}instrText"))


# --------------------------------------------------------------------------- reference documents

def test_reference_documents_listed_apart_and_not_counted(tmp_path):
    cat = small_catalogue()
    e = sample_evidence(cat)
    own = len(e["documents"])
    own_pages = sum(int(d.get("pages") or 0) for d in e["documents"])
    e["documents"].append({"file": "参考/市域产教联合体建设标准.pdf", "sha256": "r", "format": "pdf", "pages": 9,
                           "status": "ok", "error": None, "role": "reference",
                           "role_reason": "内容为建设标准原文，不是联合体自己的材料"})
    a = assess(e, cat)
    assert len(a.own_documents) == own and [d["file"] for d in a.reference_documents] == ["参考/市域产教联合体建设标准.pdf"]
    assert a.pages_total == own_pages                       # the standard's 9 pages are not counted
    doc = Document(str(review_opinion.render(no_charts(e), cat, tmp_path)[0]))
    items = body_items(doc)
    cells = [t for k, _, t, _ in items if k == "cell"]
    materials = cells[cells.index("评审材料") + 1]
    lines = materials.split("\n")
    assert lines[own - 1].startswith(f"{own}．") and not any(l.startswith(f"{own + 1}．") for l in lines)
    i = lines.index("参考材料（不计入申报材料，不作为佐证）：")
    assert i == own and lines[i + 1] == "· 参考/市域产教联合体建设标准.pdf（内容为建设标准原文，不是联合体自己的材料）"
    basic = next(t for k, _, t, _ in items if k == "p" and t.startswith("测试市域产教联合体，依托"))
    assert f"申报材料{own}份（可计页材料{own_pages}页）" in basic
    assert "另有1份参考材料（参考/市域产教联合体建设标准.pdf）未计入申报材料、不作为佐证" in basic
