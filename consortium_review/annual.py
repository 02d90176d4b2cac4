"""The annual report's run (年度报告), end to end: read -> extract -> data sheets -> assess -> render.

``consortium-review annual FOLDER [-o OUT] [--year 2025] [--previous PREV]`` (``cli.cmd_annual``)
and the web workspace's 年度报告 button call ``annual_report``:

1. read + extract the year's materials (the same stages, settings and read cache as ``review``)
   and write evidence.json (``collect_year``);
2. find filled data-collection workbooks in the folder (``datasheet_read.find_datasheets``) and
   put their values first — documents confirm or conflict (``generator.datasheet.merge_datasheet``);
   the merged result is written as 年度数据.json (next year's ``--previous``);
3. carry the expert's decisions over from the review's evidence.json, when there is one;
4. assess once (``generator.assess``), for every part of the report;
5. last year: an evidence.json / 年度数据.json, an output folder or last year's materials folder
   (``load_previous``), else last year's figures as this year's materials state them
   (``generator.annual_render.previous_from_materials``), compared point by point;
6. render ``templates/年度报告模板.docx`` (``generator.annual_render.render_annual``).

Nothing invents a figure: a value is shown only when a document or the data sheet states it,
and always with its source; what is missing says 「待补充」 / 「无上年数据」.

Why a module of its own and not more of ``pipeline.py``: it is the same layer — it only wires
the stages, with the run's ``pipeline.Settings`` and the review's ``cache.ReadCache`` — but a
different run: its own output sub-folder (年度报告/, never the review's staged output set), the
data-sheet merge, last year's data and one renderer.  ``pipeline.py`` stays the review's single
path, which batch, watch and the result cache depend on; this module imports ``pipeline`` (for
``Settings``), never the other way round.  The renderers under ``generator/`` get plain data
(``YearData``): the sentences and table figures the report quotes are taken from the documents
here (``body_sentences``, ``year_columns``), not by the renderer.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any, Iterable, Optional

from .catalogue import Catalogue
from .datasheet_read import find_datasheets
from .evidence_json import build
from .extractors.context import split_sentences
from .extractors.evidence import extract
from .extractors.numbers import find_quantities
from .extractors.read import read_folder
from .fileio import write_json_atomic
from .generator.annual_data import ANNUAL_DIR, ANNUAL_JSON, AnnualError, YearData, own_documents
from .generator.annual_prose import stated
from .generator.annual_render import previous_from_materials, render_annual
from .generator.assess import assess
from .generator.datasheet import merge_datasheet
from .models import Document
from .pipeline import DEFAULT_SETTINGS, Settings


# =========================================================================== one year

def collect_year(folder: Path, catalogue: Catalogue, out_dir: Optional[Path] = None, *, cache=None,
                 year: Optional[int] = None, settings: Settings = DEFAULT_SETTINGS) -> YearData:
    """Read + extract ``folder``, merge its data sheets; write evidence.json + 年度数据.json to ``out_dir``.

    The report year: ``year`` (``--year``), else the one the data sheet states, else the one
    extraction reads from the documents; its source (Chinese) is kept in ``annual``.
    ``cache``: a ``cache.ReadCache`` keyed with ``settings.read`` (the review's, when it has one).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise AnnualError(f"找不到材料文件夹：{folder}")
    documents = read_folder(folder, cache=cache, settings=settings.read)
    sheets = find_datasheets(folder, catalogue)
    # the data sheets are merged by code below; extracting them as documents too would count
    # their values twice (and hide the documents' own targets and conflicts)
    sheet_files = {s.file for s in sheets}
    sheet = next((s for s in sheets if s.year), None)
    if sheet is not None and not year:
        year, source = int(sheet.year), f"数据采集表「{sheet.file}」中填写的年度"
    else:
        source = None
    result = extract(catalogue, [d for d in documents if d.file not in sheet_files], folder_name=folder.resolve().name,
                     year=year, settings=settings.extract)
    chosen = {"year": result.report_year, "source": source or result.report_year_source}
    evidence = build(catalogue, result.info, documents, result.points, result.negatives,
                     extra={"folder": folder.name, "generated_by": "consortium-review", "report_year": chosen})
    merged = merge_datasheet(evidence, sheets, catalogue)
    year = chosen["year"]
    merged["annual"] = dict(chosen)
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(out_dir / "evidence.json", evidence)
        write_json_atomic(out_dir / ANNUAL_JSON, merged)
    return YearData(evidence=merged, year=year, documents=documents, sheets=sheets, origin=str(folder),
                    sentences=body_sentences(own_documents(documents, sheets)), year_columns=year_columns(documents))


def body_sentences(documents: Iterable[Document]) -> list[tuple[str, dict]]:
    """Every sentence (clause) of the documents' body text — paragraphs, text boxes, long cells —
    in order, with its place as evidence gives it (``YearData.sentences``)."""
    out: list[tuple[str, dict]] = []
    for d in documents:
        for b in d.blocks:
            if b.kind not in ("paragraph", "textbox", "cell"):
                continue
            for _, sent in split_sentences(b.text):
                out.append((sent, {"file": d.file, "page": b.page, "locator": b.locator}))
    return out


def year_columns(documents: Iterable[Document]) -> dict[tuple[str, str], list[tuple[int, list[float]]]]:
    """Table rows with year headers (「2025年」): (file, locator) -> [(the header's year, the figures in
    the cell below it, years left out)] in column order (``YearData.year_columns``). The first
    block of a place counts, as when an evidence item's block is looked up."""
    out: dict[tuple[str, str], list[tuple[int, list[float]]]] = {}
    seen: set[tuple[str, str]] = set()
    for d in documents:
        for b in d.blocks:
            key = (d.file, b.locator)
            if key in seen:
                continue
            seen.add(key)
            if b.kind != "table_row" or not b.header:
                continue
            cols = []
            for cell, head in zip(b.cells, b.header):
                m = re.search(r"(20\d\d)", head or "")
                if m:
                    cols.append((int(m.group(1)), [float(q.value) for q in find_quantities(cell) if not q.is_year]))
            if cols:
                out[key] = cols
    return out


# =========================================================================== last year

def load_evidence_file(path: Path) -> dict:
    """An evidence.json / 年度数据.json written by this tool; AnnualError (Chinese) otherwise."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AnnualError(f"无法读取上年数据文件 {Path(path).name}：{exc}") from None
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith("consortium-review/evidence") \
            or not isinstance(data.get("points"), list):
        raise AnnualError(f"{Path(path).name} 不是 consortium-review 生成的 evidence.json / {ANNUAL_JSON}")
    return data


def load_previous(path: Path | str, catalogue: Catalogue, *, cache=None,
                  settings: Settings = DEFAULT_SETTINGS) -> YearData:
    """Last year's findings from an evidence.json / 年度数据.json, an output folder or a materials folder
    (read + extracted like this year's, with ``cache`` and ``settings``).

    Like is compared with like: last year's report printed the values of its 年度数据.json
    (data sheet first), so that file is used whenever it sits next to the given one or in the
    output folder's 年度报告/ sub-folder.
    """
    path = Path(path)
    if path.is_file() and path.name != ANNUAL_JSON and (path.parent / ANNUAL_JSON).is_file():
        path = path.parent / ANNUAL_JSON
    if path.is_dir() and (path / ANNUAL_DIR / ANNUAL_JSON).is_file():
        path = path / ANNUAL_DIR / ANNUAL_JSON
    if path.is_file():
        data = load_evidence_file(path)
        return YearData(evidence=data, year=(data.get("annual") or {}).get("year"), origin=path.name)
    if path.is_dir():
        for name in (ANNUAL_JSON, "evidence.json"):
            if (path / name).is_file():
                data = load_evidence_file(path / name)
                return YearData(evidence=data, year=(data.get("annual") or {}).get("year"),
                                origin=f"{path.name}/{name}")
        return collect_year(path, catalogue, cache=cache, settings=settings)
    raise AnnualError(f"找不到上年数据：{path}（应为上年的 evidence.json 或上年材料文件夹）")


# =========================================================================== the expert's decisions

def carry_expert_decisions(evidence: dict, review: dict) -> int:
    """Copy the expert's decisions (``expert`` of points and negative-list items) from the
    review's evidence.json into ``evidence``; returns how many were carried over."""
    n = 0
    for key in ("points", "negative_list"):
        decided = {x.get("code"): x["expert"] for x in review.get(key) or [] if x.get("expert")}
        for x in evidence.get(key) or []:
            if x.get("code") in decided and not x.get("expert"):
                x["expert"] = decided[x.get("code")]
                n += 1
    return n


def _carry_from_review(out_dir: Path, review_dir: Path) -> int:
    """Expert decisions of ``review_dir/evidence.json`` into the annual run's JSON files."""
    try:
        review = json.loads((review_dir / "evidence.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    n = 0
    for name in ("evidence.json", ANNUAL_JSON):
        try:
            data = json.loads((out_dir / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        got = carry_expert_decisions(data, review)
        if got:
            write_json_atomic(out_dir / name, data)
            n = max(n, got)
    return n


# =========================================================================== the run

def annual_report(folder: Path, out_dir: Path, catalogue: Catalogue, *, year: Optional[int] = None,
                  previous: Optional[Path] = None, date: Optional[dt.date] = None,
                  template: Optional[Path] = None, output: Optional[Path] = None,
                  review_dir: Optional[Path] = None, settings: Settings = DEFAULT_SETTINGS,
                  cache=None) -> dict[str, Any]:
    """The whole annual run for one consortium folder; returns a summary dict.

    ``review_dir``: the review's output folder of this consortium; the expert's decisions in
    its evidence.json are carried over into the annual data. ``settings``: the run's settings
    (read, extract, the conclusion rules); ``cache``: the read cache (``cache.ReadCache`` keyed
    with ``settings.read``), also used when ``previous`` is last year's materials folder.
    """
    folder, out_dir = Path(folder), Path(out_dir)
    cur = collect_year(folder, catalogue, out_dir, year=year, cache=cache, settings=settings)
    carried = _carry_from_review(out_dir, Path(review_dir)) if review_dir is not None else 0
    if carried:
        cur.evidence = load_evidence_file(out_dir / ANNUAL_JSON)
    assessment = assess(cur.evidence, catalogue, settings.assess)     # once, for the report's every part
    prev = (load_previous(previous, catalogue, cache=cache, settings=settings) if previous
            else previous_from_materials(cur, assessment))
    path = render_annual(catalogue, cur, prev, out_dir, year=cur.year, date=date, folder_name=folder.name,
                         template=template, output=output, assessment=assessment)
    pts = cur.evidence.get("points") or []
    return {
        "report": path,
        "year": cur.year,
        "year_source": (cur.evidence.get("annual") or {}).get("source"),
        "expert_carried": carried,
        "datasheets": [s.file for s in cur.sheets],
        "from_datasheet": sum(1 for p in pts if p.get("source") == "datasheet"),
        "stated": sum(1 for p in pts if stated(p)),
        "missing": sum(1 for p in pts if not stated(p)),
        "conflicts": sum(1 for p in pts if p.get("status") == "conflict"),
        "sheet_errors": [e for s in cur.sheets for e in s.errors],
        "previous": prev.origin if prev else None,
        "documents_failed": [d for d in cur.evidence.get("documents") or [] if d.get("status") not in ("ok", "ocr")],
        "spreadsheets": [d.get("file") for d in cur.evidence.get("documents") or []
                         if str(d.get("file") or "").lower().endswith((".xlsx", ".xlsm", ".xls", ".et", ".csv"))
                         and d.get("status") in ("ok", "ocr")],
    }
