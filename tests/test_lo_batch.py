"""Legacy files of a batch in one LibreOffice run (issue 14).

The .doc/.rtf files are made here: python-docx documents converted with soffice. A counting
stand-in for soffice (a script that logs its command line, then runs the real one) shows how
often LibreOffice starts; it can also hang on one named file (by content hash) to check that
the batch goes on without it. Checked: one start for the legacy files of all consortia (also
in single-folder mode and for only the files the read cache cannot serve), the same blocks
as the per-file conversion, per-file fallback after a hang or crash, and that no soffice
process and no temp folder is left, also after Ctrl-C or kill -9.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from consortium_review.batch import review_batch
from consortium_review.catalogue import load_catalogue
from consortium_review.cache import CACHE_DIRNAME, ReadCache
from consortium_review.extractors.read import read_file
from consortium_review.extractors.readers import office
from consortium_review.pipeline import Settings
from consortium_review.settings import ReadSettings, using_read_settings

SOFFICE = office.find_soffice()
pytestmark = [
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed"),
    pytest.mark.skipif(sys.platform == "win32", reason="a Python script with #! stands in for soffice"),
]
LINUX = sys.platform.startswith("linux")

TEXTS = {
    "A": ("一、联合体建设方案", ["联合体成员单位共52家，其中企业32家。", "共建实训基地7个，年培训1200人次。"],
          [["指标", "2024年", "2025年"], ["订单班学生（人）", "260", "300"]]),
    "B": ("二、运行机制", ["理事会每年召开两次全体会议。", "秘书处设在市职业技术学院。"],
          [["会议", "次数"], ["理事会", "2"]]),
    "C": ("三、年度工作总结", ["2024年联合体共建产业学院3个。", "开展技术服务项目46项，到款额860万元。"], None),
    "R": ("说明", ["本说明以RTF格式提交，联合体网站已上线。"], [["项目", "状态"], ["网站", "已上线"]]),
    "D": ("四、新增材料", ["新增合作企业5家。"], None),
}


def _make_docx(path: Path, title: str, paragraphs: list[str], table) -> None:
    import docx

    d = docx.Document()
    d.add_heading(title, level=1)
    for t in paragraphs * 3:
        d.add_paragraph(t)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for i, row in enumerate(table):
            for j, v in enumerate(row):
                t.cell(i, j).text = v
    d.save(str(path))


def _soffice_convert(sources: list[Path], fmt: str, outdir: Path, profile: Path) -> None:
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", fmt,
                    "--outdir", str(outdir), *map(str, sources)], check=True, timeout=600,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def legacy(tmp_path_factory) -> dict[str, bytes]:
    """Bytes of the legacy files: A, B, C, D as .doc, R as .rtf."""
    work = tmp_path_factory.mktemp("legacy")
    for k, (title, paras, table) in TEXTS.items():
        _make_docx(work / f"{k}.docx", title, paras, table)
    _soffice_convert([work / f"{k}.docx" for k in "ABCD"], "doc", work / "out", work / "profile")
    _soffice_convert([work / "R.docx"], "rtf", work / "out", work / "profile")
    got = {k: (work / "out" / f"{k}.doc").read_bytes() for k in "ABCD"}
    got["R"] = (work / "out" / "R.rtf").read_bytes()
    assert len({hashlib.sha256(b).hexdigest() for b in got.values()}) == 5
    return got


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


# a stand-in for soffice: logs every start, then runs the real one; for inputs whose content
# hash is in HANG it converts the files listed before the first such one, then hangs
WRAPPER = r'''#!{python}
import hashlib, os, subprocess, sys, time
LOG, REAL, HANG, MODE = {log!r}, {real!r}, {hang!r}, {mode!r}
args = sys.argv[1:]
with open(LOG, "a", encoding="utf-8") as f:
    f.write(repr(args) + "\n")
sources = [a for a in args if not a.startswith("-") and os.path.isfile(a)]
def sha(p):
    with open(p, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
bad = [i for i, a in enumerate(args) if a in sources and sha(a) in HANG]
if not bad:
    os.execv(REAL, [REAL] + args)
if MODE == "crash":
    sys.exit(3)
before = args[:bad[0]]
if any(a in sources for a in before):
    subprocess.run([REAL] + before, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(600)
'''


class Office:
    """The stand-in soffice: its path (for ``ReadSettings.libreoffice``) and its starts."""

    def __init__(self, tmp_path: Path, hang: tuple[bytes, ...] = (), mode: str = "hang"):
        self.mark = f"crlobatch{os.getpid()}x{time.monotonic_ns()}"
        self.bindir = tmp_path / self.mark
        self.bindir.mkdir()
        self.log = self.bindir / "starts.log"
        self.path = self.bindir / "soffice"
        self.path.write_text(WRAPPER.format(python=sys.executable, log=str(self.log), real=SOFFICE, mode=mode,
                                            hang={hashlib.sha256(b).hexdigest() for b in hang}), encoding="utf-8")
        self.path.chmod(0o755)

    def starts(self) -> list[list[str]]:
        if not self.log.is_file():
            return []
        return [ast.literal_eval(line) for line in self.log.read_text(encoding="utf-8").splitlines()]

    def inputs(self, start: list[str]) -> list[str]:
        """The files one start was asked to convert (after ``--outdir DIR``)."""
        return start[start.index("--outdir") + 2:]

    def settings(self) -> Settings:
        return Settings(read=ReadSettings(libreoffice=str(self.path)))


def _leftover_processes(*marks: str) -> list[str]:
    """Command lines of live processes naming one of ``marks`` (a /proc scan)."""
    if not LINUX:
        return []
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            cmd = (d / "cmdline").read_bytes()
            state = (d / "stat").read_bytes().rsplit(b")", 1)[-1].split()[0]
        except OSError:
            continue
        if state != b"Z" and any(m.encode() in cmd for m in marks):
            found.append(cmd.replace(b"\0", b" ").decode(errors="replace")[:200])
    return found


def _wait_clean(tmpdir: Path, *marks: str, limit: float = 30) -> None:
    """No temp folder of a conversion below ``tmpdir`` and no process naming ``marks``."""
    deadline = time.monotonic() + limit
    while True:
        folders = list(tmpdir.glob("cr-office-*"))
        procs = _leftover_processes(*marks)
        if not folders and not procs:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"left behind: {folders} {procs}")
        time.sleep(0.2)


@pytest.fixture
def tmpdir_env(tmp_path, monkeypatch) -> Path:
    """A temp folder of its own for this process and its workers (to see what is left)."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    return tmpdir


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _materials(root: Path, legacy: dict[str, bytes]) -> dict[str, Path]:
    """Three consortia; the same bytes twice (甲 and 乙), the same file name in two consortia,
    odd names; also a .docx that needs no LibreOffice."""
    files = {
        "A": root / "甲市域产教联合体" / "方案.doc",
        "R": root / "甲市域产教联合体" / "附件 (1)  说明.rtf",
        "B": root / "乙市域产教联合体" / "方案.doc",
        "A2": root / "乙市域产教联合体" / "子目录" / "方案（副本）.DOC",
        "C": root / "丙联合体" / "2024年度 工作总结#终稿.doc",
    }
    for k, p in files.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(legacy[k[0]])
    _make_docx(root / "丙联合体" / "自评报告.docx", "自评报告", ["联合体成员单位共52家。"], None)
    return files


def _docs_key(docs) -> list[tuple]:
    return [(d.file, d.status, d.error, d.warnings, [vars(b) for b in d.blocks]) for d in docs]


def _evidence_documents(out: Path, name: str) -> dict[str, dict]:
    ev = json.loads((out / name / "evidence.json").read_text(encoding="utf-8"))
    return {d["file"]: d for d in ev["documents"]}


# --------------------------------------------------------------------------- the batch

def test_batch_converts_all_legacy_files_with_one_start(legacy, tmp_path, tmpdir_env, catalogue):
    fake = Office(tmp_path)
    root, out = tmp_path / "in", tmp_path / "out"
    files = _materials(root, legacy)
    before = _tree(root)
    settings = fake.settings()
    res = review_batch(root, out, catalogue, workers=2, render=False, settings=settings, live=False,
                       stream=io.StringIO())
    assert not res.failed and len(res.reviewed) == 3
    starts = fake.starts()
    assert len(starts) == 1, starts                         # one LibreOffice for all consortia
    inputs = fake.inputs(starts[0])
    assert len(inputs) == 4                                  # A, R, B, C: the copy of A once
    assert all(Path(i).name.split("-")[0] in {hashlib.sha256(legacy[k]).hexdigest() for k in "ABCR"}
               for i in inputs)                              # named by content, never by user names
    _wait_clean(tmpdir_env, fake.mark, f"cr-office-{os.getpid()}-")
    assert _tree(root) == before
    log = (out / "run.log").read_text(encoding="utf-8")
    assert "LibreOffice 批量转换旧版文档：4 个文件，启动 LibreOffice 1 次，转换成功 4 个" in log

    # what the workers read is what a conversion of its own gives (the read cache holds it)
    cache = ReadCache(out / CACHE_DIRNAME, read_settings=settings.read)
    for k, path in files.items():
        folder = root / path.relative_to(root).parts[0]
        rel = path.relative_to(folder).as_posix()
        batch_docs = cache.get(path, rel)
        assert batch_docs is not None, rel
        with using_read_settings(settings.read):
            own = read_file(path, rel)
        assert office.FALLBACK_WARNING not in own[0].warnings
        assert len(own[0].blocks) >= 4
        assert _docs_key(batch_docs) == _docs_key(own), rel
        assert folder.name in res.reviewed
    assert len(fake.starts()) == 1 + len(files)              # the check above converted each on its own

    # a new file in one consortium: only it is converted (the others are in the read cache)
    (root / "丙联合体" / "补充.doc").write_bytes(legacy["D"])
    n = len(fake.starts())
    res = review_batch(root, out, catalogue, workers=2, render=False, settings=settings, live=False,
                       stream=io.StringIO())
    assert not res.failed and res.reviewed == ["丙联合体"]
    new = fake.starts()[n:]
    assert len(new) == 1 and len(fake.inputs(new[0])) == 1
    assert Path(fake.inputs(new[0])[0]).name.startswith(hashlib.sha256(legacy["D"]).hexdigest())
    _wait_clean(tmpdir_env, fake.mark, f"cr-office-{os.getpid()}-")


def test_single_folder_review_uses_one_start(legacy, tmp_path, tmpdir_env, catalogue):
    fake = Office(tmp_path)
    folder = tmp_path / "乙市域产教联合体"
    folder.mkdir()
    for k in "ABC":
        (folder / f"材料{k}.doc").write_bytes(legacy[k])
    out = tmp_path / "out"
    res = review_batch(folder, out, catalogue, workers=2, render=False, consortia=[folder],
                       write_summaries=False, settings=fake.settings(), live=False, stream=io.StringIO())
    assert not res.failed
    starts = fake.starts()
    assert len(starts) == 1 and len(fake.inputs(starts[0])) == 3
    docs = _evidence_documents(out, res.reviewed[0])
    assert all(not d.get("warnings") and d["status"] == "ok" for d in docs.values()), docs
    _wait_clean(tmpdir_env, fake.mark, f"cr-office-{os.getpid()}-")


def test_a_hanging_file_falls_back_to_its_own_conversion(legacy, tmp_path, tmpdir_env, catalogue, monkeypatch):
    """LibreOffice hangs on B in the batch: killed after the stall time, the files before B keep
    their results, the rest is run again without B, and B is converted on its own — where it
    hangs again and gets today's timeout error and the built-in reader."""
    monkeypatch.setattr(office, "BATCH_STALL_TIMEOUT", 15)
    monkeypatch.setattr(office, "CONVERT_TIMEOUT", 3)        # per file (in this process: --workers 1)
    fake = Office(tmp_path, hang=(legacy["B"],))
    root, out = tmp_path / "in", tmp_path / "out"
    _materials(root, legacy)
    before = _tree(root)
    res = review_batch(root, out, catalogue, workers=1, render=False, settings=fake.settings(), live=False,
                       stream=io.StringIO())
    assert not res.failed and len(res.reviewed) == 3
    starts = [fake.inputs(s) for s in fake.starts()]
    sha = {k: hashlib.sha256(legacy[k]).hexdigest() for k in "ABCR"}
    names = [[Path(i).name.split("-")[0] for i in s] for s in starts]
    # the batch in consortium and file order (丙, 乙: 子目录/… first, 甲; the copy of A once),
    # then the rest once more, without the file it hung on
    assert names[:2] == [[sha["C"], sha["A"], sha["B"], sha["R"]], [sha["R"]]]
    assert len(starts) == 3 and Path(starts[2][0]).name == "input.doc"   # B on its own (today's path)
    docs = _evidence_documents(out, "乙市域产教联合体")
    warn = docs["方案.doc"]["warnings"]
    assert any("LibreOffice 转换超时（超过 3 秒）" in w for w in warn) and office.FALLBACK_WARNING in warn
    assert docs["方案.doc"]["status"] == "ok"
    assert not docs["子目录/方案（副本）.DOC"].get("warnings")
    for name in ("甲市域产教联合体", "丙联合体"):
        assert all(not d.get("warnings") for d in _evidence_documents(out, name).values())
    log = (out / "run.log").read_text(encoding="utf-8")
    assert "批量转换未得到 方案.doc 的结果（LibreOffice 转换超时（超过 15 秒没有进展）），读取时将单独转换该文件" in log
    _wait_clean(tmpdir_env, fake.mark, f"cr-office-{os.getpid()}-")
    assert _tree(root) == before


def _three_items(legacy, tmp_path: Path) -> list:
    """(conversion key, path) of the legacy files A, B and C written into ``tmp_path/src``."""
    src = tmp_path / "src"
    src.mkdir()
    items = []
    for k in "ABC":
        (src / f"{k}.doc").write_bytes(legacy[k])
        items.append((office.convert_key(src / f"{k}.doc", hashlib.sha256(legacy[k]).hexdigest()), src / f"{k}.doc"))
    return items


def test_a_crashing_batch_leaves_every_file_to_its_own_conversion(legacy, tmp_path, tmpdir_env):
    fake = Office(tmp_path, hang=(legacy["A"],), mode="crash")
    items = _three_items(legacy, tmp_path)
    with office.BatchConverter(str(fake.path)) as conv:
        report = conv.convert(items)
        assert report.runs == 1 and not report.converted            # failed before any file: no retries
        assert set(report.failed) == {k for k, _ in items}
        assert all("退出码 3" in r for r in report.failed.values())
        assert conv.preconverted.files == {}
    _wait_clean(tmpdir_env, fake.mark)


def test_long_lists_are_split_by_command_line_length(legacy, tmp_path, tmpdir_env, monkeypatch):
    fake = Office(tmp_path)
    items = _three_items(legacy, tmp_path)
    with office.BatchConverter(str(fake.path)) as conv:
        two = [conv.folder / "in" / office._src_name(k) for k, _ in items[:2]]
        monkeypatch.setattr(office, "MAX_COMMAND_CHARS", office._command_chars(str(fake.path), conv.folder, two))
        report = conv.convert(items)
        assert report.runs == 2 and set(report.converted) == {k for k, _ in items} and not report.failed
        assert [len(fake.inputs(s)) for s in fake.starts()] == [2, 1]
        assert all(office._complete_docx(conv.preconverted.path(k)) for k, _ in items)
    _wait_clean(tmpdir_env, fake.mark)


# --------------------------------------------------------------------------- clean-up

def test_ctrl_c_during_the_batch_conversion_leaves_nothing(legacy, tmp_path, tmpdir_env, catalogue, monkeypatch):
    fake = Office(tmp_path, hang=(legacy["A"],))             # LibreOffice "works" on A until Ctrl-C
    root, out = tmp_path / "in", tmp_path / "out"
    _materials(root, legacy)
    calls = []

    def count_then_interrupt(folder):
        calls.append(1)
        if len(calls) > 10 and fake.starts():
            raise KeyboardInterrupt
        return 0

    monkeypatch.setattr(office, "_count", count_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        review_batch(root, out, catalogue, workers=2, render=False, settings=fake.settings(), live=False,
                     stream=io.StringIO())
    assert len(fake.starts()) == 1
    _wait_clean(tmpdir_env, fake.mark, f"cr-office-{os.getpid()}-")
    assert "运行被中断" in (out / "run.log").read_text(encoding="utf-8")


@pytest.mark.skipif(not LINUX, reason="/proc")
def test_killed_owner_leaves_no_folder_and_no_soffice(legacy, tmp_path, tmpdir_env):
    """kill -9 of the process that runs the batch: the guard takes LibreOffice along and the
    janitor removes the batch folder (without waiting for the next run's sweep)."""
    fake = Office(tmp_path, hang=(legacy["A"],))
    src = tmp_path / "A.doc"
    src.write_bytes(legacy["A"])
    code = (f"from pathlib import Path; from consortium_review.extractors.readers import office\n"
            f"conv = office.BatchConverter({str(fake.path)!r})\n"
            f"conv.convert([(office.convert_key(Path({str(src)!r}), {hashlib.sha256(legacy['A']).hexdigest()!r}), "
            f"Path({str(src)!r}))])\n")
    owner = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "TMPDIR": str(tmpdir_env)})
    try:
        deadline = time.monotonic() + 60
        while not (fake.starts() and list(tmpdir_env.glob("cr-office-*")) and _leftover_processes(fake.mark)):
            assert time.monotonic() < deadline, "the batch conversion did not start"
            time.sleep(0.1)
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait(timeout=30)
        _wait_clean(tmpdir_env, fake.mark, f"cr-office-{owner.pid}-")
    finally:
        if owner.poll() is None:
            owner.kill()


def test_orphan_sweep_takes_a_dead_runs_batch_folder(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    orphan = tmp_path / f"cr-office-{gone.pid}-batch-abcd"
    (orphan / "out").mkdir(parents=True)
    (orphan / "in").mkdir()
    (orphan / "in" / ("0" * 64 + "-doc.doc")).write_bytes(b"copy of an input")
    live = tmp_path / f"cr-office-{os.getpid()}-batch-live"
    live.mkdir()
    assert office.sweep_orphans(tmp_path) >= 1
    assert not orphan.exists() and live.exists()
