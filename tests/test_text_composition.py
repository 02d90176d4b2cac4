"""How generated sentences are composed (issue 16 item 8): unit words said once, nested quotes,
no invisible characters, nothing dangling when the consortium's identity is unknown, and no
「尚未采集」 sentence between figures of the same part — over every point, unit and group."""

from __future__ import annotations

import itertools
import re

import docx
import pytest

from consortium_review.catalogue import load_catalogue
from consortium_review.generator import officedoc as od
from consortium_review.generator.annual_data import CODE_SEP, PLACEHOLDER, YearData
from consortium_review.generator.annual_prose import (group_sections, identity_sentence, point_clause, point_label,
                                                      with_value)


@pytest.fixture(scope="module")
def cat():
    return load_catalogue(None)


def _plain(r: od.RichRuns) -> str:
    import html

    return html.unescape("".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", r.xml)))


def test_every_numeric_point_says_its_unit_once(cat):
    checked = 0
    for op in cat.points:
        if not op.is_numeric:
            continue
        units = list(op.units) or [op.unit or ""]
        value = "、".join(f"12{u}" for u in units)
        pt = {"status": "found", "value": 12, "unit": op.unit,
              "quantities": [{"value": 12, "unit": u} for u in units] if len(units) > 1 else [],
              "evidence": [{"file": "总结.docx", "page": 1, "locator": "", "snippet": "x"}]}
        text = _plain(point_clause(op, pt, None))
        assert value in text, (op.code, text)
        before = text[: text.index(value)]
        # no measure word or count word right before the figure: 「发布次12次」「人数12人」「场次12次」
        assert not re.search(r"(?:数|次|个|项|门|本|份|家|所)$", before), (op.code, text)
        checked += 1
    assert checked > 60


@pytest.mark.parametrize("label,value,expected", [
    ("人才需求清单发布次数", "2次", "人才需求清单发布2次"),
    ("招收留学生人数", "30人", "招收留学生30人"),
    ("共建专业数", "12个", "共建专业12个"),
    ("组织校企对接场次", "24次", "组织校企对接24次"),
    ("企业兼职教师人数", "86人次", "企业兼职教师人数86人次"),
    ("技术服务合同金额", "1536万元", "技术服务合同金额1536万元"),
    ("就业率", "96.8%", "就业率96.8%"),
])
def test_with_value(label, value, expected):
    assert with_value(label, value) == expected


def test_point_label_as_a_subject_keeps_its_meaning(cat):
    by = {p.code: p for p in cat.points}
    assert point_label(by["8.1.3"]) == "共建专业"
    assert point_label(by["11.1.3"], keep_count_word=True) == "人才需求清单发布次数"


@pytest.mark.parametrize("text,expected", [
    ("优先补充“" + "“五金”建设" + "”的项目", "优先补充“‘五金’建设”的项目"),
    ("“8.“五金”建设”有6个观测点", "“8.‘五金’建设”有6个观测点"),
    ("“五金”建设和“双高”计划", "“五金”建设和“双高”计划"),        # not nested: unchanged
    ("材料载有“出台“金融+财政”细则", "材料载有“出台‘金融+财政’细则"),   # cut snippet
])
def test_nested_quotes(text, expected):
    assert od.nest_quotes(text) == expected
    assert "““" not in _plain(od.RichRuns(text))


def test_every_level2_name_can_be_quoted(cat):
    for l2 in cat.level2:
        q = od.quoted(l2.name)
        assert q.count("“") == 1 and q.count("”") == 1, q


def test_no_invisible_characters_in_documents():
    r = od.RichRuns("6.1.7、\u200b6.1.8\ufeff、6.2.2\u200d")
    assert _plain(r) == "6.1.7、6.1.8、6.2.2"
    assert "\u200b" not in CODE_SEP
    assert od.sanitize_text("a\u2060b\u200cc") == "abc"


@pytest.mark.parametrize("known", list(itertools.product([True, False], repeat=3)))
def test_identity_sentence_never_dangles(known):
    park, school, ent = (v if k else None for k, v in zip(known, ("滨江新区", "滨江职院", "滨江智造")))
    text = _plain(identity_sentence("滨江联合体", park, school, ent))
    assert text.startswith("滨江联合体") and text.endswith("。")
    assert "：" not in text and "为【" not in text and "为，" not in text and "，，" not in text
    for value, label in ((park, "依托园区"), (school, "牵头学校"), (ent, "牵头企业")):
        assert (value in text) if value else (label in text and "未在材料中找到" in text)
    if not any(known):
        assert text == f"滨江联合体的依托园区、牵头学校、牵头企业未在材料中找到{PLACEHOLDER}。"


def _year(points: dict) -> YearData:
    return YearData(evidence={"points": [{"code": c, **v} for c, v in points.items()]}, year=2024)


def test_empty_topics_are_named_once_after_the_figures(cat):
    # every group: one figure in its first topic, nothing else
    for group in {l2.group for l2 in cat.level2 if l2.group}:
        l2s = [l2 for l2 in cat.level2 if l2.group == group]
        first = next(op for l2 in l2s for op in cat.points_of_level2(l2.code) if op.is_numeric)
        cur = _year({first.code: {"status": "found", "value": 5, "unit": first.unit,
                                  "evidence": [{"file": "总结.docx", "page": 2, "locator": "", "snippet": "x"}]}})
        out = group_sections(cat, cur, {}, set())
        paras = [_plain(r) for rs in out.values() for r in rs]
        text = "\n".join(paras)
        assert "尚未采集到相关数据" not in text, group
        mine = [p for p in paras if f"5{first.unit}（来源" in p]
        assert len(mine) == 1
        # the empty topics of that group come after it, once, as 「此外，…方面本年度暂无数据」
        rest = [rs for rs in out.values() if any(f"5{first.unit}（来源" in _plain(r) for r in rs)][0]
        tails = [_plain(r) for r in rest if "暂无数据（" in _plain(r) and _plain(r).startswith("此外")]
        assert len(tails) <= 1 and (not tails or _plain(rest[-1]) == tails[0])


def test_a_part_without_any_data_says_so_once(cat):
    out = group_sections(cat, _year({}), {}, set())
    for var, rs in out.items():
        texts = [_plain(r) for r in rs]
        assert len(texts) == 1 and re.match(r"本部分\d+个观测点本年度均暂无数据", texts[0]), texts
