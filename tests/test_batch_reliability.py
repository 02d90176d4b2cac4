"""Reliability suite for batch review (issue 7).

One batch mixes good consortia (docx + xlsx made here, a PDF when LibreOffice is installed)
with bad files (zero-byte, corrupt, encrypted, zip bomb, wrong extension, hostile text), a
consortium with only unreadable files and two consortia whose worker is made to fail (one
raises, one is killed outright). Checked: every good consortium's outputs are complete and
valid, every bad file is reported with a reason (evidence.json, run.log, 汇总.xlsx), inputs
are untouched, the exit code counts the failures, and a second run is served from the
caches with identical evidence.json files; adding a file re-reads only that file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from consortium_review import cli
from consortium_review.batch import review_batch
from consortium_review.catalogue import load_catalogue
from consortium_review.evidence_json import validate
from fault_worker import FAULTS_ENV as FAULT_ENV, install as install_faults

ROOT = Path(__file__).resolve().parent.parent

GOOD_A = "甲市域产教联合体"
HOSTILE = "=HYPERLINK(1)&{{x}}联合体"        # hostile folder name: formula, template, XML chars
MIXED = "丙市域产教联合体"
ALL_BAD = "丁全部无法读取"
CRASH_EXIT = "戊进程崩溃联合体"
CRASH_RAISE = "己异常联合体"

HOSTILE_TEXT = "公司名称 & <script>alert(1)</script> {{ evil }} {% for x in y %} =cmd|' /C calc'!A0"


# --------------------------------------------------------------------------- file makers

def make_docx(path: Path, paragraphs: list[str], table: list[list[str]] | None = None) -> None:
    import docx

    d = docx.Document()
    d.add_heading("一、建设基本情况", level=1)
    for t in paragraphs:
        d.add_paragraph(t)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for i, row in enumerate(table):
            for j, v in enumerate(row):
                t.cell(i, j).text = v
    d.save(str(path))


def make_xlsx(path: Path, rows: list[list]) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评表"
    for r in rows:
        ws.append(r)
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and c.value.startswith("="):
                c.data_type = "s"        # a text cell that looks like a formula
    wb.save(str(path))


def make_zip_bomb(path: Path, mb: int = 64) -> None:
    """A zip whose one member expands ~1000:1 (64 MB of zeros in ~64 KB)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("材料.txt", "w") as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(mb):
                f.write(chunk)


def make_encrypted_docx(path: Path, plain: Path) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    with open(plain, "rb") as f, open(path, "wb") as out:
        OOXMLFile(f).encrypt("secret", out)


def soffice_pdf(docx_path: Path, workdir: Path) -> Path | None:
    """Convert with LibreOffice when installed (private profile, bounded time); else None."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        return None
    profile = (workdir / "lo-profile").resolve().as_uri()
    try:
        subprocess.run([exe, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(workdir), str(docx_path)], capture_output=True, timeout=180, check=False)
    except (subprocess.TimeoutExpired, OSError):
        return None
    pdf = workdir / (docx_path.stem + ".pdf")
    return pdf if pdf.is_file() and pdf.stat().st_size > 0 else None


GOOD_PARAS = [
    "牵头企业近三年在产教融合领域累计投入资金320万元，用于共建生产性实训基地。",
    "园区牵头成立了由政府、企业、学校、科研机构等多方参与的理事会，理事长单位为园区管委会。",
    "2024年发布核心产品清单2次，发布技术需求清单3次。",
]
GOOD_TABLE = [["指标", "数值", "单位"], ["企业兼职教师", "45", "人"], ["共建实训基地", "6", "个"]]
SHEET_ROWS = [["观测点编号", "观测点", "自评值", "说明"],
              ["3.2.1", "牵头企业近三年在产教融合领域的总投入（万元）", 320, "见年度总结"],
              ["5.1.1", "园区牵头成立多方参与的理事会", "是", "已成立"]]


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    """The input batch (built once per module) and the expected outcome of each file."""
    from consortium_review import DEFAULT_STANDARD

    base = tmp_path_factory.mktemp("season")
    # a private copy of the catalogue: every run of the suite sees the same one
    standard = base / "standard.yaml"
    shutil.copy(DEFAULT_STANDARD, standard)
    src = base / "in"
    work = base / "work"
    work.mkdir()
    bad: dict[tuple[str, str], str] = {}      # (consortium, file) -> kind of badness
    good: dict[str, list[str]] = {}           # consortium -> files that must read fine

    a = src / GOOD_A
    a.mkdir(parents=True)
    make_docx(a / "建设方案.docx", GOOD_PARAS, GOOD_TABLE)
    make_xlsx(a / "自评表.xlsx", SHEET_ROWS)
    (a / "佐证材料").mkdir()
    make_docx(a / "佐证材料" / "理事会章程.docx", ["第一条 理事会由政府、企业、学校代表组成。"])
    good[GOOD_A] = ["建设方案.docx", "自评表.xlsx", "佐证材料/理事会章程.docx"]
    make_docx(work / "2024年度工作总结.docx",
              ["2024年度工作总结", "牵头企业近三年累计投入产教融合资金320万元。"] + GOOD_PARAS, GOOD_TABLE)
    pdf = soffice_pdf(work / "2024年度工作总结.docx", work)
    if pdf is not None:
        shutil.copy(pdf, a / "2024年度工作总结.pdf")
        good[GOOD_A].append("2024年度工作总结.pdf")

    h = src / HOSTILE
    h.mkdir()
    make_docx(h / "说明.docx", [HOSTILE_TEXT, "牵头企业近三年累计投入产教融合资金150万元。"],
              [["名称", "内容"], ["=cmd|' /C calc'!A0", "<b>&amp;</b> {{ x }}"]])
    make_xlsx(h / "数据.xlsx", [["项目", "内容"], ["=1+1", HOSTILE_TEXT], ["=HYPERLINK(\"http://x\")", "{{ y }}"]])
    (h / "备注.txt").write_bytes(("备注\x0b第二行 & <x> {{ z }}\n=SUM(A1:A2)\n" + HOSTILE_TEXT + "\n").encode("utf-8"))
    good[HOSTILE] = ["说明.docx", "数据.xlsx", "备注.txt"]

    m = src / MIXED
    m.mkdir()
    make_docx(m / "建设方案.docx", GOOD_PARAS, GOOD_TABLE)
    good[MIXED] = ["建设方案.docx"]
    (m / "空文件.pdf").write_bytes(b"")
    bad[(MIXED, "空文件.pdf")] = "zero-byte"
    full = (m / "建设方案.docx").read_bytes()
    (m / "损坏.docx").write_bytes(full[: len(full) // 2])
    bad[(MIXED, "损坏.docx")] = "corrupt"
    make_encrypted_docx(m / "加密.docx", m / "建设方案.docx")
    bad[(MIXED, "加密.docx")] = "encrypted"
    make_zip_bomb(m / "炸弹.zip")
    bad[(MIXED, "炸弹.zip")] = "zip bomb"
    # wrong extensions: read by content when the content is readable, else reported
    shutil.copy(m / "建设方案.docx", m / "实为Word.pdf")
    (m / "报告.pdf").write_text("这其实是一个文本文件，扩展名却是 pdf。", encoding="utf-8")
    good[MIXED] += ["实为Word.pdf", "报告.pdf"]
    (m / "程序.docx").write_bytes(b"MZ\x90\x00" + os.urandom(1000))
    bad[(MIXED, "程序.docx")] = "wrong extension, unreadable content"
    (m / "工具.exe").write_bytes(b"MZ\x90\x00" + os.urandom(200))
    bad[(MIXED, "工具.exe")] = "unsupported type"
    (m / "乱码.xlsx").write_bytes(os.urandom(4096))
    bad[(MIXED, "乱码.xlsx")] = "random bytes"

    d = src / ALL_BAD
    d.mkdir()
    (d / "空.docx").write_bytes(b"")
    (d / "坏表.xlsx").write_bytes(b"PK\x03\x04" + os.urandom(2000))
    bad[(ALL_BAD, "空.docx")] = "zero-byte"
    bad[(ALL_BAD, "坏表.xlsx")] = "corrupt"

    for name in (CRASH_EXIT, CRASH_RAISE):
        c = src / name
        c.mkdir()
        make_docx(c / "建设方案.docx", GOOD_PARAS)
    return {"src": src, "good": good, "bad": bad, "base": base, "standard": standard}


def tree_hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def evidence_bytes(out: Path, names) -> dict[str, bytes]:
    return {n: (out / n / "evidence.json").read_bytes() for n in names}


def check_outputs_open(out_dir: Path, names: list[str]) -> None:
    """Every output the pipeline reported exists and opens in its own library."""
    assert "evidence.json" in names
    for n in names:
        p = out_dir / n
        assert p.is_file() and p.stat().st_size > 0, f"output {n} missing in {out_dir}"
        if p.suffix == ".docx":
            import docx

            docx.Document(str(p))
        elif p.suffix == ".xlsx":
            import openpyxl

            openpyxl.load_workbook(p).close()
        elif p.suffix == ".png":
            from PIL import Image

            with Image.open(p) as im:
                im.verify()
        elif p.suffix == ".json":
            json.loads(p.read_text(encoding="utf-8"))
    assert not list(out_dir.rglob(".~*.tmp")), "temp files left behind"


def expected_renderer_modules() -> list[str]:
    """Renderer modules of the pipeline that exist (each must contribute an output)."""
    import importlib.util

    from consortium_review.pipeline import RENDERERS

    return [s.split(":")[0] for s in RENDERERS if importlib.util.find_spec(s.split(":")[0]) is not None]


# --------------------------------------------------------------------------- the suite

def test_batch_season_reliability(season, tmp_path, monkeypatch):
    src, good, bad = season["src"], season["good"], season["bad"]
    catalogue = load_catalogue(season["standard"])
    out = tmp_path / "out"
    before = tree_hashes(src)
    monkeypatch.setenv(FAULT_ENV, f"{CRASH_EXIT}:exit;{CRASH_RAISE}:raise")
    install_faults(monkeypatch)

    # ---- run 1: spawn workers, one worker killed, one raising
    res = review_batch(src, out, catalogue, workers=2, live=False, stream=io.StringIO())
    assert sorted(res.failed) == sorted([ALL_BAD, CRASH_EXIT, CRASH_RAISE])
    assert res.exit_code == 3
    assert sorted(res.reviewed) == sorted(list(good) + [ALL_BAD, CRASH_EXIT, CRASH_RAISE])
    assert res.entry(CRASH_EXIT)["problems"] and "进程意外退出" in res.entry(CRASH_EXIT)["problems"][0]
    assert "注入的故障" in res.entry(CRASH_RAISE)["problems"][0]

    renderers = expected_renderer_modules()
    for name, files in good.items():
        e = res.entry(name)
        assert e["status"] in ("ok", "warn"), (name, e["problems"])
        data = json.loads((out / name / "evidence.json").read_text(encoding="utf-8"))
        assert validate(data, catalogue) == [], name
        docs = {d["file"]: d for d in data["documents"]}
        for f in files:
            assert docs[f]["status"] in ("ok", "ocr"), (name, f, docs[f]["error"])
            assert docs[f]["error"] is None
        if name == MIXED:       # format detected from content, not from the extension
            assert docs["实为Word.pdf"]["format"] == "docx"
            assert docs["报告.pdf"]["format"] == "txt"
        outputs = e["summary"]["outputs"]
        check_outputs_open(out / name, outputs)
        assert len(outputs) >= 1 + len(renderers), (name, outputs, renderers)
        assert not e["summary"]["errors"], e["summary"]["errors"]

    # every bad file: a reason in evidence.json, run.log and 汇总.xlsx
    runlog = (out / "run.log").read_text(encoding="utf-8")
    import openpyxl

    wb = openpyxl.load_workbook(out / "汇总.xlsx")
    problems = {(r[0], r[2]): r[3] for r in wb["材料问题"].iter_rows(min_row=2, values_only=True)}
    for (name, f), kind in bad.items():
        data = json.loads((out / name / "evidence.json").read_text(encoding="utf-8"))
        assert validate(data, catalogue) == []
        doc = next(d for d in data["documents"] if d["file"] == f or d["file"].startswith(f + "/"))
        assert doc["status"] in ("error", "skipped") and doc["error"], (kind, f, doc)
        assert f"{f}：{doc['error']}" in runlog, (kind, f)
        assert problems.get((name, f)) == doc["error"], (kind, f, problems.get((name, f)))
    for name in (ALL_BAD, CRASH_EXIT, CRASH_RAISE):
        assert any(k[0] == name and k[1] == "（整体）" for k in problems), name

    # the summary sheet: one row per consortium, failures marked, hostile name kept as text
    ws = wb["汇总"]
    header = [c.value for c in ws[1]]
    rows = {r[1]: dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == set(good) | {ALL_BAD, CRASH_EXIT, CRASH_RAISE}
    assert rows[CRASH_EXIT]["处理状态"] == "失败" and "进程意外退出" in rows[CRASH_EXIT]["处理问题"]
    assert rows[ALL_BAD]["处理状态"] == "失败"
    assert rows[GOOD_A]["处理状态"] == "完成"
    assert rows[MIXED]["处理状态"] == "需关注" and rows[MIXED]["读取失败"] == len([k for k in bad if k[0] == MIXED])
    cov_cols = [h for h in header if h.endswith("覆盖率(%)") and h != "总体覆盖率(%)"]
    assert len(cov_cols) == len({p.level2_code for p in catalogue.points})
    hostile_cell = next(c for c in ws["B"] if c.value == HOSTILE)
    assert hostile_cell.data_type == "s"
    with zipfile.ZipFile(out / "汇总.xlsx") as z:
        assert not any("<f>" in z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert any(img for img in wb["覆盖率热力图"]._images)
    import docx

    text = "\n".join(p.text for p in docx.Document(str(out / "汇总说明.docx")).paragraphs)
    assert f"本次共处理 {len(rows)} 个联合体" in text and f"失败 3 个" in text

    assert tree_hashes(src) == before, "input files were modified"
    first = evidence_bytes(out, good)

    # ---- run 2 (CLI, in-process, faults still on): unchanged consortia come from the cache
    rc = cli.main(["review", str(src), "-o", str(out), "--workers", "1", "--standard", str(season["standard"])])
    assert rc == 3
    runlog2 = (out / "run.log").read_text(encoding="utf-8")[len(runlog):]
    for name in list(good) + [ALL_BAD]:
        assert f"[{name}] 材料、指标体系与程序均未变化，沿用上次结果" in runlog2, name
        assert f"[{name}] 开始评审" not in runlog2, name
    assert evidence_bytes(out, good) == first
    assert tree_hashes(src) == before

    # ---- run 3: faults gone, one consortium gets a new file -> only that file is read
    monkeypatch.delenv(FAULT_ENV)
    new_file = src / GOOD_A / "补充材料.docx"
    make_docx(new_file, ["2024年发布人才需求清单1次。"])
    res3 = review_batch(src, out, catalogue, workers=1, live=False, stream=io.StringIO())
    assert sorted(res3.reviewed) == sorted([GOOD_A, CRASH_EXIT, CRASH_RAISE])
    assert sorted(res3.reused) == sorted([HOSTILE, MIXED, ALL_BAD])
    a = res3.entry(GOOD_A)
    assert a["cache"]["misses"] == 1 and a["cache"]["hits"] == len(good[GOOD_A])
    data = json.loads((out / GOOD_A / "evidence.json").read_text(encoding="utf-8"))
    assert "补充材料.docx" in {d["file"] for d in data["documents"]}
    assert evidence_bytes(out, [HOSTILE, MIXED]) == {k: first[k] for k in (HOSTILE, MIXED)}
    assert res3.failed == [ALL_BAD] and res3.exit_code == 1
    new_file.unlink()


def test_force_ignores_caches(season, tmp_path):
    """--force re-reads every file even though nothing changed."""
    src = tmp_path / "in"
    shutil.copytree(season["src"] / GOOD_A, src / GOOD_A)
    catalogue = load_catalogue(season["standard"])
    out = tmp_path / "out"
    quiet = io.StringIO()
    r1 = review_batch(src, out, catalogue, workers=1, render=False, stream=quiet)
    n = len(list((src / GOOD_A).rglob("*.*")))
    assert r1.cache["misses"] == n
    r2 = review_batch(src, out, catalogue, workers=1, render=False, stream=quiet)
    assert r2.reused == [GOOD_A] and r2.cache["misses"] == 0
    r3 = review_batch(src, out, catalogue, workers=1, render=False, force=True, stream=quiet)
    assert r3.reviewed == [GOOD_A] and r3.cache["hits"] == 0 and r3.cache["misses"] == n
    # a changed output (an expert edited a file) makes the consortium run again, from the read cache
    ev = out / GOOD_A / "evidence.json"
    ev.write_text(ev.read_text(encoding="utf-8") + " ", encoding="utf-8")
    r4 = review_batch(src, out, catalogue, workers=1, render=False, stream=quiet)
    assert r4.reviewed == [GOOD_A] and r4.cache["hits"] == n and r4.cache["misses"] == 0


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT to a child process (POSIX only)")
def test_interrupt_leaves_no_partial_outputs(season, tmp_path):
    """Ctrl-C during a run: exit 130, no temp files, finished work kept, next run completes."""
    src = tmp_path / "in"
    for name in (GOOD_A, MIXED):
        shutil.copytree(season["src"] / name, src / name)
    shutil.copytree(season["src"] / CRASH_RAISE, src / "慢联合体")
    out = tmp_path / "out"
    env = dict(os.environ, **{FAULT_ENV: "慢联合体:sleep=60",
                              "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)])})
    proc = subprocess.Popen([sys.executable, "-m", "fault_worker", "review", str(src), "-o", str(out),
                             "--workers", "2", "--no-render", "--standard", str(season["standard"])], env=env, cwd=str(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            # a shell may start background jobs with SIGINT ignored: restore Ctrl-C
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    log = out / "run.log"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8") if log.exists() else ""
        if "[慢联合体] 开始评审" in text and text.count("] 完成：") >= 2:
            break
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 130, err.decode("utf-8", "replace")
    assert "已中断" in err.decode("utf-8")
    assert not list(out.rglob(".~*.tmp"))
    text = log.read_text(encoding="utf-8")
    assert "运行被中断" in text and "慢联合体" in text
    import openpyxl

    rows = {r[1]: r[4] for r in openpyxl.load_workbook(out / "汇总.xlsx")["汇总"].iter_rows(min_row=2, values_only=True)}
    assert rows["慢联合体"] == "已中断"
    # the next run picks up: finished consortia are reused, the interrupted one is reviewed
    res = review_batch(src, out, load_catalogue(season["standard"]), workers=1, render=False, stream=io.StringIO())
    assert res.reviewed == ["慢联合体"] and sorted(res.reused) == sorted([GOOD_A, MIXED])


def test_progress_displays():
    """Plain lines off a terminal; a live block (ANSI redraw, CJK-aware clipping) on one."""
    from consortium_review.batch_progress import LineDisplay, LiveDisplay, clip, display_width, fmt_seconds

    assert fmt_seconds(75) == "1分15秒" and fmt_seconds(3720) == "1小时02分"

    class GbkStream(io.StringIO):        # a Windows console/pipe in code page 936
        encoding = "gbk"

    gbk = GbkStream()
    d = LineDisplay(gbk)
    d.message("√ 材料😀.pdf：无法读取")
    assert gbk.getvalue() == "√ 材料?.pdf：无法读取\n"
    assert display_width(clip("联合体" * 40, 30)) <= 30
    plain = io.StringIO()
    d = LineDisplay(plain)
    d.begin([("甲", 2, 200), ("乙", 1, 100)])
    d.event("甲", "start", {"files": 2})
    d.event("甲", "file_start", {"rel": "a.pdf", "size": 100})
    d.event("甲", "file_done", {"rel": "a.pdf", "size": 100})
    d.job_done("甲")
    d.finish("  √ 甲：完成")
    text = plain.getvalue()
    assert "开始 甲（2 个文件）" in text and "  √ 甲：完成" in text and "评审进度 1/2" in text
    assert "\x1b[" not in text

    live = io.StringIO()
    d = LiveDisplay(live)
    d.begin([("甲", 2, 200), ("乙", 1, 100)])
    d.event("甲", "start", {"files": 2})
    d.event("甲", "file_start", {"rel": "2024年度工作总结.pdf", "size": 100})
    d.tick(force=True)
    assert "● 甲：读取 0/2 2024年度工作总结.pdf" in live.getvalue()
    d.event("甲", "file_done", {"rel": "2024年度工作总结.pdf", "size": 100})
    d.tick(force=True)
    assert "● 甲：读取 1/2" in live.getvalue()
    d.job_done("甲")
    d.finish("  √ 甲：完成")
    d.close()
    out = live.getvalue()
    assert "\x1b[2F\x1b[J" in out                  # the two-line block was redrawn in place
    assert out.rstrip("\n").endswith("\x1b[1F\x1b[J")    # closed: the live block is erased
    assert "  √ 甲：完成\n" in out


def test_expert_edit_reruns_and_counts_in_summary(season, tmp_path):
    """An expert's entry in the evidence workbook re-runs that consortium and counts in 汇总.xlsx."""
    wbmod = pytest.importorskip("consortium_review.generator.workbook")
    import openpyxl

    src = tmp_path / "in"
    shutil.copytree(season["src"] / GOOD_A, src / GOOD_A)
    catalogue = load_catalogue(season["standard"])
    out = tmp_path / "out"
    quiet = io.StringIO()
    r1 = review_batch(src, out, catalogue, workers=1, stream=quiet)
    before = r1.entry(GOOD_A)["row"]["statuses"]
    evidence = json.loads((out / GOOD_A / "evidence.json").read_text(encoding="utf-8"))
    code = next(p["code"] for p in evidence["points"] if p["status"] == "missing")
    path = wbmod.workbook_path(evidence, out / GOOD_A)
    wb = openpyxl.load_workbook(path)
    ws = wb[wbmod.SHEET_MAIN]
    header = [c.value for c in ws[1]]
    code_col, expert_col = header.index(wbmod.CODE_HEADER) + 1, header.index("专家判定") + 1
    row = next(r for r in range(2, ws.max_row + 1) if str(ws.cell(r, code_col).value) == code)
    ws.cell(row, expert_col).value = "已找到"
    wb.save(path)

    r2 = review_batch(src, out, catalogue, workers=1, stream=quiet)
    assert r2.reviewed == [GOOD_A] and r2.cache["misses"] == 0       # re-run, files from the read cache
    assert "输出文件被修改或删除" in (out / "run.log").read_text(encoding="utf-8")
    after = r2.entry(GOOD_A)["row"]["statuses"]
    assert after["found"] == before["found"] + 1 and after["missing"] == before["missing"] - 1
    ws = openpyxl.load_workbook(out / "汇总.xlsx")["汇总"]
    header = [c.value for c in ws[1]]
    values = dict(zip(header, next(ws.iter_rows(min_row=2, values_only=True))))
    assert values["已找到"] == after["found"]
