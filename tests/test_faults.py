"""Fault suite for hostile input (issue 15).

Each test builds its hostile input here (undecodable and over-long names, a zip of 64 × 15 MB
of repeated text, symlinks, loops, a FIFO, control characters in names, bad cache entries,
two staggered runs on one output folder, a LibreOffice conversion interrupted with SIGINT and
SIGKILL, a full disk simulated with ENOSPC ...) and checks that the batch completes, the outputs
are valid, nothing is lost or orphaned (no soffice process of the run survives it), and the
inputs are byte-identical afterwards.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from consortium_review.batch import review_batch
from consortium_review.catalogue import load_catalogue
from consortium_review.evidence_json import validate
from consortium_review.extractors import read as read_mod
from consortium_review.extractors.read import ReadLimits, read_file, read_folder

ROOT = Path(__file__).resolve().parent.parent
POSIX = sys.platform != "win32"
posix_only = pytest.mark.skipif(not POSIX, reason="POSIX file system features")

TEXT = ("本联合体由市人民政府牵头，成员单位共 45 家，其中企业 32 家。"
        "2024 年联合体共建产业学院 3 个，订单班培养学生 260 人。")


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


# --------------------------------------------------------------------------- helpers

def make_docx(path: Path, paragraphs: list[str]) -> None:
    import docx

    d = docx.Document()
    d.add_heading("一、建设基本情况", level=1)
    for t in paragraphs:
        d.add_paragraph(t)
    d.save(str(os.fsdecode(path)) if isinstance(path, bytes) else str(path))


def tree_state(folder: Path) -> dict[bytes, str]:
    """Every entry below ``folder`` by its raw name: file hashes, link targets, kinds."""
    out: dict[bytes, str] = {}
    root = os.fsencode(str(folder))
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = "link:" + os.fsdecode(os.readlink(p))
            elif stat.S_ISREG(st.st_mode):
                try:
                    with open(p, "rb") as f:
                        out[rel] = hashlib.sha256(f.read()).hexdigest()
                except OSError:
                    out[rel] = f"unreadable:{st.st_size}"
            else:
                out[rel] = f"mode:{stat.S_IFMT(st.st_mode)}"
    return out


def evidence_of(out: Path, name: str) -> dict:
    data = json.loads((out / name / "evidence.json").read_text(encoding="utf-8"))
    return data


def run_log_lines(out: Path) -> list[str]:
    raw = (out / "run.log").read_bytes()
    text = raw.decode("utf-8")             # valid UTF-8, whatever the names were
    return text.splitlines()


STAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} |^ {19} │ ")


def assert_one_record_per_line(out: Path) -> None:
    for line in run_log_lines(out):
        assert STAMP.match(line), f"run.log line not a record or a marked continuation: {line!r}"
        assert "\x1b" not in line and "\r" not in line


def summary_rows(out: Path, sheet: str) -> list[tuple]:
    import openpyxl

    wb = openpyxl.load_workbook(out / "汇总.xlsx")
    rows = [tuple(c.value for c in r) for r in wb[sheet].iter_rows()] if sheet in wb.sheetnames else []
    wb.close()
    return rows


# --------------------------------------------------------------------------- 1. names

@posix_only
def test_undecodable_and_overlong_names(tmp_path, catalogue):
    """GBK-era names (not UTF-8) and a 255-byte folder name: hashed, logged, written safely."""
    root = tmp_path / "in"
    root.mkdir()
    gbk_dir = os.path.join(os.fsencode(str(root)), "甲评审材料联合体".encode("gbk"))
    os.mkdir(gbk_dir)
    make_docx(os.path.join(gbk_dir, "建设方案说明.docx".encode("gbk")), [TEXT])
    with open(os.path.join(gbk_dir, b"\xff\xfe-bad.txt"), "wb") as f:
        f.write(TEXT.encode("utf-8"))
    long_name = "乙" * 85                   # 255 bytes of UTF-8: the file-system limit
    assert len(long_name.encode()) == 255
    (root / long_name).mkdir()
    make_docx(root / long_name / "方案.docx", ["联合体建设情况说明。" + TEXT])
    before = tree_state(root)

    out = tmp_path / "out"
    stream = io.StringIO()
    res = review_batch(root, out, catalogue, workers=1, stream=stream, live=False)
    assert not res.failed, res.entries
    assert tree_state(root) == before

    names = {e["folder"] for e in res.entries}
    assert "甲评审材料联合体" in names                          # GBK bytes decoded
    ev = evidence_of(out, "甲评审材料联合体")
    assert validate(ev, catalogue) == []
    files = {d["file"]: d for d in ev["documents"]}
    assert "建设方案说明.docx" in files and files["建设方案说明.docx"]["status"] == "ok"
    assert "\\xff\\xfe-bad.txt" in files                       # bytes shown escaped, still read
    assert files["\\xff\\xfe-bad.txt"]["status"] == "ok"
    # every output name fits 255 bytes, also for the 255-byte folder
    for p in out.rglob("*"):
        assert len(p.name.encode("utf-8")) <= 255, p.name
    # one consortium folder on its own (the single-folder path) with the same names
    from consortium_review.pipeline import review_consortium

    review_consortium(Path(os.fsdecode(gbk_dir)), tmp_path / "single", catalogue, render=False)
    single = json.loads((tmp_path / "single" / "evidence.json").read_text(encoding="utf-8"))
    assert single["folder"] == "甲评审材料联合体" and validate(single, catalogue) == []
    long_out = out / long_name
    assert (long_out / "evidence.json").is_file()
    made = sorted(p.name for p in long_out.iterdir())
    assert any(n.endswith("-证据清单.xlsx") for n in made) and any(n.endswith("-评审意见.docx") for n in made)
    assert_one_record_per_line(out)
    assert "甲评审材料联合体" in "\n".join(run_log_lines(out))


# --------------------------------------------------------------------------- 2. budgets

def make_text_bomb(path: Path, members: int = 64, mb: int = 15) -> None:
    """64 members of 15 MB of repeated text each: every per-member limit passes."""
    line = "联合体材料\n".encode("utf-8")            # 16 bytes: 1 MB is 65 536 whole lines
    block = line * ((1 << 20) // len(line))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(members):
            with z.open(f"材料{i:02d}.txt", "w") as f:
                for _ in range(mb):
                    f.write(block)


def test_text_bomb_zip_refused_with_low_memory(tmp_path):
    bomb = tmp_path / "材料包.zip"
    make_text_bomb(bomb)
    with zipfile.ZipFile(bomb) as z:
        infos = z.infolist()
        assert len(infos) == 64 and all(i.file_size == 15 << 20 for i in infos)
    assert bomb.stat().st_size < 2 << 20
    digest = hashlib.sha256(bomb.read_bytes()).hexdigest()
    # in a child process, so that its peak memory is its own
    code = ("import json, resource, sys\n"
            "from pathlib import Path\n"
            "from consortium_review.extractors.read import read_file\n"
            "docs = read_file(Path(sys.argv[1]), '材料包.zip')\n"
            "print(json.dumps({'n': len(docs), 'status': docs[0].status, 'error': docs[0].error,"
            " 'rss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}, ensure_ascii=False))\n")
    if not POSIX:
        pytest.skip("resource module")
    r = subprocess.run([sys.executable, "-c", code, str(bomb)], capture_output=True, text=True, encoding="utf-8",
                       timeout=600)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["status"] == "error" and got["n"] == 1
    assert "压缩炸弹" in got["error"] and "倍" in got["error"]
    assert got["rss_kb"] < 1024 * 1024, got      # peak memory under 1 GB (it is ~100 MB)
    assert hashlib.sha256(bomb.read_bytes()).hexdigest() == digest


def test_text_member_over_budget_is_refused_early(tmp_path):
    """One 15 MB member of short repeated lines (a million paragraphs) is refused by the
    block budget before its blocks are built; the other members are read."""
    z = tmp_path / "b.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("大.txt", "联合体\n" * ((15 << 20) // 10))
        zf.writestr("小.txt", TEXT)
    docs = {d.file: d for d in read_file(z, "b.zip")}
    assert docs["b.zip/大.txt"].status == "error" and "上限" in docs["b.zip/大.txt"].error
    assert not docs["b.zip/大.txt"].blocks
    assert docs["b.zip/小.txt"].status == "ok"


def test_archive_text_yield_is_bounded(tmp_path, monkeypatch):
    """The ratio check applied to the text the members yield (stored members pass the byte checks)."""
    from consortium_review.extractors.readers import archive

    z = tmp_path / "a.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
        for i in range(5):
            zf.writestr(f"m{i}.txt", (TEXT + "\n") * 40)
    monkeypatch.setattr(archive._Budget, "text_limit", lambda self: 5000)
    docs = read_file(z, "a.zip")
    assert len(docs) == 1 and docs[0].status == "error"
    assert "压缩炸弹" in docs[0].error and "万字" in docs[0].error


def test_document_and_consortium_budgets(tmp_path, monkeypatch):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "a.txt").write_text((TEXT + "\n") * 30, encoding="utf-8")       # ~2 000 chars
    (folder / "b.txt").write_text((TEXT + "\n") * 30, encoding="utf-8")
    (folder / "c.txt").write_text("短文本。\n" * 500, encoding="utf-8")          # 500 blocks
    monkeypatch.setattr(read_mod, "LIMITS", ReadLimits(doc_chars=2500, doc_blocks=400, consortium_chars=3000))
    docs = {d.file: d for d in read_folder(folder)}
    assert docs["a.txt"].status == "ok" and docs["a.txt"].blocks
    # b.txt fits the per-document budget but not what is left of the consortium's
    assert docs["b.txt"].status == "error" and not docs["b.txt"].blocks
    assert "联合体" in docs["b.txt"].error and "上限" in docs["b.txt"].error
    assert docs["c.txt"].status == "error" and "段落" in docs["c.txt"].error and "上限" in docs["c.txt"].error

    monkeypatch.setattr(read_mod, "LIMITS", ReadLimits(doc_chars=100))
    d = read_file(folder / "a.txt", "a.txt")[0]
    assert d.status == "error" and not d.blocks and "单个文件上限" in d.error


def test_reading_time_budget(tmp_path, monkeypatch):
    """A reader that never ends is stopped at the per-document limit (a hang, not a timing)."""
    p = tmp_path / "slow.txt"
    p.write_text(TEXT, encoding="utf-8")

    def hang(path, rel):
        while True:
            time.sleep(0.02)

    monkeypatch.setattr(read_mod, "LIMITS", ReadLimits(doc_seconds=0.3))
    monkeypatch.setattr(read_mod, "_reader", lambda fmt: hang)
    d = read_file(p, "slow.txt")[0]
    assert d.status == "error" and "超时" in d.error and "上限" in d.error


def test_cache_entry_size_budget(tmp_path, monkeypatch):
    from consortium_review.cache import ReadCache

    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "a.txt").write_text((TEXT + "\n") * 50, encoding="utf-8")
    monkeypatch.setattr(read_mod, "LIMITS", ReadLimits(cache_entry_bytes=1000))
    cache = ReadCache(tmp_path / "cache")
    docs = read_folder(folder, cache=cache)
    assert docs[0].status == "ok" and cache.writes == 0          # read, but not cached
    assert not list((tmp_path / "cache").rglob("*.json"))


# --------------------------------------------------------------------------- 3. skipped files

@posix_only
def test_links_pipes_and_junk_are_reported(tmp_path, catalogue, monkeypatch):
    root = tmp_path / "in"
    cons = root / "丙市域产教联合体"
    (cons / "子目录").mkdir(parents=True)
    make_docx(cons / "方案.docx", [TEXT])
    outside = tmp_path / "secret.txt"
    outside.write_text("不应读取的文件", encoding="utf-8")
    os.symlink(outside, cons / "链接.txt")
    os.symlink(cons / "循环a", cons / "循环b")
    os.symlink(cons / "循环b", cons / "循环a")
    os.symlink(tmp_path / "nowhere", cons / "断开的链接.docx")
    os.symlink(cons, cons / "子目录" / "回到上级")
    os.mkfifo(cons / "管道.txt")
    (cons / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (cons / "Thumbs.db").write_bytes(b"\0")
    (cons / "子目录" / "锁定.docx").write_bytes(b"PK\3\4")
    (cons / "锁定目录").mkdir()
    device = None
    try:
        os.mknod(cons / "设备", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        device = True
    except (PermissionError, OSError):
        pass
    before = tree_state(root)

    # unreadable file and folder (the tests may run as root, who reads everything: simulate)
    real_sha, real_scandir = read_mod.sha256_file, os.scandir

    def sha(path, *a, **k):
        if Path(path).name == "锁定.docx":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_sha(path, *a, **k)

    def scandir(path="."):
        if isinstance(path, (str, os.PathLike)) and Path(path).name == "锁定目录":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(read_mod, "sha256_file", sha)
    monkeypatch.setattr("consortium_review.cache.sha256_file", sha)
    monkeypatch.setattr(read_mod.os, "scandir", scandir)

    out = tmp_path / "out"
    res = review_batch(root, out, catalogue, workers=1, stream=io.StringIO(), live=False, render=False)
    assert not res.failed, res.entries[0]["problems"]
    assert tree_state(root) == before
    ev = evidence_of(out, "丙市域产教联合体")
    assert validate(ev, catalogue) == []
    docs = {d["file"]: d for d in ev["documents"]}
    assert docs["方案.docx"]["status"] == "ok"
    expect = {"链接.txt": "符号链接", "循环a": "循环", "循环b": "循环", "断开的链接.docx": "不存在",
              "子目录/回到上级": "符号链接", "管道.txt": "命名管道", "锁定目录/": "没有权限"}
    if device:
        expect["设备"] = "设备文件"
    for name, word in expect.items():
        assert docs[name]["status"] == "skipped", name
        assert word in docs[name]["error"], (name, docs[name]["error"])
    assert docs["子目录/锁定.docx"]["status"] == "error" and "没有权限" in docs["子目录/锁定.docx"]["error"]
    junk = docs["（系统文件和隐藏文件）"]
    assert junk["status"] == "skipped" and ".DS_Store" in junk["error"] and "Thumbs.db" in junk["error"]
    for d in ev["documents"]:
        if d["error"]:
            assert not re.search(r"[A-Za-z]{4,}", d["error"].replace(".DS_Store", "").replace("Thumbs.db", "")), d
    log = "\n".join(run_log_lines(out))
    for name in ("链接.txt", "管道.txt", "循环a", "（系统文件和隐藏文件）", "锁定目录/"):
        assert f"未读取（已跳过）：{name}" in log, name
    problems = summary_rows(out, "材料问题")
    listed = " ".join(str(v) for r in problems for v in r)
    for name in ("链接.txt", "管道.txt", "循环b", "断开的链接.docx", "锁定目录/", "（系统文件和隐藏文件）"):
        assert name in listed, name
    assert "不应读取" not in json.dumps(ev, ensure_ascii=False)


# --------------------------------------------------------------------------- 4. bad cache entries

def test_cache_entries_of_the_wrong_shape_are_misses(tmp_path, catalogue):
    root = tmp_path / "in"
    (root / "丁联合体").mkdir(parents=True)
    make_docx(root / "丁联合体" / "方案.docx", [TEXT])
    (root / "丁联合体" / "说明.txt").write_text(TEXT, encoding="utf-8")
    out = tmp_path / "out"
    first = review_batch(root, out, catalogue, workers=1, stream=io.StringIO(), live=False, render=False)
    assert not first.failed and first.cache["writes"] == 2
    reference = [{k: v for k, v in d.items() if k != "seconds"} for d in evidence_of(out, "丁联合体")["documents"]]
    entries = [p for p in (out / ".cache").rglob("*.json")]
    shapes = ["[]", '"text"', "1", "null", '{"format": 1, "documents": [1, 2]}', '{"documents": {"a": 1}}']
    for i, p in enumerate(entries):
        p.write_text(shapes[i % len(shapes)], encoding="utf-8")
    (out / "丁联合体" / "说明.txt").exists()
    again = review_batch(root, out, catalogue, workers=1, stream=io.StringIO(), live=False, render=False)
    assert not again.failed and again.reviewed == ["丁联合体"]
    assert again.cache["hits"] == 0 and again.cache["misses"] == 2
    assert [{k: v for k, v in d.items() if k != "seconds"} for d in evidence_of(out, "丁联合体")["documents"]] == reference
    warm = review_batch(root, out, catalogue, workers=1, stream=io.StringIO(), live=False, render=False)
    assert warm.reused == ["丁联合体"]


# --------------------------------------------------------------------------- 5. lock

def _cli(args: list[str], env: dict | None = None, module: str = "consortium_review", **kw) -> subprocess.Popen:
    """The CLI in a child process; ``module="fault_worker"`` runs it with the test-only fault
    injection of tests/fault_worker.py (``CR_TEST_FAULTS``)."""
    e = dict(os.environ)
    e.update(env or {})
    e.setdefault("PYTHONIOENCODING", "utf-8")
    if module != "consortium_review":
        e["PYTHONPATH"] = str(Path(__file__).parent) + os.pathsep + e.get("PYTHONPATH", "")
    return subprocess.Popen([sys.executable, "-m", module, *args], env=e, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=str(ROOT), **kw)


def _wait_for(cond, limit: float = 120.0, what: str = "") -> None:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


@posix_only
def test_second_run_on_one_output_folder_refuses(tmp_path):
    from fault_worker import FAULTS_ENV

    root = tmp_path / "in"
    for n in ("戊联合体", "己联合体"):
        (root / n).mkdir(parents=True)
        make_docx(root / n / "方案.docx", [TEXT])
    before = tree_state(root)
    out = tmp_path / "out"
    (out / "戊联合体").mkdir(parents=True)
    # a temp file of a live process (this test) and one of a process that is gone
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    live_tmp = out / "戊联合体" / f".~x-p{os.getpid()}-abc.json.tmp"
    dead_tmp = out / "戊联合体" / f".~x-p{dead.pid}-abc.json.tmp"
    live_tmp.write_text("{}")
    dead_tmp.write_text("{}")

    first = _cli(["review", str(root), "-o", str(out), "--workers", "1", "--no-render"],
                 env={FAULTS_ENV: "戊联合体:sleep=6"}, module="fault_worker", start_new_session=True)
    lock = out / ".review.lock"
    _wait_for(lambda: lock.is_file() and lock.read_text().strip() == str(first.pid), what="first run's lock")
    second = _cli(["review", str(root), "-o", str(out), "--workers", "1", "--no-render"])
    o2, e2 = second.communicate(timeout=300)
    assert second.returncode != 0
    msg = e2.decode("utf-8")
    assert "正被另一次评审使用" in msg and str(first.pid) in msg and "Traceback" not in msg
    o1, e1 = first.communicate(timeout=600)
    assert first.returncode == 0, e1.decode("utf-8", "replace")[-2000:]
    for n in ("戊联合体", "己联合体"):
        assert validate(evidence_of(out, n), load_catalogue()) == []
    assert live_tmp.exists() and not dead_tmp.exists()
    assert tree_state(root) == before


def test_lock_in_process(tmp_path, catalogue):
    from consortium_review.fileio import FolderBusy, FolderLock

    root = tmp_path / "in"
    (root / "庚联合体").mkdir(parents=True)
    (root / "庚联合体" / "a.txt").write_text(TEXT, encoding="utf-8")
    out = tmp_path / "out"
    with FolderLock(out):
        with pytest.raises(FolderBusy, match="正被另一次评审使用"):
            review_batch(root, out, catalogue, workers=1, stream=io.StringIO(), live=False, render=False)
    assert not (out / "庚联合体").exists()
    res = review_batch(root, out, catalogue, workers=1, stream=io.StringIO(), live=False, render=False)
    assert res.reviewed == ["庚联合体"]


# --------------------------------------------------------------------------- 6. control characters

@posix_only
def test_control_characters_in_names(tmp_path, catalogue):
    root = tmp_path / "in"
    evil = "辛联合体\x1b[31m\n2099-01-01 00:00:00 [伪造] 完成"
    (root / evil).mkdir(parents=True)
    make_docx(root / evil / "方案.docx", [TEXT])
    (root / evil / "坏\r\n名字\x07.txt").write_bytes(b"")
    before = tree_state(root)
    out = tmp_path / "out"
    stream = io.StringIO()
    res = review_batch(root, out, catalogue, workers=1, stream=stream, live=False, render=False)
    assert not res.failed
    assert tree_state(root) == before
    assert "\x1b" not in stream.getvalue() and "\x07" not in stream.getvalue()
    assert "\\e[31m\\n2099" in stream.getvalue()
    assert_one_record_per_line(out)
    log = "\n".join(run_log_lines(out))
    assert not re.search(r"^2099-01-01", log, re.M)
    assert "坏\\r\\n名字\\x07.txt" in log
    (entry,) = res.entries
    ev = json.loads((Path(entry["out_dir"]) / "evidence.json").read_text(encoding="utf-8"))
    assert "坏\r\n名字\x07.txt" in {d["file"] for d in ev["documents"]}      # JSON keeps the real name
    assert "\n" not in Path(entry["out_dir"]).name


# --------------------------------------------------------------------------- 7. LibreOffice clean-up

FAKE_SOFFICE = r'''#!{python}
import os, subprocess, sys, time
mark = os.environ["FAKE_SOFFICE_MARK"]
# a child standing in for soffice.bin (it would survive a kill of soffice alone)
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", mark])
open(os.path.join(os.environ["FAKE_SOFFICE_DIR"], "started-%d" % os.getpid()), "w").close()
time.sleep(600)
'''


def _pids_with(mark: str) -> list[int]:
    """Processes whose command line contains ``mark`` (a /proc scan, no psutil)."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                cmd = (d / "cmdline").read_bytes()
                st = (d / "stat").read_bytes().rsplit(b")", 1)[-1].split()[0]
            except OSError:
                continue
            if mark.encode() in cmd and st != b"Z":
                pids.append(int(d.name))
    return pids


@pytest.fixture
def fake_office(tmp_path):
    mark = f"fakesoffice{os.getpid()}x{time.monotonic_ns()}"
    bindir = tmp_path / f"bin-{mark}"
    bindir.mkdir()
    script = bindir / "soffice"
    script.write_text(FAKE_SOFFICE.replace("{python}", sys.executable), encoding="utf-8")
    script.chmod(0o755)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    root = tmp_path / "in"
    (root / "壬联合体").mkdir(parents=True)
    make_docx(root / "壬联合体" / "方案.docx", [TEXT])
    (root / "壬联合体" / "旧格式.rtf").write_bytes(b"{\\rtf1\\ansi " + "联合体".encode("gbk") + b" text\\par}")
    env = {"PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}", "TMPDIR": str(tmpdir),
           "FAKE_SOFFICE_MARK": mark, "FAKE_SOFFICE_DIR": str(bindir)}
    yield {"mark": mark, "bindir": bindir, "tmp": tmpdir, "root": root, "env": env}
    for pid in _pids_with(mark):          # never leave anything behind, even when a test fails
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _start_conversion(fake, out: Path) -> subprocess.Popen:
    proc = _cli(["review", str(fake["root"]), "-o", str(out), "--workers", "2", "--no-render"], env=fake["env"],
                start_new_session=True)
    _wait_for(lambda: list(fake["bindir"].glob("started-*")) and len(_pids_with(fake["mark"])) >= 3,
              what="the fake soffice to start")
    return proc


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
@pytest.mark.parametrize("how", ["SIGINT", "SIGKILL"])
def test_interrupted_conversion_leaves_no_soffice(tmp_path, fake_office, how):
    before = tree_state(fake_office["root"])
    out = tmp_path / "out"
    proc = _start_conversion(fake_office, out)
    assert _pids_with(fake_office["mark"])
    os.kill(proc.pid, getattr(signal, how))
    proc.communicate(timeout=120)
    _wait_for(lambda: not _pids_with(fake_office["mark"]), limit=60, what="soffice processes to go")
    # the batch's conversion folder goes with it (its janitor, when the run is killed)
    _wait_for(lambda: not list(fake_office["tmp"].glob("cr-office-*")), limit=60, what="temp folders to go")
    assert tree_state(fake_office["root"]) == before
    if how == "SIGINT":
        assert proc.returncode != 0
        assert "中断" in (out / "run.log").read_text(encoding="utf-8")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_killed_worker_takes_its_soffice_along(tmp_path, fake_office):
    # in a zip the .rtf is converted by the worker reading it (the batch's one LibreOffice run
    # before the workers start takes loose files only: test_interrupted_conversion_… covers it)
    folder = fake_office["root"] / "壬联合体"
    with zipfile.ZipFile(folder / "附件.zip", "w") as z:
        z.write(folder / "旧格式.rtf", "旧格式.rtf")
    (folder / "旧格式.rtf").unlink()
    out = tmp_path / "out"
    proc = _start_conversion(fake_office, out)
    guard = min(_pids_with(fake_office["mark"]))           # the guard started first
    stat_line = Path(f"/proc/{guard}/stat").read_bytes().rsplit(b")", 1)[-1].split()
    worker = int(stat_line[1])
    assert worker != proc.pid
    group = set(_pids_with(fake_office["mark"]))
    os.kill(worker, signal.SIGKILL)
    _wait_for(lambda: not (group & set(_pids_with(fake_office["mark"]))), limit=60,
              what="the killed worker's soffice group to go")
    os.kill(proc.pid, signal.SIGINT)
    proc.communicate(timeout=120)
    _wait_for(lambda: not _pids_with(fake_office["mark"]), limit=60, what="every soffice to go")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_orphans_of_a_crashed_run_are_swept(tmp_path):
    from consortium_review.extractors.readers.office import sweep_orphans

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    orphan_dir = tmp_path / f"cr-office-{gone.pid}-abcd"
    (orphan_dir / "profile").mkdir(parents=True)
    (orphan_dir / "input.doc").write_bytes(b"copy of an input")
    live_dir = tmp_path / f"cr-office-{os.getpid()}-live"
    live_dir.mkdir()
    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)",
                               f"-env:UserInstallation={(orphan_dir / 'profile').as_uri()}"])
    try:
        # Popen may return before the child's exec is visible in /proc (seen under CI's
        # sandbox); a real orphan has long since exec'd, so wait for that state first.
        cmdline = Path(f"/proc/{orphan.pid}/cmdline")
        _wait_for(lambda: cmdline.exists() and orphan_dir.name.encode() in cmdline.read_bytes(),
                  limit=30, what="the orphan's command line")
        assert sweep_orphans(tmp_path) >= 2
        orphan.wait(timeout=30)
        assert orphan.returncode == -signal.SIGKILL
        assert not orphan_dir.exists() and live_dir.exists()
    finally:
        if orphan.poll() is None:
            orphan.kill()


# --------------------------------------------------------------------------- 8. smaller points

def test_full_disk_keeps_the_previous_outputs(tmp_path, catalogue, monkeypatch):
    from consortium_review.pipeline import OutputsNotWritten, review_consortium
    import consortium_review.generator.review_opinion as ro

    folder = tmp_path / "癸联合体"
    folder.mkdir()
    make_docx(folder / "方案.docx", [TEXT])
    out = tmp_path / "out"
    review_consortium(folder, out, catalogue)
    old = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert any(n.endswith("评审意见.docx") for n in old)
    (folder / "补充.txt").write_text("联合体新增企业成员 5 家。", encoding="utf-8")
    before = tree_state(folder)

    def no_space(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ro, "render", no_space)
    with pytest.raises(OutputsNotWritten) as info:
        review_consortium(folder, out, catalogue)
    assert "磁盘空间不足" in str(info.value) and not re.search(r"[A-Za-z]{3,}", str(info.value))
    now = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert now == old                                 # neither a new evidence.json nor a new workbook
    assert not [p for p in out.iterdir() if p.name.startswith(".~")]
    assert tree_state(folder) == before
    monkeypatch.undo()
    review_consortium(folder, out, catalogue)
    ev = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    assert "补充.txt" in {d["file"] for d in ev["documents"]}


def test_formula_text_in_summary_has_quote_prefix(tmp_path, catalogue):
    import openpyxl

    root = tmp_path / "in"
    (root / "子联合体").mkdir(parents=True)
    make_docx(root / "子联合体" / "方案.docx", [TEXT])
    (root / "子联合体" / "=1+2.txt").write_bytes(b"")
    out = tmp_path / "out"
    review_batch(root, out, catalogue, workers=1, stream=io.StringIO(), live=False, render=False)
    wb = openpyxl.load_workbook(out / "汇总.xlsx")
    cells = [c for r in wb["材料问题"].iter_rows() for c in r if c.value == "=1+2.txt"]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_long_expert_comment_and_damaged_workbook(tmp_path, catalogue):
    import openpyxl

    from consortium_review.generator.workbook import MAX_EXPERT_TEXT
    from consortium_review.pipeline import review_consortium

    folder = tmp_path / "丑联合体"
    folder.mkdir()
    make_docx(folder / "方案.docx", [TEXT])
    out = tmp_path / "out"
    review_consortium(folder, out, catalogue)
    (book,) = out.glob("*证据清单.xlsx")
    wb = openpyxl.load_workbook(book)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    code_col, judge_col, note_col = header.index("观测点编号"), header.index("专家判定"), header.index("专家意见")
    code = ws.cell(row=2, column=code_col + 1).value
    ws.cell(row=2, column=judge_col + 1, value="found")
    ws.cell(row=2, column=note_col + 1, value="意" * 100_000)      # openpyxl writes it; Excel never would
    wb.save(book)
    review_consortium(folder, out, catalogue)
    ev = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    point = next(p for p in ev["points"] if p["code"] == str(code))
    comment = point["expert"]["comment"]
    assert len(comment) <= MAX_EXPERT_TEXT and re.search(r"原文共 \d+ 字", comment) and "截去" in comment
    assert point["expert"]["status"] == "found"

    book.write_bytes(b"PK\3\4 damaged beyond repair")       # the workbook is damaged
    review_consortium(folder, out, catalogue)
    assert list(out.glob("*备份*.xlsx"))
    ev = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    point = next(p for p in ev["points"] if p["code"] == str(code))
    assert point.get("expert", {}).get("status") == "found"          # carried from evidence.json
    (book,) = [p for p in out.glob("*证据清单.xlsx") if "备份" not in p.name]
    wb = openpyxl.load_workbook(book)
    ws = wb.worksheets[0]
    row = next(r for r in ws.iter_rows(min_row=2) if r[code_col].value == code)
    assert row[judge_col].value == "found"


def test_pdf_claiming_100000_pages_counts_pages_read(tmp_path, monkeypatch):
    from consortium_review.extractors.readers import pdf

    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 100000 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length 43 >>\nstream\nBT /F1 12 Tf 20 100 Td (Hello page) Tj ET\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    data = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(data))
        data += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(data)
    data += b"xref\n0 6\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    data += b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    p = tmp_path / "claims.pdf"
    p.write_bytes(bytes(data))
    d = read_file(p, "claims.pdf")[0]
    assert d.status == "ok" and d.pages == 1          # not 100 000 (nor the 3 000 tried)
    assert any("100000" in w for w in d.warnings)
