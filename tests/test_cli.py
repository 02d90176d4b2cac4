"""The CLI end to end on the bundled sample (input_docs/): what a new user runs first."""

import json
from pathlib import Path

import pytest

from consortium_review import ROOT
from consortium_review.catalogue import load_catalogue
from consortium_review.cli import main
from consortium_review.evidence_json import validate

SAMPLE = ROOT / "input_docs"


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    import os

    out = tmp_path_factory.mktemp("out")
    rules = out / "rules.yaml"
    rules.write_text("coverage_bar: 95\n", encoding="utf-8")
    # onnxruntime's telemetry switches are set once, before it loads (extractors/ocr.py); they
    # are not settings. Whether this test runs first or after another test decides if they appear.
    def env():
        return {k: v for k, v in os.environ.items() if not k.startswith("ORT_")}
    env_before = env()
    code = main(["review", str(SAMPLE), "-o", str(out), "--rules", str(rules)])
    assert env() == env_before      # settings travel explicitly, never through os.environ
    return code, out / SAMPLE.name


def test_review_writes_valid_evidence_for_every_point(sample_run, capsys):
    code, folder = sample_run
    assert code == 0
    data = json.loads((folder / "evidence.json").read_text(encoding="utf-8"))
    assert validate(data, load_catalogue()) == []
    assert len(data["points"]) == 116 and len(data["negative_list"]) == 6
    assert {d["file"] for d in data["documents"]} == {"2024年度工作总结.pdf", "建设方案.docx", "自评表.xlsx",
                                                      "佐证材料/理事会章程.docx"}
    found = [p for p in data["points"] if p["status"] in ("found", "conflict")]
    assert len(found) > 50
    for p in found:
        ev = p["evidence"][0]
        assert ev["file"] and ev["snippet"] and ev["locator"]
        if ev["file"].endswith(".pdf"):
            assert isinstance(ev["page"], int) and ev["page"] >= 1


def test_review_writes_every_output(sample_run):
    _, folder = sample_run
    names = [p.name for p in folder.iterdir()]
    assert any("评审意见" in n and n.endswith(".docx") for n in names)
    assert any("证据清单" in n and n.endswith(".xlsx") for n in names)
    assert sum(n.endswith(".png") for n in names) >= 3
    assert not any(n.endswith(".tmp") for n in names)


def test_rules_file_changes_the_suggested_conclusion(sample_run):
    import docx

    _, folder = sample_run
    opinion = next(folder.glob("*评审意见.docx"))
    text = "\n".join(p.text for p in docx.Document(str(opinion)).paragraphs)
    assert "95%" in text and "整改后复核" in text


def test_missing_folder_is_a_clear_error(tmp_path, capsys):
    code = main(["review", str(tmp_path / "不存在"), "-o", str(tmp_path / "out")])
    assert code != 0
    assert "找不到材料文件夹" in capsys.readouterr().err


def test_bad_rules_file_is_rejected(tmp_path, capsys, monkeypatch):
    from consortium_review.generator.assess import SETTINGS_ENV

    monkeypatch.delenv(SETTINGS_ENV, raising=False)
    bad = tmp_path / "rules.yaml"
    bad.write_text("coverage_bar: [1, 2\n", encoding="utf-8")
    code = main(["review", str(SAMPLE), "-o", str(tmp_path / "out"), "--rules", str(bad)])
    assert code == 2
    assert "结论规则文件" in capsys.readouterr().err


def test_standard_listing_is_chinese_and_complete(capsys):
    assert main(["standard"]) == 0
    out = capsys.readouterr().out
    assert "共 116 个观测点，6 项否定性指标" in out
    assert "（万元）（万元）" not in out
