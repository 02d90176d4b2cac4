"""Read benchmark: our PDF reader vs. plain pdfplumber text extraction, and its memory.

    python bench/read_bench.py                 # build bench/data/ once, then measure
    python bench/read_bench.py --pdfs DIR      # measure the PDFs in DIR instead
    python bench/read_bench.py --skip-4x       # skip the 4x memory run

Data: text PDFs with Chinese prose and ruled tables, ≥ 300 pages in total (4 files). By
default a long python-docx report (headings, wrapped paragraphs, a table per chapter,
running header, page numbers) is converted with LibreOffice; without LibreOffice (or with
--source dev) the dev corpus' 2024年度工作总结.pdf files are joined with pypdfium2's
import_pages. Everything lands in bench/data/ (git-ignored) and is reused.

Measured in fresh spawned processes, one after the other, on the same files:
* ceiling: pypdfium2's bare text pass (``get_textpage().get_text_range()`` per page)
* ours: ``consortium_review.extractors.read.read_file`` (tables, headers, paragraphs: the real read stage)
* pdfplumber: ``page.extract_text()`` for every page (text only, no tables)
Memory: peak RSS of the worker (resource.getrusage) and the Python heap peak
(tracemalloc, one file) for our reader at 1× and 4× the pages: pages are opened and
closed one at a time, so memory stays flat; only the extracted text grows.
Targets: ours ≥ 5× faster than plain pdfplumber and ≥ 400 pages/s per core; the ceiling and
the load average are printed with every run (the machine may be shared).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
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


def _report_docx(target: Path, chapters: int) -> Path:
    """A long Chinese report: headings, wrapped paragraphs, a ruled table per chapter,
    running header and page-number footer (python-docx)."""
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    sec = doc.sections[0]
    sec.header.paragraphs[0].text = "基准市域产教联合体年度工作总结"
    run = sec.footer.paragraphs[0].add_run()
    for tag, attr in (("w:fldChar", "begin"), ("w:instrText", None), ("w:fldChar", "end")):
        el = OxmlElement(tag)
        if attr:
            el.set(qn("w:fldCharType"), attr)
        else:
            el.text = "PAGE"
        run._r.append(el)
    para = ("联合体坚持以教促产、以产助教，推动教育链、人才链与产业链、创新链有机衔接。"
            "全年开展企业职工培训22,434人日，共建实训基地6个，提供实训工位1,273个，"
            "年度覆盖学生11,061名，校企共同开发课程42门。")
    for chapter in range(1, chapters + 1):
        doc.add_paragraph(f"（{chapter}）建设任务推进情况")
        for k in range(4):
            p = doc.add_paragraph(f"第{chapter}章第{k + 1}段。" + para * 2)
            p.paragraph_format.first_line_indent = Pt(24)
        t = doc.add_table(rows=9, cols=4)
        t.style = "Table Grid"
        for j, h in enumerate(["序号", "建设任务", "完成数量", "备注"]):
            t.cell(0, j).text = h
        for i in range(1, 9):
            for j, v in enumerate([str(i), f"任务{chapter}-{i}", f"{i * 37}个", "按计划完成"]):
                t.cell(i, j).text = v
    doc.save(target)
    return target


def _to_pdf(docx: Path, out_dir: Path) -> Path:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([exe, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
                        "--convert-to", "pdf", "--outdir", str(out_dir), str(docx)],
                       check=True, capture_output=True, timeout=1800)
    return out_dir / (docx.stem + ".pdf")


def build_data(scale: int, source: str = "auto") -> list[Path]:
    """N_FILES PDFs with ≥ MIN_PAGES × scale pages in total (cached in bench/data).

    source "docx": one long python-docx report per size converted by LibreOffice (pages
    share their fonts, like real documents); "dev": the dev corpus summaries joined with
    pypdfium2 (each joined copy brings its own fonts, which pdfium caches per document).
    """
    if source == "auto":
        source = "docx" if (shutil.which("soffice") or shutil.which("libreoffice")) else "dev"
    folder = DATA / f"{source}-{scale}x"
    files = sorted(folder.glob("mixed_*.pdf"))
    if len(files) == N_FILES:
        return files
    folder.mkdir(parents=True, exist_ok=True)
    per_file = MIN_PAGES * scale // N_FILES + 1
    out = []
    if source == "docx":
        # ~0.87 pages per chapter with the text above
        src = _to_pdf(_report_docx(folder / "source.docx", int(per_file / 0.85) + 2), folder)
        for k in range(N_FILES):
            target = folder / f"mixed_{k + 1}.pdf"
            shutil.copy(src, target)
            out.append(target)
        return out
    sources = sorted(DEV.glob("*/2024年度工作总结.pdf")) if DEV.exists() else []
    if not sources:
        raise SystemExit("需要 LibreOffice 或开发语料（../shared/corpus/dev）来生成基准数据；或用 --pdfs 指定 PDF 目录")
    for k in range(N_FILES):
        rot = sources[k % len(sources):] + sources[:k % len(sources)]   # the files differ
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

    from consortium_review.extractors.read import read_file
    # the reader module is imported once per worker, like the other runners' libraries:
    # outside the timing
    import consortium_review.extractors.readers.pdf  # noqa: F401

    if trace:
        tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
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
    cpu = time.process_time() - c0
    peak_heap = tracemalloc.get_traced_memory()[1] if trace else 0
    return {"seconds": seconds, "cpu": cpu, "rows": rows, "blocks": blocks, "errors": errors,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "heap_mb": peak_heap / 1048576}


def _run_plumber(files: list[str]) -> dict:
    import resource

    import pdfplumber

    t0, c0 = time.perf_counter(), time.process_time()
    chars = 0
    for f in files:
        with pdfplumber.open(f) as pdf:
            for page in pdf.pages:
                chars += len(page.extract_text() or "")
                page.close()
    return {"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0, "chars": chars,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _run_pdfium(files: list[str]) -> dict:
    """The ceiling: pypdfium2's bare text pass (open page, whole text in one call, close)."""
    import pypdfium2 as pdfium

    t0, c0 = time.perf_counter(), time.process_time()
    chars = 0
    for f in files:
        doc = pdfium.PdfDocument(f)
        for i in range(len(doc)):
            page = doc[i]
            tp = page.get_textpage()
            chars += len(tp.get_text_range())
            tp.close()
            page.close()
        doc.close()
    return {"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0, "chars": chars}


def _in_child(func, *args):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(func, args)


# --------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="PDF read benchmark (ours vs pdfplumber)")
    ap.add_argument("--pdfs", type=Path, help="folder of PDFs to measure instead of bench/data")
    ap.add_argument("--source", choices=["auto", "docx", "dev"], default="auto",
                    help="how to build bench/data (default: LibreOffice if installed, else dev corpus)")
    ap.add_argument("--skip-4x", action="store_true", help="skip the 4x memory run")
    args = ap.parse_args(argv)

    if args.pdfs:
        files = sorted(args.pdfs.glob("*.pdf"))
        if not files:
            print(f"{args.pdfs} 中没有 PDF", file=sys.stderr)
            return 2
    else:
        files = build_data(1, args.source)
    pages = _pages(files)
    names = [str(f) for f in files]
    print(f"data: {len(files)} files, {pages} pages ({files[0].parent})")

    load0 = os.getloadavg()[0]
    ceiling = _in_child(_run_pdfium, names)
    ours = _in_child(_run_ours, names, False)
    plumber = _in_child(_run_plumber, names)
    ceiling_again = _in_child(_run_pdfium, names)     # the load may change during the run
    if ceiling_again["cpu"] < ceiling["cpu"]:
        ceiling = ceiling_again
    load1 = os.getloadavg()[0]

    def rate(r: dict) -> str:
        return (f"{pages} pages in {r['seconds']:.2f} s wall = {pages / r['seconds']:.1f} pages/s; "
                f"{r['cpu']:.2f} s CPU = {pages / r['cpu']:.1f} pages per CPU-second")

    print(f"ours (read_file, tables incl.): {rate(ours)}, {ours['blocks']} blocks, {ours['rows']} table rows"
          + (f", {len(ours['errors'])} errors" if ours["errors"] else ""))
    print(f"pdfplumber extract_text:        {rate(plumber)}")
    print(f"pypdfium2 bare text (ceiling):  {rate(ceiling)}")
    # per core = per CPU-second of the one process: on a shared machine wall time also
    # counts the time other processes held the core
    ours_pps = pages / ours["cpu"]
    ratio = plumber["cpu"] / ours["cpu"]
    print(f"ratio (CPU): {ratio:.1f}x faster than pdfplumber (target >= 5x) -> {'PASS' if ratio >= 5 else 'FAIL'}; "
          f"{ceiling['cpu'] / ours['cpu']:.2f} of the pypdfium2 ceiling; "
          f"{ours_pps:.0f} pages per CPU-second (target >= 400 per core) -> {'PASS' if ours_pps >= 400 else 'FAIL'}")
    print(f"ratio (wall): {plumber['seconds'] / ours['seconds']:.1f}x pdfplumber, "
          f"{ceiling['seconds'] / ours['seconds']:.2f} of the ceiling")
    print(f"load average (1 min) {load0:.2f} at start, {load1:.2f} at end; {os.cpu_count()} cores")

    # memory: peak RSS of an untraced run, Python heap peak of a traced run (tracemalloc
    # makes the run ~20x slower, so it reads one file and its time is not reported)
    heap1 = _in_child(_run_ours, names[:1], True)
    print(f"memory ours 1x: {pages} pages, peak RSS {ours['rss_mb']:.0f} MB "
          f"(pdfplumber {plumber['rss_mb']:.0f} MB); Python heap peak for one "
          f"{pages // len(files)}-page file {heap1['heap_mb']:.1f} MB")
    if not args.skip_4x and not args.pdfs:
        files4 = build_data(4, args.source)
        pages4 = _pages(files4)
        names4 = [str(f) for f in files4]
        run4 = _in_child(_run_ours, names4, False)
        heap4 = _in_child(_run_ours, names4[:1], True)
        print(f"memory ours 4x: {pages4} pages, peak RSS {run4['rss_mb']:.0f} MB; Python heap peak for one "
              f"{pages4 // len(files4)}-page file {heap4['heap_mb']:.1f} MB; {pages4 / run4['seconds']:.1f} pages/s wall, "
              f"{pages4 / run4['cpu']:.1f} pages per CPU-second")
        print(f"growth 1x->4x: peak RSS {run4['rss_mb'] - ours['rss_mb']:+.0f} MB, Python heap "
              f"{heap4['heap_mb'] - heap1['heap_mb']:+.1f} MB (the heap holds one file's extracted blocks)")
    return 0 if ratio >= 5 else 1


if __name__ == "__main__":
    sys.exit(main())
