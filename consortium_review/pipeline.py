"""One consortium, end to end: read -> extract -> evidence.json -> assess -> rendered outputs.

Batch mode, watch mode and the CLI all call ``review_consortium``; nothing else wires the
review's stages together (the annual report's run, with the same ``Settings`` and read cache, is
``consortium_review.annual``).  The assessment (``generator.assess.Assessment``: expert overrides, thresholds,
negative list, problems, conclusion) is computed once here, after the expert's workbook edits are
read back, and the same object is handed to every renderer and to the summary.
"""

from __future__ import annotations

import errno
import importlib
import logging
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional

from .catalogue import Catalogue
from .evidence_json import build
from .extractors.evidence import extract
from .extractors.read import read_folder
from .fileio import display_name, mark_generated, mark_output_dir, write_json_atomic
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
    result = extract(catalogue, documents, folder_name=display_name(folder.resolve().name), year=year,
                     settings=settings.extract)
    timings["extract"] = time.perf_counter() - t1

    evidence = build(catalogue, result.info, documents, result.points, result.negatives,
                     extra={"folder": display_name(folder.name), "generated_by": "consortium-review",
                            "report_year": {"year": result.report_year, "source": result.report_year_source}})
    mark_output_dir(out_dir)
    outputs: list[str] = ["evidence.json"]
    assessment: Optional[Assessment] = None
    # every output of this consortium is written into a staging folder and moved in at the
    # end: a full disk (or any failed write) leaves the previous run's set as it was, never a
    # new evidence.json beside an old opinion
    with staged_outputs(out_dir, errors) as stage:
        # evidence.json is written last: reading back the expert's edits may need the previous
        # one (the expert's decisions when the workbook is damaged)
        if render:
            evidence["assess_settings"] = settings.assess      # for the renderers; never written out
            t2 = time.perf_counter()
            try:
                read_back_edits(evidence, stage)      # the expert's 证据清单 edits count in the assessment
                assessment = assess(evidence, catalogue, settings.assess)
            except Exception as exc:
                log.exception("assessment failed for %s", folder.name)
                errors.append(f"评估失败：{type(exc).__name__}：{exc}")
            timings["assess"] = time.perf_counter() - t2
            for spec in renderers if renderers is not None else RENDERERS:
                t2 = time.perf_counter()
                try:
                    fn = _load(spec)
                    for p in fn(evidence, catalogue, stage, assessment) or []:
                        mark_generated(Path(p))
                        outputs.append(Path(p).name)
                except OSError as exc:
                    if exc.errno in DISK_ERRNOS:
                        raise              # no half-updated set: the old outputs stay
                    log.exception("renderer %s failed for %s", spec, folder.name)
                    errors.append(f"生成 {spec.split(':')[0].split('.')[-1]} 失败：{type(exc).__name__}：{exc}")
                except Exception as exc:  # isolate: one broken output never loses the others
                    log.exception("renderer %s failed for %s", spec, folder.name)
                    errors.append(f"生成 {spec.split(':')[0].split('.')[-1]} 失败：{type(exc).__name__}：{exc}")
                timings[spec.split(":")[0].split(".")[-1]] = time.perf_counter() - t2
            evidence.pop("assess_settings", None)
            # (the workbook renderer put the expert's edits into the evidence dict)
            _unstage_paths(evidence, stage, out_dir)
        if any(p.get("expert") for p in evidence["points"]):
            write_json_atomic(stage / "evidence.json", evidence)
        else:       # as before: the renderers' bookkeeping only travels with the expert's edits
            write_json_atomic(stage / "evidence.json", {k: v for k, v in evidence.items() if k != "_rendered"})
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


#: write errors that mean "no room / no disk": the whole output set is kept as it was
DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.EFBIG}
STAGE_PREFIX = ".~staging-"


class OutputsNotWritten(OSError):
    """The outputs could not be written (disk full ...); the previous ones are unchanged.
    ``str``: the Chinese message (no English system text)."""

    def __str__(self) -> str:
        return str(self.strerror)


@contextmanager
def staged_outputs(out_dir: Path, problems: Optional[list[str]] = None) -> Iterator[Path]:
    """A staging folder inside ``out_dir`` seeded with the files renderers read back
    (evidence.json, the evidence workbook with the expert's edits); on success every new or
    changed file is moved into ``out_dir`` (renames: no new disk space needed), on failure
    ``out_dir`` is left exactly as it was. The staging folder is always removed. A file that
    cannot be replaced (open in Excel/WPS on Windows) is reported in ``problems``."""
    out_dir = Path(out_dir)
    stage = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}p{os.getpid()}-", dir=out_dir))
    try:
        seeded: dict[str, tuple[int, int, int]] = {}
        for p in out_dir.iterdir():
            if not p.is_file() or p.name.startswith((".", "~$")):
                continue
            if p.name == "evidence.json" or (p.suffix.lower() == ".xlsx" and "证据清单" in p.name):
                target = stage / p.name
                try:
                    os.link(p, target)          # no copy, no space
                except OSError:
                    shutil.copy2(p, target)
                st = target.stat()
                seeded[p.name] = (st.st_ino, st.st_mtime_ns, st.st_size)
        try:
            yield stage
        except OSError as exc:
            if exc.errno in DISK_ERRNOS:
                what = {errno.ENOSPC: "磁盘空间不足", errno.EDQUOT: "超出磁盘配额", errno.EROFS: "磁盘为只读",
                        errno.EFBIG: "文件超过文件系统允许的大小"}.get(exc.errno, "磁盘读写出错")
                raise OutputsNotWritten(exc.errno, f"{what}，无法写入输出（系统错误码 {exc.errno}）；"
                                                   "本次结果未写入，上次的输出保持不变") from exc
            raise
        # evidence.json last: it never describes outputs that did not make it
        for p in sorted(stage.iterdir(), key=lambda q: (q.name == "evidence.json", q.name)):
            if not p.is_file() or p.name.startswith(".~"):
                continue
            st = p.stat()
            if seeded.get(p.name) == (st.st_ino, st.st_mtime_ns, st.st_size):
                continue                        # seeded and unchanged
            try:
                os.replace(p, out_dir / p.name)
            except PermissionError:
                if problems is None:
                    raise
                problems.append(f"无法写入 {p.name}（文件可能正在 Excel/WPS 中打开），请关闭后重新运行")
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _unstage_paths(evidence: dict[str, Any], stage: Path, out_dir: Path) -> None:
    """Paths the renderers recorded point into the staging folder: make them final."""
    s, o = str(stage), str(out_dir)

    def fix(v):
        if isinstance(v, str):
            return v.replace(s, o)
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fix(x) for x in v]
        return v

    if isinstance(evidence.get("_rendered"), dict):
        evidence["_rendered"] = fix(evidence["_rendered"])
