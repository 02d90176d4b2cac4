"""One consortium, end to end: read -> extract -> evidence.json -> assess -> rendered outputs.

Batch mode, watch mode and the CLI all call ``review_consortium``; nothing else wires the
stages together.  The assessment (``generator.assess.Assessment``: expert overrides, thresholds,
negative list, problems, conclusion) is computed once here, after the expert's workbook edits are
read back, and the same object is handed to every renderer and to the summary.
"""

from __future__ import annotations

import importlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .catalogue import Catalogue
from .evidence_json import build
from .extractors.evidence import extract
from .extractors.read import read_folder
from .fileio import mark_generated, mark_output_dir, write_json_atomic
from .generator.assess import Assessment, AssessSettings, assess
from .generator.workbook import read_back_edits
from .settings import ExtractSettings, ReadSettings, settings_hash

log = logging.getLogger("consortium_review")

#: Renderers run after evidence.json is written: "module:function" taking
#: (evidence: dict, catalogue: Catalogue, out_dir: Path, assessment: Assessment | None) and
#: returning a list of written paths (``assessment`` None: the renderer assesses by itself).
#: Each one is isolated: a failing renderer is reported, the others still run.
RENDERERS: list[str] = [
    "consortium_review.generator.workbook:render",        # 证据清单.xlsx (+ reads back the expert's edits first)
    "consortium_review.generator.charts:render",          # PNG charts
    "consortium_review.generator.review_opinion:render",  # 评审意见.docx
]


@dataclass(frozen=True)
class Settings:
    """All settings of one run, passed explicitly to the stages (and pickled to batch workers)."""

    read: ReadSettings = field(default_factory=ReadSettings)
    extract: ExtractSettings = field(default_factory=ExtractSettings)
    assess: AssessSettings = field(default_factory=AssessSettings)

    def hashes(self) -> dict[str, str]:
        """Short hash per part (the read one keys the read cache, all of them the result cache)."""
        return {"read": settings_hash(self.read), "extract": settings_hash(self.extract),
                "assess": settings_hash(self.assess)}


DEFAULT_SETTINGS = Settings()


def _load(spec: str):
    """The renderer function; an import error propagates (reported as that renderer's failure,
    never skipped silently)."""
    mod, func = spec.split(":")
    return getattr(importlib.import_module(mod), func)


def review_consortium(folder: Path, out_dir: Path, catalogue: Catalogue, *, cache=None,
                      render: bool = True, renderers: Optional[list[str]] = None,
                      year: Optional[int] = None, read_workers: int = 1,
                      settings: Settings = DEFAULT_SETTINGS) -> dict[str, Any]:
    """Review the consortium whose files are in ``folder``; write results to ``out_dir``.

    ``year``: the report year (``--year``); by default it is chosen from the documents
    by extraction; the year and its source (Chinese) go into evidence.json and are printed.
    ``read_workers``: processes reading this consortium's files in parallel.
    Returns a plain summary dict (counts, timings, outputs, errors) for batch reports.
    """
    folder, out_dir = Path(folder), Path(out_dir)
    timings: dict[str, float] = {}
    errors: list[str] = []
    t0 = time.perf_counter()
    documents = read_folder(folder, cache=cache, workers=read_workers, settings=settings.read)
    timings["read"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    result = extract(catalogue, documents, folder_name=folder.resolve().name, year=year, settings=settings.extract)
    timings["extract"] = time.perf_counter() - t1

    evidence = build(catalogue, result.info, documents, result.points, result.negatives,
                     extra={"folder": folder.name, "generated_by": "consortium-review",
                            "report_year": {"year": result.report_year, "source": result.report_year_source}})
    mark_output_dir(out_dir)
    write_json_atomic(out_dir / "evidence.json", evidence)

    outputs: list[str] = ["evidence.json"]
    assessment: Optional[Assessment] = None
    if render:
        evidence["assess_settings"] = settings.assess      # for the renderers; never written out
        t2 = time.perf_counter()
        try:
            read_back_edits(evidence, out_dir)      # the expert's 证据清单 edits count in the assessment
            assessment = assess(evidence, catalogue, settings.assess)
        except Exception as exc:
            log.exception("assessment failed for %s", folder.name)
            errors.append(f"评估失败：{type(exc).__name__}：{exc}")
        timings["assess"] = time.perf_counter() - t2
        for spec in renderers if renderers is not None else RENDERERS:
            t2 = time.perf_counter()
            try:
                fn = _load(spec)
                for p in fn(evidence, catalogue, out_dir, assessment) or []:
                    mark_generated(Path(p))
                    outputs.append(Path(p).name)
            except Exception as exc:  # isolate: one broken output never loses the others
                log.exception("renderer %s failed for %s", spec, folder.name)
                errors.append(f"生成 {spec.split(':')[0].split('.')[-1]} 失败：{type(exc).__name__}：{exc}")
            timings[spec.split(":")[0].split(".")[-1]] = time.perf_counter() - t2
        evidence.pop("assess_settings", None)
        if any(p.get("expert") for p in evidence["points"]):
            # the workbook renderer read the expert's edits back: keep them in evidence.json too
            write_json_atomic(out_dir / "evidence.json", evidence)
    timings["total"] = time.perf_counter() - t0
    return summarize(evidence, catalogue, out_dir, outputs, errors, timings, assessment)


def assessment_summary(a: Assessment) -> dict[str, Any]:
    """The assessment's verdicts as plain JSON (terminal summary, 汇总, result cache)."""
    return {
        "conclusion": a.conclusion.label,
        "reasons": list(a.conclusion.reasons),
        "rule": a.conclusion.rule,
        "flags": [{"code": n.code, "name": n.name, "confirmed": n.confirmed} for n in a.flagged],
        "statuses": {k: a.coverage.count(k) for k in ("found", "partial", "missing", "conflict")},
        "coverage": round(a.coverage.percent, 1),
        "coverage_level2": {l2.code: round(l2.coverage.percent, 1) for l2 in a.level2 if l2.coverage.total},
        "thresholds": {"met": sum(1 for p in a.thresholds if p.threshold_met is True),
                       "unmet": sum(1 for p in a.thresholds if p.threshold_met is False),
                       "unknown": sum(1 for p in a.thresholds if p.threshold_met is None)},
        "problems": len(a.problems),
    }


def submitted_count(docs: list[dict[str, Any]]) -> int:
    """Files as the user submitted them: a zip counts once (its members are listed under it)."""
    archives = [d["file"] + "/" for d in docs if d.get("format") == "zip"]
    return sum(1 for d in docs if not any(d["file"].startswith(a) for a in archives))


def summarize(evidence: dict[str, Any], catalogue: Catalogue, out_dir: Path, outputs: list[str],
              errors: list[str], timings: dict[str, float],
              assessment: Optional[Assessment] = None) -> dict[str, Any]:
    """Counts for terminal output and the batch summary (the assessment's verdicts when given)."""
    statuses = {"found": 0, "partial": 0, "missing": 0, "conflict": 0}
    for p in evidence["points"]:
        statuses[p["status"]] = statuses.get(p["status"], 0) + 1
    docs = evidence["documents"]
    return {
        "folder": evidence.get("folder"),
        "report_year": evidence.get("report_year"),
        "out_dir": str(out_dir),
        "consortium": evidence["consortium"],
        "documents": submitted_count(docs),
        "documents_failed": [{"file": d["file"], "error": d["error"]} for d in docs if d["status"] in ("error", "skipped")],
        "documents_notes": [{"file": d["file"], "note": w} for d in docs for w in d.get("warnings") or []
                            if w.startswith("扩展名不符")],
        "pages": sum(d.get("pages") or 0 for d in docs),
        "statuses": statuses,
        "flags": [n["code"] for n in evidence["negative_list"] if n["flagged"]],
        "thresholds": {p["code"]: p["threshold"]["met"] for p in evidence["points"] if p.get("threshold")},
        "outputs": outputs,
        "errors": errors,
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "assessment": assessment_summary(assessment) if assessment is not None else None,
    }
