"""Suite-wide hooks: tests that need ``../shared`` (peer corpus, dev corpus) say once how many
were skipped and why when it is absent; under CI (``CI=true``, where shared/ is laid beside
the checkout) such a skip is a failure instead."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"

#: Words in a skip reason that mark a test needing ../shared (the corpus tests say where they
#: look); an empty parametrisation is a corpus list that found no files.
_SHARED_MARKS = ("shared", "corpus", "empty parameter set")

_skipped: list[str] = []


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _needs_shared(reason: str) -> bool:
    return any(m in reason for m in _SHARED_MARKS)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or getattr(report, "wasxfail", None) is not None:
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if not _needs_shared(reason):
        return
    _skipped.append(item.nodeid)
    if _in_ci():
        report.outcome = "failed"
        report.longrepr = (f"CI=true: a test that needs ../shared was skipped ({reason}); "
                           f"CI lays shared/ beside the checkout, expected at {SHARED}")


def pytest_terminal_summary(terminalreporter):
    if _skipped and not _in_ci():
        terminalreporter.write_line(
            f"{len(_skipped)} test(s) skipped because ../shared (peer corpus, dev corpus) "
            f"{'is absent' if not SHARED.is_dir() else 'lacks the files they read'}: expected at {SHARED}. "
            "CI (CI=true) fails on these instead of skipping.", yellow=True)
