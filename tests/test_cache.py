"""The read cache and the per-consortium result fingerprint never serve stale results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from consortium_review import cache as cache_mod
from consortium_review.cache import (ReadCache, ResultStore, change_reasons, consortium_fingerprint, hash_tree,
                                     import_closure, input_files, reader_code_version)
from consortium_review.catalogue import load_catalogue
from consortium_review.extractors.read import read_file, read_folder
from consortium_review.generator.assess import load_settings
from consortium_review.pipeline import Settings
from consortium_review.settings import ExtractSettings, ReadSettings


def make_docx(path: Path, text: str) -> None:
    import docx

    d = docx.Document()
    d.add_paragraph(text)
    d.save(str(path))


def docs_json(docs) -> str:
    return json.dumps([d.to_dict() for d in docs], ensure_ascii=False, sort_keys=True)


@pytest.fixture
def folder(tmp_path):
    f = tmp_path / "联合体"
    f.mkdir()
    make_docx(f / "方案.docx", "牵头企业近三年累计投入320万元。")
    (f / "说明.txt").write_text("园区牵头成立理事会。\n", encoding="utf-8")
    return f


def test_round_trip_and_counters(folder, tmp_path):
    c = ReadCache(tmp_path / "c")
    first = read_folder(folder, cache=c)
    assert (c.hits, c.misses, c.writes) == (0, 2, 2)
    c2 = ReadCache(tmp_path / "c")
    second = read_folder(folder, cache=c2)
    assert (c2.hits, c2.misses) == (2, 0)
    assert docs_json(second) == docs_json(first)
    assert all(f["cached"] for f in c2.files)


def test_changed_bytes_are_read_again(folder, tmp_path):
    read_folder(folder, cache=ReadCache(tmp_path / "c"))
    make_docx(folder / "方案.docx", "牵头企业近三年累计投入450万元。")
    c = ReadCache(tmp_path / "c")
    docs = read_folder(folder, cache=c)
    assert (c.hits, c.misses) == (1, 1)
    assert "450" in " ".join(b.text for d in docs for b in d.blocks)


def test_same_bytes_other_name_is_a_miss(folder, tmp_path):
    c = ReadCache(tmp_path / "c")
    p = folder / "方案.docx"
    assert c.get(p, "方案.docx") is None
    c.put(p, "方案.docx", read_file(p, "方案.docx"))
    assert c.get(p, "方案.docx") is not None
    assert c.get(p, "改名.docx") is None      # documents carry their file name: never reuse across names


def test_code_or_settings_change_invalidates(folder, tmp_path, monkeypatch):
    read_folder(folder, cache=ReadCache(tmp_path / "c"))
    monkeypatch.setattr(cache_mod, "reader_code_version", lambda: "a-different-reader-version")
    c = ReadCache(tmp_path / "c")
    read_folder(folder, cache=c)
    assert c.hits == 0 and c.misses == 2
    monkeypatch.undo()
    import consortium_review.extractors.read as read_mod

    monkeypatch.setattr(read_mod, "MAX_FILE_BYTES", read_mod.MAX_FILE_BYTES - 1)
    c = ReadCache(tmp_path / "c")
    read_folder(folder, cache=c)
    assert c.hits == 0


def test_corrupt_entry_is_dropped(folder, tmp_path):
    read_folder(folder, cache=ReadCache(tmp_path / "c"))
    entries = list((tmp_path / "c" / "reads").rglob("*.json"))
    assert len(entries) == 2
    entries[0].write_text("{ truncated", encoding="utf-8")
    c = ReadCache(tmp_path / "c")
    docs = read_folder(folder, cache=c)
    assert c.hits == 1 and c.misses == 1 and len(docs) == 2
    json.loads(entries[0].read_text(encoding="utf-8"))   # rewritten with a valid entry


def test_force_reads_but_refreshes(folder, tmp_path):
    read_folder(folder, cache=ReadCache(tmp_path / "c"))
    c = ReadCache(tmp_path / "c", use_cached=False)
    read_folder(folder, cache=c)
    assert c.hits == 0 and c.misses == 2 and c.writes == 2


def test_transient_failures_are_not_cached(tmp_path):
    from consortium_review.models import Document

    f = tmp_path / "a.pdf"
    f.write_bytes(b"%PDF-1.4 whatever")
    c = ReadCache(tmp_path / "c")
    assert c.get(f, "a.pdf") is None
    c.put(f, "a.pdf", [Document(file="a.pdf", status="error", error="读取超时（超过 120 秒），已跳过")])
    assert c.writes == 0
    assert c.get(f, "a.pdf") is None
    c.put(f, "a.pdf", [Document(file="a.pdf", status="error", error="文件已损坏")])
    assert c.writes == 1 and c.get(f, "a.pdf")[0].error == "文件已损坏"


def test_progress_events(folder, tmp_path):
    events = []
    c = ReadCache(tmp_path / "c", on_event=lambda kind, data: events.append((kind, data.get("rel"))))
    read_folder(folder, cache=c)
    assert events == [("file_start", "方案.docx"), ("file_done", "方案.docx"),
                      ("file_start", "说明.txt"), ("file_done", "说明.txt")]


def test_reader_version_covers_readers_not_extraction():
    files = {p.as_posix().split("/")[-2] + "/" + p.name for p in import_closure(
        ["consortium_review.extractors.read", "consortium_review.extractors.readers.docx", "consortium_review.extractors.readers.text"])}
    assert {"extractors/read.py", "readers/docx.py", "readers/text.py", "extractors/textclean.py",
            "consortium_review/models.py"} <= files
    assert "extractors/evidence.py" not in files    # improving extraction keeps the read cache
    assert len(reader_code_version()) == 24


def test_hash_tree_sees_every_edit(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "sub" / "b.py").write_text("y = 2\n")
    h1 = hash_tree([pkg])
    (pkg / "sub" / "b.py").write_text("y = 3\n")
    h2 = hash_tree([pkg])
    (pkg / "sub" / "c.py").write_text("")
    h3 = hash_tree([pkg])
    assert len({h1, h2, h3}) == 3


def test_fingerprint_and_reasons(folder, tmp_path):
    from consortium_review import DEFAULT_STANDARD
    from consortium_review.catalogue import catalogue_from_dict

    import yaml

    cat = load_catalogue()
    files = input_files(folder)
    fp, parts = consortium_fingerprint(files, cat, render=True)
    assert consortium_fingerprint(input_files(folder), cat, render=True)[0] == fp
    assert consortium_fingerprint(files, cat, render=False)[0] != fp
    (folder / "新增.txt").write_text("补充", encoding="utf-8")
    fp2, parts2 = consortium_fingerprint(input_files(folder), cat, render=True)
    assert fp2 != fp
    assert change_reasons(parts, parts2) == ["新增文件：新增.txt"]
    data = yaml.safe_load(Path(DEFAULT_STANDARD).read_text(encoding="utf-8"))
    data["points"][0]["keywords"] = list(data["points"][0]["keywords"]) + ["另一个说法"]
    cat2 = catalogue_from_dict(data)
    fp3, parts3 = consortium_fingerprint(input_files(folder), cat2, render=True)
    assert fp3 != fp2 and change_reasons(parts2, parts3) == ["指标体系已变化"]


def test_result_store_notices_edited_outputs(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "evidence.json").write_text("{}", encoding="utf-8")
    (out / "证据清单.xlsx").write_bytes(b"v1")
    store = ResultStore(tmp_path / "cache")
    result = {"ok": True, "summary": {"outputs": ["evidence.json", "证据清单.xlsx"]}}
    store.save("甲", "fp1", out, result, {"files": {}})
    got, reasons = store.lookup("甲", "fp1", out)
    assert got["result"] == result and reasons == []
    assert store.lookup("甲", "fp2", out)[0] is None
    (out / "证据清单.xlsx").write_bytes(b"expert edited")
    got, reasons = store.lookup("甲", "fp1", out)
    assert got is None and "证据清单.xlsx" in reasons[0]
    (out / "证据清单.xlsx").unlink()
    assert store.lookup("甲", "fp1", out)[0] is None


def test_old_reader_versions_are_pruned(folder, tmp_path, monkeypatch):
    from consortium_review.cache import prune_read_cache

    monkeypatch.setattr(cache_mod, "reader_code_version", lambda: "old-version")
    old = ReadCache(tmp_path / "c")
    read_folder(folder, cache=old)
    monkeypatch.undo()
    new = ReadCache(tmp_path / "c")
    read_folder(folder, cache=new)
    versions = {p.name for p in (tmp_path / "c" / "reads").iterdir()}
    assert versions == {old.version, new.version} and old.version != new.version
    assert prune_read_cache(tmp_path / "c", keep={new.version}) == 1
    assert {p.name for p in (tmp_path / "c" / "reads").iterdir()} == {new.version}
    again = ReadCache(tmp_path / "c")
    read_folder(folder, cache=again)
    assert again.hits == 2


def test_rules_file_is_part_of_the_fingerprint(folder, tmp_path):
    """Other conclusion rules (review --rules) re-review: conclusions depend on them."""
    cat = load_catalogue()
    files = input_files(folder)
    fp0, parts0 = consortium_fingerprint(files, cat, render=True, settings_hashes=Settings().hashes())
    rules = tmp_path / "规则.yaml"
    rules.write_text("coverage_bar: 50\n", encoding="utf-8")
    run = Settings(assess=load_settings(rules))
    fp1, parts1 = consortium_fingerprint(files, cat, render=True, settings_hashes=run.hashes())
    assert fp1 != fp0 and change_reasons(parts0, parts1) == ["评审规则或运行设置已变化"]
    rules.write_text("coverage_bar: 70\n", encoding="utf-8")
    other = Settings(assess=load_settings(rules)).hashes()
    assert consortium_fingerprint(files, cat, render=True, settings_hashes=other)[0] not in (fp0, fp1)
    rules.write_text("coverage_bar: 50\n", encoding="utf-8")
    again = Settings(assess=load_settings(rules)).hashes()
    assert consortium_fingerprint(files, cat, render=True, settings_hashes=again)[0] == fp1
    # the extraction knobs count too; the read settings say "读取…设置已更新"
    tuned = Settings(extract=ExtractSettings(keyword_window=61)).hashes()
    assert consortium_fingerprint(files, cat, render=True, settings_hashes=tuned)[0] != fp0
    capped = Settings(read=ReadSettings(max_ocr_pages=0)).hashes()
    fp2, parts2 = consortium_fingerprint(files, cat, render=True, settings_hashes=capped)
    assert fp2 != fp0 and change_reasons(parts0, parts2) == ["读取程序或其设置已更新"]


def test_read_settings_key_the_read_cache(folder, tmp_path):
    """Another OCR page cap never serves reads made under the old one (CR_MAX_OCR_PAGES was not
    part of the key)."""
    root = tmp_path / "c"
    first = ReadCache(root)
    read_folder(folder, cache=first)
    assert first.misses == 2
    same = ReadCache(root, read_settings=ReadSettings())
    read_folder(folder, cache=same)
    assert same.hits == 2
    capped = ReadCache(root, read_settings=ReadSettings(max_ocr_pages=0))
    assert capped.version != first.version
    read_folder(folder, cache=capped, settings=ReadSettings(max_ocr_pages=0))
    assert capped.hits == 0 and capped.misses == 2
