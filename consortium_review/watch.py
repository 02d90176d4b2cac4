"""Watch mode (监视文件夹): the drop folder made live.

``consortium-review watch [FOLDER] [-o OUT]`` reviews everything once (through the caches),
then polls the folder (stdlib only, no file-system events: works the same on network drives
and on Windows). When files of a consortium appear, change or disappear, it waits until
their sizes and modification times have stayed the same for the debounce period (copying
has ended), then re-reviews that consortium through the caches and refreshes the summary.

``Watcher.poll()`` runs one cycle and ``Watcher.run(stop=..., max_cycles=...)`` the loop,
so tests drive it with a fake clock and no sleeping.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Optional, TextIO

from .batch import (BatchResult, add_batch_options, consortium_folders, restore_sigterm, review_batch,
                    sigterm_as_interrupt)
from .batch_progress import printable
from .catalogue import load_catalogue
from .extractors.read import iter_files
from .folders import material_folder
from .pipeline import DEFAULT_SETTINGS, Settings

Snapshot = dict[str, tuple[int, int]]      # rel path -> (size, mtime_ns)


def folder_snapshot(folder: Path) -> Snapshot:
    """Sizes and modification times of the files a review would read (no hashing)."""
    snap: Snapshot = {}
    try:
        for p in iter_files(folder):
            try:
                st = p.stat()
            except OSError:       # vanished between listing and stat: still copying/moving
                continue
            snap[p.relative_to(folder).as_posix()] = (st.st_size, st.st_mtime_ns)
    except OSError:
        pass
    return snap


class Watcher:
    """Polls ``folder`` and re-reviews consortia whose files changed and then settled."""

    def __init__(self, folder: Path, out: Path, catalogue, *, interval: float = 2.0, debounce: float = 5.0,
                 workers: Optional[int] = 1, render: bool = True, stream: Optional[TextIO] = None,
                 clock: Callable[[], float] = time.monotonic, live: Optional[bool] = False,
                 settings: Settings = DEFAULT_SETTINGS):
        self.folder = Path(folder)
        self.out = Path(out)
        self.catalogue = catalogue
        self.interval = interval
        self.debounce = debounce
        self.workers = workers
        self.render = render
        self.settings = settings
        self.stream = stream if stream is not None else sys.stdout
        self.clock = clock
        self.live = live
        # a folder that holds files itself is one consortium; else each sub-folder is one
        self.single = any(p.is_file() and not p.name.startswith(".") for p in self.folder.iterdir())
        self.root = self.folder.parent if self.single else self.folder
        self.known: dict[str, Snapshot] = {}            # state at the last review
        self.changing: dict[str, tuple[Snapshot, float]] = {}   # name -> (snapshot, stable since)
        self.reviews: list[list[str]] = []              # names re-reviewed per cycle (for tests)
        self.cycles = 0

    def _say(self, msg: str) -> None:
        print(printable(msg, self.stream), file=self.stream, flush=True)

    def snapshots(self) -> dict[str, Snapshot]:
        if self.single:
            return {self.folder.name: folder_snapshot(self.folder)}
        return {p.name: folder_snapshot(p) for p in consortium_folders(self.root, self.out)}

    def _review(self, names: Optional[list[str]]) -> BatchResult:
        return review_batch(self.root, self.out, self.catalogue, workers=self.workers, render=self.render,
                            only=names, stream=self.stream, live=self.live, settings=self.settings)

    def start(self) -> BatchResult:
        """First pass: bring every consortium up to date (unchanged ones come from the cache)."""
        snaps = self.snapshots()
        res = self._review([self.folder.name] if self.single else None)
        self.known = snaps
        return res

    def poll(self) -> list[str]:
        """One polling cycle; returns the consortia re-reviewed in it."""
        self.cycles += 1
        now = self.clock()
        current = self.snapshots()
        for name in sorted(set(self.known) - set(current)):
            self._say(f"联合体文件夹已移除：{name}（其已有结果保留在输出文件夹中）")
            self.known.pop(name, None)
            self.changing.pop(name, None)
        ready: list[str] = []
        for name, snap in current.items():
            if snap == self.known.get(name) and name in self.known:
                self.changing.pop(name, None)
                continue
            prev = self.changing.get(name)
            if prev is None or prev[0] != snap:
                if prev is None:
                    self._say(f"检测到变化：{name}，等待文件复制完成……")
                self.changing[name] = (snap, now)
                continue
            if now - prev[1] >= self.debounce:
                ready.append(name)
        if not ready:
            return []
        self._say(f"文件已稳定，重新评审：{'、'.join(ready)}")
        try:
            res = self._review(ready)
        finally:
            for name in ready:
                # what was reviewed is the settled snapshot; later changes are seen next cycle
                self.known[name] = self.changing.pop(name)[0]
        for name in ready:
            e = res.entry(name)
            if e is None:
                continue
            state = {"ok": "完成", "warn": "完成（部分材料无法读取）", "failed": "失败"}.get(e["status"], e["status"])
            extra = "，材料未变化，沿用上次结果" if e.get("reused") else ""
            self._say(f"  {name}：{state}{extra}；结果已更新：{e['out_dir']}")
        self.reviews.append(ready)
        return ready

    def run(self, stop: Optional[threading.Event] = None, max_cycles: Optional[int] = None,
            sleep: Callable[[float], None] = time.sleep) -> int:
        """Poll until ``stop`` is set, ``max_cycles`` ran, or Ctrl-C / SIGTERM; returns 0."""
        old_term = sigterm_as_interrupt()
        try:
            while not (stop is not None and stop.is_set()):
                if max_cycles is not None and self.cycles >= max_cycles:
                    break
                self.poll()
                if stop is not None:
                    if stop.wait(self.interval):
                        break
                else:
                    sleep(self.interval)
        except KeyboardInterrupt:
            self._say("\n已停止监视。已完成的结果均已保存。")
        finally:
            restore_sigterm(old_term)
        return 0


def cmd_watch(args: argparse.Namespace) -> int:
    folder = material_folder(args.folder, allow_empty=True)
    if folder is None:
        return 2
    catalogue = load_catalogue(args.standard)
    w = Watcher(folder, Path(args.output), catalogue, interval=args.interval, debounce=args.debounce,
                workers=args.workers, render=not args.no_render, live=None,
                settings=getattr(args, "settings", None) or DEFAULT_SETTINGS)
    print(f"开始监视 {folder}（每 {args.interval:g} 秒检查一次，文件稳定 {args.debounce:g} 秒后重新评审）。"
          "按 Ctrl-C 停止。")
    try:
        w.start()
    except KeyboardInterrupt:
        print("\n已停止。已完成的结果已保存，重新运行会从缓存继续。", file=sys.stderr)
        return 130
    print("首次评审完成，正在监视变化……")
    return w.run()


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为正数：{text}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"应为正数：{text}")
    return v


def add_watch_command(subparsers) -> None:
    p = subparsers.add_parser("watch", help="监视材料文件夹：有新材料或材料变化时自动重新评审",
                              description="先评审一遍（未变化的联合体直接用缓存），然后每隔几秒检查文件夹；"
                                          "某个联合体的文件出现或变化并复制完成后，自动重新评审该联合体并更新汇总。")
    p.add_argument("folder", nargs="?", default="input_docs", metavar="材料文件夹", help="默认 input_docs/")
    p.add_argument("-o", "--output", default="output", help="输出文件夹（默认 output/）")
    p.add_argument("--standard", default=None, help="指标体系文件（默认 2024 年国家标准）")
    p.add_argument("--interval", type=_positive_float, default=2.0, help="检查间隔秒数（默认 2）")
    p.add_argument("--debounce", type=_positive_float, default=5.0,
                   help="文件大小和修改时间保持不变多少秒后视为复制完成（默认 5）")
    add_batch_options(p, force=False)
    p.set_defaults(func=cmd_watch)
