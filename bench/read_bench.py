"""Read benchmark: our PDF reader vs. plain pdfplumber text extraction, and its memory.

    python bench/read_bench.py                 # build bench/data/ once, then measure
    python bench/read_bench.py --pdfs DIR      # measure the PDFs in DIR instead
    python bench/read_bench.py --skip-4x       # skip the 4x memory run

Data: text PDFs with prose and ruled tables, ≥ 300 pages in total. By default they are the
dev corpus' 2024年度工作总结.pdf files (real LibreOffice output with a table each) joined
with pypdfium2's import_pages; without the dev corpus a python-docx document is converted
with LibreOffice. Everything lands in bench/data/ (git-ignored) and is reused.

Measured in fresh spawned processes, one after the other, on the same files:
* ours: ``extractors.read.read_file`` (tables, headers, paragraphs: the real read stage)
* pdfplumber: ``page.extract_text()`` for every page (text only, no tables)
Memory: peak RSS of the worker (resource.getrusage) and the Python heap peak
(tracemalloc) for our reader at 1× and 4× the pages: native memory stays flat because
pages are opened and closed one at a time; only the extracted text grows.
Target: ours ≥ 5× faster than plain pdfplumber.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA = ROOT / "bench" / "data"
DEV = ROOT.parent / "shared" / "corpus" / "dev" / "input"
MIN_PAGES = 300
N_FILES = 4


# --------------------------------------------------------------------------- data

def _concat(sources: list[Path], target: Path, min_pages: int) -> int:
    import pypdfium2 as pdfium

    out = pdfium.PdfDocument.new()
    srcs = [pdfium.PdfDocument(str(s)) for s in sources]
    try:
        while len(out) < min_pages:
            for src in srcs:
                out.import_pages(src)
        out.save(str(target))
        return len(out)
    finally:
        for s in srcs:
            s.close()
        out.close()


def _docx_source(target_dir: Path) -> list[Path]:
    """Without the dev corpus: a ~20 page report made with python-docx + LibreOffice."""
    from docx import Document
    from docx.shared import Pt

    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise SystemExit("需要开发语料（../shared/corpus/dev）或 LibreOffice 来生成基准数据；或用 --pdfs 指定 PDF 目录")
    doc = Document()
    para = ("联合体坚持以教促产、以产助教，推动教育链、人才链与产业链、创新链有机衔接。"
            "全年开展企业职工培训22,434人日，共建实训基地6个，提供实训工位1,273个，"
            "年度覆盖学生11,061名，校企共同开发课程42门。")
    for chapter in range(1, 16):
        doc.add_paragraph(f"{chapter}、建设任务推进情况")
        for _ in range(4):
            doc.add_paragraph(para * 2).paragraph_format.first_line_indent = Pt(24)
        t = doc.add_table(rows=9, cols=4)
        t.style = "Table Grid"
        for j, h in enumerate(["序号", "建设任务", "完成数量", "备注"]):
            t.cell(0, j).text = h
        for i in range(1, 9):
            for j, v in enumerate([str(i), f"任务{chapter}-{i}", f"{i * 37}个", "按计划完成"]):
                t.cell(i, j).text = v
    src = target_dir / "source.docx"
    doc.save(src)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([exe, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
                        "--convert-to", "pdf", "--outdir", str(target_dir), str(src)],
                       check=True, capture_output=True, timeout=300)
    return [target_dir / "source.pdf"]


def build_data(scale: int) -> list[Path]:
    """N_FILES PDFs with ≥ MIN_PAGES × scale pages in total (cached in bench/data)."""
    folder = DATA / f"{scale}x"
    files = sorted(folder.glob("*.pdf"))
    if len(files) == N_FILES:
        return files
    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted(DEV.glob("*/2024年度工作总结.pdf")) if DEV.exists() else []
    if not sources:
        sources = _docx_source(DATA)
    per_file = MIN_PAGES * scale // N_FILES + 1
    out = []
    for k in range(N_FILES):
        # rotate the sources so the files differ
        rot = sources[k % len(sources):] + sources[:k % len(sources)]
        target = folder / f"mixed_{k + 1}.pdf"
        _concat(rot, target, per_file)
        out.append(target)
    return out


# --------------------------------------------------------------------------- workers

def _pages(files: list[Path]) -> int:
    import pypdfium2 as pdfium

    n = 0
    for f in files:
        d = pdfium.PdfDocument(str(f))
        n += len(d)
        d.close()
    return n


def _run_ours(files: list[str], trace: bool) -> dict:
    import resource
    import tracemalloc

    from extractors.read import read_file

    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    rows = blocks = 0
    errors = []
    for f in files:
        for doc in read_file(Path(f), Path(f).name):
            if doc.error:
                errors.append(doc.error)
            blocks += len(doc.blocks)
            rows += sum(1 for b in doc.blocks if b.kind == "table_row")
            del doc
    seconds = time.perf_counter() - t0
    peak_heap = tracemalloc.get_traced_memory()[1] if trace else 0
    return {"seconds": seconds, "rows": rows, "blocks": blocks, "errors": errors,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "heap_mb": peak_heap / 1048576}


def _run_plumber(files: list[str]) -> dict:
    import resource

    import pdfplumber

    t0 = time.perf_counter()
    chars = 0
    for f in files:
        with pdfplumber.open(f) as pdf:
            for page in pdf.pages:
                chars += len(page.extract_text() or "")
                page.close()
    return {"seconds": time.perf_counter() - t0, "chars": chars,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _in_child(func, *args):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(func, args)


# --------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="PDF read benchmark (ours vs pdfplumber)")
    ap.add_argument("--pdfs", type=Path, help="folder of PDFs to measure instead of bench/data")
    ap.add_argument("--skip-4x", action="store_true", help="skip the 4x memory run")
    args = ap.parse_args(argv)

    if args.pdfs:
        files = sorted(args.pdfs.glob("*.pdf"))
        if not files:
            print(f"{args.pdfs} 中没有 PDF", file=sys.stderr)
            return 2
    else:
        files = build_data(1)
    pages = _pages(files)
    names = [str(f) for f in files]
    print(f"data: {len(files)} files, {pages} pages ({files[0].parent})")

    ours = _in_child(_run_ours, names, False)
    plumber = _in_child(_run_plumber, names)
    ours_pps = pages / ours["seconds"]
    plumber_pps = pages / plumber["seconds"]
    ratio = ours_pps / plumber_pps
    print(f"ours (read_file, tables incl.): {pages} pages in {ours['seconds']:.2f} s = "
          f"{ours_pps:.1f} pages/s, {ours['blocks']} blocks, {ours['rows']} table rows"
          + (f", {len(ours['errors'])} errors" if ours["errors"] else ""))
    print(f"pdfplumber extract_text:        {pages} pages in {plumber['seconds']:.2f} s = {plumber_pps:.1f} pages/s")
    print(f"ratio: {ratio:.1f}x faster (target >= 5x) -> {'PASS' if ratio >= 5 else 'FAIL'}")

    mem1 = _in_child(_run_ours, names, True)
    print(f"memory ours 1x: {pages} pages, peak RSS {mem1['rss_mb']:.0f} MB, "
          f"Python heap peak {mem1['heap_mb']:.1f} MB (pdfplumber peak RSS {plumber['rss_mb']:.0f} MB)")
    if not args.skip_4x and not args.pdfs:
        files4 = build_data(4)
        pages4 = _pages(files4)
        mem4 = _in_child(_run_ours, [str(f) for f in files4], True)
        print(f"memory ours 4x: {pages4} pages, peak RSS {mem4['rss_mb']:.0f} MB, "
              f"Python heap peak {mem4['heap_mb']:.1f} MB, {pages4 / mem4['seconds']:.1f} pages/s")
        print(f"memory growth 1x->4x: RSS {mem4['rss_mb'] - mem1['rss_mb']:+.0f} MB for "
              f"{pages4 - pages} more pages (heap holds the extracted blocks of one file at a time)")
    return 0 if ratio >= 5 else 1


if __name__ == "__main__":
    sys.exit(main())
