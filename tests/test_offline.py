"""Nothing leaves the machine: a whole review with OCR makes no network attempt at all.

The review runs as the user runs it (``python -m consortium_review review``, batch mode, two
spawned workers that each load the OCR engine) under ``strace -f -e trace=network``; any
connect or send to an internet address, any DNS query or connect to the name-service cache
daemon fails the test. A control run that does one DNS lookup shows the trace
catches such attempts. onnxruntime's compiled library sends telemetry unless
``ORT_DISABLE_TELEMETRY=1`` is set before it initialises (``extractors/ocr.py`` does that), so
the child environment here has that variable removed, and with it the CI markers that
onnxruntime itself reads as "do not send".
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from consortium_review.extractors import ocr

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.skipif(not ocr.available(), reason="OCR 组件（rapidocr）未安装"),
    pytest.mark.skipif(shutil.which("strace") is None or not sys.platform.startswith("linux"),
                       reason="需要 Linux 上的 strace（apt-get install strace）"),
]

#: onnxruntime reads these as "do not send"; the test must not rely on them.
_QUIETING = ("ORT_DISABLE_TELEMETRY", "ORT_TELEMETRY_DISABLED", "GITHUB_ACTIONS", "GITLAB_CI", "TF_BUILD")

_INET_SEND = re.compile(r"\b(connect|sendto|sendmsg)\(\d+,.*sa_family=AF_INET6?\b")
_NSCD = re.compile(r"\bconnect\(\d+, \{sa_family=AF_UNIX, sun_path=\"[^\"]*nscd")
_DNS_PORT = re.compile(r"\b(sendto|sendmsg|connect)\(.*htons\(53\)")


def network_attempts(trace: str) -> list[str]:
    """Lines of an ``strace -e trace=network`` log that try to reach a network or a resolver:
    any connect or send to an internet address (loopback included), any DNS query, any connect
    to the name-service cache daemon. Creating a socket is not an attempt by itself: urllib3
    (imported by rapidocr) probes IPv6 support at import by binding a socket to ::1."""
    return [ln for ln in trace.splitlines()
            if _INET_SEND.search(ln) or _NSCD.search(ln) or _DNS_PORT.search(ln)]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _QUIETING}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def _traced(tmp_path: Path, args: list[str]) -> tuple[subprocess.CompletedProcess, str]:
    log = tmp_path / "strace.log"
    proc = subprocess.run(["strace", "-f", "-qq", "-e", "trace=network", "-o", str(log), *args],
                          env=_env(), capture_output=True, text=True, encoding="utf-8", errors="replace",
                          timeout=900)
    if not log.exists():
        pytest.skip(f"strace 无法运行：{proc.stderr.strip()[:200]}")
    return proc, log.read_text(encoding="utf-8", errors="replace")


def _scan_png(path: Path, text: str) -> None:
    from PIL import Image, ImageDraw, ImageFont
    import mplfonts

    fonts = Path(mplfonts.__file__).parent / "fonts"
    font = next(fonts / n for n in ("NotoSansCJKsc-Regular.otf", "SimHei.ttf", "NotoSerifCJKsc-Regular.otf")
                if (fonts / n).exists())
    img = Image.new("L", (1100, 200), 255)
    ImageDraw.Draw(img).text((60, 70), text, fill=0, font=ImageFont.truetype(str(font), 34))
    img.save(path)


def test_trace_catches_a_dns_lookup(tmp_path):
    """Control: the same trace and filter see a plain name lookup."""
    code = "import socket\ntry:\n    socket.getaddrinfo('telemetry.example.invalid', 443)\nexcept OSError:\n    pass\n"
    _, trace = _traced(tmp_path, [sys.executable, "-c", code])
    assert network_attempts(trace), trace[-2000:]


def test_review_with_ocr_makes_no_network_attempt(tmp_path):
    materials = tmp_path / "材料"
    lines = {"甲联合体": "甲联合体理事会会议纪要：订单班学生350人。",
             "乙联合体": "乙联合体专项经费实际到位3846万元。"}
    for name, text in lines.items():
        (materials / name).mkdir(parents=True)
        _scan_png(materials / name / "扫描件.png", text)
    out = tmp_path / "结果"
    proc, trace = _traced(tmp_path, [sys.executable, "-m", "consortium_review", "review", str(materials),
                                     "-o", str(out), "--batch", "--workers", "2"])
    assert network_attempts(trace) == [], "\n".join(network_attempts(trace)[:20])
    # OCR really ran, in the workers, and read the scans
    found = {}
    for ev in out.rglob("evidence.json"):
        data = json.loads(ev.read_text(encoding="utf-8"))
        for doc in data.get("documents", []):
            found[doc["file"]] = doc
    assert len(found) >= 1 and all(d["status"] == "ocr" for d in found.values()), (found, proc.stderr[-2000:])
    assert len(list(out.rglob("evidence.json"))) == 2, proc.stderr[-2000:]
    texts = "".join(json.dumps(json.loads(ev.read_text(encoding="utf-8")), ensure_ascii=False)
                    for ev in out.rglob("evidence.json"))
    assert "3846" in texts or "350" in texts, texts[:500]


def test_ocr_module_sets_the_runtime_opt_out():
    assert os.environ.get("ORT_DISABLE_TELEMETRY") == "1"
    code = ("import os; from consortium_review.extractors import ocr; "
            "print(os.environ.get('ORT_DISABLE_TELEMETRY'))")
    proc = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=300)
    assert proc.stdout.strip() == "1", proc.stderr
