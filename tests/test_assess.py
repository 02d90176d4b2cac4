"""The assess stage: coverage, thresholds, negative list, issues, conclusion rule, expert overrides.

Also home of the small catalogue and hand-made evidence used by the render tests
(``small_catalogue()``, ``sample_evidence()``), imported there as ``from test_assess import …``.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from consortium_review.catalogue import catalogue_from_dict, load_catalogue
from consortium_review.generator.assess import (AssessSettings, AssessSettingsError, assess, evidence_hint, format_value,
                              parse_expert_value, point_subject)

HOSTILE = "投入=cmd|' /C calc'!A0 & <b>粗</b> ]]> {{ name }} {% if x %}{_{ %}\x0b尾"
HOSTILE_CLEAN = HOSTILE.replace("\x0b", "")


def small_catalogue():
    """A 16-point catalogue spanning every group, with thresholds of each kind and 2 negatives."""
    pt = lambda code, name, type_, **kw: {"code": code, "name": name, "type": type_, "keywords": [name[:4]], **kw}
    return catalogue_from_dict({
        "id": "test-cat", "title": "测试指标体系",
        "level1": ["基础性指标", "实质性指标", "否定性指标"],
        "level2": [
            {"code": "2", "name": "产业园区", "level1": "基础性指标"},
            {"code": "3", "name": "牵头企业", "level1": "基础性指标"},
            {"code": "5", "name": "主体责任", "level1": "实质性指标", "group": "合作办学"},
            {"code": "8", "name": "“五金”建设", "level1": "实质性指标", "group": "合作育人"},
            {"code": "11", "name": "人岗适应", "level1": "实质性指标", "group": "合作就业"},
            {"code": "13", "name": "产业发展", "level1": "实质性指标", "group": "合作发展"},
        ],
        "indicators": [{"code": c, "name": n} for c, n in [
            ("2.1", "区位优势"), ("2.3", "对市域经济贡献"), ("3.1", "企业类型"), ("3.2", "支持教育状况"),
            ("3.3", "执行政策情况"), ("5.1", "组织机构"), ("5.4", "规章制度"), ("8.1", "专业建设"),
            ("8.4", "队伍建设"), ("8.5", "基地建设"), ("11.1", "供需对接"), ("11.2", "人岗适配"),
            ("13.1", "服务区域"), ("13.2", "协作研发")]],
        "points": [
            pt("2.1.1", "产业园区等级：国家级、省级", "category", categories=["国家级", "省级"],
               threshold={"rule": "国家级或省级产业园区", "op": "in", "value": ["国家级", "省级"]}),
            pt("2.3.1", "列入市域重点产业目录，占全市相应产业产值的比重（%）", "percent", unit="%",
               threshold={"rule": "占全市相应产业产值比重高于30%", "op": ">", "value": 30, "unit": "%"}),
            pt("3.1.1", "是否为行业龙头企业、专精特新“小巨人”企业或省级及以上产教融合型企业", "yesno",
               threshold={"rule": "须为行业龙头企业", "op": "true"}),
            pt("3.2.1", "牵头企业近三年在产教融合领域的总投入（万元）", "amount", unit="万元", scope="three_years",
               threshold={"rule": "近三年累计≥100万元", "op": ">=", "value": 100, "unit": "万元"}),
            pt("3.3.1", "牵头企业提取职工教育经费比例（%）", "percent", unit="%",
               threshold={"rule": "不少于职工工资总额的2.5%", "op": ">=", "value": 2.5, "unit": "%"}),
            pt("3.3.2", "用于技能人才培训的比例（%）", "percent", unit="%"),
            pt("5.1.1", "园区牵头成立政府、企业、学校、科研机构等多方参与的理事会", "yesno"),
            pt("5.4.1", "《市域产教联合体章程》是否完备", "yesno"),
            pt("8.1.3", "共建专业数（个）", "count", unit="个"),
            pt("8.4.2", "校际兼职教师（人次、课时）", "multi", units=["人次", "课时"]),
            pt("8.5.3", "共建实训工位利用率（小时/周）", "rate", unit="小时/周"),
            pt("11.1.4", "发布就业岗位数（个）", "count", unit="个", scope="annual"),
            pt("11.2.1", "就业指导活动（人次）", "count", unit="人次"),
            pt("13.1.1", "产业园区生产总值增速超全市平均水平", "yesno",
               threshold={"rule": "园区生产总值增速超过全市平均水平", "op": "above_average"}),
            pt("13.1.3", "媒体报道、政府奖励情况", "text"),
            pt("13.2.3", "技术服务合同金额（万元）", "amount", unit="万元"),
        ],
        "negative_list": [
            {"code": "16.1", "name": "在招生、就业、安全等领域发生重大违法违规事件、造成不良社会影响", "triggers": ["重大违法违规"]},
            {"code": "16.3", "name": "连续两年没有按计划落实经费投入", "triggers": ["连续两年未落实经费"]},
        ],
    })


def ev(file, page, snippet, value=None, unit=None, locator=""):
    return {"file": file, "page": page, "locator": locator or (f"第{page}页" if page else "第3段"),
            "snippet": snippet, "value": value, "unit": unit, "kind": "achieved"}


def _point(code, name, status="missing", value=None, unit=None, evidence=(), threshold=None, note=None,
           quantities=()):
    return {"code": code, "name": name, "status": status, "value": value, "unit": unit,
            "quantities": list(quantities), "threshold": threshold, "evidence": list(evidence),
            "confidence": 0.9 if status == "found" else 0.4 if status != "missing" else 0.0, "note": note}


def sample_evidence(catalogue=None):
    """Hand-made evidence.json for ``small_catalogue()`` covering every status and a hostile snippet."""
    cat = catalogue or small_catalogue()
    names = {p.code: p.name for p in cat.points}
    S = "2024年度工作总结.pdf"
    pts = {
        "2.1.1": _point("2.1.1", names["2.1.1"], "found", "省级", None,
                        [ev(S, 1, "园区为省级高新技术产业开发区", "省级")],
                        {"rule": "国家级或省级产业园区", "met": True}),
        "3.1.1": _point("3.1.1", names["3.1.1"], "found", True, None,
                        [ev(S, 1, "牵头企业为国家级专精特新“小巨人”企业", True)],
                        {"rule": "须为行业龙头企业", "met": True}),
        "3.2.1": _point("3.2.1", names["3.2.1"], "found", 320.0, "万元",
                        [ev(S, 3, HOSTILE, 320.0, "万元")],
                        {"rule": "近三年累计≥100万元", "met": True}),
        "3.3.1": _point("3.3.1", names["3.3.1"], "conflict", 2.0, "%",
                        [ev(S, 4, "按职工工资总额2%提取职工教育经费", 2.0, "%"),
                         ev("自评表.xlsx", None, "职工教育经费提取比例 3%", 3.0, "%", locator="工作表“自评”第5行")],
                        {"rule": "不少于职工工资总额的2.5%", "met": None}, note="两份材料取值不同"),
        "5.1.1": _point("5.1.1", names["5.1.1"], "found", True, None,
                        [ev("建设方案.docx", None, "成立由政府、企业、学校组成的理事会", True, locator="第12段")]),
        "5.4.1": _point("5.4.1", names["5.4.1"], "partial", None, None,
                        [ev("建设方案.docx", None, "拟制定联合体章程", None, locator="第20段")], note="仅见计划"),
        "8.1.3": _point("8.1.3", names["8.1.3"], "found", 12.0, "个", [ev(S, 5, "共建专业12个", 12.0, "个")]),
        "8.4.2": _point("8.4.2", names["8.4.2"], "found", None, None,
                        [ev(S, 6, "校际兼职教师120人次、3600课时", None)],
                        quantities=[{"value": 120, "unit": "人次"}, {"value": 3600, "unit": "课时"}]),
        "11.1.4": _point("11.1.4", names["11.1.4"], "found", 860.0, "个", [ev(S, 7, "发布就业岗位860个", 860.0, "个")]),
        "13.1.1": _point("13.1.1", names["13.1.1"], "found", True, None,
                         [ev(S, 8, "园区生产总值增速高于全市平均水平", True)],
                         {"rule": "园区生产总值增速超过全市平均水平", "met": True}),
    }
    points = []
    for p in cat.points:
        d = pts.get(p.code) or _point(p.code, p.name, unit=p.unit,
                                      threshold={"rule": p.threshold.rule, "met": None} if p.threshold else None)
        points.append(d)
    return {
        "schema": "consortium-review/evidence/1", "standard": cat.id,
        "consortium": {"name": "测试市域产教联合体", "park": "测试经济技术开发区", "lead_school": "测试职业技术学院",
                       "lead_enterprise": "测试装备有限公司", "roster": None},
        "documents": [
            {"file": S, "sha256": "x", "format": "pdf", "pages": 12, "status": "ok", "error": None},
            {"file": "建设方案.docx", "sha256": "y", "format": "docx", "pages": None, "status": "ok", "error": None},
            {"file": "自评表.xlsx", "sha256": "z", "format": "xlsx", "pages": None, "status": "ok", "error": None},
            {"file": "佐证材料/扫描件.pdf", "sha256": "w", "format": "pdf", "pages": 3, "status": "ocr", "error": None},
            {"file": "损坏文件.docx", "sha256": "v", "format": "docx", "pages": None, "status": "error",
             "error": "文件已损坏，无法打开"},
        ],
        "points": points,
        "negative_list": [
            {"code": n.code, "name": n.name, "flagged": False, "evidence": [], "note": None} for n in cat.negative_list
        ],
        "folder": "测试联合体文件夹",
    }


# --------------------------------------------------------------------------- coverage

def test_coverage_per_level2_and_group_counts_statuses():
    a = assess(sample_evidence(), small_catalogue())
    l2 = {x.code: x.coverage for x in a.level2}
    # 3: 3.1.1 found, 3.2.1 found, 3.3.1 conflict, 3.3.2 missing
    assert (l2["3"].found, l2["3"].partial, l2["3"].conflict, l2["3"].missing) == (2, 0, 1, 1)
    assert l2["3"].percent == 75.0                      # (2 + 1×1.0) / 4
    # 5: 5.1.1 found, 5.4.1 partial -> (1 + 0.5) / 2
    assert (l2["5"].found, l2["5"].partial) == (1, 1) and l2["5"].percent == 75.0
    groups = {g.name: g for g in a.groups}
    assert list(groups) == ["基础性指标", "合作办学", "合作育人", "合作就业", "合作发展"]
    assert groups["合作育人"].title == "合作育人（含“五金”建设）"
    assert groups["基础性指标"].coverage.total == 6
    assert (a.coverage.found, a.coverage.partial, a.coverage.conflict, a.coverage.missing) == (8, 1, 1, 6)
    assert a.coverage.percent == round(100 * (8 + 1 + 0.5) / 16, 1)


def test_settings_weights_change_coverage():
    a = assess(sample_evidence(), small_catalogue(), AssessSettings(partial_weight=0, conflict_weight=0))
    assert a.coverage.percent == 50.0                   # 8 / 16


# --------------------------------------------------------------------------- thresholds & conclusion

def test_thresholds_met_unmet_undecided():
    a = assess(sample_evidence(), small_catalogue())
    met = {p.code: p.threshold_met for p in a.thresholds}
    assert met == {"2.1.1": True, "2.3.1": None, "3.1.1": True, "3.2.1": True, "3.3.1": None, "13.1.1": True}
    assert a.point("3.2.1").threshold_label == "达标"
    assert a.point("2.3.1").threshold_label == "无法判定"


def test_conclusion_pass_when_coverage_ok_and_no_flags():
    a = assess(sample_evidence(), small_catalogue(), AssessSettings(coverage_bar=50))
    assert a.conclusion.label == "建议通过"
    assert "50%" in a.conclusion.rule and "不予通过" in a.conclusion.rule


def test_coverage_informs_but_never_decides_by_default():
    a = assess(sample_evidence(), small_catalogue())          # 59.4 % < 60 %
    assert a.coverage.percent < 60
    assert a.conclusion.label == "建议通过"                   # the notice's rule: no coverage bar
    assert "不作为结论依据" in a.conclusion.rule
    # a rules file may opt in to a coverage bar
    b = assess(sample_evidence(), small_catalogue(), AssessSettings(coverage_bar=60))
    assert b.conclusion.label == "整改后复核" and any("覆盖率" in r for r in b.conclusion.reasons)


def test_confirmed_negative_item_is_never_called_suspected():
    e = sample_evidence()
    e["negative_list"][1].update(flagged=True, evidence=[ev("审计报告.pdf", 2, "连续两年未落实经费投入")],
                                 expert={"status": "触发"})
    a = assess(e, small_catalogue())
    assert a.conclusion.label == "不予通过"
    words = " ".join([a.problems[0].text, *a.conclusion.reasons])
    assert "确认触发" in words and "疑似" not in words


def test_conclusion_rectify_when_basic_threshold_unmet():
    e = sample_evidence()
    p = next(x for x in e["points"] if x["code"] == "3.2.1")
    p["value"], p["threshold"]["met"] = 60.0, False
    a = assess(e, small_catalogue(), AssessSettings(coverage_bar=10))
    assert a.conclusion.label == "整改后复核"
    assert any("3.2.1" in r for r in a.conclusion.reasons)
    text = " ".join(i.text for i in a.problems)
    assert "60万元" in text and "近三年累计≥100万元" in text


def test_conclusion_reject_on_negative_flag_even_if_everything_else_fine():
    e = sample_evidence()
    e["negative_list"][1].update(flagged=True, evidence=[ev("审计报告.pdf", 2, "连续两年未落实经费投入")])
    a = assess(e, small_catalogue(), AssessSettings(coverage_bar=0))
    assert a.conclusion.label == "不予通过"
    assert a.problems[0].kind == "negative" and "审计报告.pdf 第2页" in a.problems[0].text


def test_undecided_basic_blocks_setting():
    e = sample_evidence()
    s = AssessSettings(coverage_bar=0, undecided_basic_blocks=True)
    assert assess(e, small_catalogue(), s).conclusion.label == "整改后复核"
    assert assess(e, small_catalogue(), AssessSettings(coverage_bar=0)).conclusion.label == "建议通过"


def test_settings_from_yaml(tmp_path: Path):
    f = tmp_path / "规则.yaml"
    f.write_text("coverage_bar: 40\npartial_weight: 1\nrectify_label: 补充材料后复核\n", encoding="utf-8")
    s = AssessSettings.from_yaml(f)
    assert (s.coverage_bar, s.partial_weight, s.rectify_label) == (40.0, 1.0, "补充材料后复核")
    f.write_text("coverage_barr: 40\n", encoding="utf-8")
    with pytest.raises(AssessSettingsError, match="coverage_barr"):
        AssessSettings.from_yaml(f)
    f.write_text("coverage_bar: 140\n", encoding="utf-8")
    with pytest.raises(AssessSettingsError, match="0–100"):
        AssessSettings.from_yaml(f)
    f.write_text("undecided_basic_blocks: 是\n", encoding="utf-8")
    with pytest.raises(AssessSettingsError, match="类型"):
        AssessSettings.from_yaml(f)


# --------------------------------------------------------------------------- issues

def test_problems_cover_missing_conflicts_and_undecided():
    a = assess(sample_evidence(), small_catalogue())
    kinds = [i.kind for i in a.problems]
    # ranked: core items (funding, 实体化运作, enterprise) > conflicts > missing evidence (grouped)
    assert kinds == ["core", "core", "conflict", "missing"]
    assert len(a.problems) <= a.settings.max_problem_items
    conflict = next(i for i in a.problems if i.kind == "conflict")
    # both sources and both values are quoted
    assert "2%（2024年度工作总结.pdf 第4页）" in conflict.text
    assert "3%（自评表.xlsx 工作表“自评”第5行）" in conflict.text
    missing = next(i for i in a.problems if i.kind == "missing")
    assert missing.text.startswith("6个观测点未见佐证材料") and "1个观测点佐证不完整" in missing.text
    assert "“3.牵头企业”（1个）" in missing.text and "附件2" in missing.text
    # every missing or partial point is named in some problem and some suggestion
    for p in a.gaps:
        assert any(p.code in i.codes for i in a.problems)
        assert any(p.code in i.codes for i in a.suggestions)
    # one suggestion per problem, same kind, same order
    assert [i.kind for i in a.suggestions] == kinds
    # by default neither an undecided basic bar nor the coverage is a problem; opt-in rules add them
    strict = assess(sample_evidence(), small_catalogue(), {"undecided_basic_blocks": True, "coverage_bar": 99})
    skinds = [i.kind for i in strict.problems]
    assert skinds[0] == "basic_undecided" and skinds[-1] == "coverage"
    undecided = strict.problems[0]
    assert set(undecided.codes) == {"2.3.1", "3.3.1"} and "无法判定" in undecided.text
    assert "59.4%" in strict.problems[-1].text and "99%" in strict.problems[-1].text
    assert len(strict.suggestions) == len(strict.problems) - skinds.count("coverage")


def test_gaps_have_hints_derived_from_point():
    cat = small_catalogue()
    assert evidence_hint(cat.point("3.2.1")).startswith("提供牵头企业近三年在产教融合领域的总投入的统计表（单位：万元）（近三年逐年数据）")
    assert "近三年累计≥100万元" in evidence_hint(cat.point("3.2.1"))
    assert "“为行业龙头企业" in evidence_hint(cat.point("3.1.1"))
    assert "人次、课时" in evidence_hint(cat.point("8.4.2"))
    assert "分子、分母" in evidence_hint(cat.point("3.3.2"))
    assert "国家级、省级" in evidence_hint(cat.point("2.1.1"))
    assert point_subject("校际兼职教师（人次、课时）") == "校际兼职教师"


# --------------------------------------------------------------------------- expert overrides

def test_expert_value_overrides_and_rechecks_threshold():
    e = sample_evidence()
    p = next(x for x in e["points"] if x["code"] == "3.3.1")
    p["expert"] = {"status": None, "value": "2.8%", "comment": "以财务报表为准"}
    q = next(x for x in e["points"] if x["code"] == "2.3.1")
    q["expert"] = {"status": "已找到", "value": 25, "comment": None}
    a = assess(e, small_catalogue())
    f = a.point("3.3.1")
    assert (f.status, f.value, f.threshold_met, f.expert_confirmed) == ("found", 2.8, True, True)
    assert f.extracted_status == "conflict" and f.expert_comment == "以财务报表为准"
    g = a.point("2.3.1")
    assert (g.status, g.value, g.threshold_met) == ("found", 25.0, False)
    assert any(i.kind == "basic_unmet" and "2.3.1" in i.codes for i in a.problems)


def test_expert_status_only_and_comment_only():
    e = sample_evidence()
    next(x for x in e["points"] if x["code"] == "5.4.1")["expert"] = {"status": "缺失", "value": None, "comment": ""}
    next(x for x in e["points"] if x["code"] == "8.1.3")["expert"] = {"status": None, "value": None, "comment": "属实"}
    a = assess(e, small_catalogue())
    assert a.point("5.4.1").status == "missing" and a.point("5.4.1").expert_status
    f = a.point("8.1.3")
    assert f.status == "found" and f.value == 12.0 and not f.expert_confirmed and f.expert_comment == "属实"


def test_expert_negative_override():
    e = sample_evidence()
    e["negative_list"][0]["expert"] = {"status": "触发", "value": None, "comment": "经核实"}
    a = assess(e, small_catalogue())
    assert a.negatives[0].flagged and a.negatives[0].expert_confirmed
    assert a.conclusion.label == "不予通过"


def test_parse_expert_value_units():
    cat = small_catalogue()
    assert parse_expert_value("320万元", cat.point("3.2.1")) == 320.0
    assert parse_expert_value("1,250", cat.point("3.2.1")) == 1250.0
    assert parse_expert_value("3.2亿元", cat.point("3.2.1")) == "3.2亿元"     # other unit: kept as text
    assert parse_expert_value("否", cat.point("3.1.1")) is False
    assert parse_expert_value(1, cat.point("3.1.1")) is True


def test_format_value():
    assert format_value(320.0, "万元") == "320万元"
    assert format_value(8696.75, "万元") == "8696.75万元"
    assert format_value(True) == "是"
    assert format_value(None, None, [{"value": 120, "unit": "人次"}, {"value": 3600, "unit": "课时"}]) == "120人次、3600课时"


def test_input_not_mutated_and_missing_points_tolerated():
    e = sample_evidence()
    before = copy.deepcopy(e)
    e2 = copy.deepcopy(e)
    e2["points"] = e2["points"][:3]                 # a truncated evidence file
    assess(e, small_catalogue())
    a = assess(e2, small_catalogue())
    assert e == before
    assert len(a.points) == 16 and a.point("13.2.3").status == "missing"


def test_real_catalogue_groups():
    cat = load_catalogue()
    a = assess({"points": [], "negative_list": [], "consortium": {}}, cat)
    assert [g.name for g in a.groups] == ["基础性指标", "合作办学", "合作育人", "合作就业", "合作发展"]
    assert a.coverage.total == len(cat.points) and a.coverage.missing == len(cat.points)
    assert a.name == "联合体" and not a.name_known
    # no flag, no bar found unmet: the default rule passes and says the bars could not be decided
    assert a.conclusion.label == "建议通过"
    basic = a.basic_thresholds
    assert basic and a.conclusion.reasons == [f"负面清单未发现触发情形，基础性指标{len(basic)}项门槛要求中0项已达到、"
                                              "其余无法判定（不作为否定理由）"]
    # the missing evidence is still reported as a problem (coverage informs the opinion)
    assert any(i.kind == "missing" and f"{len(cat.points)}个观测点未见佐证材料" in i.text for i in a.problems)
