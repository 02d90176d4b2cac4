"""Watch mode: a dropped file is reviewed once its copy has settled (fake clock, no sleeping)."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

from consortium_review.catalogue import load_catalogue
from consortium_review.watch import Watcher


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def docs_of(out: Path, name: str) -> set[str]:
    data = json.loads((out / name / "evidence.json").read_text(encoding="utf-8"))
    return {d["file"] for d in data["documents"]}


def test_drop_a_file_triggers_a_review(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    (src / "甲联合体").mkdir(parents=True)
    (src / "乙联合体").mkdir()
    (src / "甲联合体" / "方案.txt").write_text("牵头企业近三年累计投入320万元。\n", encoding="utf-8")
    (src / "乙联合体" / "方案.txt").write_text("园区牵头成立理事会。\n", encoding="utf-8")
    clock = Clock()
    log = io.StringIO()
    w = Watcher(src, out, load_catalogue(), interval=1, debounce=3, workers=1, render=False,
                stream=log, clock=clock)
    first = w.start()
    assert sorted(first.reviewed) == ["乙联合体", "甲联合体"]
    assert w.poll() == []                              # nothing changed

    # a file is being copied: it grows between polls, so nothing happens yet
    new = src / "甲联合体" / "补充.txt"
    new.write_text("2024年发布核心产品清单2次。\n", encoding="utf-8")
    assert w.poll() == []
    assert "检测到变化：甲联合体" in log.getvalue()
    clock.t += 2
    with open(new, "a", encoding="utf-8") as f:
        f.write("发布技术需求清单3次。\n")
    assert w.poll() == []                              # changed again: the debounce restarts
    clock.t += 2
    assert w.poll() == []                              # stable for 2 s < 3 s
    clock.t += 1.5
    assert w.poll() == ["甲联合体"]                    # stable for 3.5 s: re-reviewed
    assert docs_of(out, "甲联合体") == {"方案.txt", "补充.txt"}
    assert "重新评审：甲联合体" in log.getvalue()
    run_log = (out / "run.log").read_text(encoding="utf-8")
    assert "[甲联合体] 需要评审：新增文件：补充.txt" in run_log
    # the summary was refreshed and still lists both consortia
    import openpyxl

    ws = openpyxl.load_workbook(out / "汇总.xlsx")["汇总"]
    assert {r[1] for r in ws.iter_rows(min_row=2, values_only=True)} == {"甲联合体", "乙联合体"}
    clock.t += 10
    assert w.poll() == []                              # nothing new: nothing re-reviewed

    # a new consortium folder appears
    (src / "丙联合体").mkdir()
    (src / "丙联合体" / "总结.txt").write_text("专任教师120人。\n", encoding="utf-8")
    assert w.poll() == []
    clock.t += 5
    assert w.poll() == ["丙联合体"]
    assert docs_of(out, "丙联合体") == {"总结.txt"}
    assert w.reviews == [["甲联合体"], ["丙联合体"]]


def test_run_loop_stops_on_event_and_cycles(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    (src / "甲联合体").mkdir(parents=True)
    (src / "甲联合体" / "a.txt").write_text("x\n", encoding="utf-8")
    w = Watcher(src, out, load_catalogue(), interval=0.01, debounce=0.01, workers=1, render=False,
                stream=io.StringIO())
    w.start()
    assert w.run(max_cycles=3, sleep=lambda s: None) == 0
    assert w.cycles == 3
    stop = threading.Event()
    stop.set()
    assert w.run(stop=stop) == 0 and w.cycles == 3      # stopped before polling again


def test_single_consortium_folder(tmp_path):
    """Watching a folder that holds files itself treats it as one consortium."""
    folder = tmp_path / "甲联合体"
    folder.mkdir()
    (folder / "a.txt").write_text("牵头企业近三年累计投入320万元。\n", encoding="utf-8")
    out = tmp_path / "out"
    clock = Clock()
    w = Watcher(folder, out, load_catalogue(), debounce=1, workers=1, render=False, stream=io.StringIO(),
                clock=clock)
    w.start()
    assert docs_of(out, "甲联合体") == {"a.txt"}
    (folder / "a.txt").unlink()
    (folder / "b.txt").write_text("园区牵头成立理事会。\n", encoding="utf-8")
    assert w.poll() == []
    clock.t += 2
    assert w.poll() == ["甲联合体"]
    assert docs_of(out, "甲联合体") == {"b.txt"}
