"""Reviews started from the browser: one at a time, through the batch machine.

Each job runs ``batch.review_batch(WORKSPACE, OUTPUT, only=[...])`` — the very path the CLI and
``watch`` use — so consortia are reviewed in worker processes (a crash while reviewing one
upload is recorded for that one; the others and every earlier decision stay intact), results
are cached and 汇总.xlsx / 汇总说明.docx are refreshed. Progress is what the terminal shows:
the display's lines plus ``run.log``'s per-file lines, read as the run goes.
"""

from __future__ import annotations

import io
import itertools
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from consortium_review.batch import RUN_LOG, review_batch

log = logging.getLogger("consortium_review.web")

STATE_LABELS = {"queued": "排队中", "running": "评审中", "done": "已完成", "failed": "失败"}


class _Lines(io.TextIOBase):
    """A text stream the progress display prints into."""

    def __init__(self, job: "Job"):
        self.job = job

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        for line in s.splitlines():
            if line.strip():
                self.job.add(line.rstrip())
        return len(s)


@dataclass
class Job:
    id: int
    names: list[str]
    what: str                                   # 「上传」「重新生成」...
    state: str = "queued"
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # unreadable files, failures (Chinese)
    results: dict[str, str] = field(default_factory=dict)   # name -> ok/warn/failed
    started: Optional[float] = None
    finished: Optional[float] = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, line: str) -> None:
        with self._lock:
            self.lines.append(line)
            del self.lines[:-400]

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {"id": self.id, "names": self.names, "what": self.what, "state": self.state,
                    "state_label": STATE_LABELS[self.state], "lines": list(self.lines),
                    "problems": list(self.problems), "results": dict(self.results),
                    "seconds": round((self.finished or time.time()) - self.started, 1) if self.started else None,
                    "finished_ago": round(time.time() - self.finished, 1) if self.finished else None}


class JobRunner:
    """A single worker thread that runs queued reviews in order."""

    def __init__(self, workspace, workers: int = 2):
        self.ws = workspace
        self.workers = max(2, workers)           # >= 2: always worker processes, never in the server
        self.jobs: list[Job] = []
        self._ids = itertools.count(1)
        self._queue: "queue.Queue[Optional[Job]]" = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="review-jobs", daemon=True)
        self._thread.start()

    def submit(self, names: list[str], what: str, problems: Optional[list[str]] = None) -> Job:
        job = Job(id=next(self._ids), names=list(names), what=what)
        job.problems.extend(problems or [])
        self.jobs.append(job)
        del self.jobs[:-50]
        if names:
            self._queue.put(job)
        else:
            job.state = "failed" if job.problems else "done"
        return job

    def busy(self, name: str) -> bool:
        """True while a review of ``name`` is queued or running (decisions wait for it)."""
        return any(name in j.names and j.state in ("queued", "running") for j in self.jobs)

    def stop(self) -> None:
        self._queue.put(None)

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                self._run(job)
            except BaseException as exc:  # noqa: BLE001 — the server must outlive any review
                log.exception("review job failed")
                job.problems.append(f"评审未完成：{type(exc).__name__}：{exc}")
                job.state = "failed"
            finally:
                job.finished = time.time()

    def _run(self, job: Job) -> None:
        job.state = "running"
        job.started = time.time()
        runlog = self.ws.out / RUN_LOG
        offset = runlog.stat().st_size if runlog.is_file() else 0
        stop = threading.Event()

        def follow() -> None:          # run.log's per-file lines, as they are written
            nonlocal offset
            while not stop.wait(0.4):
                offset = self._tail(runlog, offset, job)
            offset = self._tail(runlog, offset, job)

        tail = threading.Thread(target=follow, daemon=True)
        tail.start()
        try:
            res = review_batch(self.ws.root, self.ws.out, self.ws.catalogue, workers=self.workers,
                               only=job.names, stream=_Lines(job), live=False, settings=self.ws.settings)
        finally:
            stop.set()
            tail.join(timeout=5)
        for e in res.entries:
            if e["folder"] in job.names:
                job.results[e["folder"]] = e["status"]
                for p in e.get("problems") or []:
                    job.problems.append(f"{e['folder']}：{p}")
                for f in ((e.get("row") or {}).get("documents_failed") or []):
                    job.problems.append(f"{e['folder']}／{f.get('file')}：{f.get('error')}")
        job.state = "failed" if res.failed and all(n in res.failed for n in job.names) else "done"

    @staticmethod
    def _tail(path, offset: int, job: Job) -> int:
        try:
            with open(path, "rb") as f:
                f.seek(offset)
                data = f.read()
        except OSError:
            return offset
        end = data.rfind(b"\n")
        if end < 0:
            return offset
        for raw in data[:end].decode("utf-8", "replace").splitlines():
            # 「2026-01-01 12:00:00 [名称]   读取 a.pdf（…）」: keep the lines of this job's consortia
            body = raw[20:] if len(raw) > 20 else raw
            if any(body.startswith(f"[{n}]") for n in job.names) and ("读取" in body or "失败" in body):
                job.add(body)
        return offset + end + 1
