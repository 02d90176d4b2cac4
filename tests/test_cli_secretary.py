"""A secretary's first day (issue 16): single-folder runs that never read their own output,
the report year, and every message a new user meets — each on real files made here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from consortium_review.cli import build_parser, main
from consortium_review.extractors.read import iter_files, read_file
from consortium_review.fileio import OUTPUT_DIR_MARKER, is_generated, mark_generated

SUMMARY = ["滨江产教联合体2024年度工作总结",
           "2024年度，联合体共建实训基地23个，开展订单培养学生120人。",
           "联合体理事会每年召开全体会议2次。"]


def make_docx(path: Path, paragraphs: list[str]) -> Path:
    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))
    return path


def materials(tmp_path: Path, name: str = "滨江联合体", paragraphs=None, file: str = "工作总结.docx") -> Path:
    folder = tmp_path / name
    make_docx(folder / file, paragraphs or SUMMARY)
    return folder


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([*argv])
    out = capsys.readouterr()
    return code, out.out, out.err


# ------------------------------------------------------------------ 1. own output is never material

def test_output_inside_materials_is_excluded_and_rerun_gives_identical_evidence(tmp_path, capsys):
    folder = materials(tmp_path)
    out = folder / "结果"
    code, text, _ = run(capsys, "review", str(folder), "-o", str(out), "--workers", "1")
    assert code == 0, text
    ev_path = out / folder.name / "evidence.json"
    first = ev_path.read_bytes()
    assert [d["file"] for d in json.loads(first)["documents"]] == ["工作总结.docx"]
    written = sorted(p.name for p in (out / folder.name).iterdir())
    assert any(n.endswith("评审意见.docx") for n in written) and any(n.endswith("证据清单.xlsx") for n in written)
    assert (out / OUTPUT_DIR_MARKER).is_file()

    # the review's own files copied among the materials are recognised by their marker
    for p in (out / folder.name).iterdir():
        if p.suffix in (".docx", ".xlsx", ".png", ".json"):
            assert is_generated(p), p.name
            (folder / "佐证").mkdir(exist_ok=True)
            (folder / "佐证" / p.name).write_bytes(p.read_bytes())
    assert [p.name for p in iter_files(folder)] == ["工作总结.docx"]

    code, text, _ = run(capsys, "review", str(folder), "-o", str(out), "--workers", "1")
    assert code == 0
    assert "材料 1 份" in text or "沿用上次结果" in text
    assert ev_path.read_bytes() == first
    code, text, _ = run(capsys, "review", str(folder), "-o", str(out), "--workers", "1", "--force")
    assert code == 0 and "材料 1 份" in text and "缓存命中 0/1" in text
    assert ev_path.read_bytes() == first                      # --force too: same materials, same evidence


def test_default_output_is_never_inside_the_materials_folder(tmp_path, capsys, monkeypatch):
    folder = materials(tmp_path)
    monkeypatch.chdir(folder)                               # 「cd 材料 && consortium-review review .」
    before = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
    code, text, _ = run(capsys, "review", ".", "--workers", "1", "--no-render")
    assert code == 0
    assert "材料文件夹内不写入结果" in text
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == before
    assert (tmp_path / f"{folder.name}-评审结果" / folder.name / "evidence.json").is_file()


def test_output_folder_equal_to_materials_is_refused(tmp_path, capsys):
    folder = materials(tmp_path)
    code, _, err = run(capsys, "review", str(folder), "-o", str(folder))
    assert code == 2 and "输出文件夹不能就是材料文件夹" in err


def test_marker_keeps_documents_valid(tmp_path):
    d = make_docx(tmp_path / "a.docx", ["正文"])
    wb = openpyxl.Workbook()
    wb.active["A1"] = "x"
    wb.save(tmp_path / "b.xlsx")
    assert not is_generated(d) and not is_generated(tmp_path / "b.xlsx")
    mark_generated(d)
    mark_generated(tmp_path / "b.xlsx")
    mark_generated(d)                                       # idempotent
    assert is_generated(d) and is_generated(tmp_path / "b.xlsx")
    assert docx.Document(str(d)).paragraphs[0].text == "正文"
    assert openpyxl.load_workbook(tmp_path / "b.xlsx").active["A1"].value == "x"
    with zipfile.ZipFile(d) as z:
        assert z.read("docProps/custom.xml").count(b"consortium-review") == 1
        assert b"custom-properties" in z.read("[Content_Types].xml")


def test_single_folder_uses_cache_and_run_log(tmp_path, capsys):
    folder = materials(tmp_path)
    out = tmp_path / "out"
    run(capsys, "review", str(folder), "-o", str(out), "--no-render", "--workers", "1")
    code, text, _ = run(capsys, "review", str(folder), "-o", str(out), "--no-render", "--workers", "1")
    assert code == 0 and "未变化，沿用上次结果" in text
    assert (out / ".cache").is_dir() and "沿用上次结果" in (out / "run.log").read_text(encoding="utf-8")


def test_workers_read_one_consortiums_files_in_parallel(tmp_path, capsys):
    folder = materials(tmp_path)
    make_docx(folder / "章程.docx", ["联合体章程", "理事会每年召开全体会议2次。"])
    out = tmp_path / "out"
    code, text, _ = run(capsys, "review", str(folder), "-o", str(out), "--no-render", "--workers", "2")
    assert code == 0 and "材料 2 份" in text
    ev = json.loads((out / folder.name / "evidence.json").read_text(encoding="utf-8"))
    assert [d["file"] for d in ev["documents"]] == ["工作总结.docx", "章程.docx"]
    assert all(d["status"] == "ok" for d in ev["documents"])


# ------------------------------------------------------------------ 2. the report year

def test_year_from_file_name_is_printed_with_its_source(tmp_path, capsys):
    folder = materials(tmp_path, file="2024年度工作总结.docx")
    code, text, _ = run(capsys, "review", str(folder), "-o", str(tmp_path / "o"), "--no-render", "--workers", "1")
    assert code == 0
    assert "报告年度：2024（依据：文件名中的「2024年度」；可用 --year 指定）" in text
    ev = json.loads((tmp_path / "o" / folder.name / "evidence.json").read_text(encoding="utf-8"))
    assert ev["report_year"] == {"year": 2024, "source": "文件名中的「2024年度」"}


def test_year_option_wins_and_changes_the_fingerprint(tmp_path, capsys):
    folder = materials(tmp_path)
    out = tmp_path / "o"
    run(capsys, "review", str(folder), "-o", str(out), "--no-render", "--workers", "1")
    code, text, _ = run(capsys, "review", str(folder), "-o", str(out), "--no-render", "--workers", "1",
                        "--year", "2025")
    assert code == 0 and "沿用上次结果" not in text
    assert "报告年度：2025（依据：用户指定（--year）" in text
    ev = json.loads((out / folder.name / "evidence.json").read_text(encoding="utf-8"))
    assert ev["report_year"]["year"] == 2025


def test_bad_year_is_a_chinese_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["review", "--year", "明年"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "参数 --year 的值无效" in err or "应为四位年份" in err
    assert "error" not in err and "usage" not in err


def test_year_without_any_year_word_is_never_a_constant(tmp_path, capsys):
    """No 「20xx年度」 anywhere: the year the text names, printed with that reason."""
    folder = materials(tmp_path, paragraphs=["联合体工作总结", "2025年联合培养订单班学生350人。",
                                             "2025年新增实训基地3个。"])
    code, text, _ = run(capsys, "review", str(folder), "-o", str(tmp_path / "o"), "--no-render", "--workers", "1")
    assert code == 0
    assert "报告年度：2025（依据：材料中提及最多的年份（2025年）" in text


def test_previous_year_words_follow_the_report_year():
    from consortium_review.extractors.context import number_modality

    s = "2024年新增实训基地5个"
    i = s.index("5")
    assert number_modality(s, i, i + 2, 2025).previous          # last year in a 2025 report
    assert not number_modality(s, i, i + 2, 2024).previous      # this year in a 2024 report
    s = "较2024年的17个增加到23个"
    i = s.index("17")
    assert number_modality(s, i, i + 3, 2025).previous


def test_year_reaches_extraction(tmp_path):
    """「2025年…350人」 is an achievement in a 2025 report, a plan target in a 2024 one."""
    from consortium_review.catalogue import load_catalogue
    from consortium_review.pipeline import review_consortium

    folder = materials(tmp_path, paragraphs=["联合体工作总结", "2025年联合培养订单班学生350人。"])
    cat = load_catalogue(None)
    code = next(p.code for p in cat.points if p.name.startswith("订单培养"))
    for year, found in ((2025, True), (2024, False)):
        review_consortium(folder, tmp_path / f"o{year}", cat, render=False, year=year)
        ev = json.loads((tmp_path / f"o{year}" / "evidence.json").read_text(encoding="utf-8"))
        pt = next(p for p in ev["points"] if p["code"] == code)
        assert (pt["value"] == 350) is found, pt


# ------------------------------------------------------------------ 4. messages and exit codes

ENGLISH = ("usage:", "options:", "positional arguments", "show this help", "error:", "the following",
           "optional arguments", "show program")


@pytest.mark.parametrize("argv", [[], ["review"], ["standard"], ["watch"], ["datasheet"], ["annual"]])
def test_help_is_all_chinese(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("用法：")
    assert "选项：" in text and "显示本帮助并退出" in text
    for word in ENGLISH:
        assert word not in text.lower(), word


@pytest.mark.parametrize("argv,expect", [
    (["review", "--bogus"], "无法识别的参数：--bogus"),
    (["review", "-o"], "参数 -o/--output 后面需要一个值"),
    (["frobnicate"], "无效的选项"),
    (["review", "--single", "--batch"], "不能与"),
    (["review", "--workers", "0"], "应为正整数"),
])
def test_usage_errors_are_chinese(argv, expect, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert expect in err and "错误：" in err
    for word in ENGLISH:
        assert word not in err.lower(), word


def test_a_file_instead_of_a_folder_says_so(tmp_path, capsys):
    f = make_docx(tmp_path / "总结.docx", ["x"])
    for cmd in ("review", "annual"):
        code, _, err = run(capsys, cmd, str(f))
        assert code == 2 and "是一个文件，不是文件夹" in err and "找不到" not in err


def test_empty_folder_is_an_error(tmp_path, capsys):
    empty = tmp_path / "空文件夹"
    empty.mkdir()
    (empty / ".DS_Store").write_bytes(b"junk")
    for cmd in ("review", "annual"):
        code, out, err = run(capsys, cmd, str(empty), "-o", str(tmp_path / "o"))
        assert code == 2 and "是空的" in err, (cmd, out, err)
    assert not list(tmp_path.glob("o/**/*.docx"))


def test_missing_folder(tmp_path, capsys):
    code, _, err = run(capsys, "review", str(tmp_path / "没有"))
    assert code == 2 and "找不到材料文件夹" in err


def test_verbose_after_the_subcommand():
    parser = build_parser()
    assert parser.parse_args(["review", "-v"]).verbose is True
    assert parser.parse_args(["-v", "review"]).verbose is True
    assert parser.parse_args(["review"]).verbose is False
    assert parser.parse_args(["standard", "--verbose"]).verbose is True


def test_closed_pipe_is_quiet():
    """「consortium-review standard | head」: the reader goes away, no traceback."""
    r, w = os.pipe()
    os.close(r)                                      # the reader is gone before the first write
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    proc = subprocess.run([sys.executable, "-m", "consortium_review", "standard"], stdout=w,
                          stderr=subprocess.PIPE, env=env, timeout=120)
    os.close(w)
    err = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert proc.returncode == 0


@pytest.mark.parametrize("workers", ["1", "2"])
def test_read_failure_prints_once_in_chinese(tmp_path, capfd, workers):
    folder = materials(tmp_path)
    (folder / "坏文件.docx").write_bytes(b"PK\x03\x04 not really a zip")
    code = main(["review", str(folder), "-o", str(tmp_path / "o"), "--no-render", "--workers", workers])
    out, err = capfd.readouterr()          # reader processes write to the real stderr
    assert code == 0
    text = out + err
    assert text.count("坏文件.docx") == 1, text
    assert "WARNING" not in text


def test_extension_mismatch_is_noted(tmp_path, capsys):
    folder = materials(tmp_path)
    (folder / "会议纪要.pdf").write_text("理事会会议纪要：全年召开理事会会议2次。\n", encoding="utf-8")
    docs = read_file(folder / "会议纪要.pdf", "会议纪要.pdf")
    assert docs[0].status == "ok" and docs[0].format == "txt"
    assert docs[0].warnings[0].startswith("扩展名不符：文件名为 .pdf，内容实为纯文本")
    code, out, _ = run(capsys, "review", str(folder), "-o", str(tmp_path / "o"), "--no-render", "--workers", "1")
    assert code == 0 and "会议纪要.pdf：扩展名不符" in out
    assert not read_file(folder / "工作总结.docx", "工作总结.docx")[0].warnings


def test_zip_counts_once_with_members_under_it(tmp_path, capsys):
    folder = materials(tmp_path)
    inner = make_docx(tmp_path / "tmp" / "章程.docx", ["联合体章程"])
    with zipfile.ZipFile(folder / "佐证材料.zip", "w") as z:
        z.write(inner, "章程.docx")
        z.write(inner, "纪要/纪要.docx")
    code, out, _ = run(capsys, "review", str(folder), "-o", str(tmp_path / "o"), "--no-render", "--workers", "1")
    assert code == 0
    assert "材料 2 份（含压缩包内文件 2 份）" in out, out
    ev = json.loads((tmp_path / "o" / folder.name / "evidence.json").read_text(encoding="utf-8"))
    assert sorted(d["file"] for d in ev["documents"]) == ["佐证材料.zip", "佐证材料.zip/章程.docx",
                                                          "佐证材料.zip/纪要/纪要.docx", "工作总结.docx"]


def test_standard_xlsx_round_trip_from_the_cli(tmp_path, capsys):
    from consortium_review.catalogue import load_catalogue

    out = tmp_path / "指标.xlsx"
    code, text, _ = run(capsys, "standard", "--xlsx", str(out))
    assert code == 0
    header = [c.value for c in openpyxl.load_workbook(out)["观测点"][1]]
    assert header[:3] == ["编号", "名称", "取值类型"]
    assert load_catalogue(out).points == load_catalogue(None).points
    code, text, _ = run(capsys, "standard", "--standard", str(out))
    assert code == 0 and "116 个观测点" in text


def test_rules_help_does_not_point_into_source():
    help_text = build_parser()._subparsers._group_actions[0].choices["review"].format_help()
    assert ".py" not in help_text and "README" in help_text


# ------------------------------------------------------------------ 3. annual next to review

def test_annual_never_overwrites_the_review_and_keeps_expert_decisions(tmp_path, capsys):
    folder = materials(tmp_path, file="2024年度工作总结.docx")
    out = tmp_path / "结果"
    assert run(capsys, "review", str(folder), "-o", str(out), "--no-render", "--workers", "1")[0] == 0
    review_ev = out / folder.name / "evidence.json"
    ev = json.loads(review_ev.read_text(encoding="utf-8"))
    code = ev["points"][0]["code"]
    ev["points"][0]["expert"] = {"status": "found", "value": "是", "comment": "现场核实"}
    review_ev.write_text(json.dumps(ev, ensure_ascii=False), encoding="utf-8")
    before = review_ev.read_bytes()

    rc, text, _ = run(capsys, "annual", str(folder), "-o", str(out))
    assert rc == 0, text
    assert review_ev.read_bytes() == before                     # the review's file is untouched
    annual_dir = out / folder.name / "年度报告"
    assert sorted(p.suffix for p in annual_dir.iterdir() if not p.name.startswith(".")).count(".docx") == 1
    assert "年度：2024（依据：文件名中的「2024年度」）" in text
    assert "沿用评审证据清单中的专家判定 1 项" in text
    data = json.loads((annual_dir / "年度数据.json").read_text(encoding="utf-8"))
    assert next(p for p in data["points"] if p["code"] == code)["expert"]["comment"] == "现场核实"
    report = next(annual_dir.glob("*.docx"))
    assert is_generated(report)
    # a second review does not read the annual outputs either
    rc, text, _ = run(capsys, "review", str(folder), "-o", str(out), "--no-render", "--workers", "1")
    assert rc == 0 and ("材料 1 份" in text or "沿用上次结果" in text)


def test_annual_output_is_a_folder(tmp_path, capsys):
    folder = materials(tmp_path)
    rc, _, err = run(capsys, "annual", str(folder), "-o", str(tmp_path / "报告.docx"))
    assert rc == 2 and "-o 应为输出文件夹" in err
    assert list(tmp_path.iterdir()) == [folder]                 # nothing scattered


def test_previous_compares_with_what_last_years_report_used(tmp_path):
    from consortium_review.catalogue import load_catalogue
    from consortium_review.annual import load_previous
    from consortium_review.generator.annual_data import ANNUAL_JSON

    cat = load_catalogue(None)
    code = cat.points[0].code
    last = tmp_path / "上年" / "滨江" / "年度报告"
    last.mkdir(parents=True)
    doc_side = {"schema": "consortium-review/evidence/1", "points": [{"code": code, "value": 5}],
                "annual": {"year": 2024}}
    sheet_side = {"schema": "consortium-review/evidence/1", "points": [{"code": code, "value": 7}],
                  "annual": {"year": 2024}}
    (last / "evidence.json").write_text(json.dumps(doc_side), encoding="utf-8")
    (last / ANNUAL_JSON).write_text(json.dumps(sheet_side), encoding="utf-8")
    for given in (last / "evidence.json", last, last.parent):
        prev = load_previous(given, cat)
        assert prev.point(code)["value"] == 7, given


# ------------------------------------------------------------------ 6. the README a secretary reads

def test_readme_for_a_secretary():
    from consortium_review import ROOT

    if ROOT is None:
        pytest.skip("not a source checkout")
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = text.split("```bash\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(first_block) == 2
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert first_block[1] in ci                                     # CI runs the README's test command
    assert "consortium_review review" in first_block[0]
    secretary = text[: text.index("开发者")]
    for must in ("Python 3.11", "LibreOffice", "GB", "虚拟环境", "填好的数据采集表放进该联合体的材料文件夹",
                 "年度报告/", "评审意见.docx", "证据清单.xlsx"):
        assert must in secretary, must
    assert "../shared" not in secretary                              # a clone alone has no ../shared
    assert "## 建议结论规则" in text                                   # where --rules help points
    # every developer section says what it needs
    for heading in ("## 准确度（开发者）", "## 性能（开发者）", "## 结构（开发者）"):
        assert "**需要**" in text.split(heading, 1)[1][:200], heading


def test_annual_read_failure_prints_once(tmp_path, capsys):
    import logging

    from consortium_review.cli import setup_logging

    folder = materials(tmp_path)
    (folder / "坏文件.docx").write_bytes(b"PK\x03\x04 not really a zip")
    root = logging.getLogger()
    saved = root.handlers[:]
    handler = logging.StreamHandler(sys.stderr)
    root.handlers = [handler]
    try:
        setup_logging(False)
        code = main(["annual", str(folder), "-o", str(tmp_path / "o")])
    finally:
        root.handlers = saved
    out = capsys.readouterr()
    text = out.out + out.err
    assert code == 0
    assert text.count("坏文件.docx") == 1, text
    assert "WARNING" not in text
