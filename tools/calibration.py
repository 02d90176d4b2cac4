#!/usr/bin/env python3
"""Accuracy per confidence band on labelled corpora (置信度校准).

    python3 tools/calibration.py LABELS_DIR OUTPUT_DIR [LABELS_DIR OUTPUT_DIR ...]

For every point the tool reports as present (found / partial / conflict), "right" means the
label says present (or target-only, for a partial) and the value is not wrong by the scorer's
rules (tools/score.py). Prints, per band of ``confidence``, how many points fall in it and the
share that is right: a calibrated tool has about c right among points reported with confidence c.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

BANDS = [(0.0, 0.4), (0.4, 0.6), (0.6, 0.75), (0.75, 0.9), (0.9, 1.01)]


def _scorer():
    spec = importlib.util.spec_from_file_location("cr_score", Path(__file__).with_name("score.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def judge(s, label_pt: dict, p: dict) -> bool:
    """Is this reported point right?"""
    if not label_pt.get("present"):
        return bool(label_pt.get("target_only")) and p["status"] == "partial"
    if label_pt.get("conflict"):
        return p["status"] == "conflict"
    pool = s.pred_pool(p)
    if "quantities" in label_pt:
        return all(any(s.is_num(v) and s.nunit(u) == s.nunit(q["unit"]) and s.num_eq(q["value"], v) for v, u in pool)
                   for q in label_pt["quantities"])
    if "value" not in label_pt or label_pt["value"] is None:
        return True
    want = label_pt["value"]
    if not pool:
        return True                    # no value given: not wrong, only incomplete
    if isinstance(want, bool):
        return any(v is want for v, _ in pool)
    if s.is_num(want):
        return any(s.is_num(v) and s.nunit(u) == s.nunit(label_pt.get("unit")) and s.num_eq(want, v) for v, u in pool)
    return any(s.nstr(want) in s.nstr(v) for v, _ in pool)


def bands(pairs: list[tuple[Path, Path]]) -> list[tuple[tuple[float, float], int, int]]:
    s = _scorer()
    counts = {b: [0, 0] for b in BANDS}
    for labels, output in pairs:
        for lab in sorted(labels.glob("*.json")):
            label = json.loads(lab.read_text(encoding="utf-8"))
            ev_path = output / lab.stem / "evidence.json"
            if not ev_path.is_file():
                continue
            ev = json.loads(ev_path.read_text(encoding="utf-8"))
            for p in ev["points"]:
                if p["status"] == "missing":
                    continue
                b = next(b for b in BANDS if b[0] <= p["confidence"] < b[1])
                counts[b][0] += 1
                counts[b][1] += judge(s, label["points"].get(p["code"], {}), p)
    return [(b, n, ok) for b, (n, ok) in counts.items()]


def main(argv: list[str]) -> int:
    if len(argv) < 2 or len(argv) % 2:
        print(__doc__)
        return 2
    pairs = [(Path(argv[i]), Path(argv[i + 1])) for i in range(0, len(argv), 2)]
    print("置信度区间        观测点数  正确率")
    for (lo, hi), n, ok in bands(pairs):
        print(f"[{lo:.2f}, {min(hi, 1):.2f}{']' if hi > 1 else ')'}   {n:8d}  {ok / n if n else float('nan'):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
