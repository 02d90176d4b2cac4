"""Negative list screening (否定性指标 16.1–16.6).

An item is flagged only on a statement that the problem OCCURRED (an audit finding, 「连续两年
未按计划落实经费」). Statements that it did not occur (「未发生重大违法违规事件」) never flag;
nor does text that merely quotes the standard or a plan to avoid the problem.
"""

from __future__ import annotations

import re

from consortium_review.catalogue import Catalogue
from consortium_review.models import Document, Evidence, NegativeResult
from consortium_review.extractors.context import HYPOTHETICAL, REQUIREMENT, mask_titles, split_sentences

#: Statements that the problem did NOT occur, as grammar: a negator (未/没有/从未/均未/并未…)
#: directly before an occurrence verb (发生/出现/引发/造成/存在/发现), or 无…事件 — plus
#: prevention language (杜绝/严禁/防止/避免). Hypotheticals (如发生/若出现/一旦) and the standard's
#: own requirements are not statements at all. A bare one-character cue (若, 如) never counts:
#: it matches inside words and titles (《…若干措施》).
DENIAL = re.compile(r"(?:未|没有|从未|均未|并未|尚未|未曾|不曾|无一)(?:再)?(?:发生|出现|引发|造成|存在|发现|产生|涉及)|"
                    r"不存在|无(?:任何)?[^，。；]{0,10}(?:事件|问题|行为|情况|记录)|均(?:按计划|已)|杜绝|严禁|防止|避免|确保不|"
                    r"零(?:事故|投诉|发生)|(?:事故|事件|投诉)[^，。；]{0,4}为零")
_BOOK_TITLE = re.compile(r"《[^《》]{0,80}》")
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
                for _, raw in split_sentences(b.text):
                    # the aspect particle does not change what happened: 「造成了不良社会影响」
                    raw = _PERFECTIVE.sub("", raw)
                    sent = mask_titles(raw)
                    # a short quotation names the thing (未落实“四个合作”); a 《title》 does not
                    quoted = _BOOK_TITLE.sub(lambda m: "＊" * len(m.group(0)), raw)
                    trig = next((t for t in item.triggers if _contains(quoted, t)), None)
                    if not trig:
                        continue
                    if _denied(sent, item.denials) or QUOTE.search(sent) or _not_a_statement(sent, item.name):
                        continue
                    res.evidence.append(Evidence(file=b.file, page=b.page, locator=b.locator,
                                                 snippet=raw[:200], kind="flag"))
        res.flagged = bool(res.evidence)
        if res.flagged:
            res.note = "材料中有相关表述，请专家核实"
        out.append(res)
    return out


_PERFECTIVE = re.compile(r"(?<=[\u4e00-\u9fff])了(?=[\u4e00-\u9fff])(?!解)")
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


def _bigrams(s: str) -> set[str]:
    s = re.sub(r"[^\u4e00-\u9fff]", "", s)
    return {s[i:i + 2] for i in range(len(s) - 1)}


def _not_a_statement(sent: str, item_name: str) -> bool:
    """A hypothetical (「如发生…」), a requirement (「不得…」「须…」), or the standard's wording of
    the item restated (most of its words, nothing of an event of its own)."""
    if HYPOTHETICAL.search(sent) or REQUIREMENT.search(sent):
        return True
    a, b = _bigrams(sent), _bigrams(item_name)
    return bool(a and b) and len(a & b) / len(b) >= 0.8 and len(a) <= len(b) * 1.5


def _contains(sent: str, trigger: str) -> bool:
    parts = [p for p in trigger.split("&") if p]
    return all(p in sent for p in parts)
