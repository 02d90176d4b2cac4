"""The review workspace in a real browser (headless Chromium from the system, driven by Playwright).

The issue's "How to show it", step by step: start ``serve`` on an empty workspace, drop the
bundled sample as a zip, wait for the result, open a point with PDF evidence (page image and
highlight), override a value with a comment, confirm a negative-list item, regenerate,
download the opinion and find the value and 「专家确认」 in it; then edit the workbook like an
expert in Excel, re-run ``review`` from the CLI and see the edit in the page.

Needs ``chromium`` (Debian: ``apt-get install chromium chromium-driver``) and the ``playwright``
package (``pip install -e .[test]``; no ``playwright install``: the system browser is used).
``.ci/run`` installs both and sets CR_REQUIRE_BROWSER=1, so in CI a missing browser fails
instead of skipping. Set CR_WEB_SCREENSHOTS=folder to keep screenshots of the three views.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "input_docs"


def _chromium() -> str | None:
    for cand in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium"),
                 shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if cand and Path(cand).is_file():
            return cand
    return None


CHROMIUM = _chromium()
try:
    from playwright.sync_api import expect, sync_playwright
except ModuleNotFoundError:      # pragma: no cover - depends on the machine
    sync_playwright = None

if os.environ.get("CR_REQUIRE_BROWSER") != "1":
    pytestmark = pytest.mark.skipif(CHROMIUM is None or sync_playwright is None,
                                    reason="需要系统 chromium 和 playwright（.ci/run 会安装）")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sample_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(SAMPLE.rglob("*")):
            if p.is_file():
                zf.write(p, f"input_docs/{p.relative_to(SAMPLE).as_posix()}")
    return buf.getvalue()


@pytest.fixture()
def server(tmp_path):
    ws = tmp_path / "工作区"
    ws.mkdir()
    port = _free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    log = open(tmp_path / "serve.log", "w", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "consortium_review", "serve", str(ws), "--port", str(port),
                             "--no-browser"], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    else:
        proc.terminate()
        pytest.fail("serve 没有启动")
    yield ws, url, proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def _docx_text(path: Path) -> str:
    import docx

    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def test_review_in_the_browser(server, tmp_path):
    ws, url, proc = server
    shots = Path(os.environ["CR_WEB_SCREENSHOTS"]) if os.environ.get("CR_WEB_SCREENSHOTS") else tmp_path / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1440, "height": 900}, accept_downloads=True)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))

        # 1. drop the bundled sample as a zip on the drop zone
        page.goto(url + "/")
        expect(page.locator("#drop")).to_be_visible()
        data = base64.b64encode(_sample_zip()).decode()
        page.evaluate("""(b64) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], "input_docs.zip", {type: "application/zip"}));
            const drop = document.getElementById("drop");
            drop.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
            drop.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
        }""", data)
        # live progress shows up, then the page reloads with the result
        expect(page.locator("#jobs .job").first).to_be_visible(timeout=30_000)
        link = page.locator('a[href="/c/input_docs"]')
        expect(link).to_be_visible(timeout=600_000)
        expect(page.locator("tr.cons td.heat")).to_have_count(15)
        page.screenshot(path=str(shots / "overview.png"), full_page=True)

        # 2. the consortium page: 116 points grouped, filters
        link.click()
        expect(page.locator("tr.pt")).to_have_count(116)
        page.screenshot(path=str(shots / "consortium.png"))

        # 3. a point with PDF evidence: page image + highlight (in the side panel)
        page.locator('#p-9\\.1\\.4 a.ev', has_text="2024年度工作总结.pdf").click()
        panel = page.locator("#panel")
        view = panel.locator(".page-view[data-highlights]")
        expect(view).to_have_count(1, timeout=30_000)
        img = view.locator("img.page-img")
        expect(img).to_be_visible()
        for _ in range(100):            # the page image has arrived and decoded
            if img.evaluate("i => i.complete && i.naturalWidth") > 500:
                break
            time.sleep(0.1)
        assert img.evaluate("i => i.naturalWidth") > 500
        assert int(view.get_attribute("data-highlights")) >= 1
        hl = view.locator(".hl").first
        box, ibox = hl.bounding_box(), img.bounding_box()
        assert box and ibox and box["width"] > 20 and box["height"] > 5
        assert ibox["x"] <= box["x"] and box["x"] + box["width"] <= ibox["x"] + ibox["width"] + 1
        assert ibox["y"] <= box["y"] and box["y"] + box["height"] <= ibox["y"] + ibox["height"] + 1
        expect(panel.locator(".evidence")).to_have_count(2)       # a conflict: both sources side by side
        expect(panel.locator(".evidence table.rows tr.hit")).to_have_count(1)   # the Excel row with its header
        page.screenshot(path=str(shots / "evidence.png"))

        # 4. override the value with a comment (the decision form in the panel)
        panel.locator("#d-status").select_option("已找到")
        panel.locator("#d-value").fill("305")
        panel.locator("#d-comment").fill("核对订单班名册后按305人认定")
        panel.locator("#d-save").click()
        expect(panel.locator(".saved")).to_be_visible(timeout=20_000)
        expect(page.locator("#p-9\\.1\\.4")).to_contain_text("305")
        expect(page.locator("#p-9\\.1\\.4")).to_contain_text("专家确认")

        # 5. confirm a negative-list item
        page.goto(url + "/c/input_docs")
        page.locator("#n-16\\.1 button[value='未触发']").click()
        expect(page.locator("#n-16\\.1")).to_contain_text("专家确认：未触发")

        # filters: status (and confidence) narrow the list
        page.select_option("select[name=status]", "partial")
        expect(page).to_have_url(re.compile(r".*/c/input_docs\?status=partial&conf=.*"))
        n = page.locator("tr.pt").count()
        assert 0 < n < 116 and page.locator("tr.pt.st-partial").count() == n
        page.goto(url + "/c/input_docs")

        # 6. regenerate and download the opinion
        page.locator("#regenerate").click()
        expect(page.locator("#jobs .job").first).to_be_visible(timeout=30_000)
        # the button stays disabled while the job runs; the page reloads when it is done
        expect(page.locator("#regenerate")).to_be_enabled(timeout=600_000)
        expect(page.locator("#jobs .job[data-state=running]")).to_have_count(0)
        with page.expect_download() as dl:
            page.locator("a.download", has_text="评审意见.docx").click()
        opinion = tmp_path / "评审意见.docx"
        dl.value.save_as(opinion)
        text = _docx_text(opinion)
        assert "305" in text and "专家确认" in text
        assert "核对订单班名册后按305人认定" in text
        assert "16.1经评审专家确认未触发" in text

        # 7. edit the workbook as an expert would in Excel, re-run review from the CLI, see it in the page
        wb_path = next((ws / "output" / "input_docs").glob("*证据清单.xlsx"))
        wb = openpyxl.load_workbook(wb_path)
        sheet = wb["证据清单"]
        header = [c.value for c in sheet[1]]
        for row in sheet.iter_rows(min_row=2):
            if row[header.index("观测点编号")].value == "1.1.1":
                row[header.index("专家意见")].value = "工作簿里写的意见：会议纪要已核对"
        wb.save(wb_path)
        run = subprocess.run([sys.executable, "-m", "consortium_review", "review", str(ws), "-o", str(ws / "output"),
                              "--workers", "1"], capture_output=True, text=True, encoding="utf-8", timeout=600)
        assert run.returncode == 0, run.stdout + run.stderr
        page.goto(url + "/c/input_docs/point/1.1.1")
        expect(page.locator("#d-comment")).to_have_value("工作簿里写的意见：会议纪要已核对")
        page.goto(url + "/c/input_docs/point/9.1.4")
        expect(page.locator("#d-value")).to_have_value("305")            # the browser's decision survived the re-run
        expect(page.locator(".page-view[data-highlights]")).to_have_count(1, timeout=30_000)
        for _ in range(100):
            if page.locator("img.page-img").evaluate("i => i.complete && i.naturalWidth") > 500:
                break
            time.sleep(0.1)
        page.screenshot(path=str(shots / "point.png"), full_page=True)
        assert not errors, errors
        browser.close()
