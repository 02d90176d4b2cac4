"""Every catalogue word has a source (issue 10 item 7).

Each part of a point's ``keywords`` ("A&B" gives two parts), each ``exclude`` word, each word
of the top-level ``synonyms`` groups and each ``subjects`` word must occur verbatim in the standard's own text
(``standards/cjlht-2024-source.txt``) or in the quote of an entry of the phrasing glossary
(``standards/glossary.yaml``: verbatim excerpts of real published texts, each with its address).
Words taken from the project's own test corpora are in neither, so this test fails on them.
Both sides are compared after NFKC normalisation with white space removed.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from consortium_review import DEFAULT_STANDARD, STANDARDS_DIR
from consortium_review.catalogue import Catalogue, load_catalogue

SOURCE_TEXT = STANDARDS_DIR / "cjlht-2024-source.txt"
GLOSSARY = STANDARDS_DIR / "glossary.yaml"
ROLES = {"keyword", "verb", "unit", "negation"}


def norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def catalogue_words(cat: Catalogue) -> list[tuple[str, str]]:
    """(where, word) for every keyword part, exclude word and synonym word of ``cat``."""
    out: list[tuple[str, str]] = []
    for p in cat.points:
        for kw in p.keywords:
            out += [(f"{p.code} keywords「{kw}」", part) for part in kw.split("&")]
        out += [(f"{p.code} exclude", word) for word in p.exclude]
    for i, group in enumerate(cat.synonyms, 1):
        out += [(f"synonyms 第{i}组「{'/'.join(group)}」", word) for word in group]
    for subject in getattr(cat, "subjects", []):      # words naming a point's subject are matched too
        out += [(f"subjects {subject.id} words", word) for word in subject.words]
    return out


def unsourced(cat: Catalogue, standard_text: str, glossary: list[dict]) -> list[str]:
    """Every catalogue word found neither in the standard nor in a glossary quote."""
    std = norm(standard_text)
    quotes = "\n".join(norm(e["quote"]) for e in glossary)
    return [f"{where}: {word}" for where, word in catalogue_words(cat)
            if norm(word) not in std and norm(word) not in quotes]


@pytest.fixture(scope="module")
def standard_text() -> str:
    return SOURCE_TEXT.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def glossary() -> list[dict]:
    return yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))


def test_standard_text_ships_with_the_package(standard_text):
    assert SOURCE_TEXT.parent == DEFAULT_STANDARD.parent
    text = norm(standard_text)
    assert "教职成厅函〔2024〕20号" in text
    assert "市域产教联合体建设标准" in text
    # every observation point's name is the standard's wording
    cat = load_catalogue()
    assert len(cat.points) == 116
    assert norm(cat.points[0].name) in text


def test_glossary_entries_quote_their_phrase_and_name_a_source(glossary):
    assert len(glossary) >= 234
    bad = []
    for i, e in enumerate(glossary, 1):
        phrase, quote, source = e.get("phrase"), e.get("quote"), e.get("source")
        if not (isinstance(phrase, str) and phrase.strip() and isinstance(quote, str)):
            bad.append(f"第{i}条：phrase/quote 缺失")
        elif norm(phrase) not in norm(quote):
            bad.append(f"第{i}条「{phrase}」不在其 quote 中")
        if not (isinstance(source, str) and re.match(r"https?://\S+$", source.strip())):
            bad.append(f"第{i}条「{phrase}」没有来源网址")
        if e.get("role") not in ROLES or not str(e.get("code", "")).strip() or not e.get("title"):
            bad.append(f"第{i}条「{phrase}」code/role/title 不完整")
    assert not bad, "\n".join(bad)


def test_every_catalogue_word_is_in_the_standard_or_the_glossary(standard_text, glossary):
    cat = load_catalogue()
    words = catalogue_words(cat)
    assert len(words) > 500                               # the check sees the whole catalogue
    missing = unsourced(cat, standard_text, glossary)
    assert not missing, ("以下关键词/排除词/同义词既不在建设标准原文中，也不在措辞词表"
                         "（standards/glossary.yaml）的原文摘录中：\n" + "\n".join(missing))


def test_the_check_catches_an_invented_keyword_exclude_and_synonym(tmp_path: Path, standard_text, glossary):
    data = yaml.safe_load(DEFAULT_STANDARD.read_text(encoding="utf-8"))
    point = next(p for p in data["points"] if p["code"] == "3.2.1")
    point["keywords"] = list(point.get("keywords") or []) + ["牵头企业&云溪示范投入"]
    point["exclude"] = list(point.get("exclude") or []) + ["云溪排除词"]
    data["synonyms"] = list(data.get("synonyms") or []) + [["纳入", "云溪纳入"]]
    changed = tmp_path / "改过的指标体系.yaml"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    missing = unsourced(load_catalogue(changed), standard_text, glossary)
    assert [m.rsplit(": ", 1)[1] for m in missing] == ["云溪示范投入", "云溪排除词", "云溪纳入"]
    assert missing[0].startswith("3.2.1 keywords「牵头企业&云溪示范投入」")
    # a glossary entry quoting a real text makes the word sourced
    quote = {"quote": "……云溪示范投入、云溪排除词与云溪纳入……"}
    assert unsourced(load_catalogue(changed), standard_text, glossary + [quote]) == []


def test_compound_infixes_are_the_standard_s_words():
    """The modifiers matching allows inside a 2+2 keyword part (ExtractSettings.compound_infixes)
    are words of the standard, like every other catalogue word."""
    from consortium_review.settings import EXTRACT
    source = norm(SOURCE_TEXT.read_text(encoding="utf-8"))
    assert EXTRACT.compound_infixes and all(norm(w) in source for w in EXTRACT.compound_infixes)
