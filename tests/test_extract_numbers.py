"""Number grammar: every form a Chinese report uses, normalised exactly."""

from decimal import Decimal

import pytest

from consortium_review.extractors.numbers import find_quantities, parse_chinese_number, to_number, to_unit, unit_in_header


@pytest.mark.parametrize("text,value", [
    ("一百二十", 120), ("三十二", 32), ("两千", 2000), ("十四", 14), ("一千零五十", 1050),
    ("四十三点二", Decimal("43.2")), ("二十五", 25), ("一万二千", 12000), ("十", 10), ("二〇二四", 2024),
])
def test_chinese_numerals(text, value):
    assert parse_chinese_number(text) == Decimal(value)


def one(text):
    qs = [q for q in find_quantities(text) if not q.is_year]
    assert len(qs) == 1, qs
    return qs[0]


@pytest.mark.parametrize("text,unit,expected", [
    ("累计投入 8696.75 万元", "万元", 8696.75),
    ("共计 3,200,000 元", "万元", 320),
    ("投入1.2亿元", "万元", 12000),
    ("投入一百二十万元", "万元", 120),
    ("园区总产值1,117亿元", "亿元", 1117),
    ("合同金额120,320,000元", "万元", 12032),
    ("比例达百分之三十五", "%", 35),
    ("升学比例达百分之四十三点二", "%", 43.2),
    ("就业率 35.6%", "%", 35.6),
    ("占比 2.5％以上", "%", 2.5),
    ("参与 1.62 万人次", "人次", 16200),
    ("发布岗位1.43万个", "个", 14300),
    ("培训2.97万人日", "人日", 29700),
    ("三十二个", "个", 32),
    ("企业10家", "个", 10),
    ("发明专利二十五件", "个", 25),
    ("转化教材14种", "本", 14),
    ("学生143名", "人", 143),
    ("人才需求清单发布14期", "次", 14),
    ("对接活动6场", "次", 6),
    ("完成授课 2132 课时", "课时", 2132),
    ("完成授课 2132 学时", "课时", 2132),
    ("累计443项次", "次", 443),
    ("4门课程入选国家级课程", "门", 4),
])
def test_normalised_to_catalogue_unit(text, unit, expected):
    q = one(text)
    v = to_unit(q, unit)
    assert v is not None
    assert to_number(v) == pytest.approx(expected, rel=0, abs=1e-9)


def test_exact_decimal_arithmetic_no_float_artefacts():
    q = one("园区总产值16.4亿元")
    assert to_number(to_unit(q, "万元")) == 164000
    q = one("投入 0.3 亿元")
    assert to_number(to_unit(q, "万元")) == 3000


def test_incompatible_units_are_refused():
    assert to_unit(one("共5个"), "万元") is None
    assert to_unit(one("共5人"), "%") is None
    assert to_unit(one("12个百分点"), "%") is None


def test_unit_from_separate_column_or_header():
    q = one("1,360")
    assert q.unit is None
    assert to_number(to_unit(q, "万元", default_unit="万元")) == 1360
    assert unit_in_header("技术服务合同金额（万元）") == "万元"
    assert unit_in_header("就业率(%)") == "%"
    assert unit_in_header("数量（单位：人）") == "人"


def test_years_codes_and_idioms_are_not_quantities():
    assert all(q.is_year for q in find_quantities("2024年"))
    assert find_quantities("ISO9001认证") == []
    assert [q.value for q in find_quantities("深化四个合作，推进五金建设")] == []
    assert [(q.value, q.unit) for q in find_quantities("5G基站3个")] == [(Decimal(3), "个")]


def test_thousands_separator_and_qualifiers_kept_in_raw():
    q = one("超过3,000人")
    assert q.value == 3000 and q.unit == "人"
    q = one("达到百分之七十九点四")
    assert q.value == Decimal("79.4")
