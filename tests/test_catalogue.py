"""The indicator catalogue: the 2024 standard as data, its validation and the .xlsx form."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import openpyxl
import pytest
import yaml

from consortium_review import DEFAULT_STANDARD
from consortium_review.catalogue import (CODE_RE, COLUMN_LABELS, XLSX_COLUMNS, Catalogue, CatalogueError, ObservationPoint,
                                         catalogue_from_dict, catalogue_from_xlsx, load_catalogue)
from consortium_review.catalogue_export import export_xlsx
from consortium_review.cli import main


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(DEFAULT_STANDARD.read_text(encoding="utf-8"))


def _key(code: str) -> tuple[int, ...]:
    return tuple(int(x) for x in code.split("."))


# ------------------------------------------------------------------ structure and counts

def test_counts(cat):
    assert cat.level1 == ["基础性指标", "实质性指标", "否定性指标"]
    assert [l2.code for l2 in cat.level2] == [str(i) for i in range(1, 17)]
    assert len(cat.indicators) == 44                      # 38 三级指标 + 6 负面清单
    assert len({p.indicator_code for p in cat.points}) == 38
    assert len(cat.points) == 116
    assert [n.code for n in cat.negative_list] == [f"16.{i}" for i in range(1, 7)]
    assert [(r.batch, r.index) for r in cat.rosters if r.batch == "2024"] == [("2024", i) for i in range(1, 7)]
    assert [(r.batch, r.index) for r in cat.rosters if r.batch == "2023"] == [("2023", i) for i in range(1, 29)]
    assert len(cat.rosters) == 34


def test_codes_unique_well_formed_in_order_and_contiguous(cat):
    codes = [p.code for p in cat.points]
    assert len(set(codes)) == len(codes)
    assert all(CODE_RE.match(c) for c in codes)
    assert codes == sorted(codes, key=_key)
    # within each 三级指标 the points run 1..n, within each 二级指标 the 三级指标 run 1..n
    by_ind: dict[str, list[int]] = {}
    for c in codes:
        by_ind.setdefault(c.rsplit(".", 1)[0], []).append(int(c.rsplit(".", 1)[1]))
    for ind, nums in by_ind.items():
        assert nums == list(range(1, len(nums) + 1)), ind
    by_l2: dict[str, list[int]] = {}
    for ind in by_ind:
        by_l2.setdefault(ind.split(".")[0], []).append(int(ind.split(".")[1]))
    assert sorted(by_l2, key=int) == [str(i) for i in range(1, 16)]
    for l2, nums in by_l2.items():
        assert nums == list(range(1, len(nums) + 1)), l2
    per_l2 = {l2: len(cat.points_of_level2(l2)) for l2 in by_l2}
    assert per_l2 == {"1": 4, "2": 4, "3": 5, "4": 2, "5": 10, "6": 12, "7": 4, "8": 21, "9": 12,
                      "10": 5, "11": 9, "12": 3, "13": 12, "14": 6, "15": 7}


def test_pdf_numbering_glitches_use_consistent_codes(cat):
    # the seed text has 「176.3」「7.“五金”建设」「8.融通贯通」「9.产业发展」「5.3规章制度」「13.2共享成果」
    expected = {
        "5.4.1": "《市域产教联合体章程》是否完备",
        "5.4.3": "人员聘用及评价体系、绩效考核体系、运营质量保障体系是否建立",
        "6.3.1": "是否出台职业学校毕业生在就业、落户、参加招聘、职称评审、晋升等方面的支持政策",
        "8.1.1": "是否建立专业规划联动机制",
        "8.4.1": "企业兼职教师（人次、课时）",
        "8.5.1": "共建实训基地数（个）",
        "8.5.3": "共建实训工位利用率（小时/周）",
        "9.1.5": "中国特色学徒制培养（人）",
        "9.2.4": "通过“文化素质+职业技能”考试招生学生升学比例（%）",
        "12.1.2": "就业对口率（%）",
        "12.1.3": "本地就业率（%）",
        "13.1.1": "产业园区生产总值增速超全市平均水平",
        "13.3.1": "发明专利数（个）",
        "13.3.2": "其他专利数（个）",
        "13.3.5": "研究成果转化经费（万元）",
    }
    for code, name in expected.items():
        assert cat.point(code).name == name
    assert cat.indicators["5.4"] == "规章制度"
    assert cat.indicators["6.3"] == "就业支持"
    assert cat.indicators["13.3"] == "共享成果"
    assert cat.indicators["3.2"] == "支持教育状况"
    names = {l2.code: l2.name for l2 in cat.level2}
    assert (names["8"], names["9"], names["13"]) == ("“五金”建设", "融通贯通", "产业发展")
    assert {n.code: n.name for n in cat.negative_list}["16.2"] == "申报和建设过程中存在重大造假行为"


def test_levels_and_groups(cat):
    assert cat.groups == {"合作办学": ["5", "6", "7"], "合作育人": ["8", "9"],
                          "合作就业": ["10", "11", "12"], "合作发展": ["13", "14", "15"]}
    group_of = {m: g for g, members in cat.groups.items() for m in members}
    for p in cat.points:
        l2 = int(p.level2_code)
        if l2 <= 4:
            assert (p.level1, p.group) == ("基础性指标", None), p.code
        else:
            assert (p.level1, p.group) == ("实质性指标", group_of[p.level2_code]), p.code
    l2 = {x.code: x for x in cat.level2}
    assert l2["16"].level1 == "否定性指标"
    assert l2["10"].description.startswith("紧贴市场需求，完善职业教育专业动态调整机制")
    assert all(l2[str(i)].description for i in range(5, 17))


def test_types_and_units(cat):
    text_only = {p.code for p in cat.points if p.type == "text"}
    assert text_only == {"2.2.1", "6.1.3", "6.1.4", "6.1.7", "6.1.8", "8.4.5", "13.1.3"}
    assert all(cat.point(c).unit is None for c in text_only)
    for code in ("8.4.1", "8.4.2"):
        assert cat.point(code).type == "multi" and cat.point(code).units == ("人次", "课时")
    assert cat.point("2.1.1").type == "category" and cat.point("2.1.1").categories == ("国家级", "省级")
    assert cat.point("13.1.1").type == "yesno"
    assert cat.point("8.5.3").type == "rate" and cat.point("8.5.3").unit == "小时/周"
    money = {p.code: p.unit for p in cat.points if p.type == "amount"}
    assert money.pop("2.1.2") == "亿元"
    assert set(money.values()) == {"万元"}
    for p in cat.points:
        if p.type == "percent":
            assert p.unit == "%", p.code
        if p.name.endswith("（%）"):
            assert p.type == "percent", p.code
        m = re.search(r"（([^（）]+)）$", p.name)
        if m and p.type in ("count", "amount", "rate"):
            assert p.unit == m.group(1), p.code     # the unit the standard names in brackets
        if p.name.startswith("是否"):
            assert p.type == "yesno", p.code
    assert cat.point("3.2.1").scope == "three_years"
    assert [p.code for p in cat.points if p.scope] == ["3.2.1"]


def test_types_agree_with_dev_labels(cat):
    labels = sorted(Path(__file__).resolve().parents[2].glob("shared/corpus/dev/labels/*.json"))
    if not labels:
        pytest.skip("dev corpus labels not available (../shared/corpus/dev/labels)")
    for f in labels:
        data = json.loads(f.read_text(encoding="utf-8"))
        assert set(data["points"]) == {p.code for p in cat.points}
        for code, lab in data["points"].items():
            p = cat.point(code)
            if "quantities" in lab:
                assert p.type == "multi" and [q["unit"] for q in lab["quantities"]] == list(p.units), code
            elif isinstance(lab.get("value"), bool):
                assert p.type == "yesno", code
            elif isinstance(lab.get("value"), str):
                assert p.type == "category" and lab["value"] in p.categories, code
            elif "value" in lab or "values" in lab:
                assert p.is_numeric and lab["unit"] == p.unit, code


# ------------------------------------------------------------------ thresholds

def test_thresholds_evaluate(cat):
    t = cat.point("2.3.1").threshold
    assert (t.op, t.value, t.unit) == (">", 30.0, "%")
    assert t.evaluate(35, "%") is True
    assert t.evaluate(30, "%") is False
    assert t.evaluate(30.5) is True
    assert t.evaluate(None) is None

    t = cat.point("3.2.1").threshold
    assert t.evaluate(100, "万元") is True
    assert t.evaluate(8696.75, "万元") is True
    assert t.evaluate(99.9, "万元") is False
    assert t.evaluate(1.2, "亿元") is None            # other unit: cannot decide
    assert t.evaluate(True) is None

    t = cat.point("3.3.1").threshold
    assert t.evaluate(2.5, "%") is True
    assert t.evaluate(4, "%") is True
    assert t.evaluate(2.4, "%") is False

    t = cat.point("2.1.1").threshold
    assert t.evaluate("国家级") is True
    assert t.evaluate("省级") is True
    assert t.evaluate("市级") is False

    t = cat.point("13.1.1").threshold
    assert t.op == "above_average"
    assert t.evaluate(True) is True
    assert t.evaluate(False) is False
    assert t.evaluate(6.3) is None

    for code in ("3.1.1", "4.1.1"):
        t = cat.point(code).threshold
        assert t.op == "true" and t.evaluate(True) is True and t.evaluate(False) is False
    assert {p.code for p in cat.points if p.threshold} == {"2.1.1", "2.3.1", "3.1.1", "3.2.1", "3.3.1",
                                                           "4.1.1", "13.1.1"}
    assert all(p.threshold.rule for p in cat.points if p.threshold)


# ------------------------------------------------------------------ keywords

def _clause_match(p: ObservationPoint, clause: str) -> bool:
    """Reference reading of the catalogue's keyword rule ("A&B" = all parts in the clause)."""
    hit = any(all(part in clause for part in parts) for parts in _parts(p.keywords))
    return hit and not any(x in clause for x in p.exclude)


_PARTS: dict[tuple[str, ...], list[list[str]]] = {}


def _parts(keywords: tuple[str, ...]) -> list[list[str]]:
    if keywords not in _PARTS:
        _PARTS[keywords] = [kw.split("&") for kw in keywords]
    return _PARTS[keywords]


def _points_named(cat: Catalogue, text: str) -> set[str]:
    return {p.code for clause in re.split(r"[，。；]", text) if clause for p in cat.points
            if _clause_match(p, clause)}


def test_every_point_has_keywords_and_its_own_name_matches_only_itself(cat):
    for p in cat.points:
        assert p.keywords, p.code
        assert _points_named(cat, p.name) == {p.code}, p.code


def test_keywords_do_not_spill_into_other_points(cat):
    """A phrase written for one point, read as a clause, must not also name a different point."""
    by_first_part: dict[str, list[tuple[ObservationPoint, frozenset[str]]]] = {}
    for q in cat.points:
        for parts in _parts(q.keywords):
            by_first_part.setdefault(parts[0], []).append((q, frozenset(parts)))
    for p in cat.points:
        for kw in p.keywords:
            clause = "".join(kw.split("&"))
            assert _clause_match(p, clause), (p.code, kw)          # not blocked by its own exclude
            present = {part for part in by_first_part if part in clause}
            named = {q.code for part in present for q, parts in by_first_part[part]
                     if all(x in clause for x in parts) and not any(x in clause for x in q.exclude)}
            assert named == {p.code}, (p.code, kw, named)


PHRASINGS = [
    ("1.1.1", "省委教育工作领导小组会议专题研究部署市域产教联合体建设"),
    ("1.2.1", "市委教育工作领导小组召开专题会议研究联合体规划建设"),
    ("1.1.2", "省教育厅等八部门联合印发《关于加快推进市域产教联合体建设的实施意见》"),
    ("1.2.2", "市政府办公室印发《关于支持市域产教联合体建设的实施方案》"),
    ("2.1.1", "依托的高新区是省级高新技术产业开发区"),
    ("2.1.2", "2024年园区实现规上工业总产值1560亿元"),
    ("2.3.1", "园区新能源汽车产业产值占全市该产业产值的比重达到45%"),
    ("3.2.1", "牵头企业近3年通过捐赠教学设备等方式投入856万元"),
    ("3.3.1", "牵头企业按职工工资总额的2.5%足额提取职工教育经费"),
    ("3.3.2", "职工教育经费的60%用于一线技能人才培训"),
    ("3.3.3", "联合体内院校承担了牵头企业35%的高技能人才培训任务"),
    ("4.2.1", "牵头学校高水平专业群与园区主导产业匹配度达92%"),
    ("5.2.1", "联合体建设已纳入开发区年度目标考核指标"),
    ("5.2.2", "联合体建设情况纳入全市职业教育工作目标考核体系"),
    ("6.1.2", "2024年专项经费实际到位2860万元"),
    ("6.1.6", "日常经费实际到位180万元"),
    ("6.1.4", "编制2024—2026年专项经费三年投入规划"),
    ("6.2.2", "联合体内12家企业按规定抵免教育费附加和地方教育附加共计356万元"),
    ("7.1.1", "高职教育资源下沉县域开设专业5个"),
    ("7.1.2", "下沉县域办学招收学生320人"),
    ("7.2.1", "校企共建现代产业学院6个"),
    ("7.2.2", "建成开放型区域产教融合实践中心2个"),
    ("8.1.3", "校企共建专业18个"),
    ("8.2.2", "校企联合开发课程86门"),
    ("8.2.3", "5门课程入选职业教育国家在线精品课程"),
    ("8.3.1", "校企合作编写工作手册式、新形态教材24本"),
    ("8.3.3", "3本教材入选“十四五”职业教育国家规划教材"),
    ("8.4.1", "聘请企业兼职教师320人次"),
    ("8.4.2", "成员院校之间互派兼职教师45人次"),
    ("8.5.1", "校企共建实训基地32个"),
    ("8.5.2", "共建实训基地提供实训工位3200个"),
    ("8.5.3", "共建实训工位周均使用28小时"),
    ("8.5.4", "共建实训基地年覆盖学生1.2万人"),
    ("8.5.6", "出台《实训基地共建共享管理办法》"),
    ("9.1.1", "校企联合招生860人"),
    ("9.1.2", "校企联合培养学生1520人"),
    ("9.1.5", "开展中国特色学徒制培养学生210人"),
    ("9.1.6", "联合培养现场工程师86人"),
    ("9.1.7", "组织校企对接活动35场"),
    ("9.1.8", "校企对接活动吸引320家企业参与"),
    ("9.2.1", "开展中高职贯通培养学生1200人"),
    ("9.2.2", "开展高职本科贯通培养学生160人"),
    ("10.1.2", "专业与联合体产业匹配度达到91%"),
    ("10.2.1", "每年梳理发布核心产品清单、技术需求清单、人才需求清单"),
    ("11.1.1", "技能人才供需信息平台注册用户达2.3万人"),
    ("11.1.2", "平台注册企业860家"),
    ("11.1.3", "发布人才需求清单12次"),
    ("11.2.5", "企业设立学徒岗位占岗位总量的12%"),
    ("12.1.1", "毕业生就业率达到96.5%"),
    ("12.1.2", "毕业生专业对口率为82%"),
    ("12.1.3", "毕业生本地就业率达65%"),
    ("13.1.1", "园区生产总值增速高于全市平均水平2.1个百分点"),
    ("13.2.1", "发布核心产品清单2次"),
    ("13.2.2", "发布技术需求清单4次"),
    ("13.2.3", "签订技术服务合同金额3200万元"),
    ("13.2.4", "为联合体内企业提供技术咨询与服务260次"),
    ("13.3.1", "获授权发明专利36件"),
    ("13.3.2", "获授权实用新型专利128件"),
    ("13.3.4", "完成科技成果转化32项"),
    ("13.3.5", "成果转化到账经费680万元"),
    ("14.1.3", "面向企业员工开展岗位培训3.5万人日"),
    ("14.1.4", "面向退役军人、农民工开展培训1.2万人日"),
    ("14.2.1", "学生获得职业技能等级证书4800人次"),
    ("14.2.2", "学生在省级以上职业院校技能大赛中获奖156人次"),
    ("15.1.3", "为走出去企业开展境外培训860人"),
    ("15.2.1", "获国家级教学成果奖2项"),
    ("15.2.3", "获省级教学成果奖5项"),
    ("15.2.4", "获省级科学技术奖3项"),
]


@pytest.mark.parametrize("code,text", PHRASINGS)
def test_common_phrasings_name_exactly_their_point(cat, code, text):
    assert _points_named(cat, text) == {code}


def test_negative_list_triggers_and_denials(cat):
    for n in cat.negative_list:
        assert n.triggers and n.denials and n.description, n.code
        # denials are checked as plain phrases in a sentence and must not hide inside a trigger
        for d in n.denials:
            assert "&" not in d, (n.code, d)
            assert not any(d in part for t in n.triggers for part in t.split("&")), (n.code, d)

    def flags(text: str) -> set[str]:
        out = set()
        for n in cat.negative_list:
            if any(all(p in text for p in t.split("&")) for t in n.triggers) and not any(d in text for d in n.denials):
                out.add(n.code)
        return out

    assert flags("市审计局指出，联合体连续两年未按建设方案计划落实经费投入") == {"16.3"}
    assert flags("本年度经费均按计划落实") == set()
    assert flags("年内未发生重大违法违规事件，未造成不良社会影响") == set()
    assert flags("经核查，申报材料中部分数据不实") == {"16.2"}
    assert flags("申报和建设过程中不存在弄虚作假行为") == set()
    assert flags("市政府连续两年未出台支持联合体发展的政策") == {"16.4"}


# ------------------------------------------------------------------ rosters

def test_rosters(cat):
    by = {(r.batch, r.index): r for r in cat.rosters}
    taicang = by[("2024", 1)]
    assert taicang.name == "苏州市太仓中德智能制造产教联合体"
    assert taicang.lead_enterprise == "舍弗勒（中国）有限公司"
    assert "太仓中德智能制造产教联合体" in taicang.aliases
    yibin = by[("2024", 5)]
    assert yibin.name == "宜宾临港经济技术开发区（三江新区）市域产教联合体"
    assert "宜宾临港市域产教联合体" in yibin.aliases
    assert by[("2023", 2)].lead_schools == ("天津大学", "天津电子信息职业技术学院")
    assert by[("2023", 27)].lead_schools == ("贵州工业职业技术学院", "黔南民族职业技术学院")
    assert by[("2023", 28)].lead_enterprise == "西安兴航航空科技股份有限公司"
    for r in cat.rosters:
        for text in (r.name, r.park, r.lead_enterprise, *r.lead_schools, *r.aliases):
            assert text and "(" not in text and ")" not in text, text   # official full-width brackets
        assert r.name not in r.aliases
    all_names = [n for r in cat.rosters for n in (r.name, *r.aliases)]
    assert len(all_names) == len(set(all_names))                          # no alias shared by two entries


# ------------------------------------------------------------------ xlsx round trip

def test_xlsx_export_round_trip(cat, exported):
    out = exported
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:3] == ["观测点", "负面清单", "名单"]
    ws = wb["观测点"]
    # Chinese headers a secretary can read; the loader maps them back to the fields
    assert [c.value for c in ws[1]] == [COLUMN_LABELS[c] for c in XLSX_COLUMNS]
    assert [c.value for c in ws[1]][:4] == ["编号", "名称", "取值类型", "单位"]
    assert all(ord(ch) > 127 for c in ws[1] for ch in c.value)          # no English field names
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "B2"
    assert ws.max_row == 117
    assert [c.value for c in wb["负面清单"][1]][:4] == ["编号", "名称", "触发说法", "否认说法"]
    assert [c.value for c in wb["信息"][1]] == ["项目", "内容"]
    assert wb["名单"].max_row == 35
    back = load_catalogue(out)
    assert back.points == cat.points
    assert back.negative_list == cat.negative_list
    assert back.rosters == cat.rosters
    assert back.level2 == cat.level2 and back.groups == cat.groups
    assert (back.id, back.title, back.source, back.version, back.level1) == \
        (cat.id, cat.title, cat.source, cat.version, cat.level1)
    assert [f.name for f in out.parent.iterdir()] == [out.name]          # no temp file left behind


def test_xlsx_export_keeps_formula_like_text_as_text(cat, tmp_path):
    data = yaml.safe_load(DEFAULT_STANDARD.read_text(encoding="utf-8"))
    data["points"][0]["name"] = "=HYPERLINK(\"http://x\")是否召开\x07相关会议"
    odd = catalogue_from_dict(data)
    out = tmp_path / "odd.xlsx"
    export_xlsx(odd, out)
    cell = openpyxl.load_workbook(out)["观测点"]["B2"]
    assert cell.data_type == "s" and cell.value == "=HYPERLINK(\"http://x\")是否召开相关会议"
    assert catalogue_from_xlsx(out).points[0].name == cell.value


# ------------------------------------------------------------------ malformed catalogues

def _write_yaml(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _point_index(data: dict, code: str) -> int:
    return next(i for i, p in enumerate(data["points"]) if p["code"] == code)


@pytest.mark.parametrize("mutate,expected", [
    (lambda d: d["points"][_point_index(d, "3.2.1")].update(code="3.2"), ["第", "「3.2」", "格式错误"]),
    (lambda d: d["points"][_point_index(d, "3.2.1")].update(code="3.1.1"), ["3.1.1", "重复"]),
    (lambda d: d["points"][_point_index(d, "8.2.2")].update(type="number"), ["8.2.2", "type「number」无效"]),
    (lambda d: d["points"][_point_index(d, "6.1.2")].pop("unit"), ["6.1.2", "必须给出 unit"]),
    (lambda d: d["points"][_point_index(d, "3.2.1")]["threshold"].update(value="一百万"),
     ["3.2.1", "threshold.value 应为数字", "一百万"]),
    (lambda d: d["points"][_point_index(d, "8.4.1")].update(units=["人次"]), ["8.4.1", "units 至少列出两个单位"]),
    (lambda d: d["points"][_point_index(d, "9.1.5")].update(keywords=["学徒制&"]), ["9.1.5", "学徒制&", "&"]),
    (lambda d: d["level2"][7].update(group="合作培养"), ["level2 第8项", "合作培养"]),
    (lambda d: d["rosters"][0].update(index="第一"), ["rosters 第1项", "index"]),
])
def test_malformed_yaml_is_rejected_with_location(raw, tmp_path, mutate, expected):
    data = copy.deepcopy(raw)
    mutate(data)
    with pytest.raises(CatalogueError) as err:
        load_catalogue(_write_yaml(tmp_path, data))
    msg = str(err.value)
    assert msg.startswith("bad.yaml")
    for part in expected:
        assert part in msg, msg


def test_malformed_files_are_rejected(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("points: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="不是有效的 YAML"):
        load_catalogue(bad)
    with pytest.raises(CatalogueError, match="找不到"):
        load_catalogue(tmp_path / "nope.yaml")
    txt = tmp_path / "cat.txt"
    txt.write_text("x", encoding="utf-8")
    with pytest.raises(CatalogueError, match="不支持"):
        load_catalogue(txt)
    notxlsx = tmp_path / "cat.xlsx"
    notxlsx.write_bytes(b"not a zip")
    with pytest.raises(CatalogueError, match="无法打开"):
        load_catalogue(notxlsx)


def _edit_xlsx(src: Path, dst: Path, edit) -> Path:
    wb = openpyxl.load_workbook(src)
    edit(wb)
    wb.save(dst)
    return dst


@pytest.fixture(scope="module")
def exported(cat, tmp_path_factory) -> Path:
    return export_xlsx(cat, tmp_path_factory.mktemp("export") / "指标体系.xlsx")


def test_malformed_xlsx_is_rejected_with_row(cat, exported, tmp_path):
    good = exported
    col = {name: i + 1 for i, name in enumerate(XLSX_COLUMNS)}

    no_type = _edit_xlsx(good, tmp_path / "no_type.xlsx", lambda wb: wb["观测点"].delete_cols(col["type"]))
    with pytest.raises(CatalogueError) as err:
        load_catalogue(no_type)
    assert "第1行" in str(err.value) and "缺少列 取值类型" in str(err.value)

    def bad_type(wb):
        wb["观测点"].cell(row=5, column=col["type"], value="数字")
    with pytest.raises(CatalogueError) as err:
        load_catalogue(_edit_xlsx(good, tmp_path / "bad_type.xlsx", bad_type))
    msg = str(err.value)
    assert "第5行" in msg and f"（{cat.points[3].code}）" in msg and "type「数字」无效" in msg

    def no_unit(wb):
        wb["观测点"].cell(row=11, column=col["unit"]).value = None
    with pytest.raises(CatalogueError, match=r"第11行（3\.2\.1）：.*unit"):
        load_catalogue(_edit_xlsx(good, tmp_path / "no_unit.xlsx", no_unit))

    def dup(wb):
        wb["观测点"].cell(row=20, column=col["code"], value=wb["观测点"].cell(row=19, column=col["code"]).value)
    with pytest.raises(CatalogueError, match="第20行：观测点编号 .* 重复（与第19行相同）"):
        load_catalogue(_edit_xlsx(good, tmp_path / "dup.xlsx", dup))

    def bad_threshold(wb):
        wb["观测点"].cell(row=11, column=col["threshold_value"], value="一百")
    with pytest.raises(CatalogueError, match="第11行.*threshold.value 应为数字"):
        load_catalogue(_edit_xlsx(good, tmp_path / "bad_th.xlsx", bad_threshold))

    def bad_negative(wb):
        wb["负面清单"].cell(row=3, column=3).value = None
    with pytest.raises(CatalogueError, match="工作表“负面清单”第3行.*triggers"):
        load_catalogue(_edit_xlsx(good, tmp_path / "bad_neg.xlsx", bad_negative))


def test_xlsx_accepts_chinese_type_labels_and_minimal_columns(cat, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["code", "name", "type", "unit", "keywords"])
    ws.append(["3.2.1", "牵头企业近三年在产教融合领域的总投入（万元）", "金额", "万元", "累计投入；近三年&投入"])
    ws.append(["3.1.1", "是否为行业龙头企业", "是/否", None, "龙头企业"])
    wb.save(tmp_path / "mini.xlsx")
    mini = load_catalogue(tmp_path / "mini.xlsx")
    assert [(p.code, p.type) for p in mini.points] == [("3.2.1", "amount"), ("3.1.1", "yesno")]
    assert mini.point("3.2.1").keywords == ("累计投入", "近三年&投入")
    assert mini.point("3.2.1").level2_code == "3" and mini.point("3.2.1").indicator_code == "3.2"


# ------------------------------------------------------------------ command line

def test_cli_standard_json(capsys):
    assert main(["standard", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert len(items) == 116
    for item in items:
        assert {"code", "name", "type", "unit", "threshold", "parents"} <= set(item)
    by = {i["code"]: i for i in items}
    assert by["3.2.1"]["parents"] == ["基础性指标", "3", "3.2"]
    assert by["3.2.1"]["threshold"] == {"rule": "近三年累计≥100万元", "op": ">=", "value": 100.0, "unit": "万元"}
    assert by["9.1.5"]["parents"] == ["实质性指标", "9", "9.1"]
    assert by["8.4.1"]["units"] == ["人次", "课时"]


def test_cli_standard_xlsx_and_listing(tmp_path, capsys):
    out = tmp_path / "标准.xlsx"
    assert main(["standard", "--xlsx", str(out)]) == 0
    assert "116 个观测点" in capsys.readouterr().out
    assert len(catalogue_from_xlsx(out).points) == 116
    assert main(["standard", "--standard", str(out)]) == 0
    listing = capsys.readouterr().out
    assert "共 116 个观测点，6 项否定性指标" in listing and "3.2.1" in listing


def test_cli_reports_catalogue_errors(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: y\nlevel2: []\nindicators: []\npoints: []\n", encoding="utf-8")
    assert main(["standard", "--standard", str(bad)]) == 2
    assert "指标体系错误" in capsys.readouterr().err
