"""Number and unit grammar for Chinese reports (数字与单位).

``find_quantities(text)`` finds every quantity in a piece of text — Arabic or Chinese numerals,
thousands separators, decimals, 万/亿 multipliers, percentages (35.6%, 百分之三十五) — with
its raw unit and span. ``to_unit(q, unit)`` normalises a quantity to a catalogue unit with
exact decimal arithmetic (1.2亿元 -> 12000 万元; 3,200,000元 -> 320 万元), or returns None
when the units are not compatible. Nothing here knows about observation points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Optional

CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3,
             "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
             "九": 9, "玖": 9}
CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
CN_BIG = {"万": 10 ** 4, "亿": 10 ** 8}
_CN_NUM_CHARS = "零〇○一壹二贰两三叁四肆五伍六陆七柒八捌九玖十拾百佰千仟万亿点"


def parse_chinese_number(s: str) -> Optional[Decimal]:
    """'一百二十' -> 120, '两千' -> 2000, '四十三点二' -> 43.2, '一千零五十' -> 1050, '十四' -> 14."""
    s = s.strip()
    if not s:
        return None
    if "点" in s:
        whole, _, frac = s.partition("点")
        w = parse_chinese_number(whole) if whole else Decimal(0)
        if w is None or not frac or any(c not in CN_DIGITS for c in frac):
            return None
        return w + Decimal("0." + "".join(str(CN_DIGITS[c]) for c in frac))
    if all(c in CN_DIGITS for c in s) and len(s) > 1:       # 二〇二四 digit by digit
        return Decimal("".join(str(CN_DIGITS[c]) for c in s))
    # colloquial abbreviation: 一万二 = 12000, 三千五 = 3500, 两百五 = 250 (a trailing digit right
    # after a unit character counts in the next lower unit; 一万零二 stays 10002)
    if len(s) >= 3 and s[-1] in CN_DIGITS and s[-2] in "万千百仟佰" and s[-1] not in "零〇○":
        lower = {"万": "千", "千": "百", "仟": "百", "百": "十", "佰": "十"}[s[-2]]
        s = s + lower
    total, section, digit = 0, 0, None
    for c in s:
        if c in CN_DIGITS:
            digit = CN_DIGITS[c]
        elif c in CN_UNITS:
            section += (digit if digit is not None else 1) * CN_UNITS[c]
            digit = None
        elif c in CN_BIG:
            section += digit or 0
            total = (total + section) * CN_BIG[c] if c == "亿" else total + section * CN_BIG[c]
            section, digit = 0, None
        else:
            return None
    return Decimal(total + section + (digit or 0))


# Units as written, longest first so that 万人次 wins over 万 and 人次 over 人.
RAW_UNITS = [
    "小时/周", "小时每周", "人·日", "人·月", "人·次",
    "万人次", "万人日", "万人月", "亿元", "万元", "千元", "百元", "元",
    "人次", "人月", "人日", "人天", "课时", "学时", "小时", "个百分点",
    "场次", "项次", "人天", "余人", "余家", "余项", "余个",
    "个", "门", "本", "种", "部", "册", "项", "次", "期", "场", "轮", "批", "份", "篇",
    "人", "名", "位", "家", "所", "件", "套", "条", "处", "座", "间", "支", "届", "章", "类",
    "%", "％", "‰", "亿", "万", "年", "月", "日", "天", "周", "号", "位次", "级",
]
_UNIT_RE = "|".join(re.escape(u) for u in sorted(RAW_UNITS, key=len, reverse=True))
_ARABIC = r"\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CN = f"[{_CN_NUM_CHARS}]+"

_QTY_RE = re.compile(
    rf"(?P<pct>百分之(?P<pctnum>{_CN}|{_ARABIC}))"
    rf"|(?P<num>{_ARABIC}|{_CN})\s*(?P<mult>[十百千]?[万亿](?!元)(?=[^\d]|$)|[百千](?=[万亿元人项个次家名门本课件场期]))?\s*(?P<approx>余|多)?\s*(?P<unit>{_UNIT_RE})?"
)


@dataclass
class Quantity:
    """A number found in text, before it is tied to an observation point."""

    value: Decimal          # after 万/亿 multipliers (1.62万人次 -> 16200, unit 人次)
    unit: Optional[str]     # raw unit as written ('元', '万元', '人次', '%', '家', ...) or None
    start: int
    end: int
    raw: str
    chinese: bool = False   # written in Chinese numerals
    qualifier: str = ""     # 约/近/超过/以上/余… as written around the number (kept, never applied)

    @property
    def is_year(self) -> bool:
        return self.unit in ("年",) and 1949 <= self.value <= 2100 and self.value == int(self.value)


def _to_decimal(s: str) -> Optional[Decimal]:
    s = s.replace(",", "").replace("，", "")
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


#: Fixed expressions whose numerals are names, not quantities (「四个合作」「五金」「十四五」).
IDIOMS = re.compile(r"四个合作|五金|一带一路|十[四五六]五|双高|一体化|一对一|三张清单|三个清单|两个清单|一批|一站式|"
                    r"一线|第[一二三四五六七八九十]+|[一二三四五六七八九十]+是|双师|双主体|两翼|多元")


def find_quantities(text: str) -> list[Quantity]:
    """All quantities in ``text`` in order of appearance."""
    out: list[Quantity] = []
    masked = IDIOMS.sub(lambda m: "\u2060" * len(m.group(0)), text)   # keep offsets
    for m in _QTY_RE.finditer(masked):
        if m.group("pct"):
            raw_num = m.group("pctnum")
            val = _to_decimal(raw_num) if re.match(r"[\d]", raw_num) else parse_chinese_number(raw_num)
            if val is None:
                continue
            out.append(Quantity(val, "%", m.start(), m.end(), text[m.start():m.end()], chinese=not raw_num[0].isdigit()))
            continue
        raw_num = m.group("num")
        chinese = not raw_num[0].isdigit()
        unit = m.group("unit")
        if chinese:
            # a lone Chinese numeral word without a unit is prose (一体化, 十四五, 一些), not a quantity
            if raw_num in ("万", "亿", "点") or (not unit and not m.group("mult")):
                continue
            if raw_num.endswith("点"):
                continue
            val = parse_chinese_number(raw_num)
            if val is None:
                continue
            # 一个/一项 as an article ("一个平台") is still a count of 1; keep it
        else:
            # digits glued to Latin letters (ISO9001, 5G, H1) are names, not quantities
            before = text[m.start() - 1] if m.start() > 0 else ""
            after = text[m.end("num")] if m.end("num") < len(text) else ""
            if (before.isascii() and before.isalpha()) or (after.isascii() and after.isalpha() and not unit):
                continue
            val = _to_decimal(raw_num)
            if val is None:
                continue
        mult = m.group("mult")
        if unit in ("万", "亿") and not mult:      # "1.62万" at end of clause
            mult, unit = unit, None
        if mult:
            for ch in mult:              # 3千万 = 3 × 10^3 × 10^4; 4.8千 = 4800
                val = val * (CN_BIG.get(ch) or CN_UNITS[ch])
        if unit and unit.startswith("万") and unit not in ("万元",):       # 万人次 -> 人次 ×10^4
            val, unit = val * 10 ** 4, unit[1:]
        if unit and unit.startswith("余") and len(unit) > 1:
            unit = unit[1:]
        if unit == "％":
            unit = "%"
        out.append(Quantity(val, unit, m.start(), m.end(), text[m.start():m.end()].strip(), chinese=chinese,
                            qualifier=_qualifier(text, m.start(), m.end(), m.group("approx"))))
    return out


_QUAL_BEFORE = re.compile("(?:" + "|".join(sorted(("超过", "逾", "近", "约", "将近", "接近", "不足", "超", "大约", "近乎"),
                                                  key=len, reverse=True)) + r")\s*$")
_QUAL_AFTER = re.compile(r"^\s*(以上|余|多|左右|以下|以内|上下)")


def _qualifier(text: str, start: int, end: int, approx: Optional[str]) -> str:
    """约/近/超过 before, 以上/余/左右 after: the number is approximate or a bound."""
    parts = []
    m = _QUAL_BEFORE.search(text[max(0, start - 4):start])
    if m:
        parts.append(m.group(0).strip())
    if approx:
        parts.append(approx)
    m = _QUAL_AFTER.match(text[end:end + 3])
    if m:
        parts.append(m.group(1))
    return "".join(parts)


# ------------------------------------------------------------------ unit normalisation

#: For each catalogue unit: raw units that measure the same thing, with a factor to apply.
#: Measure words are mapped to the catalogue's unit (家/所 -> 个, 名/位 -> 人, 期/场 -> 次 ...).
COMPATIBLE: dict[str, dict[Optional[str], Decimal]] = {
    "万元": {"万元": Decimal(1), "元": Decimal("0.0001"), "千元": Decimal("0.1"), "百元": Decimal("0.01"),
             "亿元": Decimal(10000)},
    "亿元": {"亿元": Decimal(1), "万元": Decimal("0.0001"), "元": Decimal("0.00000001")},
    "%": {"%": Decimal(1)},
    "个": {"个": Decimal(1), "家": Decimal(1), "所": Decimal(1), "件": Decimal(1), "项": Decimal(1),
           "篇": Decimal(1), "座": Decimal(1), "处": Decimal(1), "套": Decimal(1), "间": Decimal(1),
           "支": Decimal(1), "类": Decimal(1), "条": Decimal(1), "种": Decimal(1), "门": Decimal(1)},
    "门": {"门": Decimal(1), "个": Decimal(1), "项": Decimal(1)},
    "本": {"本": Decimal(1), "种": Decimal(1), "部": Decimal(1), "册": Decimal(1), "套": Decimal(1)},
    "项": {"项": Decimal(1), "个": Decimal(1), "件": Decimal(1)},
    "次": {"次": Decimal(1), "项次": Decimal(1), "期": Decimal(1), "场": Decimal(1), "场次": Decimal(1), "轮": Decimal(1),
           "批": Decimal(1)},
    "份": {"份": Decimal(1), "篇": Decimal(1), "期": Decimal(1), "个": Decimal(1), "本": Decimal(1)},
    "人": {"人": Decimal(1), "名": Decimal(1), "位": Decimal(1), "余人": Decimal(1)},
    "人次": {"人次": Decimal(1), "人·次": Decimal(1), "人": Decimal(1), "名": Decimal(1)},
    "人月": {"人月": Decimal(1), "人·月": Decimal(1)},
    "人日": {"人日": Decimal(1), "人·日": Decimal(1), "人天": Decimal(1)},
    "课时": {"课时": Decimal(1), "学时": Decimal(1)},
    "小时/周": {"小时/周": Decimal(1), "小时每周": Decimal(1), "小时": Decimal(1)},
}
#: Raw units that only match a catalogue unit weakly (a different measure written loosely).
WEAK = {("人次", "人"), ("人次", "名"), ("份", "个"), ("份", "期"), ("门", "个"), ("门", "项"), ("项", "个"),
        ("小时/周", "小时"), ("个", "门"), ("个", "种"), ("个", "条")}


def to_unit(q: Quantity, unit: str, default_unit: Optional[str] = None) -> Optional[Decimal]:
    """``q`` expressed in catalogue unit ``unit``, or None if incompatible.

    ``default_unit`` is used when the text gives no unit (e.g. a table column 「单位：万元」 or a
    header 「金额（万元）」).
    """
    raw = q.unit or default_unit
    table = COMPATIBLE.get(unit)
    if table is None:
        return q.value if raw == unit else None
    if raw is None:
        return None
    factor = table.get(raw)
    if factor is None:
        return None
    return q.value * factor


def is_weak(unit: str, raw: Optional[str]) -> bool:
    return (unit, raw) in WEAK


def to_number(d: Decimal) -> float | int:
    """Decimal -> int when whole, else float rounded to 6 significant decimals (no 163999.99)."""
    d = d.normalize() if d == d.to_integral_value() else d
    if d == d.to_integral_value():
        return int(d)
    return float(round(d, 6))


def unit_in_header(header: str) -> Optional[str]:
    """Unit named in a column header or a point name: 「金额（万元）」 -> 万元, 「单位：人」 -> 人."""
    m = re.search(r"[（(]\s*([^（）()]{1,6})\s*[)）]\s*$", header)
    cands = []
    if m:
        cands.append(m.group(1))
    m = re.search(r"单位[：:]\s*(\S{1,6})", header)
    if m:
        cands.append(m.group(1).rstrip("）)"))
    # a header that is a unit word, perhaps with 数/数量/总数 (「人次」「课时数」「人次数」)
    bare = re.sub(r"(?:总?数量?|合计|总计|小计)$", "", header.strip())
    cands.append(bare)
    for c in cands:
        c = c.replace("％", "%")
        if c in COMPATIBLE or c in RAW_UNITS:
            return c
    return None
