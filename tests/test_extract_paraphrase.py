"""One sentence per observation point, phrased differently from the dev corpus.

Each line of fixtures/extract/paraphrases.txt is ``sentence => code expected``: a value, True /
False, a category, ``partial`` (plan target only), ``missing`` (a distractor: another entity,
a previous year, a change), or nothing (found, text point).
"""

from pathlib import Path

import pytest

from consortium_review.catalogue import load_catalogue
from consortium_review.models import Block, Document
from consortium_review.extractors.evidence import extract

CASES = [line.split("=>") for line in
         (Path(__file__).parent / "fixtures" / "extract" / "paraphrases.txt").read_text(encoding="utf-8").splitlines()
         if "=>" in line and not line.startswith("#")]


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.mark.parametrize("sentence,expected", CASES, ids=[c[1].strip() for c in CASES])
def test_paraphrase(catalogue, sentence, expected):
    code, *rest = expected.split()
    want = rest[0] if rest else None
    doc = Document(file="2024年度工作总结.pdf",
                   blocks=[Block(text=sentence.strip(), file="2024年度工作总结.pdf", page=1, locator="第1段")])
    point = next(p for p in extract(catalogue, [doc]).points if p.code == code)
    if want in ("partial", "missing"):
        assert point.status == want
        return
    assert point.status == "found", point
    assert point.evidence[0].page == 1
    if want is None:
        return
    if want in ("True", "False"):
        assert point.value is (want == "True")
    elif point.quantities and not rest:
        pass
    else:
        try:
            assert point.value == pytest.approx(float(want))
        except ValueError:
            assert point.value == want
