"""Progress display for batch runs (进度显示): a live block on a terminal, plain lines elsewhere.

Both displays receive the same calls from the batch engine:
``begin(jobs)``, ``event(name, kind, data)`` (``start``, ``file_start``, ``file_done``,
``stage``), ``finish(outcome_line, ok)``, ``tick()`` (redraw, rate-limited) and ``close()``.
Plain stdlib only; the live display uses ANSI cursor movement (enabled on Windows 10+).
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
import unicodedata
from typing import Any, Optional, TextIO


def fmt_seconds(s: Optional[float]) -> str:
    """``75`` -> 「1分15秒」 (Chinese durations for the terminal and run.log)."""
    if s is None:
        return "—"
    s = max(0, int(round(s)))
    if s < 60:
        return f"{s}秒"
    if s < 3600:
        return f"{s // 60}分{s % 60:02d}秒"
    return f"{s // 3600}小时{s % 3600 // 60:02d}分"


def printable(text: str, stream: TextIO) -> str:
    """``text`` as the stream can encode it (a GBK console or pipe on Windows cannot show
    every character of a file name); unencodable characters become "?"."""
    from consortium_review.extractors.textclean import neutral

    # escape sequences and stray controls from names never reach the terminal (lines this
    # tool joins with "\n" keep their newlines: names are neutralised where they enter)
    text = "\n".join(neutral(line) for line in text.split("\n"))
    enc = getattr(stream, "encoding", None)
    if not enc:
        return text
    try:
        text.encode(enc)
        return text
    except (UnicodeEncodeError, LookupError):
        try:
            return text.encode(enc, "replace").decode(enc)
        except LookupError:
            return text


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def clip(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` terminal columns (CJK characters are two columns wide)."""
    if display_width(text) <= width:
        return text
    out, w = [], 0
    for c in text:
        cw = 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
        if w + cw > width - 1:
            break
        out.append(c)
        w += cw
    return "".join(out) + "…"


class _JobState:
    def __init__(self, name: str, n_files: int, total_bytes: int):
        self.name = name
        self.n_files = n_files
        self.total_bytes = max(total_bytes, 1)
        self.done_files = 0
        self.done_bytes = 0
        self.current = ""
        self.stage = "等待"
        self.started: Optional[float] = None


class BaseDisplay:
    """Bookkeeping shared by both displays (counts, bytes, ETA)."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.t0 = time.monotonic()
        self.jobs: dict[str, _JobState] = {}
        self.total = 0
        self.finished = 0
        self.total_bytes = 1
        self.finished_bytes = 0

    def begin(self, jobs: list[tuple[str, int, int]], reused: int = 0) -> None:
        """``jobs``: (name, number of files, bytes) of every consortium to process."""
        self.jobs = {n: _JobState(n, f, b) for n, f, b in jobs}
        self.total = len(jobs)
        self.total_bytes = max(1, sum(b for _, _, b in jobs))
        self.t0 = time.monotonic()

    def event(self, name: str, kind: str, data: dict[str, Any]) -> None:
        st = self.jobs.get(name)
        if st is None:
            return
        if kind == "start":
            st.started = time.monotonic()
            st.stage = "读取"
        elif kind == "file_start":
            st.current = data.get("rel", "")
            st.stage = "读取"
        elif kind == "file_done":
            st.done_files += 1
            st.done_bytes += int(data.get("size") or 0)
            if st.done_files >= st.n_files:
                st.stage = "提取与生成"
                st.current = ""
        elif kind == "stage":
            st.stage = data.get("stage", st.stage)
            st.current = ""

    def job_done(self, name: str) -> None:
        st = self.jobs.pop(name, None)
        self.finished += 1
        if st is not None:
            self.finished_bytes += st.total_bytes

    def progress_fraction(self) -> float:
        running = sum(min(s.done_bytes, s.total_bytes) * 0.8 for s in self.jobs.values() if s.started)
        return min(1.0, (self.finished_bytes + running) / self.total_bytes)

    def eta(self) -> Optional[float]:
        f = self.progress_fraction()
        elapsed = time.monotonic() - self.t0
        if f < 0.02 or elapsed < 1:
            return None
        return elapsed * (1 - f) / f

    def header(self) -> str:
        elapsed = time.monotonic() - self.t0
        return (f"评审进度 {self.finished}/{self.total}，已用 {fmt_seconds(elapsed)}，"
                f"预计剩余 {fmt_seconds(self.eta()) if self.finished < self.total else '0秒'}")

    # overridden
    def finish(self, line: str, ok: bool = True) -> None: ...
    def message(self, line: str) -> None: ...
    def tick(self, force: bool = False) -> None: ...
    def close(self) -> None: ...


class LineDisplay(BaseDisplay):
    """Plain log lines (not a terminal: CI, redirected output, a log file)."""

    def event(self, name: str, kind: str, data: dict[str, Any]) -> None:
        super().event(name, kind, data)
        if kind == "start":
            st = self.jobs.get(name)
            n = st.n_files if st else 0
            self._print(f"开始 {name}（{n} 个文件）")

    def finish(self, line: str, ok: bool = True) -> None:
        self._print(line)
        if self.total:
            self._print(self.header())

    def message(self, line: str) -> None:
        self._print(line)

    def _print(self, line: str) -> None:
        print(printable(line, self.stream), file=self.stream, flush=True)


class LiveDisplay(BaseDisplay):
    """A live block on a terminal: one header line and one line per running consortium."""

    REFRESH = 0.25

    def __init__(self, stream: TextIO):
        super().__init__(stream)
        self._drawn = 0
        self._last = 0.0
        self._lock = threading.RLock()     # the in-process ticker thread redraws too

    def finish(self, line: str, ok: bool = True) -> None:
        with self._lock:
            self._clear()
            self.stream.write(printable(line, self.stream) + "\n")
            self.tick(force=True)

    def message(self, line: str) -> None:
        with self._lock:
            self._clear()
            self.stream.write(printable(line, self.stream) + "\n")
            self.tick(force=True)

    def event(self, name: str, kind: str, data: dict[str, Any]) -> None:
        with self._lock:
            super().event(name, kind, data)

    def job_done(self, name: str) -> None:
        with self._lock:
            super().job_done(name)

    def _clear(self) -> None:
        if self._drawn:
            self.stream.write(f"\x1b[{self._drawn}F\x1b[J")
            self._drawn = 0

    def tick(self, force: bool = False) -> None:
        with self._lock:
            self._tick(force)

    def _tick(self, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.REFRESH:
            return
        self._last = now
        width = max(40, shutil.get_terminal_size((100, 20)).columns - 1)
        lines = [self.header()]
        for st in list(self.jobs.values()):
            if st.started is None:
                continue
            el = now - st.started
            if st.stage == "读取":
                f = st.done_bytes / st.total_bytes
                eta = fmt_seconds(el * (1 - f) / f) if f > 0.05 else "—"
                what = f"读取 {st.done_files}/{st.n_files} {st.current}".rstrip()
                lines.append(f"  ● {st.name}：{what}（{fmt_seconds(el)}，读取预计剩余 {eta}）")
            else:
                lines.append(f"  ● {st.name}：{st.stage}（{fmt_seconds(el)}）")
        self._clear()
        self.stream.write(printable("".join(clip(l, width) + "\n" for l in lines), self.stream))
        self.stream.flush()
        self._drawn = len(lines)

    def close(self) -> None:
        with self._lock:
            self._clear()
            self.stream.flush()


def _enable_windows_ansi() -> bool:
    """Turn on VT escape handling in a Windows console; False when that is impossible."""
    try:
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.GetStdHandle(-11)
        mode = ctypes.c_uint32()
        if not kernel32.GetConsoleMode(handle, ctypes.byref(mode)):
            return False
        return bool(kernel32.SetConsoleMode(handle, mode.value | 0x0004))
    except Exception:
        return False


def make_display(stream: TextIO = sys.stdout, live: Optional[bool] = None) -> BaseDisplay:
    """Live display on an interactive terminal, plain lines otherwise."""
    if live is None:
        live = bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"
        if live and os.name == "nt":
            live = _enable_windows_ansi()
    return LiveDisplay(stream) if live else LineDisplay(stream)
