"""The committed test corpora agree with their labels.

Checks the bundled sample (input_docs/ + tests/corpus/labels/input_docs.json) and the held-out
corpus (tests/corpus/heldout/) on the committed files themselves: every label lists the 116
observation points, names files that exist, and every labelled number can be read (in one of
the written forms: 1,460 / 一百二十 / 1.62万 / 3,200,000元 / 1.2亿元 / 百分之三十五) on the
labelled PDF page or in the labelled Word/Excel file.  A document edited without regenerating
its label (or the other way round) fails here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import make_sample as ms  # noqa: E402

HELDOUT = ROOT / "tests" / "corpus" / "heldout"


def _cases() -> list[tuple[Path, Path]]:
    cases = [(ROOT / "input_docs", ROOT / "tests" / "corpus" / "labels" / "input_docs.json")]
    for lab in sorted((HELDOUT / "labels").glob("*.json")):
        cases.append((HELDOUT / "input" / lab.stem, lab))
    return cases


CASES = _cases()
IDS = [c[1].stem for c in CASES]


def _forms(v: float, unit: str | None) -> set[str]:
    """Ways a document may write ``v`` (in the point's unit), white space removed."""
    out: set[str] = set()
    vals = [v]
    if unit == "万元":
        vals += [v * 10000, v / 10000]
    if unit == "亿元":
        vals += [v * 10000]
    for x in vals:
        x = round(x, 6)
        out |= {ms.num_str(x), ms.num_str(x, comma=True), ms.cn_num(x)}
        if x >= 1000:
            w = round(x / 10000, 6)
            out |= {ms.num_str(w) + "万", ms.cn_num(w) + "万"}
    return out


class _Texts:
    def __init__(self, folder: Path):
        self.folder = folder
        self.cache: dict[str, object] = {}

    def get(self, file: str, page: int | None) -> str:
        path = self.folder / file
        if file not in self.cache:
            if path.suffix == ".pdf":
                self.cache[file] = [ms.squash(t) for t in ms.pdf_pages_text(path)]
            elif path.suffix == ".docx":
                self.cache[file] = ms.squash(ms.docx_all_text(path))
            else:
                self.cache[file] = ms.squash(ms.xlsx_all_text(path))
        got = self.cache[file]
        if isinstance(got, list):
            assert page is not None and 1 <= page <= len(got), f"{file}: page {page} of {len(got)}"
            return got[page - 1]
        assert page is None, f"{file}: Word/Excel sources carry page null"
        return got


def test_corpora_exist():
    assert (ROOT / "tests" / "corpus" / "labels" / "input_docs.json").exists()
    assert len(CASES) >= 1


@pytest.mark.parametrize("folder,label_path", CASES, ids=IDS)
def test_label_shape(folder: Path, label_path: Path):
    label = json.loads(label_path.read_text(encoding="utf-8"))
    assert list(label["points"]) == [c for c, _, _ in ms.POINTS]
    assert sorted(label["negative_list"]) == ms.NEGATIVE
    assert all(isinstance(v, bool) for v in label["negative_list"].values())
    for f in ("name", "park", "lead_school", "lead_enterprise"):
        assert label["consortium"][f]
    on_disk = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                     if p.is_file() and p.name not in ("README.md", ".gitkeep"))
    assert label["files"] == on_disk
    for code, p in label["points"].items():
        if not p["present"]:
            assert set(p) <= {"present", "target_only", "target"}, code
            continue
        assert p["file"] in on_disk, code
        for s in p.get("sources", []):
            assert s["file"] in on_disk, code
        if "value" in p and not isinstance(p["value"], (bool, str)):
            assert p["unit"] == ms.UNITS[code], code


@pytest.mark.parametrize("folder,label_path", CASES, ids=IDS)
def test_labelled_values_are_on_the_labelled_page(folder: Path, label_path: Path):
    label = json.loads(label_path.read_text(encoding="utf-8"))
    texts = _Texts(folder)
    problems = []
    for code, p in label["points"].items():
        if not p["present"]:
            continue
        sources = p.get("sources") or [{"file": p["file"], "page": p["page"]}]
        if p.get("conflict"):
            for v in p["values"]:
                if not any(f in texts.get(s["file"], s["page"]) for s in sources for f in _forms(v, p["unit"])):
                    problems.append(f"{code}: conflicting value {v} not found in any source")
            continue
        wanted = [(q["value"], q["unit"]) for q in p.get("quantities", [])]
        if "value" in p and not isinstance(p["value"], (bool, str)):
            wanted.append((p["value"], p["unit"]))
        for s in sources:
            text = texts.get(s["file"], s["page"])
            for v, u in wanted:
                if not any(f in text for f in _forms(v, u)):
                    problems.append(f"{code}: {v}{u} not found in {s['file']} page {s['page']}")
        if isinstance(p.get("value"), str):
            assert any(p["value"] in texts.get(s["file"], s["page"]) for s in sources), code
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("folder,label_path", CASES, ids=IDS)
def test_consortium_info_is_stated(folder: Path, label_path: Path):
    label = json.loads(label_path.read_text(encoding="utf-8"))
    texts = _Texts(folder)
    alltext = ""
    for f in label["files"]:
        if f.endswith(".pdf"):
            texts.get(f, 1)
            alltext += "".join(texts.cache[f])
        else:
            alltext += texts.get(f, None)
    for field in ("name", "park", "lead_school", "lead_enterprise"):
        assert ms.squash(label["consortium"][field]) in alltext, field


def test_number_forms():
    assert ms.cn_num(120) == "一百二十"
    assert ms.cn_num(12) == "十二"
    assert ms.cn_num(1002) == "一千零二"
    assert ms.cn_num(74.6) == "七十四点六"
    assert ms.fv(320, "万元", "c", "元") == "3,200,000元"
    assert ms.fv(12000, "万元", "d", "亿元") == "1.2亿元"
    assert ms.fv(16200, "人次", "w") == "1.62万人次"
    assert ms.fv(35, "%", "cn", "百分之") == "百分之三十五"
