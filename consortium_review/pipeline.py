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
from pathlib import Path
from typing import Any, Optional

from .catalogue import Catalogue
from .evidence_json import build
from .fileio import display_name, write_json_atomic
from .generator.assess import Assessment, assess
from .generator.workbook import read_back_edits

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


def _load(spec: str):
    mod, func = spec.split(":")
    try:
        module = importlib.import_module(mod)
    except ModuleNotFoundError as exc:
        if exc.name == mod:       # renderer not built yet: skip quietly
            return None
        raise
    return getattr(module, func)


def review_consortium(folder: Path, out_dir: Path, catalogue: Catalogue, *, cache=None,
                      render: bool = True, renderers: Optional[list[str]] = None) -> dict[str, Any]:
    """Review the consortium whose files are in ``folder``; write results to ``out_dir``.

    Returns a plain summary dict (counts, timings, outputs, errors) for batch reports.
    """
    from consortium_review.extractors.evidence import extract
    from consortium_review.extractors.read import read_folder

    folder, out_dir = Path(folder), Path(out_dir)
    timings: dict[str, float] = {}
    errors: list[str] = []
    t0 = time.perf_counter()
    documents = read_folder(folder, cache=cache)
    timings["read"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    result = extract(catalogue, documents, folder_name=folder.resolve().name)
    timings["extract"] = time.perf_counter() - t1

    evidence = build(catalogue, result.info, documents, result.points, result.negatives,
                     extra={"folder": display_name(folder.name), "generated_by": "consortium-review"})
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out_dir / "evidence.json", evidence)

    outputs: list[str] = ["evidence.json"]
    assessment: Optional[Assessment] = None
    if render:
        t2 = time.perf_counter()
        try:
            read_back_edits(evidence, out_dir)      # the expert's 证据清单 edits count in the assessment
            assessment = assess(evidence, catalogue, evidence.get("assess_settings"))
        except Exception as exc:
            log.exception("assessment failed for %s", folder.name)
            errors.append(f"评估失败：{type(exc).__name__}：{exc}")
        timings["assess"] = time.perf_counter() - t2
        for spec in renderers if renderers is not None else RENDERERS:
            t2 = time.perf_counter()
            try:
                fn = _load(spec)
                if fn is None:
                    continue
                for p in fn(evidence, catalogue, out_dir, assessment) or []:
                    outputs.append(Path(p).name)
            except Exception as exc:  # isolate: one broken output never loses the others
                log.exception("renderer %s failed for %s", spec, folder.name)
                errors.append(f"生成 {spec.split(':')[0].split('.')[-1]} 失败：{type(exc).__name__}：{exc}")
            timings[spec.split(":")[0].split(".")[-1]] = time.perf_counter() - t2
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
        "out_dir": str(out_dir),
        "consortium": evidence["consortium"],
        "documents": len(docs),
        "documents_failed": [{"file": d["file"], "error": d["error"]} for d in docs if d["status"] in ("error", "skipped")],
        "pages": sum(d.get("pages") or 0 for d in docs),
        "statuses": statuses,
        "flags": [n["code"] for n in evidence["negative_list"] if n["flagged"]],
        "thresholds": {p["code"]: p["threshold"]["met"] for p in evidence["points"] if p.get("threshold")},
        "outputs": outputs,
        "errors": errors,
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "assessment": assessment_summary(assessment) if assessment is not None else None,
    }
