"""The review workspace's safety rules, through Starlette's in-process client.

Host header, token, traversal / symlinks / absolute paths, upload size and unsafe zip members,
escaping of hostile submission text, decisions written into the workbook (atomically, kept by
re-runs), and a crashing review that leaves the other consortium and earlier decisions intact.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from starlette.testclient import TestClient

from consortium_review.batch import review_batch
from fault_worker import FAULTS_ENV as FAULT_ENV, install as install_faults
from consortium_review.catalogue import load_catalogue
from consortium_review.web.app import create_app
from consortium_review.web.workspace import UnsafePath, check_relative, inside

TEXT = ("甲联合体建设方案\n牵头企业近三年累计投入320万元。\n"
        "园区牵头成立理事会，理事会章程已印发。\n联合体成员单位共45家。\n")
HOSTILE = '<script>window.pwned=1</script><img src=x onerror="alert(1)">'


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory, catalogue):
    root = tmp_path_factory.mktemp("reviewed") / "工作区"
    (root / "甲联合体").mkdir(parents=True)
    (root / "甲联合体" / "方案.txt").write_text(TEXT, encoding="utf-8")
    review_batch(root, root / "output", catalogue, workers=1, stream=io.StringIO(), live=False)
    return root


@pytest.fixture()
def ws(tmp_path, reviewed):
    """A fresh copy of a reviewed workspace (one consortium, 甲联合体) per test."""
    root = tmp_path / "工作区"
    shutil.copytree(reviewed, root, symlinks=True)
    return root


def client(root: Path, catalogue, **kw) -> TestClient:
    app = create_app(root, catalogue=catalogue, token="tok-123", **kw)
    return TestClient(app, base_url="http://127.0.0.1:8765")


def workbook_of(root: Path) -> Path:
    return next((root / "output" / "甲联合体").glob("*证据清单.xlsx"))


def expert_row(path: Path, code: str) -> dict:
    wb = openpyxl.load_workbook(path)
    ws = wb["证据清单"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2, values_only=True):
        if row[header.index("观测点编号")] == code:
            return {h: row[header.index(h)] for h in ("专家判定", "专家取值", "专家意见")}
    raise KeyError(code)


# --------------------------------------------------------------------------- paths

@pytest.mark.parametrize("rel", ["../x", "a/../../x", "/etc/passwd", "C:/Windows/win.ini", "a\\..\\b", "", "a//b",
                                 "a/\x00b"])
def test_check_relative_refuses_unsafe_paths(rel):
    with pytest.raises(UnsafePath):
        check_relative(rel)


def test_inside_refuses_symlinks_out(tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    secret = tmp_path / "secret.docx"
    secret.write_bytes(b"secret")
    (base / "link.docx").symlink_to(secret)
    with pytest.raises(UnsafePath):
        inside(base, "link.docx")
    (base / "ok.docx").write_bytes(b"ok")
    assert inside(base, "ok.docx") == (base / "ok.docx").resolve()


def test_urls_cannot_leave_the_workspace(ws, catalogue, tmp_path):
    c = client(ws, catalogue)
    secret = tmp_path / "secret.docx"
    secret.write_bytes(b"top secret")
    (ws / "output" / "甲联合体" / "link.docx").symlink_to(secret)
    for url in ["/c/甲联合体/files/..%2F..%2F..%2Fsecret.docx", "/c/甲联合体/files/link.docx",
                "/download/..%2Fsecret.docx", "/download/%2Fetc%2Fpasswd", "/c/..%2F..%2Fetc/files/passwd",
                "/c/甲联合体/files/C:%2Fwindows%2Fwin.ini"]:
        r = c.get(url)
        assert r.status_code in (400, 404), url
        assert b"top secret" not in r.content
    # a file inside is served
    r = c.get("/c/甲联合体/files/" + workbook_of(ws).name)
    assert r.status_code == 200 and r.content[:2] == b"PK"


# --------------------------------------------------------------------------- host and token

def test_foreign_host_is_refused(ws, catalogue):
    c = client(ws, catalogue)
    assert c.get("/").status_code == 200
    assert c.get("/", headers={"Host": "evil.example:8765"}).status_code == 400
    r = c.post("/c/甲联合体/decide/1.1.1", headers={"Host": "evil.example", "X-CR-Token": "tok-123"},
               data={"status": "缺失"})
    assert r.status_code == 400
    assert expert_row(workbook_of(ws), "1.1.1")["专家判定"] is None


def test_state_changes_need_the_token(ws, catalogue):
    c = client(ws, catalogue)
    before = workbook_of(ws).read_bytes()
    assert c.post("/c/甲联合体/decide/1.1.1", data={"status": "缺失"}).status_code == 403
    assert c.post("/c/甲联合体/decide/1.1.1", data={"status": "缺失", "token": "wrong"}).status_code == 403
    # the right token from a page on another site (its Origin) is refused too
    r = c.post("/c/甲联合体/decide/1.1.1", data={"status": "缺失", "token": "tok-123"},
               headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert c.post("/review/甲联合体").status_code == 403
    assert c.post("/upload", content=b"PK").status_code == 403
    assert workbook_of(ws).read_bytes() == before
    # and the page carries the token for its own forms
    assert 'content="tok-123"' in c.get("/").text


# --------------------------------------------------------------------------- uploads

def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_oversized_upload_is_refused(ws, catalogue):
    c = client(ws, catalogue, max_upload_bytes=2000)
    body = _zip({"乙联合体/方案.txt": os.urandom(5000)})
    r = c.post("/upload", content=body, headers={"X-CR-Token": "tok-123", "X-Filename": "b.zip"})
    assert r.status_code == 413
    assert "过大" in r.json()["error"]
    assert not (ws / "乙联合体").exists()
    assert not any((ws / ".uploads").iterdir())          # nothing half-unpacked left behind


def test_zip_members_outside_the_folder_are_refused(ws, catalogue, tmp_path):
    c = client(ws, catalogue)
    body = _zip({"乙联合体/方案.txt": TEXT.encode("utf-8"), "../../逃逸.txt": b"x", "/abs/逃逸2.txt": b"y"})
    r = c.post("/upload", content=body, headers={"X-CR-Token": "tok-123", "X-Filename": "b.zip"})
    assert r.status_code == 200
    job = r.json()
    assert job["names"] == ["乙联合体"]
    assert sum("路径不安全" in p for p in job["problems"]) == 2
    assert (ws / "乙联合体" / "方案.txt").read_text(encoding="utf-8") == TEXT
    assert not list(tmp_path.rglob("逃逸*.txt"))
    c.app.state.jobs.stop()


def test_folder_upload_refuses_traversal(ws, catalogue):
    c = client(ws, catalogue)
    h = {"X-CR-Token": "tok-123"}
    assert c.post("/upload/file?staging=abc&path=..%2Fx.txt", content=b"x", headers=h).status_code == 400
    assert c.post("/upload/file?staging=..%2F..&path=x.txt", content=b"x", headers=h).status_code == 400
    assert c.post("/upload/file?staging=abc&path=%2Fetc%2Fx.txt", content=b"x", headers=h).status_code == 400


# --------------------------------------------------------------------------- escaping

def test_hostile_text_is_escaped(ws, catalogue):
    path = ws / "output" / "甲联合体" / "evidence.json"
    ev = json.loads(path.read_text(encoding="utf-8"))
    ev["consortium"]["name"] = HOSTILE
    point = next(p for p in ev["points"] if p["evidence"])
    point["evidence"][0]["snippet"] = HOSTILE
    point["evidence"][0]["file"] = HOSTILE
    ev["documents"].append({"file": HOSTILE, "status": "error", "error": HOSTILE, "format": "unknown"})
    path.write_text(json.dumps(ev, ensure_ascii=False), encoding="utf-8")
    c = client(ws, catalogue)
    for url in ["/", "/c/甲联合体", f"/c/甲联合体/point/{point['code']}"]:
        html = c.get(url).text
        assert "<script>window.pwned" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in html, url


# --------------------------------------------------------------------------- decisions

def test_decision_goes_into_the_workbook_and_survives_a_rerun(ws, catalogue):
    c = client(ws, catalogue)
    wb = workbook_of(ws)
    r = c.post("/c/甲联合体/decide/1.1.1", data={"token": "tok-123", "status": "部分", "value": "350",
                                                "comment": "核对章程后确认"}, follow_redirects=False)
    assert r.status_code == 303
    assert expert_row(wb, "1.1.1") == {"专家判定": "部分", "专家取值": 350, "专家意见": "核对章程后确认"}
    assert not [p for p in wb.parent.iterdir() if p.name.startswith(".~")]     # atomic: no temp left
    r = c.post("/c/甲联合体/decide/16.2", headers={"X-CR-Token": "tok-123"}, data={"status": "未触发"})
    assert r.status_code == 200 and r.json()["ok"]
    page = c.get("/c/甲联合体/point/1.1.1").text
    assert "核对章程后确认" in page and "专家确认" in page
    # an invalid status is refused, the workbook keeps the decision
    assert c.post("/c/甲联合体/decide/1.1.1", data={"token": "tok-123", "status": "随便"}).status_code == 409
    # the CLI's re-run reads the decision back and keeps it
    review_batch(ws, ws / "output", catalogue, workers=1, stream=io.StringIO(), live=False)
    assert expert_row(workbook_of(ws), "1.1.1")["专家意见"] == "核对章程后确认"
    ev = json.loads((ws / "output" / "甲联合体" / "evidence.json").read_text(encoding="utf-8"))
    p = next(p for p in ev["points"] if p["code"] == "1.1.1")
    assert p["expert"]["status"] == "部分" and p["expert"]["comment"] == "核对章程后确认"
    n = next(n for n in ev["negative_list"] if n["code"] == "16.2")
    assert n["expert"]["status"] == "未触发"


def test_a_crashing_review_leaves_others_and_decisions_intact(ws, catalogue, monkeypatch):
    c = client(ws, catalogue)
    c.post("/c/甲联合体/decide/1.1.1", data={"token": "tok-123", "status": "缺失", "comment": "材料不足"})
    (ws / "乙联合体").mkdir()
    (ws / "乙联合体" / "方案.txt").write_text(TEXT.replace("甲", "乙"), encoding="utf-8")
    (ws / "丙联合体").mkdir()
    (ws / "丙联合体" / "方案.txt").write_text(TEXT.replace("甲", "丙"), encoding="utf-8")
    monkeypatch.setenv(FAULT_ENV, "丙联合体:exit")          # the worker reviewing 丙 dies outright
    install_faults(monkeypatch)
    jobs = c.app.state.jobs
    job = jobs.submit(["乙联合体", "丙联合体", "甲联合体"], "上传")
    jobs.stop()
    jobs._thread.join(timeout=600)
    assert job.results["丙联合体"] == "failed"
    assert job.results["乙联合体"] in ("ok", "warn")
    assert (ws / "output" / "乙联合体" / "evidence.json").is_file()
    assert expert_row(workbook_of(ws), "1.1.1") == {"专家判定": "缺失", "专家取值": None, "专家意见": "材料不足"}
    assert c.get("/").status_code == 200


def test_folder_upload_installs_one_consortium_and_keeps_decisions(ws, catalogue):
    c = client(ws, catalogue)
    c.app.state.jobs.stop()                 # queue only: this test looks at the files, not at a review
    c.post("/c/甲联合体/decide/1.1.1", data={"token": "tok-123", "comment": "上传前的意见"})
    h = {"X-CR-Token": "tok-123"}
    new_text = TEXT.replace("45家", "52家")
    assert c.post("/upload/file?staging=ab12&path=" + "方案.txt", content=new_text.encode("utf-8"),
                  headers=h).status_code == 200
    assert c.post("/upload/file?staging=ab12&path=" + "附件/名单.txt", content="成员名单\n".encode("utf-8"),
                  headers=h).status_code == 200
    r = c.post("/upload/finish?staging=ab12&name=甲联合体", headers=h)
    assert r.status_code == 200 and r.json()["names"] == ["甲联合体"]
    # a re-upload replaces the materials; the decisions in the workbook stay
    assert (ws / "甲联合体" / "方案.txt").read_text(encoding="utf-8") == new_text
    assert (ws / "甲联合体" / "附件" / "名单.txt").is_file()
    assert expert_row(workbook_of(ws), "1.1.1")["专家意见"] == "上传前的意见"
    assert not (ws / ".uploads" / "f-ab12").exists()


def test_annual_report_is_generated_from_the_page(ws, catalogue):
    c = client(ws, catalogue)
    assert c.post("/c/甲联合体/annual").status_code == 403
    r = c.post("/c/甲联合体/annual", headers={"X-CR-Token": "tok-123"})
    assert r.status_code == 200, r.text
    name = r.json()["files"][0]
    assert name.endswith("年度报告.docx")
    page = c.get("/c/甲联合体").text
    assert name in page
    assert c.get("/c/甲联合体/files/" + name).content[:2] == b"PK"


def test_serve_uses_the_run_s_conclusion_rules(ws, catalogue):
    """``serve --rules`` gives the page the same rules as ``review --rules`` (one assessment)."""
    import json

    from consortium_review.generator.assess import AssessSettings
    from consortium_review.pipeline import Settings
    from consortium_review.web.workspace import Workspace

    evidence = json.loads((ws / "output" / "甲联合体" / "evidence.json").read_text(encoding="utf-8"))
    default = Workspace(ws, catalogue=catalogue).assessment(evidence)
    custom = Workspace(ws, catalogue=catalogue, settings=Settings(assess=AssessSettings(
        pass_label="同意通过", rectify_label="限期整改", reject_label="不同意"))).assessment(evidence)
    assert default.conclusion.label in ("建议通过", "整改后复核", "不予通过")
    assert custom.conclusion.label in ("同意通过", "限期整改", "不同意")
    assert custom.conclusion.label != default.conclusion.label


def test_annual_report_from_the_page_leaves_the_review_s_evidence_alone(ws, catalogue):
    c = client(ws, catalogue)
    evidence = ws / "output" / "甲联合体" / "evidence.json"
    before = evidence.read_bytes()
    r = c.post("/c/甲联合体/annual", headers={"X-CR-Token": "tok-123"})
    assert r.status_code == 200, r.text
    name = r.json()["files"][0]
    assert name.startswith("年度报告/")
    assert evidence.read_bytes() == before
    assert c.get("/c/甲联合体/files/" + name).content[:2] == b"PK"
