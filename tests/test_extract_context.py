"""Meaning around a figure: achieved vs target vs previous year vs other entity; negation."""

from consortium_review.extractors.context import number_modality, split_sentences, statement_modality


def nm(sentence, figure, year=2024):
    i = sentence.index(figure)
    return number_modality(sentence, i, i + len(figure), year)


def sm(sentence, keyword, year=2024):
    i = sentence.index(keyword)
    return statement_modality(sentence, i, i + len(keyword), year)


def test_previous_year_comparisons_give_the_new_value():
    s = "共建实训基地数量由上年的 17 个增加到 23 个"
    assert nm(s, "17 个").previous and nm(s, "23 个").achieved
    s = "联合招生 506 名，较上年的 274 名有所增加"
    assert nm(s, "506 名").achieved and nm(s, "274 名").previous
    s = "学徒人数较上年的120人增长至180人"
    assert nm(s, "120人").previous and nm(s, "180人").achieved
    s = "2023年为45家，2024年达到60家"
    assert nm(s, "45家").previous


def test_targets_are_not_achieved():
    assert nm("到2026年，共建实训基地达到30个", "30个").target
    assert nm("计划三年累计投入 9,000 万元", "9,000 万元").target
    assert nm("力争联合开发课程不少于31门", "31门").target
    assert nm("预计年底前完成培训500人次", "500人次").target
    assert nm("实际到位 12,900,000 元", "12,900,000 元").achieved


def test_other_entities_and_reference_values():
    s = "中国特色学徒制培养 185 人，其中太仓某公司接收 44 人"
    assert nm(s, "185 人").achieved and nm(s, "44 人").other
    s = "提取比例为 4%，高于国家规定的 2.5%下限"
    assert nm(s, "4%").achieved and nm(s, "2.5%").other
    assert nm("全省共建实训基地 1200 个", "1200 个").other


def test_changes_are_not_levels():
    assert nm("就业率比上年提高3个百分点", "3个").delta or not nm("就业率比上年提高3个百分点", "3个").achieved
    assert not nm("培训人数增长 12%", "12%").achieved


def test_negation_of_statements():
    assert sm("“金融+财政+土地+信用”实施细则暂未出台", "实施细则").negated
    assert sm("人才培养方案仍由学校单方制定，尚未实现校企共同制定", "共同制定").negated
    assert sm("联合体建设情况暂未纳入区域职业教育工作目标考核体系", "考核体系").negated
    assert not sm("建立了理事会决策、秘书处执行的决策机制", "决策机制").negated
    assert not sm("全年未发生重大安全事故，已建立安全管理制度", "安全管理制度").negated


def test_plan_statements_are_targets():
    assert sm("计划于2025年6月前制定《理事会议事规则》", "议事规则").target
    assert sm("2025年建立专业动态调整机制", "专业动态调整机制").target
    assert not sm("已于2024年3月出台议事规则", "议事规则").target


def test_sentence_split_keeps_offsets():
    text = "一、总体情况。甲乙丙；丁\n戊"
    parts = split_sentences(text)
    assert [s for _, s in parts] == ["一、总体情况。", "甲乙丙；", "丁", "戊"]
    assert all(text[i:i + len(s)] == s for i, s in parts)
