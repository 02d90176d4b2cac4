"""Evidence for observation points: matching, figures, meaning, tables, conflicts, negative list.

Documents are built as real .docx/.xlsx files and read through the readers, so each test runs
the read + extract stages exactly as a review does.
"""

from pathlib import Path

import docx
import openpyxl
import pytest

from consortium_review.catalogue import load_catalogue
from consortium_review.extractors.evidence import extract
from consortium_review.extractors.read import read_folder


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def make_docx(path: Path, paragraphs=(), tables=()):
    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    for rows in tables:
        t = d.add_table(rows=len(rows), cols=len(rows[0]))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                t.cell(r, c).text = text
    d.save(path)


def make_xlsx(path: Path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评表"
    for row in rows:
        ws.append(row)
    wb.save(path)


def review(tmp_path, catalogue, files: dict):
    folder = tmp_path / "联合体"
    folder.mkdir()
    for name, maker in files.items():
        maker(folder / name)
    docs = read_folder(folder)
    res = extract(catalogue, docs)
    return {p.code: p for p in res.points}, res


def test_sentence_figures_are_assigned_to_the_right_point(tmp_path, catalogue):
    pts, _ = review(tmp_path, catalogue, {"2024年度工作总结.docx": lambda p: make_docx(p, [
        "联合体内校企共建专业数达到 14 个，共建实训基地 23 个，实训基地工位 1,834 个。",
        "聘请企业兼职教师 120 人次，承担教学任务 8980 课时。",
        "签订技术服务合同金额 120,320,000 元。",
        "学生获得职业技能等级证书三千二百人次。",
    ])})
    assert (pts["8.1.3"].status, pts["8.1.3"].value, pts["8.1.3"].unit) == ("found", 14, "个")
    assert pts["8.5.1"].value == 23
    assert pts["8.5.2"].value == 1834
    q = {(x["value"], x["unit"]) for x in pts["8.4.1"].quantities}
    assert q == {(120, "人次"), (8980, "课时")}
    assert (pts["13.2.3"].value, pts["13.2.3"].unit) == (12032, "万元")
    assert pts["14.2.1"].value == 3200
    ev = pts["13.2.3"].evidence[0]
    assert ev.file == "2024年度工作总结.docx" and "120,320,000" in ev.snippet and ev.locator.startswith("第")


def test_negation_gives_false_not_missing(tmp_path, catalogue):
    pts, _ = review(tmp_path, catalogue, {"总结.docx": lambda p: make_docx(p, [
        "“金融+财政+土地+信用”支持政策的实施细则暂未出台。",
        "人才培养方案仍由学校单方制定，尚未实现校企共同制定。",
        "联合体建设情况已纳入园区年度工作考核指标，但仍未纳入区域职业教育工作目标考核体系。",
    ])})
    assert (pts["6.2.1"].status, pts["6.2.1"].value) == ("found", False)
    assert (pts["8.1.2"].status, pts["8.1.2"].value) == ("found", False)
    assert (pts["5.2.1"].status, pts["5.2.1"].value) == ("found", True)
    assert (pts["5.2.2"].status, pts["5.2.2"].value) == ("found", False)


def test_targets_are_partial_never_found(tmp_path, catalogue):
    pts, _ = review(tmp_path, catalogue, {"建设方案.docx": lambda p: make_docx(p, [
        "力争到2026年共建产教融合实践中心不少于9个。",
        "计划于2025年6月前制定《理事会议事规则》。",
    ])})
    assert pts["7.2.2"].status == "partial" and pts["7.2.2"].value is None
    assert "目标" in (pts["7.2.2"].note or "")
    assert pts["5.3.2"].status == "partial"


def test_previous_year_and_other_entities_are_not_the_value(tmp_path, catalogue):
    pts, _ = review(tmp_path, catalogue, {"总结.docx": lambda p: make_docx(p, [
        "联合招生 506 名，较上年的 274 名有所增加。",
        "中国特色学徒制培养 185 人，其中某公司接收 44 人。",
        "共建实训基地数量由上年的 17 个增加到 23 个。",
    ])})
    assert pts["9.1.1"].value == 506
    assert pts["9.1.5"].value == 185
    assert pts["8.5.1"].value == 23


def test_self_assessment_rows_by_code_and_by_name(tmp_path, catalogue):
    pts, _ = review(tmp_path, catalogue, {
        "自评表.xlsx": lambda p: make_xlsx(p, [
            ["XX产教联合体建设自评表"],
            ["序号", "观测点", "完成情况", "佐证材料"],
            [1, "3.2.1 牵头企业近三年在产教融合领域的总投入（万元）", "11318万元", "附件3-6"],
            [2, "5.4.1 《市域产教联合体章程》是否完备", "否", "附件5-9"],
            [3, "技术服务合同金额（万元）", "45,000,000元", "附件13-6"],
            [4, "其他专利数（个）", "—", None],
            [5, "13.3.5 研究成果转化经费（万元）", "1,360", "附件13-2"],
        ]),
    })
    assert (pts["3.2.1"].value, pts["3.2.1"].threshold["met"]) == (11318, True)
    assert (pts["5.4.1"].status, pts["5.4.1"].value) == ("found", False)
    assert pts["13.2.3"].value == 4500
    assert pts["13.3.2"].status == "missing"          # 「—」 states nothing
    assert pts["13.3.5"].value == 1360                 # unit from the point name
    assert pts["3.2.1"].evidence[0].locator == "工作表“自评表”第3行"


def test_table_columns_value_unit_and_notes(tmp_path, catalogue):
    pts, _ = review(tmp_path, catalogue, {"总结.docx": lambda p: make_docx(p, ["表1 2024年度主要建设任务完成情况"], [[
        ["序号", "建设任务", "完成数量", "单位", "备注"],
        ["1", "联合建设教学资源库", "2", "个", "2026年目标5个"],
        ["2", "技能鉴定", "8,862", "人次", "2026年目标14271人次"],
    ]])})
    assert (pts["8.2.1"].value, pts["8.2.1"].status) == (2, "found")
    assert pts["14.1.1"].value == 8862


def test_same_value_confirms_different_values_conflict(tmp_path, catalogue):
    pts, _ = review(tmp_path, catalogue, {
        "总结.docx": lambda p: make_docx(p, ["订单培养 1047 人。中国特色学徒制培养 185 人。"]),
        "自评表.xlsx": lambda p: make_xlsx(p, [
            ["序号", "观测点", "完成情况"],
            [1, "9.1.4 订单培养（人）", "1,047人"],
            [2, "9.1.5 中国特色学徒制培养（人）", "126人"],
        ]),
    })
    assert pts["9.1.4"].status == "found"
    assert {e.file for e in pts["9.1.4"].evidence} == {"总结.docx", "自评表.xlsx"}
    assert pts["9.1.4"].confidence > 0.9
    c = pts["9.1.5"]
    assert c.status == "conflict"
    assert {e.value for e in c.evidence} >= {185, 126}
    assert "126" in c.note and "185" in c.note


def test_negative_list_polarity(tmp_path, catalogue):
    _, res = review(tmp_path, catalogue, {"总结.docx": lambda p: make_docx(p, [
        "全年未发生重大违法违规事件，未发生安全责任事故。",
        "经市审计局审计发现，联合体专项经费连续两年未按计划落实到位。",
    ])})
    flags = {n.code: n.flagged for n in res.negatives}
    assert flags["16.1"] is False
    assert flags["16.3"] is True
    ev = next(n for n in res.negatives if n.code == "16.3").evidence[0]
    assert "审计" in ev.snippet


def test_identity_from_info_table_and_roster(tmp_path, catalogue):
    _, res = review(tmp_path, catalogue, {"建设方案.docx": lambda p: make_docx(p, ["联合体基本信息"], [[
        ["项目", "内容"],
        ["联合体名称", "太仓中德智能制造产教联合体"],
        ["依托园区", "江苏省太仓高新技术产业开发区"],
        ["牵头学校", "苏州健雄职业技术学院"],
        ["牵头企业", "舍弗勒（中国）有限公司"],
    ]])})
    assert res.info.name == "苏州市太仓中德智能制造产教联合体"     # official roster name
    assert res.info.roster == {"batch": "2024", "index": 1}
    assert res.info.lead_school == "苏州健雄职业技术学院"


def test_unlisted_consortium_identity_from_text(tmp_path, catalogue):
    _, res = review(tmp_path, catalogue, {"总结.docx": lambda p: make_docx(p, [
        "2024年，临渚市生物医药产教联合体在市委、市政府领导下稳步推进建设。",
        "联合体依托临渚高新技术产业开发区，由临渚医药职业学院牵头，牵头企业为临渚康泰制药股份有限公司。",
    ])})
    assert res.info.name == "临渚市生物医药产教联合体"
    assert res.info.park == "临渚高新技术产业开发区"
    assert res.info.lead_school == "临渚医药职业学院"
    assert res.info.lead_enterprise == "临渚康泰制药股份有限公司"
    assert res.info.roster is None


def test_a_row_label_in_other_words_is_matched_among_the_points_of_its_unit(tmp_path, catalogue):
    # the labels name no point outright; the unit column narrows the points to those measured
    # in that unit, and the label's rare words pick one (「实习实训」 of 11.2.4, not 8.4.3's 「企业」)
    pts, _ = review(tmp_path, catalogue, {"数据表.xlsx": lambda p: make_xlsx(p, [
        ["序号", "事项", "数值", "单位"],
        [1, "学生到成员企业实习实训", 1530, "人月"],
        [2, "平台上发布的岗位", 2600, "个"],
        [3, "园区规上企业总数", 420, "家"],          # no point measured in 家/个 is named by it
    ])})
    assert (pts["11.2.4"].status, pts["11.2.4"].value) == ("found", 1530)
    assert (pts["11.1.4"].status, pts["11.1.4"].value) == ("found", 2600)
    assert all(p.value != 420 for p in pts.values())


def test_a_second_unit_in_the_remark_cell(tmp_path, catalogue):
    pts, _ = review(tmp_path, catalogue, {"数据表.xlsx": lambda p: make_xlsx(p, [
        ["序号", "事项", "数值", "单位", "备注"],
        [1, "校际兼职教师", 52, "人次", "承担授课任务共780课时"],
    ])})
    got = sorted((q["value"], q["unit"]) for q in pts["8.4.2"].quantities)
    assert got == [(52, "人次"), (780, "课时")]


def test_columns_that_are_points(tmp_path, catalogue):
    # rows are things (a base), columns are measures with their units
    pts, _ = review(tmp_path, catalogue, {"数据表.xlsx": lambda p: make_xlsx(p, [
        ["项目", "基地数（个）", "工位数（个）", "周均使用时长（小时/周）"],
        ["校企共建实训基地（2024年）", 12, 1480, 31],
    ])})
    assert pts["8.5.1"].value == 12
    assert pts["8.5.2"].value == 1480
    assert pts["8.5.3"].value == 31


def test_a_plan_table_with_a_column_of_what_is_done(tmp_path, catalogue):
    # the caption speaks of targets, but one column says it holds the state at the end of the year
    pts, _ = review(tmp_path, catalogue, {"建设方案（2025—2027年）.docx": lambda p: make_docx(p, [
        "一、建设基础", "截至2024年底，联合体主要指标及2027年目标如下。"], [[
            ["指标", "截至2024年底", "2027年目标"],
            ["联合建设教学资源库（个）", "3", "5"],
            ["就业指导服务（人次）", "5,200", "8,000"],
        ]])})
    assert (pts["8.2.1"].status, pts["8.2.1"].value) == ("found", 3)
    assert (pts["11.2.1"].status, pts["11.2.1"].value) == ("found", 5200)


def test_a_plan_table_without_such_a_column_holds_targets(tmp_path, catalogue):
    pts, _ = review(tmp_path, catalogue, {"建设方案（2025—2027年）.docx": lambda p: make_docx(p, [
        "联合体主要建设目标如下。"], [[
            ["指标", "2027年"],
            ["联合建设教学资源库（个）", "5"],
        ]])})
    assert pts["8.2.1"].status in ("partial", "missing") and pts["8.2.1"].value is None


def test_a_table_whose_first_row_is_data(tmp_path, catalogue):
    # no header row: the first row holds a label and a figure, and it disagrees with the text
    pts, _ = review(tmp_path, catalogue, {"2024年度质量报告.docx": lambda p: make_docx(p, [
        "全年开展职业技能等级认定2,360人次。", "社会培训统计见下表。"], [[
            ["职业技能等级认定（人次）", "2,630"],
            ["技能大师工作室（个）", "5"],
        ]])})
    assert pts["14.1.1"].status == "conflict"
    assert {e.value for e in pts["14.1.1"].evidence} >= {2360, 2630}
    assert pts["14.1.2"].value == 5
