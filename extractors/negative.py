"""Negative list screening (否定性指标 16.1–16.6).

An item is flagged only on a statement that the problem OCCURRED (an audit finding, 「连续两年
未按计划落实经费」). Statements that it did not occur (「未发生重大违法违规事件」) never flag;
nor does text that merely quotes the standard or a plan to avoid the problem.
"""

from __future__ import annotations

import re

from consortium_review.catalogue import Catalogue
from consortium_review.models import Document, Evidence, NegativeResult
from consortium_review.extractors.context import split_sentences

DENIAL = re.compile(r"未发生|没有发生|未出现|未发现|不存在|无(?:任何)?[^，。；]{0,10}(?:事件|问题|行为|情况|记录)|均(?:按计划|已)|杜绝|严禁|防止|避免|确保不|如(?:发生|出现|存在)|一旦|若|凡")
QUOTE = re.compile(r"负面清单|否定性指标|退出机制|建设标准")


def screen_negative_list(catalogue: Catalogue, documents: list[Document]) -> list[NegativeResult]:
    out = []
    for item in catalogue.negative_list:
        res = NegativeResult(code=item.code, name=item.name)
        firsts = {t.split("&")[0] for t in item.triggers}
        for doc in documents:
            for b in doc.blocks:
                if b.kind in ("header", "footer"):
                    continue
                if not any(f in b.text for f in firsts):
                    continue
                for _, sent in split_sentences(b.text):
                    trig = next((t for t in item.triggers if _contains(sent, t)), None)
                    if not trig:
                        continue
                    if _denied(sent, item.denials) or QUOTE.search(sent):
                        continue
                    res.evidence.append(Evidence(file=b.file, page=b.page, locator=b.locator,
                                                 snippet=sent[:200], kind="flag"))
        res.flagged = bool(res.evidence)
        if res.flagged:
            res.note = "材料中有相关表述，请专家核实"
        out.append(res)
    return out


_NEG_BEFORE = re.compile(r"(?:未|没有|不|尚未|未能|并未)[^，。；]{0,10}$")


def _denied(sent: str, denials: tuple[str, ...]) -> bool:
    """A denial counts unless it is itself negated: 「未按计划足额到位」 does not deny
    a funding shortfall although it contains 「足额到位」."""
    for d in denials:
        for m in re.finditer(re.escape(d), sent):
            if not _NEG_BEFORE.search(sent[max(0, m.start() - 14):m.start()]):
                return True
    for m in DENIAL.finditer(sent):
        if not _NEG_BEFORE.search(sent[max(0, m.start() - 14):m.start()]):
            return True
    return False


def _contains(sent: str, trigger: str) -> bool:
    parts = [p for p in trigger.split("&") if p]
    return all(p in sent for p in parts)
