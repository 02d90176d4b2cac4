"""Batch review (批量评审): a folder of consortium folders, in parallel, incremental, isolated.

Every consortium goes through the one single-consortium path
(``pipeline.review_consortium``), in worker processes started with the *spawn* method (the
only one on Windows). Around it this module adds:

* **incremental re-runs** — a consortium whose input fingerprint (file hashes, catalogue,
  code, render settings) and outputs are unchanged is not processed again; its last summary
  is reused. Changed consortia go through the per-file ``ReadCache``, so only new or changed
  files are read again. ``--force`` ignores both (and refreshes them).
* **failure isolation** — an exception, a renderer error or a worker process that dies
  (crash, out of memory: ``BrokenProcessPool``) is recorded for that consortium with the
  reason; the others complete. When a pool breaks, the consortia that were running are
  retried one at a time so only the culprit is marked failed.
* **clean interruption** — Ctrl-C (or SIGTERM) stops the workers, removes temp files, writes
  the summary of what finished and re-raises ``KeyboardInterrupt``; every output is written
  atomically, so the next run continues from the caches.
* **reporting** — a progress display, ``OUT/run.log`` (Chinese, timings per stage, per-file
  read errors) and the summary files of ``batch_summary``.

Exit code of ``run_batch``: the number of failed consortia (capped at 100), 0 when all fine.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import datetime as _dt
import hashlib
import json
import logging
import multiprocessing
import os
import queue as _q
import signal
import sys
import threading
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, TextIO

from .batch_progress import BaseDisplay, fmt_seconds, make_display, printable
from .batch_summary import consortium_row, summary_key, write_summary
from .cache import (CACHE_DIRNAME, TRANSIENT_ERROR_MARKERS, ReadCache, ResultStore, consortium_fingerprint,
                    input_files, output_hashes, prune_read_cache)
from .extractors.textclean import neutral
from .fileio import (OUTPUT_DIR_MARKER, FolderBusy, FolderLock, display_name, fit_name, mark_generated,
                     mark_output_dir, pid_alive, temp_owner, write_json_atomic)
from .pipeline import DEFAULT_SETTINGS, RENDERERS, Settings, review_consortium
from .settings import using_read_settings

log = logging.getLogger("consortium_review.batch")

#: Largest exit code (the number of failed consortia).
MAX_EXIT = 100
RUN_LOG = "run.log"

Emit = Callable[[str, str, dict[str, Any]], None]


# --------------------------------------------------------------------------- jobs

@dataclass
class Job:
    """One consortium to review (paths as str: jobs are pickled to worker processes)."""

    name: str
    folder: str
    out_dir: str
    files: list[tuple[str, int, str]]
    fingerprint: str
    parts: dict[str, Any] = field(default_factory=dict)    # fingerprint parts (not sent to workers)

    @property
    def size(self) -> int:
        return sum(max(0, s) for _, s, _ in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "folder": self.folder, "out_dir": self.out_dir,
                "files": self.files, "fingerprint": self.fingerprint}


@dataclass
class BatchResult:
    """What a batch run did (for the CLI exit code, watch mode and tests)."""

    entries: list[dict[str, Any]] = field(default_factory=list)   # one per consortium, by folder
    reviewed: list[str] = field(default_factory=list)             # processed in this run
    reused: list[str] = field(default_factory=list)               # skipped: unchanged
    failed: list[str] = field(default_factory=list)
    interrupted: bool = False
    cache: dict[str, int] = field(default_factory=lambda: {"hits": 0, "misses": 0, "writes": 0})
    outputs: list[Path] = field(default_factory=list)             # summary files written
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return min(len(self.failed), MAX_EXIT)

    def entry(self, folder: str) -> Optional[dict[str, Any]]:
        return next((e for e in self.entries if e["folder"] == folder), None)


def consortium_folders(root: Path, out: Optional[Path] = None) -> list[Path]:
    """Sub-folders of ``root`` that are consortia (hidden ones and the output folder skipped)."""
    root = Path(root)
    out_res = Path(out).resolve() if out is not None else None
    subs = []
    for p in sorted(root.iterdir(), key=lambda q: q.name):
        if p.is_symlink() or not p.is_dir() or p.name.startswith((".", "~$", "__")):
            continue            # a link may point anywhere (review_batch logs it)
        if out_res is not None and p.resolve() == out_res:
            continue
        if (p / OUTPUT_DIR_MARKER).exists():      # an output folder of an earlier run
            continue
        subs.append(p)
    return subs


def job_name(folder: Path) -> str:
    """A consortium folder's name as shown and used for its output folder: valid Unicode
    (undecodable bytes decoded or escaped), control characters escaped, at most 255 bytes."""
    from consortium_review.extractors.textclean import neutral

    return fit_name(neutral(display_name(Path(folder).name)).strip() or "_")


# --------------------------------------------------------------------------- the worker side

def _peak_rss_kb() -> Optional[int]:
    try:
        import resource     # POSIX only (absent on Windows)

        v = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return v // 1024 if sys.platform == "darwin" else v
    except Exception:
        return None


def review_job(job: dict[str, Any], catalogue, options: dict[str, Any], emit: Emit) -> dict[str, Any]:
    """Review one consortium; never raises an ``Exception`` (failures come back as data).

    ``options``: cache_dir, force, render and ``settings`` (a ``pipeline.Settings``)."""
    name = job["name"]
    settings: Settings = options.get("settings") or DEFAULT_SETTINGS
    t0 = time.perf_counter()
    cache = None
    try:
        emit(name, "start", {"files": len(job["files"])})
        cache = ReadCache(Path(options["cache_dir"]), use_cached=not options.get("force"),
                          on_event=lambda kind, data: emit(name, kind, data), read_settings=settings.read)
        summary = review_consortium(Path(job["folder"]), Path(job["out_dir"]), catalogue, cache=cache,
                                    render=options.get("render", True), year=options.get("year"),
                                    read_workers=int(options.get("read_workers") or 1), settings=settings)
        emit(name, "stage", {"stage": "汇总"})
        evidence = json.loads((Path(job["out_dir"]) / "evidence.json").read_text(encoding="utf-8"))
        evidence["assess_settings"] = settings.assess
        row = consortium_row(evidence, catalogue, summary)
        return {"name": name, "ok": True, "summary": summary, "row": row, "cache": cache.stats(),
                "files": cache.files, "seconds": round(time.perf_counter() - t0, 3),
                "peak_rss_kb": _peak_rss_kb()}
    except Exception as exc:
        from .pipeline import OutputsNotWritten

        return {"name": name, "ok": False,
                "error": str(exc) if isinstance(exc, OutputsNotWritten) else f"{type(exc).__name__}：{exc}",
                "traceback": traceback.format_exc(), "cache": cache.stats() if cache else {},
                "files": cache.files if cache else [], "seconds": round(time.perf_counter() - t0, 3),
                "peak_rss_kb": _peak_rss_kb()}


_QUEUE = None          # worker process: the parent's event queue
_CURRENT = ""          # worker process: the consortium being reviewed


def _duplicate(record: logging.LogRecord) -> bool:
    """Per-file read warnings: run.log already gets them from the progress events."""
    return record.name == "consortium_review.read" and record.levelno == logging.WARNING


class _QueueLogHandler(logging.Handler):
    """Worker log records -> parent's run.log (never the worker's stderr)."""

    def emit(self, record: logging.LogRecord) -> None:
        if _duplicate(record):
            return
        try:
            _QUEUE.put((_CURRENT, "log", {"level": record.levelname, "msg": self.format(record)}))
        except Exception:
            pass


def _on_sigterm(signum, frame):      # runs the ``finally`` blocks: temp files are removed
    raise SystemExit(143)


def _init_worker(queue, verbose: bool) -> None:
    global _QUEUE
    _QUEUE = queue
    # Ctrl-C is handled by the parent, which then stops the workers in an orderly way.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _on_sigterm)
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    handler = _QueueLogHandler()
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    for noisy in ("pdfminer", "jieba", "fontTools", "matplotlib", "PIL", "RapidOCR", "docxcompose"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    _watch_parent()


def _watch_parent() -> None:
    """A worker whose parent died (``kill -9``) stops itself: SIGTERM runs its ``finally``
    blocks (LibreOffice group killed, temp folders removed); a hard exit follows if stuck."""
    parent = os.getppid()
    if sys.platform == "win32" or parent <= 1:
        return

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                try:
                    os.kill(os.getpid(), signal.SIGTERM)
                except OSError:
                    pass
                time.sleep(10)
                os._exit(143)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _queue_emit(name: str, kind: str, data: dict[str, Any]) -> None:
    _QUEUE.put((name, kind, data))


def _pool_entry(job: dict[str, Any], catalogue, options: dict[str, Any]) -> dict[str, Any]:
    global _CURRENT
    _CURRENT = job["name"]
    return review_job(job, catalogue, options, _queue_emit)


# --------------------------------------------------------------------------- run.log

class RunLog:
    """``OUT/run.log``: appended, one timestamped Chinese line per event, flushed as it goes."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._f = open(self.path, "a", encoding="utf-8", errors="backslashreplace", newline="\n")
        self._lock = threading.Lock()

    def write(self, msg: str, name: Optional[str] = None) -> None:
        stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        prefix = f"[{neutral(name)}] " if name else ""
        # one record per line: control characters in names are escaped; a multi-line message
        # (a traceback) continues on lines marked "│", which no record line starts with
        lines = [neutral(line) for line in str(msg).split("\n")]
        while len(lines) > 1 and not lines[-1].strip():
            lines.pop()
        with self._lock:
            self._f.write(f"{stamp} {prefix}{lines[0]}\n")
            for line in lines[1:]:
                self._f.write(f"{' ' * len(stamp)} │ {line}\n")
            self._f.flush()

    def close(self) -> None:
        with self._lock:
            self._f.close()


class _RunLogHandler(logging.Handler):
    def __init__(self, runlog: RunLog, current: Callable[[], Optional[str]]):
        super().__init__(level=logging.WARNING)
        self.runlog, self.current = runlog, current
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if _duplicate(record):
            return
        try:
            self.runlog.write(f"{record.levelname} {self.format(record)}", self.current())
        except Exception:
            pass


# --------------------------------------------------------------------------- the parent side

class _Runner:
    """Runs jobs (in-process or in a spawn pool) and routes their events."""

    def __init__(self, catalogue, options: dict[str, Any], workers: int, display: BaseDisplay,
                 runlog: RunLog, on_result: Callable[[Job, dict[str, Any]], None], verbose: bool = False,
                 inprocess: bool = False):
        self.catalogue = catalogue
        self.options = options
        self.workers = max(1, workers)
        self.inprocess = inprocess
        self.display = display
        self.runlog = runlog
        self.on_result = on_result
        self.verbose = verbose
        self.current: Optional[str] = None   # in-process mode: the consortium being reviewed
        self.running: set[str] = set()

    # events from workers (or in-process)
    def event(self, name: str, kind: str, data: dict[str, Any]) -> None:
        if kind == "log":
            self.runlog.write(f"{data.get('level')} {data.get('msg')}", name)
            return
        data = _neutral_event(data)
        self.display.event(name, kind, data)
        if kind == "start":
            self.runlog.write(f"开始评审（{data.get('files', 0)} 个文件）", name)
        elif kind == "file_done":
            if data.get("cached"):
                how = "缓存命中"
            else:
                how = f"已读取，{data.get('seconds', 0):.2f} 秒"
            errs = data.get("errors") or []
            if data.get("status") == "skipped" and errs:
                for e in errs:
                    self.runlog.write(f"  未读取（已跳过）：{e.get('file')}：{e.get('error')}", name)
            elif errs:
                for e in errs:
                    self.runlog.write(f"  材料读取失败：{e.get('file')}：{e.get('error')}（{how}）", name)
            else:
                self.runlog.write(f"  读取 {data.get('rel')}（{how}）", name)
        self.display.tick()

    def run(self, jobs: list[Job]) -> list[str]:
        """Process ``jobs``; returns the names not finished (only non-empty when interrupted)."""
        if self.inprocess:
            return self._run_inprocess(jobs)
        return self._run_pool(jobs)

    def _run_inprocess(self, jobs: list[Job]) -> list[str]:
        # keep elapsed times moving on a live display while a long file is being read
        stop = threading.Event()

        def tick_until_stopped() -> None:
            while not stop.wait(0.5):
                self.display.tick()

        ticker = threading.Thread(target=tick_until_stopped, daemon=True)
        ticker.start()
        try:
            return self._run_inprocess_jobs(jobs)
        finally:
            stop.set()
            ticker.join(timeout=2)

    def _run_inprocess_jobs(self, jobs: list[Job]) -> list[str]:
        for i, job in enumerate(jobs):
            self.current = job.name
            self.running = {job.name}
            try:
                res = review_job(job.to_dict(), self.catalogue, self.options, self.event)
            except KeyboardInterrupt:
                _sweep_temp(Path(job.out_dir))
                return [j.name for j in jobs[i:]]
            finally:
                self.current = None
                self.running = set()
            self.on_result(job, res)
        return []

    def _run_pool(self, jobs: list[Job]) -> list[str]:
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        pending = collections.deque(jobs)
        isolate: collections.deque[Job] = collections.deque()   # suspects after a pool broke
        inflight: dict[Any, Job] = {}
        pool: Optional[ProcessPoolExecutor] = None
        pool_size = 0
        alone: set[str] = set()     # names that ran alone in their pool

        def new_pool(size: int) -> ProcessPoolExecutor:
            return ProcessPoolExecutor(max_workers=size, mp_context=ctx, initializer=_init_worker,
                                       initargs=(queue, self.verbose))

        try:
            while pending or isolate or inflight:
                want = 1 if isolate else min(self.workers, max(1, len(pending)))
                if pool is not None and not inflight and pool_size != want and (isolate or pool_size < want):
                    pool.shutdown(wait=True)
                    pool = None
                if pool is None:
                    pool, pool_size = new_pool(want), want
                if isolate:
                    if not inflight:
                        job = isolate.popleft()
                        alone.add(job.name)
                        inflight[pool.submit(_pool_entry, job.to_dict(), self.catalogue, self.options)] = job
                else:
                    while pending and len(inflight) < pool_size:
                        job = pending.popleft()
                        inflight[pool.submit(_pool_entry, job.to_dict(), self.catalogue, self.options)] = job
                self.running = {j.name for j in inflight.values()}
                done, _ = wait(list(inflight), timeout=0.2, return_when=FIRST_COMPLETED)
                self._drain(queue)
                broken = False
                for fut in done:
                    job = inflight.pop(fut)
                    try:
                        res = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        self._suspect(job, alone, isolate)
                        continue
                    except Exception as exc:          # e.g. an unpicklable result
                        res = {"name": job.name, "ok": False, "error": f"{type(exc).__name__}：{exc}",
                               "traceback": "".join(traceback.format_exception(exc))}
                    self.on_result(job, res)
                if broken:
                    for fut, job in list(inflight.items()):   # they die with the pool
                        self._suspect(job, alone, isolate)
                    inflight.clear()
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = None
                self.display.tick()
            self._drain(queue)
            return []
        except KeyboardInterrupt:
            unfinished = [j.name for j in inflight.values()] + [j.name for j in isolate] + [j.name for j in pending]
            if pool is not None:
                _stop_pool(pool)
                pool = None
            self._drain(queue)
            for j in list(inflight.values()):
                _sweep_temp(Path(j.out_dir))
            return unfinished
        finally:
            if pool is not None:
                pool.shutdown(wait=True)
            try:
                queue.close()
                queue.join_thread()
            except Exception:
                pass

    def _suspect(self, job: Job, alone: set[str], isolate: collections.deque) -> None:
        if job.name in alone:
            self.on_result(job, {"name": job.name, "ok": False,
                                 "error": "处理进程意外退出（可能是内存不足、被系统终止或读取组件崩溃）"})
        else:
            self.runlog.write("处理进程意外退出，该联合体将单独重试以确定原因", job.name)
            isolate.append(job)

    def _drain(self, queue) -> None:
        while True:
            try:
                name, kind, data = queue.get_nowait()
            except _q.Empty:
                return
            except (EOFError, OSError):
                return
            self.event(name, kind, data)


def _neutral_event(data: dict[str, Any]) -> dict[str, Any]:
    """File names and reasons of an event with control characters escaped (terminal, run.log)."""
    from consortium_review.extractors.textclean import neutral

    out = dict(data)
    if isinstance(out.get("rel"), str):
        out["rel"] = neutral(out["rel"])
    if isinstance(out.get("errors"), list):
        out["errors"] = [{k: neutral(v) if isinstance(v, str) else v for k, v in e.items()} if isinstance(e, dict)
                         else e for e in out["errors"]]
    return out


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel queued work and stop running workers (they clean their temp files on SIGTERM)."""
    procs = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        try:
            p.terminate()
        except Exception:
            pass
    deadline = time.monotonic() + 5
    for p in procs:
        try:
            p.join(timeout=max(0.1, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join(timeout=2)
        except Exception:
            pass


def _sweep_temp(folder: Path) -> int:
    """Remove temp files left by ``fileio.atomic_path`` (``.~name-pPID-xxxx.ext.tmp``) below
    ``folder`` — only those of this process or of a process that is gone, never a live run's."""
    n = 0
    if not folder.is_dir():
        return 0
    me = os.getpid()
    from .pipeline import STAGE_PREFIX

    for d in list(folder.glob(f"*/{STAGE_PREFIX}*")) + list(folder.glob(f"{STAGE_PREFIX}*")):
        owner = temp_owner(d.name)
        if d.is_dir() and not d.is_symlink() and (owner is None or owner == me or not pid_alive(owner)):
            import shutil

            shutil.rmtree(d, ignore_errors=True)
            n += 1
    for p in folder.rglob(".~*.tmp"):
        owner = temp_owner(p.name)
        if owner is not None and owner != me and pid_alive(owner):
            continue
        try:
            p.unlink()
            n += 1
        except OSError:
            pass
    return n


# --------------------------------------------------------------------------- orchestration

def _classify(res: dict[str, Any]) -> tuple[str, list[str]]:
    """(status, consortium-level problems) of one worker result."""
    if not res.get("ok"):
        return "failed", [f"评审失败：{res.get('error')}"]
    row = res.get("row") or {}
    summary = res.get("summary") or {}
    problems = list(summary.get("errors") or [])
    status = "failed" if problems else "ok"
    if not row.get("documents"):
        problems.append("文件夹中没有可读取的材料文件")
        status = "failed"
    elif not row.get("documents_ok"):
        problems.append("所有材料均无法读取，无法评审")
        status = "failed"
    elif _real_failures(row) and status == "ok":
        status = "warn"
    return status, problems


def _real_failures(row: dict[str, Any]) -> list[dict[str, Any]]:
    """Files that could not be read or were left out — without the group of OS junk and hidden
    files (.DS_Store, Thumbs.db …), which is listed but is no reason for concern."""
    from consortium_review.extractors.read import JUNK_GROUP

    return [f for f in row.get("documents_failed") or [] if f.get("file") != JUNK_GROUP]


def _reusable(res: dict[str, Any]) -> bool:
    """Store a result for skipping next time only when it is complete and reproducible."""
    if not res.get("ok") or (res.get("summary") or {}).get("errors"):
        return False
    for f in (res.get("row") or {}).get("documents_failed") or []:
        if any(m in (f.get("error") or "") for m in TRANSIENT_ERROR_MARKERS):
            return False
    return True


def _job_line(name: str, status: str, res: dict[str, Any], problems: list[str], reused: bool = False) -> str:
    mark = {"ok": "√", "warn": "！", "failed": "×"}.get(status, "·")   # GBK-safe (Windows consoles)
    if not res.get("ok"):
        return f"  {mark} {name}：失败 —— {problems[0] if problems else ''}"
    row = res["row"]
    st = row["statuses"]
    failed = len(_real_failures(row))
    extra = f"（含压缩包内文件 {row['documents_in_archives']} 份）" if row.get("documents_in_archives") else ""
    extra += f"，{failed} 份无法读取" if failed else ""
    flags = f"，！负面清单疑似 {'、'.join(f['code'] for f in row['flags'])}" if row.get("flags") else ""
    c = res.get("cache") or {}
    return (f"  {mark} {row.get('name') or name}：材料 {row['documents']} 份{extra}；已找到 {st.get('found', 0)}，"
            f"部分 {st.get('partial', 0)}，冲突 {st.get('conflict', 0)}，缺失 {st.get('missing', 0)}{flags}"
            + ("（未变化，沿用上次结果）" if reused else
               f"（{fmt_seconds(res.get('seconds'))}，缓存命中 {c.get('hits', 0)}/{c.get('hits', 0) + c.get('misses', 0)}）")
            + _detail_lines(res))


def _detail_lines(res: dict[str, Any]) -> str:
    """Report year and its source, then one line per file that could not be read or looks wrong."""
    row = res.get("row") or {}
    summary = res.get("summary") or {}
    lines = []
    ry = summary.get("report_year") or {}
    if ry.get("year"):
        lines.append(f"    报告年度：{ry['year']}（依据：{ry.get('source')}；可用 --year 指定）")
    for f in row.get("documents_failed") or []:
        lines.append(f"    × {f.get('file')}：{f.get('error')}")
    for f in summary.get("documents_notes") or []:
        lines.append(f"    ！{f.get('file')}：{f.get('note')}")
    return "".join("\n" + line for line in lines)


def _timing_line(res: dict[str, Any]) -> str:
    t = (res.get("summary") or {}).get("timings") or {}
    names = {"read": "读取", "extract": "提取", "workbook": "证据清单", "charts": "图表",
             "review_opinion": "评审意见", "total": "合计"}
    parts = [f"{names.get(k, k)} {v:.2f} 秒" for k, v in t.items()]
    c = res.get("cache") or {}
    rss = res.get("peak_rss_kb")
    mem = f"；进程内存峰值 {rss / 1024:.0f} MB" if rss else ""
    return (f"用时：{'，'.join(parts) or '—'}；读取缓存命中 {c.get('hits', 0)} 个文件，"
            f"重新读取 {c.get('misses', 0)} 个{mem}")


def _legacy_files(jobs: list[Job], read_settings, cache_dir: Path, force: bool
                  ) -> dict[str, list[tuple[Path, str, str]]]:
    """The files of ``jobs`` that LibreOffice would convert and the read cache cannot serve:
    conversion key -> [(path, consortium, rel)] (the same bytes in several places: one key)."""
    from .extractors.read import MAX_FILE_BYTES, READERS, rel_name, scan
    from .extractors.readers import office
    from .extractors.sniff import sniff

    formats = {fmt for fmt, spec in READERS.items() if spec.split(":")[0] == office.__name__}
    cache = ReadCache(cache_dir, use_cached=not force, store=False, read_settings=read_settings)
    found: dict[str, list[tuple[Path, str, str]]] = {}
    for job in jobs:
        folder = Path(job.folder)
        known = {rel: (size, sha) for rel, size, sha in job.files}
        try:
            paths, _skipped = scan(folder)
        except OSError:
            continue
        for p in paths:
            rel = rel_name(p, folder)
            size, sha = known.get(rel, (-1, ""))
            if not 0 < size <= MAX_FILE_BYTES or len(sha) != 64 or cache.has(sha, rel):
                continue
            try:
                if sniff(p) not in formats or not office.wants_libreoffice(p):
                    continue
            except Exception:           # the reader will say what is wrong with it
                continue
            found.setdefault(office.convert_key(p, sha), []).append((p, job.name, rel))
    return found


def _preconvert(jobs: list[Job], settings: Settings, cache_dir: Path, force: bool, runlog: RunLog,
                display: BaseDisplay):
    """Convert the legacy files (.doc/.wps/.rtf) of all ``jobs`` with one LibreOffice process
    (``readers.office.BatchConverter``). Returns the converter — the caller closes it when the
    batch ends — and the settings the jobs read with (``ReadSettings.preconverted``); files
    without a result are converted one by one by the reader, as without a batch."""
    from .extractors.readers import office

    if not jobs:
        return None, settings
    with using_read_settings(settings.read):
        soffice = office.find_soffice()
    if not soffice:
        return None, settings
    try:
        found = _legacy_files(jobs, settings.read, cache_dir, force)
    except Exception:
        log.warning("旧版文档批量转换的准备失败，改为逐个转换", exc_info=True)
        return None, settings
    if not found:
        return None, settings
    display.message(f"正在用 LibreOffice 批量转换 {len(found)} 个旧版文档（.doc/.wps/.rtf）……")
    try:
        converter = office.BatchConverter(soffice)
    except OSError as exc:
        runlog.write(f"无法创建旧版文档批量转换的临时文件夹（{exc}），改为逐个转换")
        return None, settings
    try:
        report = converter.convert([(key, places[0][0]) for key, places in found.items()])
    except BaseException:
        converter.close()
        raise
    n = len(report.converted)
    runlog.write(f"LibreOffice 批量转换旧版文档：{len(found)} 个文件，启动 LibreOffice {report.runs} 次，"
                 f"转换成功 {n} 个，用时 {report.seconds:.2f} 秒（平均每个文件 {report.seconds / len(found):.2f} 秒）")
    for key, reason in report.failed.items():
        for _p, name, rel in found.get(key, []):
            runlog.write(f"  批量转换未得到 {rel} 的结果（{reason}），读取时将单独转换该文件", name)
    if not n:
        converter.close()
        return None, settings
    read = dataclasses.replace(settings.read, preconverted=converter.preconverted)
    return converter, dataclasses.replace(settings, read=read)


def review_batch(folder: Path, out: Path, catalogue, *, workers: Optional[int] = None, force: bool = False,
                 render: bool = True, only: Optional[Iterable[str]] = None, stream: Optional[TextIO] = None,
                 live: Optional[bool] = None, verbose: bool = False, write_summaries: bool = True,
                 consortia: Optional[list[Path]] = None, year: Optional[int] = None,
                 settings: Settings = DEFAULT_SETTINGS) -> BatchResult:
    """Review every consortium sub-folder of ``folder`` into ``out/<folder name>``.

    ``only``: names of the consortia to process (watch mode); the others keep their last
    stored result in the summary. Raises ``KeyboardInterrupt`` after writing what finished;
    ``fileio.FolderBusy`` when another run holds ``out``.
    ``consortia``: review exactly these folders (single-folder mode: one consortium, its files
    read by ``workers`` processes) instead of the sub-folders of ``folder``.
    ``year``: the report year for every consortium (default: chosen from each one's documents).
    """
    t_start = time.perf_counter()
    folder, out = Path(folder), Path(out)
    mark_output_dir(out)         # never read as material, even inside the materials folder
    # one run per output folder: a second one refuses (FolderBusy) instead of both deleting
    # each other's temp files; the lock is released when this run ends or dies
    lock = FolderLock(out, wait=float(os.environ.get("CONSORTIUM_REVIEW_LOCK_WAIT", "0") or 0)).acquire()
    try:
        return _review_batch_locked(folder, out, catalogue, t_start, workers=workers, force=force, render=render,
                                    only=only, stream=stream, live=live, verbose=verbose,
                                    write_summaries=write_summaries, consortia=consortia, year=year,
                                    settings=settings)
    finally:
        lock.release()


def _review_batch_locked(folder: Path, out: Path, catalogue, t_start: float, *, workers, force, render, only,
                         stream, live, verbose, write_summaries, consortia, year, settings) -> BatchResult:
    stream = stream if stream is not None else sys.stdout
    workers = int(workers) if workers else (os.cpu_count() or 1)
    single = consortia is not None
    cache_dir = out / CACHE_DIRNAME
    store = ResultStore(cache_dir)
    runlog = RunLog(out / RUN_LOG)
    display = make_display(stream, live)
    result = BatchResult()
    only_set = set(only) if only is not None else None

    # run.log gets every warning; the terminal keeps the progress display clean
    root = logging.getLogger()
    runner_ref: dict[str, Any] = {}
    handler = _RunLogHandler(runlog, lambda: (runner_ref["r"].current if runner_ref.get("r") else None))
    muted = [h for h in root.handlers if isinstance(h, logging.StreamHandler)
             and getattr(h, "stream", None) in (sys.stderr, sys.stdout)] if not verbose else []
    for h in muted:
        root.removeHandler(h)
    root.addHandler(handler)
    old_term = sigterm_as_interrupt()
    entries: dict[str, dict[str, Any]] = {}
    converter = None
    try:
        _sweep_temp(out)
        try:        # LibreOffice processes and temp folders left by a run that was killed
            from consortium_review.extractors.readers.office import sweep_orphans

            swept = sweep_orphans()
            if swept:
                runlog.write(f"已清理上次中断的运行遗留的 LibreOffice 进程或临时文件夹 {swept} 个")
        except Exception:
            log.debug("orphan sweep failed", exc_info=True)
        subs = [Path(c) for c in consortia] if single else consortium_folders(folder, out)
        runlog.write(f"===== {'评审' if single else '批量评审'}开始：材料 {folder}，输出 {out}，联合体 {len(subs)} 个，进程数 {workers}，"
                     f"{'强制重新读取（忽略缓存）' if force else '使用缓存'}{'' if render else '，不生成文档'}")
        if not subs:
            display.message(f"文件夹 {folder} 中没有联合体子文件夹")
        loose = [] if single else [display_name(p.name) for p in folder.iterdir()
                                   if p.is_file() and not p.name.startswith(".")]
        if loose:
            runlog.write(f"顶层的 {len(loose)} 个文件不属于任何联合体文件夹，已忽略：{'、'.join(loose[:10])}")
        links = [display_name(p.name) for p in folder.iterdir() if p.is_symlink() and p.is_dir()]
        if links:
            runlog.write(f"顶层的 {len(links)} 个文件夹是符号链接（可能指向材料文件夹以外），未评审："
                         f"{'、'.join(links[:10])}")
        jobs: list[Job] = []
        for sub in subs:
            name = job_name(sub.resolve()) if single else job_name(sub)
            out_dir = out / name
            if only_set is not None and name not in only_set:
                stored = store.load(name)
                if stored:
                    entries[name] = _entry(name, out_dir, stored["result"], reused=True)
                continue
            t0 = time.perf_counter()
            files = input_files(sub)
            fp, parts = consortium_fingerprint(files, catalogue, render=render, renderers=RENDERERS,
                                               settings_hashes=settings.hashes())
            if year:           # --year changes every figure's meaning
                parts["year"] = int(year)
                fp = hashlib.sha256(f"{fp}|year={int(year)}".encode()).hexdigest()
            stored, reasons = (None, ["强制重新评审（--force）"]) if force else store.lookup(name, fp, out_dir, parts)
            if stored is not None:
                entries[name] = _entry(name, out_dir, stored["result"], reused=True)
                result.reused.append(name)
                runlog.write(f"材料、指标体系与程序均未变化，沿用上次结果（核对 {len(files)} 个文件用时 "
                             f"{time.perf_counter() - t0:.2f} 秒）", name)
                continue
            runlog.write(f"需要评审：{'；'.join(reasons)}", name)
            jobs.append(Job(name=name, folder=str(sub), out_dir=str(out_dir), files=files, fingerprint=fp,
                            parts=parts))
        if result.reused:
            display.message(f"{len(result.reused)} 个联合体未变化，沿用上次结果；需要评审 {len(jobs)} 个")
        # --workers 1: in this process (debugging); otherwise worker processes, even for a
        # single consortium, so that a crashing reader cannot take the whole run down
        # single-folder mode: the one consortium in this process, its files read by the workers
        inprocess = workers <= 1 or single
        eff_workers = 1 if inprocess else max(1, min(workers, len(jobs)))
        if jobs:
            runlog.write(f"需要评审 {len(jobs)} 个联合体，"
                         + ("在当前进程中依次处理" if inprocess else f"使用 {eff_workers} 个工作进程"))
        # the legacy files of every consortium in one LibreOffice run, before any worker starts
        converter, job_settings = _preconvert(jobs, settings, cache_dir, force, runlog, display)
        display.begin([(j.name, len(j.files), j.size) for j in jobs])
        options = {"cache_dir": str(cache_dir), "force": force, "render": render, "year": year,
                   "read_workers": workers if single else 1, "settings": job_settings}

        def on_result(job: Job, res: dict[str, Any]) -> None:
            status, problems = _classify(res)
            entries[job.name] = _entry(job.name, Path(job.out_dir), res, reused=False)
            result.reviewed.append(job.name)
            for k in ("hits", "misses", "writes"):
                result.cache[k] += int((res.get("cache") or {}).get(k, 0))
            if res.get("ok"):
                runlog.write(_timing_line(res), job.name)
            for p in problems:
                runlog.write(f"问题：{p}", job.name)
            if res.get("traceback"):
                runlog.write("错误详情：\n" + res["traceback"], job.name)
            if _reusable(res):
                try:
                    store.save(job.name, job.fingerprint, Path(job.out_dir), res, job.parts)
                except OSError as exc:
                    runlog.write(f"无法保存结果缓存：{exc}", job.name)
            else:
                store.forget(job.name)
            runlog.write(f"完成：{_job_line(job.name, status, res, problems).strip()}", job.name)
            display.job_done(job.name)
            display.finish(_job_line(job.name, status, res, problems), ok=status != "failed")

        runner = _Runner(catalogue, options, eff_workers, display, runlog, on_result, verbose, inprocess)
        runner_ref["r"] = runner
        unfinished = runner.run(jobs)
        if unfinished:
            result.interrupted = True
            for name in unfinished:
                store.forget(name)
                entries[name] = {"folder": name, "status": "interrupted", "reused": False,
                                 "out_dir": str(out / name), "problems": ["运行被中断，未完成；重新运行会继续"],
                                 "row": None}
            runlog.write(f"运行被中断：{len(unfinished)} 个联合体未完成（{'、'.join(unfinished)}）；"
                         "已完成的结果已保存，重新运行会从缓存继续")
    except KeyboardInterrupt:
        result.interrupted = True
        runlog.write("运行被中断（准备阶段）")
    finally:
        if converter is not None:       # its folder (results, profile) goes with the batch
            converter.close()
        restore_sigterm(old_term)
        display.close()
        root.removeHandler(handler)
        for h in muted:
            root.addHandler(h)

    if not result.interrupted:
        # entries of other reader versions can never be served again: free the disk
        try:
            keep = {ReadCache(cache_dir, read_settings=settings.read).version} | {entries[n].get("cache", {}).get("version")
                                                     for n in result.reviewed if n in entries}
            if prune_read_cache(cache_dir, {k for k in keep if k}):
                runlog.write("已清理旧版本程序的读取缓存")
        except OSError:
            pass
    result.entries = [entries[k] for k in sorted(entries)]
    result.failed = [e["folder"] for e in result.entries if e["status"] == "failed"]
    try:
        if write_summaries and result.entries:
            result.outputs = _write_summary_if_changed(out, cache_dir, result.entries, catalogue, runlog)
    finally:
        result.seconds = round(time.perf_counter() - t_start, 3)
        n_ok = sum(1 for e in result.entries if e["status"] in ("ok", "warn"))
        runlog.write(f"===== 批量评审{'中断' if result.interrupted else '结束'}：共 {len(result.entries)} 个，"
                     f"成功 {n_ok} 个（其中沿用上次结果 {len(result.reused)} 个），失败 {len(result.failed)} 个；"
                     f"读取缓存命中 {result.cache.get('hits', 0)} 个文件，重新读取 {result.cache.get('misses', 0)} 个；"
                     f"总用时 {result.seconds:.2f} 秒")
        runlog.close()
    if result.interrupted:
        raise KeyboardInterrupt
    return result


def _write_summary_if_changed(out: Path, cache_dir: Path, entries: list[dict[str, Any]], catalogue,
                              runlog: RunLog) -> list[Path]:
    """Write the summary files unless exactly this summary is already there (warm re-runs)."""
    key = summary_key(entries, catalogue)
    state_path = cache_dir / "summary.json"
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    if not isinstance(state, dict) or not isinstance(state.get("outputs") or {}, dict):
        state = {}          # valid JSON of the wrong shape: a miss
    recorded = state.get("outputs") or {}
    if state.get("key") == key and recorded and output_hashes(out, recorded) == recorded:
        runlog.write("汇总内容未变化，沿用已有汇总文件：" + "、".join(recorded))
        return [out / n for n in recorded]
    written = write_summary(out, entries, catalogue)
    for p in written:
        mark_generated(p)
    names = [p.name for p in written]
    runlog.write("汇总文件：" + "、".join(names))
    try:
        write_json_atomic(state_path, {"key": key, "outputs": output_hashes(out, names)})
    except OSError:
        pass
    return written


def _entry(name: str, out_dir: Path, res: dict[str, Any], reused: bool) -> dict[str, Any]:
    status, problems = _classify(res)
    return {"folder": name, "status": status, "reused": reused, "out_dir": str(out_dir),
            "problems": problems, "row": res.get("row") if res.get("ok") else None,
            "summary": res.get("summary"), "cache": res.get("cache") or {},
            "seconds": res.get("seconds")}


def sigterm_as_interrupt():
    """In the main thread, SIGTERM stops the batch like Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        return None

    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):
        return None


def restore_sigterm(old) -> None:
    if old is not None:
        try:
            signal.signal(signal.SIGTERM, old)
        except (ValueError, OSError):
            pass


# --------------------------------------------------------------------------- CLI

def _print_overview(res: BatchResult, out: Path, stream: TextIO) -> None:
    n_ok = sum(1 for e in res.entries if e["status"] == "ok")
    n_warn = sum(1 for e in res.entries if e["status"] == "warn")
    lines = [f"\n共 {len(res.entries)} 个联合体：完成 {n_ok} 个，需关注 {n_warn} 个，失败 {len(res.failed)} 个"
             f"（沿用上次结果 {len(res.reused)} 个）；用时 {fmt_seconds(res.seconds)}。"]
    for e in res.entries:
        if e["status"] == "failed":
            lines.append(f"  × {e['folder']}：{'；'.join(e['problems'])}")
    for p in res.outputs:
        lines.append(f"  汇总：{p}")
    lines.append(f"  运行日志：{out / RUN_LOG}")
    for line in lines:
        print(printable(line, stream), file=stream)


def run_batch(folder: Path, out: Path, catalogue, args: argparse.Namespace,
              settings: Settings = DEFAULT_SETTINGS, single: bool = False) -> int:
    """CLI entry (called by ``cli.cmd_review``): a folder of consortium folders, or with
    ``single`` the one consortium in ``folder`` (same cache, resume, progress and messages)."""
    try:
        res = review_batch(Path(folder), Path(out), catalogue, workers=getattr(args, "workers", None),
                           force=bool(getattr(args, "force", False)),
                           render=not getattr(args, "no_render", False),
                           verbose=bool(getattr(args, "verbose", False)),
                           consortia=[Path(folder)] if single else None, write_summaries=not single,
                           year=getattr(args, "year", None), settings=settings)
    except FolderBusy as exc:
        print(printable(f"错误：{exc}", sys.stderr), file=sys.stderr)
        return MAX_EXIT
    if single:
        _print_single(res, Path(out), sys.stdout)
        return 1 if res.failed else 0
    _print_overview(res, Path(out), sys.stdout)
    if not res.entries:
        return 1                   # nothing to review is an error, not a success
    return res.exit_code


def _print_single(res: BatchResult, out: Path, stream: TextIO) -> None:
    """Closing lines of a single-folder review: outputs and where the log is."""
    from .batch_progress import printable

    lines = []
    for e in res.entries:
        if e.get("reused") and e.get("row"):
            # unchanged since the last run: the same summary as then (failed files included)
            lines.append(_job_line(e["folder"], e["status"], {"ok": True, "row": e["row"], "summary": e.get("summary"),
                                                              "seconds": e.get("seconds"), "cache": e.get("cache")},
                                   e.get("problems") or [], reused=True))
        for p in e.get("problems") or []:
            lines.append(f"  × {p}")
        outs = (e.get("summary") or {}).get("outputs") or []
        if e["status"] != "failed" or outs:
            lines.append(f"  结果：{e['out_dir']}" + (f"（{'、'.join(outs)}）" if outs else ""))
    lines.append(f"  运行日志：{out / RUN_LOG}；用时 {fmt_seconds(res.seconds)}")
    for line in lines:
        print(printable(line, stream), file=stream)


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为正整数：{text}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"应为正整数：{text}")
    return v


def add_batch_options(p: argparse.ArgumentParser, force: bool = True) -> None:
    p.add_argument("--workers", type=_positive_int, default=os.cpu_count() or 1, metavar="N",
                   help="并行处理的进程数（默认：CPU 核数；1 = 在当前进程中依次处理，便于调试）")
    if force:
        p.add_argument("--force", action="store_true", help="忽略缓存，全部重新读取和生成")
    p.add_argument("--no-render", action="store_true", help="只生成 evidence.json，不生成 Word/Excel/图表")


def add_commands(subparsers) -> None:
    """Add batch options to ``review`` (called by ``cli.build_parser``)."""
    review = subparsers.choices.get("review")
    if review is not None:
        add_batch_options(review)
