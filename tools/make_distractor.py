#!/usr/bin/env python3
"""Build the reference attachments of the distractor set (tests/corpus/distractor/attachments/).

* 教育部办公厅关于加强市域产教联合体建设的通知.pdf — the notice with 附件1 (the standard) and 附件2
  (the rosters), from the standard's text shipped in the package (standards/cjlht-2024-source.txt)
  or ../shared/seeds when present;
* 产教联合体建设动态汇编.pdf — real published news about other consortia, verbatim, from
  tests/corpus/distractor/news/*.txt (sources in news/SOURCES.md).

Needs LibreOffice (soffice) for the PDFs. The accuracy test (tests/test_accuracy.py) copies the
labelled consortia and adds these two files to each folder: nothing may come from them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import docx

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "corpus" / "distractor" / "attachments"
NEWS = ROOT / "tests" / "corpus" / "distractor" / "news"
SOURCES = [ROOT / "standards" / "cjlht-2024-source.txt",
           ROOT.parent / "shared" / "seeds" / "000_8d6c8bfc02969349.txt"]


def to_pdf(paragraphs: list[str], name: str, title: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = docx.Document()
        if title:
            d.add_heading(title, 1)
        for p in paragraphs:
            d.add_paragraph(p)
        src = Path(tmp) / f"{name}.docx"
        d.save(src)
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp}/lo", "--convert-to", "pdf",
                        "--outdir", tmp, str(src)], check=True, capture_output=True, timeout=300)
        OUT.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(tmp) / f"{name}.pdf", OUT / f"{name}.pdf")


def main() -> int:
    src = next((p for p in SOURCES if p.is_file()), None)
    if src is None:
        print("找不到标准原文（standards/cjlht-2024-source.txt 或 ../shared/seeds）", file=sys.stderr)
        return 1
    lines = [ln.strip() for ln in src.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    to_pdf(lines, "教育部办公厅关于加强市域产教联合体建设的通知")
    news = [ln.strip() for f in sorted(NEWS.glob("news_*.txt"))
            for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()]
    to_pdf(news, "产教联合体建设动态汇编", "产教联合体建设动态（新闻汇编）")
    print(f"写入 {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
