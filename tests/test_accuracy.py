"""Accuracy on labelled corpora, through the real CLI, with minimum figures: a change that loses
accuracy fails here.

Corpora (each a folder of consortium folders with one label file per folder):
  sample    input_docs/ (the bundled sample)             labels tests/corpus/labels
  heldout   tests/corpus/heldout                          (used to find mechanisms; no longer held out)
  heldout2  tests/corpus/heldout2                          written without sight of code, catalogue or
                                                           dev corpus; frozen; measured once (2026-12-03), then
                                                           used to find mechanisms (2026-12-04)
  heldout4  tests/corpus/heldout4                          written without sight of code, catalogue or
                                                           dev corpus; frozen; measured once (2026-12-04), never
                                                           tuned on
  dev       ../shared/corpus/dev (only when ../shared is present)

Every corpus is reviewed twice in one batch each: clean, and with the distractor attachments of
tests/corpus/distractor (the notice and standard as a PDF, real news about other consortia)
copied into every folder. With the attachments the figures must hold, every attachment must be
classed ``reference``, and no point, flag or name may come from one.

The scorer is tools/score.py, a copy of ../shared/eval/score.py (checked identical when present).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
ATTACHMENTS = ROOT / "tests" / "corpus" / "distractor" / "attachments"

#: (name, folder of consortium folders — or one consortium folder for the sample, labels)
CORPORA = [
    ("sample", ROOT / "input_docs", ROOT / "tests" / "corpus" / "labels"),
    ("heldout", ROOT / "tests" / "corpus" / "heldout" / "input", ROOT / "tests" / "corpus" / "heldout" / "labels"),
    ("heldout2", ROOT / "tests" / "corpus" / "heldout2" / "input", ROOT / "tests" / "corpus" / "heldout2" / "labels"),
    ("heldout4", ROOT / "tests" / "corpus" / "heldout4" / "input", ROOT / "tests" / "corpus" / "heldout4" / "labels"),
    ("dev", SHARED / "corpus" / "dev" / "input", SHARED / "corpus" / "dev" / "labels"),
]

#: Minimum figures per corpus (clean and with attachments alike). heldout2's are set from its
#: one measurement at the end of the evidence change (see the README's accuracy section).
#: sample/heldout/dev were lowered when every catalogue word had to come from the standard or the
#: phrasing glossary (issue 10 item 7): keywords with no published source were dropped, measured
#: then sample 0.993/0.986/0.987, heldout 0.98/0.974/0.961, dev 0.995/0.988/0.989 (F1/value/provenance).
MINIMUM = {
    "sample": {"presence_f1": 0.99, "value_acc": 0.98, "wrong_value_max": 0.01, "provenance": 0.98, "negative": 1.0, "info": 1.0},
    "heldout": {"presence_f1": 0.98, "value_acc": 0.97, "wrong_value_max": 0.01, "provenance": 0.96, "negative": 1.0, "info": 1.0},
    # measured once at the end of the evidence change (2026-12-03): F1 0.914, value 0.824, wrong
    # 0.013, provenance 0.829, negative 0.967, info 0.85; after it was used to find mechanisms
    # (2026-12-04): 0.969 / 0.952 / 0.003 / 0.93 / 1.0 / 0.9
    "heldout2": {"presence_f1": 0.95, "value_acc": 0.93, "wrong_value_max": 0.01, "provenance": 0.91, "negative": 1.0, "info": 0.9},
    # measured once at the end of the second evidence change (2026-12-04), never tuned on: F1 0.943,
    # value 0.911, wrong 0.021, provenance 0.911, conflicts 0.9, negative 1.0, info 0.5
    "heldout4": {"presence_f1": 0.93, "value_acc": 0.89, "wrong_value_max": 0.03, "provenance": 0.89, "negative": 1.0, "info": 0.5},
    "dev": {"presence_f1": 0.99, "value_acc": 0.98, "wrong_value_max": 0.01, "provenance": 0.98, "negative": 1.0, "info": 1.0},
}


def _scorer():
    spec = importlib.util.spec_from_file_location("cr_score", ROOT / "tools" / "score.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _available():
    return [(n, f, lab) for n, f, lab in CORPORA if f.is_dir() and lab.is_dir()]


def _consortia(name: str, folder: Path) -> list[Path]:
    return [folder] if name == "sample" else sorted(p for p in folder.iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Review every available corpus clean and with attachments: {(corpus, variant): out_dir}."""
    base = tmp_path_factory.mktemp("accuracy")
    out: dict[tuple[str, str], Path] = {}
    for variant in ("clean", "distractor"):
        batch = base / f"in-{variant}"
        batch.mkdir()
        where: dict[str, list[str]] = {}
        for name, folder, _ in _available():
            for c in _consortia(name, folder):
                dest = batch / f"{name}__{c.name}"
                shutil.copytree(c, dest, ignore=shutil.ignore_patterns("README.md") if name == "sample" else None)
                if variant == "distractor":
                    for a in ATTACHMENTS.glob("*.pdf"):
                        shutil.copyfile(a, dest / a.name)
                where.setdefault(name, []).append(c.name)
        res_dir = base / f"out-{variant}"
        p = subprocess.run([sys.executable, "-m", "consortium_review", "review", str(batch), "-o", str(res_dir),
                            "--batch", "--no-render", "--workers", "2"],
                           capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=1800)
        assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
        for name, names in where.items():
            d = base / f"scored-{variant}-{name}"
            d.mkdir()
            for n in names:
                shutil.copytree(res_dir / f"{name}__{n}", d / n)
            out[(name, variant)] = d
    return out


def _score(name: str, out_dir: Path, labels: Path) -> dict:
    s = _scorer()
    total = s.Counts()
    for lab in sorted(labels.glob("*.json")):
        label = json.loads(lab.read_text(encoding="utf-8"))
        ev = s.load_json(str(out_dir / lab.stem / "evidence.json"))
        total.add(s.score_one(label, ev, []))
    return total.metrics()


@pytest.mark.parametrize("variant", ["clean", "distractor"])
@pytest.mark.parametrize("corpus", [c[0] for c in CORPORA])
def test_accuracy_minimums(runs, corpus, variant):
    entry = next((c for c in _available() if c[0] == corpus), None)
    if entry is None:
        pytest.skip(f"{corpus}: corpus not present (../shared missing)")
    m = _score(corpus, runs[(corpus, variant)], entry[2])
    floor = MINIMUM[corpus]
    print(f"{corpus}/{variant}: " + " ".join(f"{k}={m[k]}" for k in
                                             ("presence_f1", "value_acc", "wrong_value", "provenance", "negative", "info")))
    for k in ("presence_f1", "value_acc", "provenance", "negative", "info"):
        assert (m[k] if m[k] is not None else 1.0) >= floor[k], (k, m[k], floor[k])
    assert (m["wrong_value"] or 0.0) <= floor["wrong_value_max"], ("wrong_value", m["wrong_value"])


def test_nothing_comes_from_reference_attachments(runs):
    names = {a.name for a in ATTACHMENTS.glob("*.pdf")}
    assert len(names) == 2
    checked = 0
    for (corpus, variant), out_dir in runs.items():
        if variant != "distractor":
            continue
        for ev_path in out_dir.glob("*/evidence.json"):
            ev = json.loads(ev_path.read_text(encoding="utf-8"))
            roles = {d["file"]: d.get("role") for d in ev["documents"]}
            for n in names:
                assert roles.get(n) == "reference", (ev_path, n, roles.get(n))
            for p in ev["points"]:
                assert not any(e["file"] in names for e in p["evidence"]), (ev_path, p["code"])
            for item in ev["negative_list"]:
                assert not any(e["file"] in names for e in item["evidence"]), (ev_path, item["code"])
            name = ev["consortium"]["name"] or ""
            assert "深圳" not in name and "滨州" not in name and "温州湾" not in name, name
            checked += 1
    assert checked >= 4


def test_vendored_scorer_matches_the_shared_one():
    shared = SHARED / "eval" / "score.py"
    if not shared.is_file():
        pytest.skip("../shared/eval/score.py not present")
    ours = (ROOT / "tools" / "score.py").read_text(encoding="utf-8").splitlines()
    del ours[1:3]                                   # the two lines saying where it comes from
    assert ours == shared.read_text(encoding="utf-8").splitlines()
