"""Member schools by kind, from their names (成员学校类型).

A consortium's materials rarely say 「学校涵盖中职、高职和普通本科」 in so many words; they list
the schools: 「青川职业技术学院、青川理工学院、青川第一职业中专等6所院校」. The kind of a Chinese
school is part of its official name, so the names the consortium's own documents give tell
which kinds it has. Used for points whose catalogue entry lists ``school_kinds``; the result is
an inference the expert confirms (like a park's level read from its name).
"""

from __future__ import annotations

import re
from typing import Optional

from consortium_review.models import Block, Document

SECONDARY, HIGHER_VOCATIONAL, UNDERGRADUATE = "中职", "高职", "普通本科"
KINDS = (SECONDARY, HIGHER_VOCATIONAL, UNDERGRADUATE)

_NAME = re.compile(r"[\u4e00-\u9fff]{2,16}?(?:职业技术大学|职业大学|职业技术学院|职业学院|高等专科学校|中等职业学校|中等专业学校|"
                   r"职业中专|职业高级中学|职业中学|职业教育中心|职教中心|技工学校|大学|学院)")
_SECONDARY = re.compile(r"(?:中等职业学校|中等专业学校|职业中专|职业高级中学|职业中学|职业教育中心|职教中心|技工学校)$")
_HIGHER_VOCATIONAL = re.compile(r"(?:职业技术大学|职业大学|职业技术学院|职业学院|高等专科学校)$")
# ordinary undergraduate institutions by their usual endings; a bare 「…学院」 is too often a
# department or an industry college (智能制造学院, 青川装备产业学院) to count
_UNDERGRADUATE = re.compile(r"(?:大学|(?:理工|师范|工程|科技|医学|医科|财经|工商|文理|工业|农业|林业|交通|信息工程|城市|外国语|"
                            r"经济|商|工)学院)$")
_NOT_A_SCHOOL = re.compile(r"产业学院|二级学院|研究院|书院|职业|技师|老年|党校|社区|开放大学|网络学院|继续教育")
_LEAD_IN = re.compile(r"^(?:由|与|和|及|联合|会同|依托|包括|其中|成员|院校|学校|单位|有|等|、)+")


def school_kind(name: str) -> Optional[str]:
    """The kind of school a full name denotes, or None when the name does not say."""
    if _SECONDARY.search(name):
        return SECONDARY
    if _HIGHER_VOCATIONAL.search(name):
        return HIGHER_VOCATIONAL
    if _UNDERGRADUATE.search(name) and not _NOT_A_SCHOOL.search(name):
        return UNDERGRADUATE
    return None


def schools_by_kind(documents: list[Document]) -> dict[str, tuple[str, Block]]:
    """For each kind, the first school of that kind the documents name, with its block."""
    found: dict[str, tuple[str, Block]] = {}
    for d in documents:
        for b in d.blocks:
            if b.kind in ("header", "footer"):
                continue
            text = b.text if b.kind != "table_row" else "，".join(b.cells)
            for m in _NAME.finditer(text):
                name = _LEAD_IN.sub("", m.group(0))
                kind = school_kind(name)
                if kind and kind not in found and len(name) >= 4:
                    found[kind] = (name, b)
            if len(found) == len(KINDS):
                return found
    return found
