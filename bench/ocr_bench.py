"""OCR benchmark: ``rapidocr`` (3.x) vs ``rapidocr_onnxruntime`` (1.x), in one run.

    python bench/ocr_bench.py                 # every scanned page we have, both engines
    python bench/ocr_bench.py --quick         # fixtures, dev scans and the seal page only
    python bench/ocr_bench.py --engines rapidocr

Pages (each OCR'd exactly as the readers do it: PDF pages rendered by ``ocr.ocr_pdf_page``,
images prepared by the image reader, boxes grouped into lines by ``ocr.boxes_to_lines``):

* tests/fixtures: scan-cn.png, two-pages.tif (2 frames), pdf/scan-image-only.pdf,
  pdf/garbled-pua.pdf; known text from tests/fixtures/pdf/make_fixtures.py and test_ocr.py;
* ../shared/corpus/dev/input: the two image-only PDFs (理事会会议纪要, 专项经费使用情况说明);
  known text transcribed by eye from the page images (below, seal text left out);
* ../shared/corpus/peer (SOURCES.md): scan-image-table.pdf (known text: its CSV),
  cn-scan-ocr-gbk-euc-h.pdf (6 A4 pages, 300 dpi JPEG; no reliable reference, its hidden text
  layer is itself a poor OCR: timed only), scan-image-only-lorem.pdf and
  scan-hidden-ocr-layer.pdf (timed only);
* a page with a red seal, built here: A4 at 150 dpi, Chinese body text, a red seal over the
  signature and the last body line, JPEG; read once as a colour image and once as an
  image-only PDF (the PDF path renders grayscale).

Each engine runs in its own fresh process (``CR_OCR_ENGINE``) that first imports the review
pipeline, like a worker, then creates the engine once and OCRs every page. Reported per page:
character accuracy = 1 - edit distance / reference length (NFKC, whitespace removed), wall
seconds and CPU seconds (all threads; less sensitive to other load on the machine); per
engine: engine start-up, RSS with the engine loaded, and peak RSS (ru_maxrss).
Speed is only ever measured here, never in a test.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FIX = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared" / "corpus"
DEV = SHARED / "dev" / "input"
PEER = SHARED / "peer"
ENGINES = ("rapidocr_onnxruntime", "rapidocr")

DEV_TRUTH = {
    "鹭江海洋装备产教联合体/理事会会议纪要.pdf": """
鹭江海洋装备产教联合体2024年度理事会会议纪要
2024年3月19日，鹭江市海洋装备产教联合体2024年度理事会会议在鹭江海事职业技术学院召开。会议由理事长主持，理事单位代表5人出席会议。会议议定事项如下：
一、会议通报，联合体建设情况暂未纳入区域职业教育工作目标考核体系。
二、会议听取了秘书处工作汇报。联合体建设情况已纳入鹭江经济技术开发区年度工作考核指标。
三、各成员单位按照年度工作要点，细化任务清单，压实工作责任，定期调度推进。
会议要求各成员单位按照议定事项抓好落实。
鹭江海洋装备产教联合体秘书处
2024年12月
""",
    "宜宾临港市域产教联合体/专项经费使用情况说明.pdf": """
宜宾临港市域产教联合体专项经费使用情况说明
根据联合体专项经费管理办法，现将2024年度专项经费安排和使用情况说明如下。
一、经费到位情况
市财政设立市域产教联合体建设专项经费，纳入年度预算管理。
二、经费使用情况
专项经费主要用于实训基地建设、课程资源开发和师资培训，支出进度符合预算安排。日常经费主要用于秘书处运行、会议组织和平台维护等支出。
日常经费三年投入规划已纳入联合体三年行动计划，按年度滚动安排。
三、下一步安排
联合体坚持问题导向和目标导向相结合，及时研究解决建设中遇到的困难和问题。各成员院校结合自身办学特色，主动融入联合体建设大局。
宜宾临港市域产教联合体秘书处
2025年1月
""",
}

SEAL_TITLE = "鹭江海洋装备产教联合体关于年度数据报送的通知"
SEAL_BODY = [
    "各成员单位：",
    "根据联合体理事会决议，现将2024年度建设数据报送工作通知如下。",
    "一、报送内容包括实训基地、订单培养和企业职工培训等数据。",
    "二、订单班学生共计350人，企业职工培训量达22,434人日。",
    "三、请于2025年1月15日前将盖章材料报送联合体秘书处。",
    "联系人：王老师，电话：0592-6012345。",
]
SEAL_SIGN = ["鹭江海洋装备产教联合体秘书处", "2025年1月6日"]
SEAL_RING = "鹭江海洋装备产教联合体秘书处"


def _fixtures_module():
    spec = importlib.util.spec_from_file_location("make_fixtures", FIX / "pdf" / "make_fixtures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# --------------------------------------------------------------------------- the seal page

def build_seal_page(folder: Path) -> tuple[Path, Path, str]:
    """An A4 page (150 dpi) with a red seal over the signature; JPEG and image-only PDF."""
    import math

    from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

    font_path = str(_fixtures_module().cjk_font())
    body = ImageFont.truetype(font_path, 32)
    big = ImageFont.truetype(font_path, 42)
    W, H = 1240, 1754
    page = Image.new("RGB", (W, H), (250, 250, 248))
    d = ImageDraw.Draw(page)
    tw = d.textlength(SEAL_TITLE, font=big)
    d.text(((W - tw) / 2, 170), SEAL_TITLE, fill=(20, 20, 20), font=big)
    y = 300
    for k, line in enumerate(SEAL_BODY):
        x = 150 if k == 0 else 150 + 64
        d.text((x, y), line, fill=(25, 25, 25), font=body)
        y += 62
    y += 60
    for line in SEAL_SIGN:
        tw = d.textlength(line, font=body)
        d.text((W - 150 - tw, y), line, fill=(25, 25, 25), font=body)
        y += 62
    # the seal: a red ring, a star and the issuer's name on an arc, multiplied over the ink
    seal = Image.new("RGB", (W, H), (255, 255, 255))
    s = ImageDraw.Draw(seal)
    red = (215, 35, 40)
    cx, cy, r = W - 340, y - 110, 150
    s.ellipse((cx - r, cy - r, cx + r, cy + r), outline=red, width=9)
    pts = []
    for k in range(10):
        rad = 46 if k % 2 == 0 else 19
        a = -math.pi / 2 + k * math.pi / 5
        pts.append((cx + rad * math.cos(a), cy + rad * math.sin(a)))
    s.polygon(pts, fill=red)
    ring_font = ImageFont.truetype(font_path, 30)
    n = len(SEAL_RING)
    for k, ch in enumerate(SEAL_RING):
        a = math.radians(-210 + 240 * k / (n - 1))
        glyph = Image.new("L", (40, 40), 0)
        ImageDraw.Draw(glyph).text((5, 2), ch, fill=255, font=ring_font)
        glyph = glyph.rotate(-math.degrees(a) - 90, resample=Image.BICUBIC)
        gx, gy = cx + (r - 36) * math.cos(a) - 20, cy + (r - 36) * math.sin(a) - 20
        seal.paste(Image.new("RGB", (40, 40), red), (int(gx), int(gy)), glyph)
    page = ImageChops.multiply(page, seal).filter(ImageFilter.GaussianBlur(0.6))
    jpg = folder / "红章页.jpg"
    page.save(jpg, quality=80, dpi=(150, 150))
    pdf = folder / "红章页.pdf"
    page.save(pdf, resolution=150.0)
    truth = "\n".join([SEAL_TITLE, *SEAL_BODY, *SEAL_SIGN])
    return jpg, pdf, truth


# --------------------------------------------------------------------------- the page list

def page_list(tmp: Path, quick: bool) -> list[dict]:
    mf = _fixtures_module()
    scan_text = "\n".join([mf.SCAN_TITLE, *mf.SCAN_PARA1, mf.SCAN_PARA2])
    pages = [
        {"name": "fixtures/scan-cn.png", "path": str(FIX / "image" / "scan-cn.png"), "kind": "image", "index": 0, "truth": scan_text},
        {"name": "fixtures/two-pages.tif p1", "path": str(FIX / "image" / "two-pages.tif"), "kind": "image", "index": 0, "truth": "第一页：理事会会议纪要。"},
        {"name": "fixtures/two-pages.tif p2", "path": str(FIX / "image" / "two-pages.tif"), "kind": "image", "index": 1, "truth": "第二页：实训工位1273个。"},
        {"name": "fixtures/scan-image-only.pdf", "path": str(FIX / "pdf" / "scan-image-only.pdf"), "kind": "pdf", "index": 0, "truth": scan_text},
        {"name": "fixtures/garbled-pua.pdf", "path": str(FIX / "pdf" / "garbled-pua.pdf"), "kind": "pdf", "index": 0, "truth": mf.GARBLED_TEXT},
    ]
    for rel, truth in DEV_TRUTH.items():
        if (DEV / rel).exists():
            pages.append({"name": "dev/" + rel.split("/")[-1] + " (A4)", "path": str(DEV / rel), "kind": "pdf", "index": 0, "truth": truth.strip(), "a4": True})
    jpg, pdf, truth = build_seal_page(tmp)
    pages.append({"name": "红章页.jpg (colour, A4)", "path": str(jpg), "kind": "image", "index": 0, "truth": truth, "a4": True})
    pages.append({"name": "红章页.pdf (gray render, A4)", "path": str(pdf), "kind": "pdf", "index": 0, "truth": truth, "a4": True})
    if not quick and PEER.exists():
        csv = PEER / "scan-image-table.expected.txt"
        if csv.exists():
            import csv as csvmod

            rows = csvmod.reader(csv.read_text(encoding="utf-8").splitlines())
            truth = "\n".join(" ".join(c for c in row if c) for row in rows)
            pages.append({"name": "peer/scan-image-table.pdf", "path": str(PEER / "scan-image-table.pdf"), "kind": "pdf", "index": 0, "truth": truth})
        scan = PEER / "cn-scan-ocr-gbk-euc-h.pdf"
        if scan.exists():
            for k in range(6):
                pages.append({"name": f"peer/cn-scan-ocr p{k + 1} (A4)", "path": str(scan), "kind": "pdf", "index": k, "truth": None, "a4": True})
        for name in ("scan-image-only-lorem.pdf", "scan-hidden-ocr-layer.pdf"):
            if (PEER / name).exists():
                pages.append({"name": "peer/" + name, "path": str(PEER / name), "kind": "pdf", "index": 0, "truth": None})
    return pages


# --------------------------------------------------------------------------- scoring

def normalise(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def edit_distance(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


# --------------------------------------------------------------------------- child: one engine

def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _peak_mb() -> float:
    try:
        import resource
    except ImportError:     # Windows
        return float("nan")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def child(pages_file: Path) -> dict:
    import consortium_review.pipeline  # noqa: F401  (a worker has the whole review loaded)
    from consortium_review.extractors import ocr
    from consortium_review.extractors.readers import image as image_reader

    rss_before = _rss_mb()
    t0 = time.perf_counter()
    ocr.get_engine()
    startup = time.perf_counter() - t0
    rss_engine = _rss_mb()
    out = []
    for p in json.loads(pages_file.read_text(encoding="utf-8")):
        w0, c0 = time.perf_counter(), time.process_time()
        if p["kind"] == "pdf":
            import pypdfium2 as pdfium

            doc = pdfium.PdfDocument(p["path"])
            try:
                lines = ocr.ocr_pdf_page(doc, p["index"])
            finally:
                doc.close()
        else:
            img = image_reader._open(Path(p["path"]))
            try:
                img.seek(p["index"])
                frame = image_reader._prepare(img)
                lines = ocr.ocr_pil(frame)
            finally:
                img.close()
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        out.append({"name": p["name"], "text": "\n".join(ln.text for ln in lines), "wall": wall, "cpu": cpu})
    return {"engine": ocr.engine_name(), "startup": startup, "rss_before": rss_before,
            "rss_engine": rss_engine, "peak": _peak_mb(), "pages": out}


# --------------------------------------------------------------------------- parent

def run_engine(engine: str, pages_file: Path) -> dict:
    env = dict(os.environ, CR_OCR_ENGINE=engine, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(pages_file)],
                          env=env, capture_output=True, text=True, encoding="utf-8")
    if proc.returncode != 0:
        raise SystemExit(f"{engine} failed:\n{proc.stderr[-2000:]}")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    if res["engine"] != engine:
        raise SystemExit(f"{engine} not importable here (got {res['engine']})")
    return res


def load() -> str:
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except (AttributeError, OSError):
        return "load average n/a"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fixtures, dev scans and the seal page only")
    ap.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    ap.add_argument("--show-text", action="store_true", help="print each engine's text for pages with errors")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child), ensure_ascii=False))
        return 0

    with tempfile.TemporaryDirectory(prefix="ocr-bench-") as tmp:
        tmp = Path(tmp)
        pages = page_list(tmp, args.quick)
        pages_file = tmp / "pages.json"
        pages_file.write_text(json.dumps(pages, ensure_ascii=False), encoding="utf-8")
        print(f"{len(pages)} pages; cpus {os.cpu_count()}; before: {load()}")
        results = {}
        for engine in args.engines:
            results[engine] = run_engine(engine, pages_file)
            print(f"  {engine} done; {load()}")

    names = args.engines
    head = f"{'page':38} {'chars':>5} " + " ".join(f"{'acc ' + n[:14]:>20} {'wall s':>7} {'cpu s':>6}" for n in names)
    print()
    print(head)
    print("-" * len(head))
    tot = {n: {"err": 0, "wall": 0.0, "cpu": 0.0, "a4wall": 0.0, "a4cpu": 0.0} for n in names}
    nref = 0
    a4 = 0
    for k, p in enumerate(pages):
        cells = []
        ref = normalise(p["truth"]) if p["truth"] else None
        if ref:
            nref += len(ref)
        if p.get("a4"):
            a4 += 1
        for n in names:
            r = results[n]["pages"][k]
            tot[n]["wall"] += r["wall"]
            tot[n]["cpu"] += r["cpu"]
            if p.get("a4"):
                tot[n]["a4wall"] += r["wall"]
                tot[n]["a4cpu"] += r["cpu"]
            if ref:
                err = edit_distance(ref, normalise(r["text"]))
                tot[n]["err"] += err
                acc = f"{max(0.0, 1 - err / len(ref)):.1%} ({err})"
            else:
                acc = f"({len(normalise(r['text']))} chars)"
            cells.append(f"{acc:>20} {r['wall']:7.2f} {r['cpu']:6.2f}")
        print(f"{p['name'][:38]:38} {len(ref) if ref else '—':>5} " + " ".join(cells))
        if args.show_text and ref:
            for n in names:
                hyp = normalise(results[n]["pages"][k]["text"])
                if hyp != ref:
                    print(f"    {n}: {results[n]['pages'][k]['text']!r}")
    print("-" * len(head))
    cells = []
    for n in names:
        t = tot[n]
        acc = f"{1 - t['err'] / max(1, nref):.2%} ({t['err']})"
        cells.append(f"{acc:>20} {t['wall']:7.1f} {t['cpu']:6.1f}")
    print(f"{'all pages with known text':38} {nref:>5} " + " ".join(cells))
    print()
    for n in names:
        r = results[n]
        print(f"{n:22} start-up {r['startup']:.2f} s; RSS pipeline {r['rss_before']:.0f} MB -> with engine {r['rss_engine']:.0f} MB; "
              f"peak {r['peak']:.0f} MB; A4 pages ({a4}): {tot[n]['a4wall'] / max(1, a4):.2f} s/page wall, {tot[n]['a4cpu'] / max(1, a4):.2f} s/page CPU")
    print(f"after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
