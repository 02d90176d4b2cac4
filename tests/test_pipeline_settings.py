"""Settings objects and the pipeline's renderer wiring."""

from __future__ import annotations

import dataclasses
import json
import pickle

import docx
import pytest

from consortium_review.catalogue import load_catalogue
from consortium_review.pipeline import Settings, review_consortium
from consortium_review.settings import EXTRACT, ExtractSettings, ReadSettings, settings_hash


@pytest.fixture
def folder(tmp_path):
    f = tmp_path / "联合体"
    f.mkdir()
    d = docx.Document()
    d.add_paragraph("牵头企业近三年在产教融合领域累计投入320万元。")
    d.save(str(f / "建设方案.docx"))
    return f


def test_a_renderer_that_fails_to_import_is_reported(folder, tmp_path):
    summary = review_consortium(folder, tmp_path / "out", load_catalogue(),
                                renderers=["consortium_review.generator.no_such_renderer:render"])
    assert summary["errors"] and "no_such_renderer" in summary["errors"][0]
    assert "ModuleNotFoundError" in summary["errors"][0]
    assert (tmp_path / "out" / "evidence.json").is_file()        # evidence is still written


def test_extract_settings_change_the_extraction(folder, tmp_path):
    cat = load_catalogue()
    base = review_consortium(folder, tmp_path / "a", cat, render=False)
    strict = Settings(extract=dataclasses.replace(EXTRACT, sentence_number_score=0.5, conflict_min_score=0.6))
    review_consortium(folder, tmp_path / "b", cat, render=False, settings=strict)
    a = json.loads((tmp_path / "a" / "evidence.json").read_text(encoding="utf-8"))
    b = json.loads((tmp_path / "b" / "evidence.json").read_text(encoding="utf-8"))
    conf = {p["code"]: p["confidence"] for p in a["points"] if p["status"] == "found"}
    conf_b = {p["code"]: p["confidence"] for p in b["points"] if p["status"] == "found"}
    assert base["statuses"]["found"] >= 1 and conf.keys() == conf_b.keys()
    assert any(conf_b[c] < conf[c] for c in conf)
    assert "assess_settings" not in a                            # run-only, never written out


def test_settings_are_frozen_picklable_and_hashed():
    s = Settings(read=ReadSettings(max_ocr_pages=5))
    assert pickle.loads(pickle.dumps(s)) == s                   # sent to spawn workers
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.read.max_ocr_pages = 6
    assert settings_hash(ExtractSettings()) == settings_hash(EXTRACT)
    assert settings_hash(ExtractSettings(keyword_window=61)) != settings_hash(EXTRACT)
    assert s.hashes()["read"] != Settings().hashes()["read"]
    assert s.hashes()["extract"] == Settings().hashes()["extract"]
