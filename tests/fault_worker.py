"""Test-only fault injection for the batch reliability suite (spawn-safe; not in the package).

``CR_TEST_FAULTS`` = ";"-separated ``folder:raise`` | ``folder:exit`` | ``folder:sleep=S``:
right after that consortium's job starts, its worker raises, dies outright (as on a segfault
or the OOM killer; in-process it raises instead) or hangs S seconds (interruption tests).

* in-process: ``install(monkeypatch)`` wraps ``consortium_review.batch.review_job`` and
  replaces the pool entry by :func:`pool_entry`, which spawn workers import from this module
  (the test folder is on the parent's ``sys.path``, which spawn hands to its children);
* a child process: ``python -m fault_worker review …`` (with this folder on ``PYTHONPATH``)
  installs the same and runs the CLI.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time

from consortium_review import batch

FAULTS_ENV = "CR_TEST_FAULTS"

_real_review_job = batch.review_job
_real_pool_entry = batch._pool_entry


def inject(name: str) -> None:
    spec = os.environ.get(FAULTS_ENV, "")
    for item in filter(None, (s.strip() for s in spec.split(";"))):
        target, _, kind = item.rpartition(":")
        if target != name:
            continue
        if kind.startswith("sleep="):
            time.sleep(float(kind.split("=", 1)[1]))
            return
        if kind == "exit" and multiprocessing.current_process().name != "MainProcess":
            os._exit(70)
        raise RuntimeError(f"注入的故障（{FAULTS_ENV}）")


def review_job(job, catalogue, options, emit):
    """``batch.review_job`` whose consortium fails as configured once its job has started."""
    def emit_then_fail(name, kind, data):
        emit(name, kind, data)
        if kind == "start":
            inject(name)

    return _real_review_job(job, catalogue, options, emit_then_fail)


def pool_entry(job, catalogue, options):
    """Worker-side entry (runs in the spawned process): the faulty job, then the real entry."""
    batch.review_job = review_job
    return _real_pool_entry(job, catalogue, options)


def install(monkeypatch=None) -> None:
    if monkeypatch is not None:
        monkeypatch.setattr(batch, "review_job", review_job)
        monkeypatch.setattr(batch, "_pool_entry", pool_entry)
    else:
        batch.review_job = review_job
        batch._pool_entry = pool_entry


if __name__ == "__main__":
    import fault_worker        # the importable copy: spawn workers unpickle fault_worker.pool_entry

    fault_worker.install()
    from consortium_review.cli import main

    sys.exit(main(sys.argv[1:]))
