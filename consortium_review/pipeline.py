"""One consortium, end to end: read -> extract -> evidence.json -> rendered outputs.

Batch mode, watch mode and the CLI all call ``review_consortium``; nothing else wires the
stages together.
"""

from __future__ import annotations

import importlib
import logging
import time
from pathlib import Path
from typing import Any, Optional

from .catalogue import Catalogue
from .evidence_json import build
from .fileio import write_json_atomic

log = logging.getLogger("consortium_review")

#: Renderers run after evidence.json is written: "module:function" taking
#: (evidence: dict, catalogue: Catalogue, out_dir: Path) and returning a list of written paths.
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
                     extra={"folder": folder.name, "generated_by": "consortium-review"})
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out_dir / "evidence.json", evidence)

    outputs: list[str] = ["evidence.json"]
    if render:
        for spec in renderers if renderers is not None else RENDERERS:
            t2 = time.perf_counter()
            try:
                fn = _load(spec)
                if fn is None:
                    continue
                for p in fn(evidence, catalogue, out_dir) or []:
                    outputs.append(Path(p).name)
            except Exception as exc:  # isolate: one broken output never loses the others
                log.exception("renderer %s failed for %s", spec, folder.name)
                errors.append(f"生成 {spec.split(':')[0].split('.')[-1]} 失败：{type(exc).__name__}：{exc}")
            timings[spec.split(":")[0].split(".")[-1]] = time.perf_counter() - t2
        if any(p.get("expert") for p in evidence["points"]):
            # the workbook renderer read the expert's edits back: keep them in evidence.json too
            write_json_atomic(out_dir / "evidence.json", evidence)
    timings["total"] = time.perf_counter() - t0
    return summarize(evidence, catalogue, out_dir, outputs, errors, timings)


def summarize(evidence: dict[str, Any], catalogue: Catalogue, out_dir: Path, outputs: list[str],
              errors: list[str], timings: dict[str, float]) -> dict[str, Any]:
    """Counts for terminal output and the batch summary."""
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
    }
