"""What kind of statement, whose statement: only the consortium's own achieved statements are
evidence. Each case is a real .docx read through the readers; the sentences are written for
these tests, one mechanism each (questions and requirements quoted from the standard, wishes,
the subject of a sentence, wider-area figures, numberless statements, bylines and titles,
hypotheticals and denials for the negative list, number forms).
"""

from pathlib import Path

import docx
import pytest

from consortium_review.catalogue import load_catalogue
from consortium_review.extractors.evidence import extract
from consortium_review.extractors.read import read_folder

NAME = "青川市智能制造产教联合体"


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def run(tmp_path, catalogue, *sentences, file="2024年度工作总结.docx"):
    folder = tmp_path / NAME
    folder.mkdir(parents=True, exist_ok=True)
    d = docx.Document()
    d.add_paragraph(f"{NAME}2024年度工作总结")
    for s in sentences:
        d.add_paragraph(s)
    d.save(folder / file)
    res = extract(catalogue, read_folder(folder), folder_name=NAME)
    return {p.code: p for p in res.points}, res


@pytest.mark.parametrize("sentence,code", [
    ("按照建设标准，牵头企业近三年在产教融合领域的总投入须不低于100万元。", "3.2.1"),        # requirement
    ("是否为行业龙头企业、专精特新“小巨人”企业或省级及以上产教融合型企业。", "3.1.1"),       # question
    ("园区集聚了一批链主企业，产业基础雄厚。", "3.1.1"),                                   # not the lead enterprise
    ("鼓励成员企业申报专精特新“小巨人”企业。", "3.1.1"),                                   # a wish
    ("科技成果转化研究院副院长李明出席会议并讲话。", "15.1.1"),                              # a title, not a fact
    ("如发生重大安全事故，联合体将启动应急预案。", "16.1"),                                  # hypothetical
])
def test_not_evidence(tmp_path, catalogue, sentence, code):
    pts, res = run(tmp_path, catalogue, sentence)
    if code.startswith("16."):
        assert not next(n for n in res.negatives if n.code == code).flagged
    else:
        assert pts[code].status == "missing", (pts[code].status, pts[code].value)


def test_lead_enterprise_status_needs_the_lead_enterprise(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "联合体牵头企业青川装备集团有限公司是国家级专精特新“小巨人”企业。")
    assert (pts["3.1.1"].status, pts["3.1.1"].value) == ("found", True)


def test_figures_of_the_city_are_not_the_consortium_s(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "全市共建成产业学院45个，联合体共建产业学院6个。")
    assert pts["7.2.1"].value == 6


def test_previous_year_follows_the_report_year(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "2024年共建实训基地12个，2025年共建实训基地18个。",
                 file="2025年度工作总结.docx")
    assert pts["8.5.1"].value == 18
    pts, _ = run(tmp_path / "b", catalogue, "上年度共建专业10个，本年度共建专业14个。")
    assert pts["8.1.3"].value == 14


def test_numberless_statement_is_partial_with_its_sentence_and_named_count(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "智能制造产业学院揭牌成立，新能源汽车产业学院同时揭牌。")
    p = pts["7.2.1"]
    assert (p.status, p.value) == ("partial", 2)
    assert "揭牌" in p.evidence[0].snippet and "未给出数量" in p.note


def test_numberless_statement_without_names_has_no_value(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "本年度联合体产业学院正式揭牌成立。")
    assert (pts["7.2.1"].status, pts["7.2.1"].value) == ("partial", None)


@pytest.mark.parametrize("sentence,flag", [
    ("依据《关于支持产教联合体发展的若干措施》，专项经费连续两年未按计划落实。", True),
    ("经审计，专项经费连续两年没有按计划落实到位。", True),
    ("本年度未出现安全事故，没有引发不良社会影响，各成员单位均未发生违法违规行为。", False),
    ("各成员单位从未发生招生、就业领域违法违规事件。", False),
    ("各成员单位严守安全底线，实现安全事故零发生。", False),
    ("牵头企业未落实“四个合作”相关工作。", True),                 # the quotation names the thing
    ("成员企业全面落实合作办学、合作育人、合作就业、合作发展“四个合作”。", False),
    ("一名学生在合作企业顶岗实习期间发生烫伤事故，经媒体报道后造成了不良社会影响。", True),   # 了 inside
    ("本年度学生实习期间未发生安全事故。", False),
    ("联合体加强实习管理，确保不发生实习安全事故。", False),
])
def test_negative_list_both_ways(tmp_path, catalogue, sentence, flag):
    _, res = run(tmp_path, catalogue, sentence)
    flagged = [n.code for n in res.negatives if n.flagged]
    assert bool(flagged) is flag, flagged


def test_number_forms_keep_their_qualifier(tmp_path, catalogue):
    from consortium_review.extractors.numbers import find_quantities
    got = [(float(q.value), q.unit, q.qualifier) for q in find_quantities("企业投入约3千万元，培训4.8千人次，学员一万二人，超过两千人")]
    assert got == [(3000, "万元", "约"), (4800, "人次", ""), (12000, "人", ""), (2000, "人", "超过")]


def test_identity_from_sentences_of_a_consortium_not_on_the_rosters(tmp_path, catalogue):
    _, res = run(tmp_path, catalogue, "联合体牵头单位——青川职业技术学院，青川装备集团有限公司作为牵头企业。",
                 "联合体依托青川国家高新技术产业开发区建设。")
    info = res.info
    assert (info.lead_school, info.lead_enterprise, info.park) == (
        "青川职业技术学院", "青川装备集团有限公司", "青川国家高新技术产业开发区")


def test_park_level_from_the_park_s_name(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "联合体依托青川国家高新技术产业开发区建设。")
    p = pts["2.1.1"]
    assert (p.status, p.value) == ("found", "国家级") and "推定" in p.note


def test_conflict_inside_one_document_is_reported(tmp_path, catalogue):
    folder = tmp_path / NAME
    folder.mkdir()
    d = docx.Document()
    d.add_paragraph(f"{NAME}2024年度工作总结")
    d.add_paragraph("本年度共建实训基地18个，共建专业14个。")
    t = d.add_table(rows=3, cols=3)
    for r, row in enumerate([["指标", "数值", "单位"], ["共建实训基地数", "16", "个"], ["共建专业数", "14", "个"]]):
        for c, v in enumerate(row):
            t.cell(r, c).text = v
    d.save(folder / "2024年度工作总结.docx")
    pts = {p.code: p for p in extract(catalogue, read_folder(folder), folder_name=NAME).points}
    assert pts["8.5.1"].status == "conflict"
    assert {e.value for e in pts["8.5.1"].evidence} == {16, 18}
    assert pts["8.5.1"].note.startswith("同一材料内")
    assert (pts["8.1.3"].status, pts["8.1.3"].value) == ("found", 14)      # agreeing twice: confirmation


def test_synonyms_replace_whole_words_only(catalogue):
    from consortium_review.extractors.matching import Matcher, expand_synonyms
    groups = [tuple(g) for g in catalogue.synonyms]
    assert expand_synonyms(("产业园区",), groups) == [("产业园区",)]           # never 「产业产业园」
    assert ("列入产业园区工作考核指标",) in expand_synonyms(("纳入产业园区工作考核指标",), groups)
    assert ("专项经费", "到账") in expand_synonyms(("专项经费", "到位"), groups)
    parts = {part for _, kws, _ in Matcher(catalogue).rules for k in kws for part in k}
    assert not [p for p in parts if re_doubled(p)]


def re_doubled(text):
    import re
    return re.search(r"(产业|园区|区)\1", text)


@pytest.mark.parametrize("sentence,code,want", [
    ("上年度技术服务到款额为768万元。", "13.2.3", "missing"),          # last year's figure
    ("2023年，联合体共建实训基地12个。", "8.5.1", "missing"),           # a year heading the sentence
    ("2025年，联合培养订单班学生350人。", "9.1.4", "partial"),          # after the report year: a target
    ("与上年相比，本年度共建专业14个。", "8.1.3", "found"),
])
def test_sentence_years_relative_to_the_report_year(tmp_path, catalogue, sentence, code, want):
    pts, res = run(tmp_path, catalogue, sentence)
    assert res.report_year == 2024 and "2024年度" in res.report_year_source
    assert pts[code].status == want


def test_report_year_is_never_a_constant(tmp_path, catalogue):
    from consortium_review.extractors.evidence import report_year_of
    folder = tmp_path / "x"
    folder.mkdir()
    d = docx.Document()
    d.add_paragraph("2025年，联合培养订单班学生350人。2025年共建专业8个。")
    d.save(folder / "工作总结.docx")
    docs = read_folder(folder)
    assert report_year_of(docs, today=2026) == (2025, "材料中提及最多的年份（2025年）")
    assert report_year_of([], today=2026)[0] == 2026
    pts = {p.code: p for p in extract(catalogue, docs, folder_name="x").points}
    assert (pts["9.1.4"].status, pts["9.1.4"].value) == ("found", 350)
    pts = {p.code: p for p in extract(catalogue, docs, folder_name="x", year=2024).points}
    assert pts["9.1.4"].status == "partial"                                # --year 2024: 2025 is a target


def test_joint_lead_units_in_one_enumeration(tmp_path, catalogue):
    # 「由A、B共同牵头组建」: each part goes to the field its ending names; the subject before 由 does not
    _, res = run(tmp_path, catalogue, f"{NAME}由青川职业技术学院、青川轨道交通装备集团有限公司共同牵头组建。")
    assert (res.info.lead_school, res.info.lead_enterprise) == ("青川职业技术学院", "青川轨道交通装备集团有限公司")


@pytest.mark.parametrize("short", ["轨道交通集团", "青川轨交集团", "青川轨道交通装备"])
def test_lead_enterprise_named_by_a_short_form(tmp_path, catalogue, short):
    pts, _ = run(tmp_path, catalogue, "联合体牵头企业为青川轨道交通装备集团有限公司。",
                 f"{short}2022年至2024年在产教融合领域累计投入860万元。")
    assert (pts["3.2.1"].status, pts["3.2.1"].value) == ("found", 860)


def test_a_short_form_of_another_company_is_not_the_lead_enterprise(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "联合体牵头企业为青川轨道交通装备集团有限公司。",
                 "云岭化工集团2022年至2024年在产教融合领域累计投入860万元。")
    assert pts["3.2.1"].status == "missing"


@pytest.mark.parametrize("sentence,want", [
    ("2022年至2024年，联合体累计共建实训基地9个。", ("found", 9)),        # a past span ending in the report year
    ("截至2024年底，联合体共建实训基地9个。", ("found", 9)),              # a status date
    ("到2024年底，联合体共建实训基地9个。", ("partial", None)),           # plan wording for the report year
    ("至2026年，联合体共建实训基地9个。", ("partial", None)),             # a later deadline
])
def test_deadlines_are_read_against_the_report_year(tmp_path, catalogue, sentence, want):
    pts, _ = run(tmp_path, catalogue, sentence)
    assert (pts["8.5.1"].status, pts["8.5.1"].value) == want


@pytest.mark.parametrize("header,want", [
    (["指标", "基期值", "现状值", "目标值"], (5, 260)),             # baseline is not this year's figure
    (["指标", "建设前", "当前", "2026年目标"], (5, 260)),
    (["指标", "已完成", "规划目标", "备注"], (3, 120)),
    (["指标", "2023年", "2024年", "2026年"], (5, 260)),             # columns by year, against the report year
    (["指标", "2023年底", "截至2024年底", "2026年底"], (5, 260)),
])
def test_plan_table_columns_achieved_baseline_target(tmp_path, catalogue, header, want):
    folder = tmp_path / NAME
    folder.mkdir()
    d = docx.Document()
    d.add_paragraph(f"{NAME}建设方案（2024—2026年）")
    t = d.add_table(rows=3, cols=4)
    for r, row in enumerate([header, ["共建实训基地（个）", "3", "5", "8"], ["订单班学生（人）", "120", "260", "400"]]):
        for c, v in enumerate(row):
            t.cell(r, c).text = v
    d.save(folder / "建设方案.docx")
    pts = {p.code: p for p in extract(catalogue, read_folder(folder), folder_name=NAME, year=2024).points}
    assert (pts["8.5.1"].value, pts["9.1.4"].value) == want
    assert pts["8.5.1"].status == "found"


def test_a_modifier_inside_a_two_word_keyword(tmp_path, catalogue):
    # 专项资金 said as 专项建设资金: the keyword still holds, the figure is the point's
    pts, _ = run(tmp_path, catalogue, "市级专项建设资金已全部到位，共1200万元。")
    assert (pts["6.1.2"].status, pts["6.1.2"].value) == ("found", 1200)


@pytest.mark.parametrize("rows", [
    [["项目", "人次", "课时"], ["校际兼职教师", 46, 690]],                    # a column per unit
    [["项目", "数量（人次）", "课时数"], ["校际兼职教师", 46, 690]],
    [["项目", "数值", "单位"], ["校际兼职教师", "46/690", "人次/课时"]],       # paired in one cell
    [["项目", "完成情况"], ["校际兼职教师", "46人次、690课时"]],
])
def test_a_two_unit_point_from_one_spreadsheet_row(tmp_path, catalogue, rows):
    from openpyxl import Workbook
    folder = tmp_path / NAME
    folder.mkdir()
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(folder / "2024年度数据表.xlsx")
    p = {p.code: p for p in extract(catalogue, read_folder(folder), folder_name=NAME, year=2024).points}["8.4.2"]
    assert p.status == "found"
    assert sorted((q["value"], q["unit"]) for q in p.quantities) == [(46, "人次"), (690, "课时")]


@pytest.mark.parametrize("sentences,want", [
    # 「以X为牵头学校，以Y为牵头企业」
    (["联合体以青川职业技术学院为牵头学校，以青川装备集团有限公司为牵头企业组建。"],
     ("青川职业技术学院", "青川装备集团有限公司", "")),
    # a short form named as the lead is the full name the same documents give elsewhere
    (["成员单位包括青川丰禾农业集团有限公司等32家企业。", "联合体由丰禾集团牵头，青川职业技术学院共同组建。"],
     ("", "青川丰禾农业集团有限公司", "")),
    # the park named as 依托园区 in either order
    (["青川经济技术开发区是联合体的依托园区。"], ("", "", "青川经济技术开发区")),
    (["联合体依托的园区为青川经济技术开发区，园区内企业120家。"], ("", "", "青川经济技术开发区")),
])
def test_identity_in_other_sentence_orders(tmp_path, catalogue, sentences, want):
    _, res = run(tmp_path, catalogue, *sentences)
    info = res.info
    got = (info.lead_school or "", info.lead_enterprise or "", info.park or "")
    assert tuple(g if w else "" for g, w in zip(got, want)) == want


def test_a_short_form_is_not_expanded_to_one_of_two_companies(tmp_path, catalogue):
    _, res = run(tmp_path, catalogue, "成员有青川丰禾农业集团有限公司、青川丰禾食品集团有限公司。",
                 "联合体由丰禾集团牵头组建。")
    assert res.info.lead_enterprise == "丰禾集团"


def _value(p):
    return (p.status, float(p.value) if p.value is not None else None, p.unit)


def test_a_figure_after_the_first_part_of_a_two_part_keyword(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "书记、校长带队走访企业126家，开拓就业岗位2100余个。",
                 "市财政安排联合体建设专项资金500万元，已全部拨付到位。")
    assert _value(pts["11.2.2"]) == ("found", 126.0, "个")      # 126家 after 走访企业
    assert _value(pts["11.1.4"]) == ("found", 2100.0, "个")     # 2100 goes to the longer 就业岗位
    assert _value(pts["6.1.2"]) == ("found", 500.0, "万元")


@pytest.mark.parametrize("sentence,want", [
    ("安排专项资金500万元，实际到位300万元。", 300.0),    # the figure after the anchor wins
    ("市财政安排专项资金500万元，目前尚未拨付到位。", None),  # a denied anchor takes no figure
])
def test_a_figure_after_a_part_is_only_a_fallback(tmp_path, catalogue, sentence, want):
    pts, _ = run(tmp_path, catalogue, sentence)
    p = pts["6.1.2"]
    assert (float(p.value) if p.status == "found" else None) == want


@pytest.mark.parametrize("sentence,code,want", [
    ("联合开发课程38门，其中2门入选国家级一流课程。", "8.2.3", 2.0),
    ("联合开发课程38门，其中入选国家级课程2门。", "8.2.3", 2.0),
    ("共建实训基地17个，其中国家级实训基地3个。", "8.5.1", 17.0),        # 3 is a part of 17
    ("订单培养学生500人，其中牵头企业接收订单班学生320人。", "9.1.4", 500.0),
])
def test_qizhong_part_defined_by_the_keyword_is_the_points_own(tmp_path, catalogue, sentence, code, want):
    pts, _ = run(tmp_path, catalogue, sentence)
    assert _value(pts[code])[:2] == ("found", want)


@pytest.mark.parametrize("sentence,want", [
    ("入选全省产教融合典型案例3个。", ("found", 3.0)),
    ("全省共有产教融合典型案例30个。", None),
])
def test_scope_word_after_a_selection_verb_is_not_a_wider_subject(tmp_path, catalogue, sentence, want):
    pts, _ = run(tmp_path, catalogue, sentence)
    p = pts["13.1.2"]
    assert (_value(p)[:2] if p.status == "found" else None) == want


def test_an_enumeration_before_its_event_is_a_numberless_statement_of_each(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "会上，青川装备产业学院、青川智能制造产教融合实践中心同时揭牌。",
                 "活动现场，“青川装备订单班”正式开班。")
    assert (pts["7.2.1"].status, pts["7.2.2"].status, pts["9.1.4"].status) == ("partial",) * 3
    assert pts["7.2.1"].value == 1 and pts["9.1.4"].value is None


@pytest.mark.parametrize("sentence", [
    "王明指出，各成员单位要深化产教融合；要建立专业动态调整机制，共同制定人才培养方案。",
    "会议强调，要建立专业动态调整机制，共同制定人才培养方案。",
])
def test_an_exhortation_in_a_speech_is_not_a_status(tmp_path, catalogue, sentence):
    pts, _ = run(tmp_path, catalogue, sentence)
    assert (pts["10.1.1"].status, pts["8.1.2"].status) == ("missing", "missing")


def test_next_steps_are_targets(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "下一步，联合体将围绕智能制造产业，共建实训基地10个，开发课程30门。")
    assert (pts["8.5.1"].status, pts["8.2.2"].status) == ("partial", "partial")
    assert pts["8.5.1"].value is None


def test_a_park_that_leads_is_the_park(tmp_path, catalogue):
    _, res = run(tmp_path, catalogue, "该联合体由青川经济技术开发区牵头，联合6所院校和58家企业共同组建。")
    assert res.info.park == "青川经济技术开发区"


@pytest.mark.parametrize("sentence,code,want", [
    ("青川市职业院校毕业生就业率为93.5%。", "12.1.1", None),                   # the city's schools
    ("江淮省高职院校平均就业率为91%，联合体成员院校毕业生就业率为96%。", "12.1.1", 96.0),
    ("国家级高新区的平均产值为1200亿元。", "2.1.2", None),                      # a reference average
    ("在兄弟联合体中，滨海新材料产教联合体订单培养学生1300人。", "9.1.4", None),  # another consortium
    ("与滨海新材料产教联合体合作，本联合体订单培养学生520人。", "9.1.4", 520.0),
])
def test_figures_of_named_cities_peers_and_averages_are_not_the_consortium_s(tmp_path, catalogue, sentence, code, want):
    pts, _ = run(tmp_path, catalogue, sentence)
    p = pts[code]
    assert (float(p.value) if p.status == "found" else None) == want


def test_a_two_unit_statement_reached_through_two_keywords(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "累计有58名企业工程师受聘为兼职教师，承担授课任务1860课时。")
    p = pts["8.4.1"]
    assert p.status == "found"
    assert [(float(q["value"]), q["unit"]) for q in p.to_json()["quantities"]] == [(58.0, "人次"), (1860.0, "课时")]


def test_next_year_plan_section_of_an_annual_summary_holds_targets(tmp_path, catalogue):
    folder = tmp_path / NAME
    folder.mkdir()
    d = docx.Document()
    d.add_heading(f"{NAME}2024年度工作总结", 0)
    d.add_heading("一、主要成效", 1)
    d.add_paragraph("共建实训基地12个，订单培养学生520人。")
    d.add_heading("三、2025年工作计划", 1)
    d.add_paragraph("1. 新建产业学院2个。")
    d.add_paragraph("2. 建立运营管理制度。")
    d.save(folder / "2024年度工作总结.docx")
    pts = {p.code: p for p in extract(catalogue, read_folder(folder), folder_name=NAME).points}
    assert (pts["8.5.1"].status, pts["8.5.1"].value) == ("found", 12)
    assert (pts["7.2.1"].status, pts["7.2.1"].value) == ("partial", None)
    assert pts["5.4.2"].status == "partial"


@pytest.mark.parametrize("sentence,code,want", [
    ("联合体将进一步完善议事规则。", "5.3.2", "partial"),                    # a plan
    ("议事规则的制定工作正在推进中。", "5.3.2", False),                      # not yet
    ("围绕专业动态调整机制开展了专题调研。", "10.1.1", "missing"),            # a topic, not a status
    ("运营质量保障体系初步建立，绩效考核体系尚在研究。", "5.4.3", False),       # one of three missing
    ("市委组织召开了联合体建设推进专题会议。", "1.2.1", True),
])
def test_yes_no_statements_in_other_forms(tmp_path, catalogue, sentence, code, want):
    pts, _ = run(tmp_path, catalogue, sentence)
    p = pts[code]
    assert (p.value if p.status == "found" else p.status) == want


@pytest.mark.parametrize("name,kind", [
    ("青川第一职业中专", "中职"), ("青川市中等职业学校", "中职"), ("青川技工学校", "中职"),
    ("青川职业技术学院", "高职"), ("青川职业技术大学", "高职"),            # 职教本科 counts with 高职
    ("青川理工学院", "普通本科"), ("青川大学", "普通本科"),
    ("青川装备产业学院", None), ("智能制造学院", None), ("青川开放大学", None),
])
def test_school_kind_from_its_name(name, kind):
    from consortium_review.extractors.members import school_kind
    assert school_kind(name) == kind


def test_member_school_kinds_named_make_a_presumed_yes(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "联合体由青川职业技术学院、青川理工学院、青川第一职业中专等6所院校和58家企业共同组建。")
    p = pts["5.1.2"]
    assert (p.status, p.value) == ("found", True) and "推定" in p.note and "青川第一职业中专" in p.note
    pts, _ = run(tmp_path / "b", catalogue, "联合体由青川职业技术学院、青川理工学院等院校和58家企业共同组建。")
    assert pts["5.1.2"].status == "missing"              # no 中职 named: nothing presumed


@pytest.mark.parametrize("sentence,code,want", [
    ("同日，滨海新材料产教联合体成立了理事会，审议通过了联合体章程。", "5.1.1", "missing"),
    ("滨海新材料产教联合体的滨海化工产业学院揭牌成立。", "7.2.1", "missing"),
    ("学习借鉴滨海新材料产教联合体经验，联合体成立了理事会。", "5.1.1", "found"),
    (f"{NAME}成立了理事会。", "5.1.1", "found"),
])
def test_statements_about_a_peer_consortium_are_not_evidence(tmp_path, catalogue, sentence, code, want):
    pts, _ = run(tmp_path, catalogue, sentence)
    assert pts[code].status == want


@pytest.mark.parametrize("sentence,code", [
    ("青川市科技成果转化研究院副院长李明介绍，今年完成技术服务合同32项。", "13.3.4"),   # part of a name, A&B keyword
    ("技能大师工作室领衔人张华带领团队完成技术攻关15项。", "14.1.2"),                  # a person's title
])
def test_keywords_inside_names_and_titles_take_no_figure(tmp_path, catalogue, sentence, code):
    pts, _ = run(tmp_path, catalogue, sentence)
    assert pts[code].status == "missing"


def test_a_two_unit_point_with_only_its_second_unit_stated_keeps_that_unit(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "联合体企业兼职教师到校授课2300余课时。")
    p = pts["8.4.1"]
    assert (p.status, p.value, p.unit) == ("found", 2300, "课时")      # not 2300人次


def _member_list(tmp_path, catalogue, rows):
    """A consortium folder holding one member list (成员单位名单) as a Word table; its extraction."""
    folder = tmp_path / NAME
    folder.mkdir()
    d = docx.Document()
    d.add_paragraph(f"{NAME}成员单位名单")
    t = d.add_table(rows=len(rows), cols=len(rows[0]))
    for i, r in enumerate(rows):
        for j, c in enumerate(r):
            t.cell(i, j).text = c
    d.save(folder / "成员单位名单.docx")
    return extract(catalogue, read_folder(folder), folder_name=NAME)


def test_identity_from_a_member_list_role_column(tmp_path, catalogue):
    info = _member_list(tmp_path, catalogue, [
        ("序号", "单位名称", "单位类型", "在联合体中的职务"),
        ("1", "青川职业技术学院", "高职院校", "牵头学校"),
        ("2", "青川理工学院", "本科院校", "副理事长单位"),
        ("3", "青川装备集团有限公司", "企业", "牵头企业"),
        ("4", "青川数控机床有限公司", "企业", "理事单位")]).info
    assert (info.lead_school, info.lead_enterprise) == ("青川职业技术学院", "青川装备集团有限公司")


def test_a_member_list_row_states_the_lead_enterprise_s_status(tmp_path, catalogue):
    pts = {p.code: p for p in _member_list(tmp_path, catalogue, [
        ("序号", "单位名称", "单位类型", "职务"),
        ("1", "青川装备集团有限公司", "专精特新“小巨人”企业", "牵头企业"),
        ("2", "青川数控机床有限公司", "国家级产教融合型企业", "理事单位")]).points}
    p = pts["3.1.1"]
    assert (p.status, p.value) == ("found", True)
    assert all("青川装备集团" in e.snippet for e in p.evidence)     # not the other member's row


def test_evidence_does_not_depend_on_the_hash_seed(tmp_path):
    """Ties between keyword hits are broken by position, never by set order: the same sentence
    gives the same evidence in every process (workers start with their own PYTHONHASHSEED)."""
    import os
    import subprocess
    import sys
    script = (
        "from consortium_review.catalogue import load_catalogue\n"
        "from consortium_review.extractors.evidence import sentence_candidates\n"
        "from consortium_review.extractors.matching import Matcher\n"
        "from consortium_review.models import Block\n"
        "cat = load_catalogue(); m = Matcher(cat)\n"
        "for s in ['联合开发课程38门，其中入选国家级课程2门。', '书记、校长带队走访企业126家，开拓就业岗位2100余个。',\n"
        "          '累计有58名企业工程师受聘为兼职教师，承担授课任务1860课时。']:\n"
        "    for c in sentence_candidates(m, cat, Block(text=s, file='x.docx'), 2024, False):\n"
        "        print(c.code, c.value, c.unit, c.kind, [(str(v), u) for v, u in c.quantities])\n")
    outs = set()
    for seed in ("1", "2", "3", "4"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
        assert r.returncode == 0, r.stderr
        outs.add(r.stdout)
    assert len(outs) == 1
    assert "8.2.3 2 门 achieved" in outs.pop()


@pytest.mark.parametrize("sentence,want", [
    ("牵头企业近三年在产教融合领域的总投入（近三年累计≥100万元）。", None),   # the threshold, quoted with its sign
    ("牵头企业近三年在产教融合领域的总投入，标准：近三年累计≥100万元。", None),
    ("牵头企业近三年在产教融合领域总投入286万元。", 286.0),
])
def test_a_threshold_quoted_in_an_own_document_is_not_a_figure(tmp_path, catalogue, sentence, want):
    pts, _ = run(tmp_path, catalogue, "牵头企业为青川装备集团有限公司。", sentence)
    p = pts["3.2.1"]
    assert (float(p.value) if p.status == "found" else None) == want


@pytest.mark.parametrize("sentence,code,want", [
    # phrasings from standards/glossary.yaml 五、补充三 (real published texts), in sentences written here
    ("本年度聘任产业兼职教师42人次，承担专业课教学1260课时。", "8.4.1", 42),
    ("组织专业教师下企业实践锻炼，累计36人月。", "8.4.3", 36),
    ("面向退伍军人开展技能培训1800人日。", "14.1.4", 1800),
    ("联合体成员企业接纳实习生共计2400人月。", "11.2.4", 2400),
    ("联合举办校园招聘会2场，提供就业岗位860个。", "11.1.4", 860),
    ("校企合作开设订制班5个，培养学生215人。", "9.1.4", 215),
    ("新签横向项目合同31项，合同金额共计680万元。", "13.2.3", 680),
])
def test_published_phrasings_reach_their_points(tmp_path, catalogue, sentence, code, want):
    pts, _ = run(tmp_path, catalogue, sentence)
    assert (pts[code].status, pts[code].value) == ("found", want), (pts[code].status, pts[code].value)


@pytest.mark.parametrize("sentence,code", [
    ("智能制造产业学院理事会成立大会暨第一届理事会会议召开。", "5.1.1"),   # an industrial college's council
    ("会议审议通过了《智能制造产业学院理事会章程》。", "5.4.1"),            # ... and its charter
    ("多家企业提交了加入职教集团的申请，职教集团理事会扩大到60家。", "5.1.1"),
])
def test_councils_and_charters_of_other_bodies_are_not_the_consortium_s(tmp_path, catalogue, sentence, code):
    pts, _ = run(tmp_path, catalogue, sentence)
    assert pts[code].status == "missing", (pts[code].status, pts[code].value)


LEAD = "青川市智能制造产教联合体由青川职业技术学院牵头，青川重型机械装备有限公司（简称青重装）作为牵头企业。"


def test_a_sentence_opening_with_a_referring_word_speaks_of_the_organisation_just_named(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, LEAD, "青川重型机械装备有限公司是全国工程机械行业龙头企业。",
                 "集团按职工工资总额的2.6%提取职工教育经费，其中用于技能人才培训的比例为62%。")
    assert (pts["3.3.1"].value, pts["3.3.2"].value) == (2.6, 62)


def test_without_the_organisation_before_it_the_referring_sentence_names_no_lead(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "园区规上企业达到320家。",
                 "集团按职工工资总额的2.6%提取职工教育经费，其中用于技能人才培训的比例为62%。")
    assert pts["3.3.1"].status == "missing" and pts["3.3.2"].status == "missing"


def test_a_short_form_the_documents_define_names_the_lead(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, LEAD,
                 "青重装近三年在共建实训基地、捐赠设备等方面累计投入2,140万元，为全国工程机械行业龙头企业。",
                 "青川职业技术学院承担了青重装高技能人才培训任务的35%。")
    assert pts["3.2.1"].value == 2140
    assert pts["3.3.3"].value == 35           # keyword 「承担&牵头企业&高技能人才培训」 met by the name
    assert (pts["3.1.1"].status, pts["3.1.1"].value) == ("found", True)


def test_a_lead_listed_among_others_is_not_described(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, LEAD,
                 "联合体联合青川重型机械装备有限公司等龙头企业、成员院校和科研机构共同建设。")
    assert pts["3.1.1"].status == "missing"


@pytest.mark.parametrize("sentences,code,want", [
    # a requirement after the statement's clause spells out the rule that was set up
    (["会议决定建立理事会重大事项集体决策机制，重大事项须经三分之二以上理事同意方可通过。"], "5.3.1", True),
    (["联合体共建实训基地9个，按照建设标准须达到12个。"], "8.5.1", 9),
    # a requirement before it is still a requirement
    (["按照建设标准，联合体共建实训基地须达到12个。"], "8.5.1", None),
])
def test_a_requirement_clause_after_a_statement_does_not_void_it(tmp_path, catalogue, sentences, code, want):
    pts, _ = run(tmp_path, catalogue, *sentences)
    assert pts[code].value == want, (pts[code].status, pts[code].value)


def test_an_enumeration_of_a_base_s_measures(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "联合体共建实训基地7个、工位860个，工位周均使用29小时，覆盖在校生4,300人。")
    assert [pts[c].value for c in ("8.5.1", "8.5.2", "8.5.3", "8.5.4")] == [7, 860, 29, 4300]


@pytest.mark.parametrize("sentence,code", [
    # a plan at the head of the sentence scopes over its clauses
    ("下一步，联合体将聚焦主导产业，深入实施现代产业学院建设、实践中心建设等任务。", "7.2.1"),
    # a keyword naming the venue of a meeting
    ("12月28日，联合体理事会第一次大会在青川市职业技能公共实训基地隆重召开。", "8.5.1"),
    # a newspaper's page line
    ("《中国教育报》2025年4月1日05版责任编辑：李明", "13.1.3"),
    # the consortium's own level is not the park's
    ("入选首批国家级市域产教联合体以来，联合体各项工作稳步推进。", "2.1.1"),
])
def test_mentions_that_state_nothing(tmp_path, catalogue, sentence, code):
    pts, _ = run(tmp_path, catalogue, sentence)
    assert pts[code].status == "missing", (pts[code].status, pts[code].value)


def test_a_council_meeting_held_states_the_council(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "11月22日，联合体第二次理事会在青川职业技术学院召开，31家理事单位代表参加。")
    assert (pts["5.1.1"].status, pts["5.1.1"].value) == ("found", True)


def test_the_head_of_the_lead_s_name_used_alone_names_it(tmp_path, catalogue):
    pts, res = run(tmp_path, catalogue,
                   "青川市智能制造产教联合体由青川职业技术学院牵头，青川重工机械集团有限公司作为牵头企业。",
                   "青川重工是国内工程机械行业龙头企业，近三年累计投入产教融合资金3,120,000元。")
    assert res.info.lead_enterprise == "青川重工机械集团有限公司"
    assert pts["3.2.1"].value == 312
    assert (pts["3.1.1"].status, pts["3.1.1"].value) == ("found", True)


def test_the_consortium_before_由_is_not_part_of_the_lead_s_name(tmp_path, catalogue):
    _, res = run(tmp_path, catalogue,
                 "青川市智能制造产教联合体由青川恒泰新材料股份有限公司（以下简称恒泰新材）作为牵头企业、青川职业技术学院作为牵头学校组建。")
    assert res.info.lead_enterprise == "青川恒泰新材料股份有限公司"


def test_special_funds_in_place_imply_they_were_arranged(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "2024年，联合体专项经费实际到位860万元，主要用于实训基地建设。")
    assert (pts["6.1.1"].status, pts["6.1.1"].value) == ("found", True)
    assert "6.1.2" in pts["6.1.1"].note and "推定" in pts["6.1.1"].note


def test_planned_funds_imply_nothing(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "2025—2027年，专项经费计划每年到位不低于860万元。")
    assert pts["6.1.1"].status == "missing"


def test_other_orders_of_the_standard_s_words(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "2024届毕业生就业率为96%，对口就业率为百分之八十一，本地就业率63.5%。",
                 "联合体章程、理事会议事规则、运营管理办法均已制定并执行。")
    assert [pts[c].value for c in ("12.1.1", "12.1.2", "12.1.3")] == [96, 81, 63.5]
    assert (pts["5.4.2"].status, pts["5.4.2"].value) == ("found", True)


def test_a_topic_carried_over_figure_only_clauses(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "青川职业技术学院在两县开设县域办学点，下沉专业5个，在校生1,230人。",
                 "平台注册用户1.2万人，开展就业指导5,100人次，书记校长访企拓岗企业58家。")
    assert (pts["7.1.1"].value, pts["7.1.2"].value) == (5, 1230)
    assert pts["11.2.2"].value == 58 and pts["11.1.2"].value != 58


@pytest.mark.parametrize("sentence,want", [
    ("2024年园区生产总值增速为7.6%，低于全市8.1%的平均水平。", False),
    ("青川经开区2024年地区生产总值增长8.4%，高于全市6.0%的平均水平。", True),
    ("全市地区生产总值增长6.0%，继续保持在全省平均水平以上。", None),      # the city, not the park
])
def test_park_growth_against_the_city_average(tmp_path, catalogue, sentence, want):
    pts, _ = run(tmp_path, catalogue, sentence)
    assert pts["13.1.1"].value is want, (pts["13.1.1"].status, pts["13.1.1"].value)


def test_a_government_office_issuing_is_the_government(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "市政府办公室印发了《青川市支持市域产教联合体建设的若干措施》。")
    assert (pts["1.2.2"].status, pts["1.2.2"].value) == ("found", True)


@pytest.mark.parametrize("sentence,code,want", [
    # phrasings from standards/glossary.yaml 六、补充四 (real published texts), in sentences written here
    ("联合体建设成效获中央电视台专题报道。", "13.1.3", "found"),
    ("联合体获市人民政府通报表彰。", "13.1.3", "found"),
    ("2024年，联合体成员院校获山东省职业教育教学成果一等奖2项。", "15.2.3", 2),
    ("青川职业技术学院县域校区现有在校学生860人。", "7.1.2", 860),
])
def test_published_phrasings_four(tmp_path, catalogue, sentence, code, want):
    pts, _ = run(tmp_path, catalogue, sentence)
    got = pts[code].status if want == "found" else pts[code].value
    assert got == want, (pts[code].status, pts[code].value)


def test_a_change_or_a_part_is_not_last_year_s_figure(tmp_path, catalogue):
    pts, _ = run(tmp_path, catalogue, "联合体内校企共建专业12个，较上年增加3个。",
                 "教师企业实践累计312人月，较上年的268人月有所增长。")
    assert [e.value for e in pts["8.1.3"].evidence if e.kind == "previous"] == []
    assert [e.value for e in pts["8.4.3"].evidence if e.kind == "previous"] == [268]


def test_the_park_in_the_consortium_s_name(tmp_path, catalogue):
    folder = tmp_path / "岚州高新区电子信息市域产教联合体"
    folder.mkdir()
    d = docx.Document()
    d.add_paragraph("岚州高新区电子信息市域产教联合体2024年度工作总结")
    d.add_paragraph("岚州高新技术产业开发区聚焦集成电路和新型显示两大产业，2024年实现总产值860亿元。")
    d.save(folder / "工作总结.docx")
    res = extract(catalogue, read_folder(folder), folder_name=folder.name)
    assert res.info.park == "岚州高新技术产业开发区"


def test_a_park_s_committee_that_leads(tmp_path, catalogue):
    _, res = run(tmp_path, catalogue, "联合体由青川经济技术开发区管委会牵头组建，理事会下设秘书处。")
    assert res.info.park == "青川经济技术开发区"


def test_a_sentence_about_the_lead_school_is_not_its_name(tmp_path, catalogue):
    _, res = run(tmp_path, catalogue, "牵头学校青川职院是省级高水平高职学校。", "牵头学校青川职院是省级高水平高职学校，办学历史悠久。")
    assert res.info.lead_school is None or "是" not in res.info.lead_school
