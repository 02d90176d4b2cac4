"""Regression check for the PDF reader: dump every table row (and a digest of all blocks)
of every PDF in the fixtures and corpora, then compare two dumps.

    python bench/pdf_rows_check.py dump before.json      # on the old code
    python bench/pdf_rows_check.py dump after.json       # on the new code
    python bench/pdf_rows_check.py compare before.json after.json

PDFs: tests/fixtures/**, tests/corpus/**, ../shared/corpus/** (peer, dev, ...). OCR is
switched off (OCR page cap 0) so the dump is about the text layer and runs quickly;
scanned pages show up as skipped in the warnings on both sides.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus"


def _files() -> list[Path]:
    out: list[Path] = []
    for base in (ROOT / "tests" / "fixtures", ROOT / "tests" / "corpus", SHARED):
        if base.exists():
            out += sorted(p for p in base.rglob("*") if p.is_file() and p.suffix.lower() == ".pdf")
    return out


def dump(target: Path) -> int:
    os.environ["CR_MAX_OCR_PAGES"] = "0"          # older trees read the cap from the environment
    import contextlib

    from consortium_review.extractors.readers import ReadError
    from consortium_review.extractors.readers import pdf
    try:
        from consortium_review.settings import ReadSettings, using_read_settings

        def no_ocr():
            return using_read_settings(ReadSettings(max_ocr_pages=0))
    except ImportError:
        no_ocr = contextlib.nullcontext

    result: dict[str, dict] = {}
    t0 = time.perf_counter()
    for f in _files():
        key = str(f.relative_to(ROOT.parent))
        try:
            with no_ocr():
                r = pdf.read(f, f.name)
        except ReadError as exc:
            result[key] = {"error": str(exc)}
            continue
        rows = [[b.page, b.locator, b.cells, b.header] for b in r.blocks if b.kind == "table_row"]
        blocks = [[b.kind, b.page, b.locator, b.level, b.section, b.text, b.cells, b.header,
                   b.page_breaks] for b in r.blocks]
        digest = hashlib.sha256(json.dumps(blocks, ensure_ascii=False).encode()).hexdigest()
        result[key] = {"rows": rows, "n_blocks": len(blocks), "blocks_sha": digest,
                       "blocks": blocks, "warnings": r.warnings}
    target.write_text(json.dumps(result, ensure_ascii=False, indent=0), encoding="utf-8")
    n_rows = sum(len(v.get("rows", [])) for v in result.values())
    print(f"{len(result)} PDFs, {n_rows} table rows, {time.perf_counter() - t0:.1f} s -> {target}")
    return 0


def compare(a_path: Path, b_path: Path) -> int:
    a = json.loads(a_path.read_text(encoding="utf-8"))
    b = json.loads(b_path.read_text(encoding="utf-8"))
    row_diff = block_diff = 0
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        if x is None or y is None:
            print(f"only in one dump: {key}")
            row_diff += 1
            continue
        if x.get("error") != y.get("error"):
            print(f"{key}: error {x.get('error')!r} -> {y.get('error')!r}")
            row_diff += 1
        if x.get("rows") != y.get("rows"):
            row_diff += 1
            xr, yr = x.get("rows", []), y.get("rows", [])
            print(f"{key}: table rows differ ({len(xr)} -> {len(yr)})")
            for k in range(max(len(xr), len(yr))):
                r1 = xr[k] if k < len(xr) else None
                r2 = yr[k] if k < len(yr) else None
                if r1 != r2:
                    print(f"    - {r1}\n    + {r2}")
        if x.get("blocks_sha") != y.get("blocks_sha"):
            block_diff += 1
            xb, yb = x.get("blocks", []), y.get("blocks", [])
            print(f"{key}: blocks differ ({len(xb)} -> {len(yb)})")
            shown = 0
            for k in range(max(len(xb), len(yb))):
                b1 = xb[k] if k < len(xb) else None
                b2 = yb[k] if k < len(yb) else None
                if b1 != b2 and shown < 5:
                    print(f"    - {b1}\n    + {b2}")
                    shown += 1
        if x.get("warnings") != y.get("warnings"):
            print(f"{key}: warnings {x.get('warnings')} -> {y.get('warnings')}")
    n_rows = sum(len(v.get("rows", [])) for v in a.values())
    print(f"{len(a)} PDFs, {n_rows} table rows: {row_diff} files with different table rows, "
          f"{block_diff} files with different blocks")
    return 1 if row_diff or block_diff else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "dump":
        sys.exit(dump(Path(sys.argv[2])))
    if len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
    print(__doc__)
    sys.exit(2)
