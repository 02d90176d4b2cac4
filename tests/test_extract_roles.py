"""Reference documents (参考材料): the standard, rosters, notices and other consortia's news are
read and listed but never evidence, never name the consortium, never flag the negative list.

Every document is a real .docx built here and read through the readers; the "standard" is
written from the catalogue itself (names and indicator descriptions, no answers), the way a
consortium attaches the notice's 附件1.
"""

from pathlib import Path

import docx
import pytest

from consortium_review.catalogue import load_catalogue
from consortium_review.extractors.evidence import extract
from consortium_review.extractors.read import read_folder
from consortium_review.extractors.roles import same_consortium


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def make_docx(path: Path, paragraphs=(), tables=()):
    path.parent.mkdir(parents=True, exist_ok=True)
    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    for rows in tables:
        t = d.add_table(rows=len(rows), cols=len(rows[0]))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                t.cell(r, c).text = text
    d.save(path)


OWN_REPORT = [
    "青川市智能制造产教联合体2024年度工作总结",
    "青川市智能制造产教联合体由青川职业技术学院牵头，依托青川经济技术开发区组建。",
    "本年度联合体共建专业12个，共建实训基地8个。",
    "本年度未发生招生、就业、安全等领域重大违法违规事件。",
]


def standard_doc(catalogue):
    """附件1 as a consortium would attach it: every point's name and its indicator's text."""
    rows = [["三级指标", "指标说明", "观测点"]]
    for p in catalogue.points:
        rows.append([p.indicator_name, p.indicator_description, p.name])
    paras = ["教育部办公厅关于加强市域产教联合体建设的通知", "教职成厅函〔2024〕20号",
             "各省、自治区、直辖市教育厅（教委）：", "现就有关事项通知如下。",
             "牵头企业近三年在产教融合领域的总投入不低于100万元。"]
    paras += [n.name for n in catalogue.negative_list]
    return lambda p: make_docx(p, paras, [rows])


def roster_doc(catalogue):
    rows = [["序号", "联合体名称", "依托园区", "牵头学校", "牵头企业"]]
    for e in catalogue.rosters[:12]:
        rows.append([str(e.index), e.name, e.park, "、".join(e.lead_schools), e.lead_enterprise])
    return lambda p: make_docx(p, ["2024年新设国家市域产教联合体名单"], [rows])


NEWS = [
    "本报讯（记者 王某）日前，白沙湾新区产教联合体成立大会举行，联合体共建产业学院5个，签约企业86家。",
    "东岭市高端化工产教联合体近日揭牌，牵头企业东岭石化集团有限公司投入产教融合资金3000万元。",
    "东岭市高端化工产教联合体理事会审议通过章程。经审计，专项经费连续两年未按计划落实。",
]


def review(tmp_path, catalogue, files):
    folder = tmp_path / "青川市智能制造产教联合体"
    for name, maker in files.items():
        maker(folder / name)
    docs = read_folder(folder)
    return docs, extract(catalogue, docs, folder_name=folder.name)


def test_standard_roster_and_news_are_reference_and_give_no_evidence(tmp_path, catalogue):
    docs, res = review(tmp_path, catalogue, {
        "2024年度工作总结.docx": lambda p: make_docx(p, OWN_REPORT),
        "附件/建设通知.docx": standard_doc(catalogue),
        "附件/名单.docx": roster_doc(catalogue),
        "附件/新闻汇编.docx": lambda p: make_docx(p, NEWS),
    })
    roles = {d.file: (d.role, d.role_reason) for d in docs}
    assert roles["2024年度工作总结.docx"][0] == "own"
    for f in ("附件/建设通知.docx", "附件/名单.docx", "附件/新闻汇编.docx"):
        assert roles[f][0] == "reference", f
        assert roles[f][1]                      # a one-line Chinese reason
    assert "东岭" in roles["附件/新闻汇编.docx"][1] or "白沙湾" in roles["附件/新闻汇编.docx"][1]
    # no point, flag or name from a reference document
    for p in res.points:
        for e in p.evidence:
            assert not e.file.startswith("附件/"), (p.code, e.file, e.snippet)
    assert not any(n.flagged for n in res.negatives)
    assert res.info.name == "青川市智能制造产教联合体"
    assert res.info.lead_school == "青川职业技术学院"
    pts = {p.code: p for p in res.points}
    assert pts["8.1.3"].value == 12
    assert pts["3.2.1"].status == "missing"       # 「不低于100万元」 and 3000万元 are not its figures
    assert pts["7.2.1"].status == "missing"       # 产业学院5个 belongs to another consortium


def test_self_assessment_form_listing_every_point_stays_own(tmp_path, catalogue):
    rows = [["观测点", "完成情况"]]
    for i, p in enumerate(catalogue.points):
        rows.append([p.name, "是" if p.type == "yesno" else str(i + 3)])
    docs, res = review(tmp_path, catalogue, {
        "2024年度工作总结.docx": lambda p: make_docx(p, OWN_REPORT),
        "自评表.docx": lambda p: make_docx(p, ["青川市智能制造产教联合体自评表"], [rows]),
    })
    assert {d.file: d.role for d in docs}["自评表.docx"] == "own"
    assert any(e.file == "自评表.docx" for p in res.points for e in p.evidence)


def test_user_folder_overrides_the_classification(tmp_path, catalogue):
    docs, res = review(tmp_path, catalogue, {
        "2024年度工作总结.docx": lambda p: make_docx(p, OWN_REPORT),
        # own material the user files as reference: not evidence
        "参考材料/往年总结.docx": lambda p: make_docx(p, ["青川市智能制造产教联合体共建实训基地30个。"]),
        # a notice the user declares own (e.g. the city's policy for this consortium)
        "本联合体材料/市政府文件.docx": standard_doc(catalogue),
    })
    roles = {d.file: (d.role, d.role_reason) for d in docs}
    assert roles["参考材料/往年总结.docx"][0] == "reference" and "用户指定" in roles["参考材料/往年总结.docx"][1]
    assert roles["本联合体材料/市政府文件.docx"][0] == "own"
    pts = {p.code: p for p in res.points}
    assert pts["8.5.1"].value == 8


def test_folder_name_breaks_a_tie_between_one_report_and_one_news_item(tmp_path, catalogue):
    docs, res = review(tmp_path, catalogue, {
        "2024年度工作总结.docx": lambda p: make_docx(p, OWN_REPORT),
        "新闻.docx": lambda p: make_docx(p, NEWS[1:2] * 3),
    })
    assert {d.file: d.role for d in docs} == {"2024年度工作总结.docx": "own", "新闻.docx": "reference"}
    assert res.info.name == "青川市智能制造产教联合体"


@pytest.mark.parametrize("a,b,same", [
    ("临渚生物医药产教联合体", "临渚市生物医药产教联合体", True),
    ("宜宾临港市域产教联合体", "宜宾临港经济技术开发区（三江新区）市域产教联合体", True),
    ("苏州市太仓中德智能制造产教联合体", "太仓中德智能制造产教联合体", True),
    ("苏州机器人与智能制造产教联合体", "太仓中德智能制造产教联合体", False),
    ("东岭市高端化工产教联合体", "滨州市高端化工产教联合体", False),
])
def test_short_and_long_forms_of_a_name(a, b, same):
    assert same_consortium(a, b) is same


def test_own_plan_that_follows_the_standard_s_structure_stays_own(tmp_path, catalogue):
    """A 建设方案 written along the standard (each indicator's text as a section intro) still
    names its consortium again and again: it is own material."""
    paras = ["青川市智能制造产教联合体建设方案"]
    for p in catalogue.points[:60]:
        paras.append(p.indicator_description)
        paras.append(f"青川市智能制造产教联合体将围绕{p.indicator_name}开展工作。")
    paras.append("青川市智能制造产教联合体已共建实训基地8个。")
    docs, res = review(tmp_path, catalogue, {
        "建设方案.docx": lambda p: make_docx(p, paras),
        "附件/建设通知.docx": standard_doc(catalogue),
    })
    roles = {d.file: d.role for d in docs}
    assert roles == {"建设方案.docx": "own", "附件/建设通知.docx": "reference"}
    assert {p.code: p for p in res.points}["8.5.1"].value == 8


PROVINCIAL_POLICY = [
    "江淮省教育厅 江淮省发展和改革委员会关于推进市域产教联合体建设的实施意见",
    "各市教育局、发展改革委：",
    "为贯彻落实《关于深化现代职业教育体系建设改革的意见》，现就推进我省市域产教联合体建设提出如下意见。",
    "到2025年，全省建成省级市域产教联合体20个左右，每个联合体共建实训基地不少于10个，订单培养学生不少于500人。",
    "各地要将市域产教联合体建设纳入产业园区工作考核指标，安排专项经费，建立理事会议事规则。",
    "对发生重大违法违规事件、弄虚作假的联合体，取消其资格。",
]
CITY_ISSUED_OWN_PLAN = [
    "青川市人民政府办公室关于印发青川市智能制造产教联合体建设方案的通知",
    "各区县人民政府，市政府各部门：",
    "现将《青川市智能制造产教联合体建设方案》印发给你们，请认真遵照执行。",
    "青川市智能制造产教联合体由青川职业技术学院牵头。青川市智能制造产教联合体已建立理事会议事规则。",
    "青川市智能制造产教联合体建设情况已纳入产业园区工作考核指标。",
]


def test_a_provincial_policy_without_a_document_number_is_reference(tmp_path, catalogue):
    docs, res = review(tmp_path, catalogue, {
        "2024年度工作总结.docx": lambda p: make_docx(p, OWN_REPORT),
        "省实施意见.docx": lambda p: make_docx(p, PROVINCIAL_POLICY),
        "市政府通知.docx": lambda p: make_docx(p, CITY_ISSUED_OWN_PLAN),
    })
    roles = {d.file: (d.role, d.role_reason) for d in docs}
    assert roles["省实施意见.docx"][0] == "reference" and "发文机关" in roles["省实施意见.docx"][1]
    assert roles["市政府通知.docx"][0] == "own"          # issued by the city, about this consortium
    pts = {p.code: p for p in res.points}
    assert pts["8.5.1"].value == 8 and pts["9.1.4"].status == "missing"
    assert pts["5.2.1"].status == "found" and pts["5.2.1"].evidence[0].file == "市政府通知.docx"
    assert not any(n.flagged for n in res.negatives)


def test_a_file_named_background_material_is_reference(tmp_path, catalogue):
    folder = tmp_path / "青川市智能制造产教联合体"
    make_docx(folder / "2024年度工作总结.docx", OWN_REPORT)
    make_docx(folder / "背景材料-新能源产教融合共同体.docx",
              ["常州科教城新能源产教融合共同体启动，成立4个产教融合共同体，36个项目签约，共建产教融合实践中心3个。"])
    res = extract(catalogue, docs := read_folder(folder), folder_name=folder.name)
    roles = {d.file: d.role for d in docs}
    assert roles["背景材料-新能源产教融合共同体.docx"] == "reference"
    assert roles["2024年度工作总结.docx"] == "own"
    assert all("背景材料" not in e.file for p in res.points for e in p.evidence)
