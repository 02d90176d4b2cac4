"""Chart benchmark: seconds per consortium for the three chart PNGs of a review.

    python bench/chart_bench.py                   # 12 consortia, 3 fresh processes per way
    python bench/chart_bench.py --consortia 30 --runs 5

Data: the bundled sample ``input_docs/`` read and extracted once by the pipeline
(``review_consortium(..., render=False)``), plus synthetic variations of its evidence (statuses
changed, figures scaled; seeded), each assessed before the clock starts.  What is timed is
``charts.charts_for(assessment, folder)``: the pipeline's chart renderer, which writes
图表-佐证状态分布 / 各二级指标佐证覆盖 / 门槛指标对照.png.

Two ways, each in fresh processes (``--runs`` of them), on the same consortia:
* this tool: ``generator.charts`` as it is (no pyplot, one draw, static part drawn once per
  process and reused, PNG written directly);
* baseline, the naive way: the same chart content on a plain pyplot figure,
  ``fig.tight_layout()``, ``savefig(bbox_inches="tight")`` at the same dpi (Pillow's PNG).
Printed per way: the first consortium of a fresh process (matplotlib import and font set-up
included; median over the runs), the steady state (median over the other consortia of all
runs), the ratio baseline / this tool, and the largest pixel difference between the two ways'
PNGs (0: the same picture).  Not a test: the timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

STATUSES = ("found", "partial", "conflict", "missing")


# --------------------------------------------------------------------------- data

def sample_evidence(work: Path) -> dict:
    """evidence.json of the bundled sample, read and extracted by the pipeline (no rendering)."""
    from consortium_review.catalogue import load_catalogue
    from consortium_review.pipeline import review_consortium

    out = work / "sample"
    review_consortium(ROOT / "input_docs", out, load_catalogue(), render=False)
    return json.loads((out / "evidence.json").read_text(encoding="utf-8"))


def variation(evidence: dict, seed: int) -> dict:
    """The sample with about a third of its points changed: another status, figures scaled."""
    rng = random.Random(seed)
    ev = copy.deepcopy(evidence)
    for p in ev["points"]:
        if rng.random() > 0.35:
            continue
        p["status"] = rng.choice(STATUSES)
        if p["status"] == "missing":
            p["evidence"], p["value"] = [], None
        elif isinstance(p.get("value"), (int, float)) and not isinstance(p.get("value"), bool):
            p["value"] = round(p["value"] * rng.choice((0.2, 0.8, 1.5, 4.0, 30.0)), 2)
        if isinstance(p.get("threshold"), dict):
            p["threshold"]["met"] = None           # judged again from the new figure
    return ev


# --------------------------------------------------------------------------- one process

def naive_draw(key, height_in, static, dynamic, path, *, layout=True):
    """The same chart content drawn the plain way: pyplot, tight_layout, bbox_inches="tight"."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from consortium_review.generator import charts

    charts.setup_cjk_font()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig = plt.figure(figsize=(charts.FIG_WIDTH_IN, height_in), dpi=charts.DPI)
    try:
        dynamic(static(fig))
        if layout:
            fig.tight_layout()
        fig.savefig(path, format="png", dpi=charts.DPI, bbox_inches="tight", pad_inches=charts.PAD_IN,
                    facecolor="white")
    finally:
        plt.close(fig)
    return Path(path)


def child(way: str, data: Path, out: Path) -> None:
    """Draw the charts of every consortium in ``data``; print the timings as JSON."""
    from consortium_review.catalogue import load_catalogue
    from consortium_review.generator.assess import assess

    catalogue = load_catalogue()
    assessments = [assess(ev, catalogue) for ev in json.loads(data.read_text(encoding="utf-8"))]
    times = []
    t0 = time.perf_counter()
    from consortium_review.generator import charts        # matplotlib comes in with the first chart

    if way == "naive":
        charts._draw = naive_draw
    for i, a in enumerate(assessments):
        if i:
            t0 = time.perf_counter()
        charts.charts_for(a, out / f"{i:03d}")
        times.append(time.perf_counter() - t0)
    print(json.dumps({"times": times}))


# --------------------------------------------------------------------------- report

def max_pixel_difference(a: Path, b: Path) -> int:
    import numpy as np
    from PIL import Image

    worst = 0
    for pa in sorted(a.rglob("*.png")):
        pb = b / pa.relative_to(a)
        with Image.open(pa) as ia, Image.open(pb) as ib:
            x, y = np.asarray(ia.convert("RGB"), dtype=int), np.asarray(ib.convert("RGB"), dtype=int)
        if x.shape != y.shape:
            return 255
        worst = max(worst, int(np.abs(x - y).max()))
    return worst


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--consortia", type=int, default=12, help="consortia per process (the sample + variations)")
    ap.add_argument("--runs", type=int, default=3, help="fresh processes per way")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--child", choices=("fast", "naive"), help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.data, args.out)
        return 0

    with tempfile.TemporaryDirectory(prefix="chart-bench-") as tmp:
        work = Path(tmp)
        print("读取并提取示例材料 input_docs/ …", flush=True)
        base = sample_evidence(work)
        evidences = [base] + [variation(base, args.seed * 1000 + i) for i in range(1, args.consortia)]
        data = work / "evidence.json"
        data.write_text(json.dumps(evidences, ensure_ascii=False), encoding="utf-8")
        results: dict[str, dict[str, list[float]]] = {}
        for way in ("fast", "naive"):
            firsts, steady = [], []
            for run in range(args.runs):
                out = work / way / str(run)
                proc = subprocess.run([sys.executable, __file__, "--child", way, "--data", str(data), "--out", str(out)],
                                      capture_output=True, text=True)
                if proc.returncode:
                    sys.stderr.write(proc.stderr)
                    raise SystemExit(f"{way} 子进程失败（退出码 {proc.returncode}）")
                times = json.loads(proc.stdout.strip().splitlines()[-1])["times"]
                firsts.append(times[0])
                steady += times[1:]
            results[way] = {"first": firsts, "steady": steady}
        diff = max_pixel_difference(work / "fast" / "0", work / "naive" / "0")

    n_png = 3
    print(f"\n{args.consortia} 个联合体 × {args.runs} 个新进程，每个联合体 {n_png} 张图（秒/联合体，中位数）")
    print(f"{'':24s}{'第一个（新进程）':>14s}{'稳定状态':>12s}")
    rows = (("本工具 charts_for", "fast"), ("基线：pyplot + tight", "naive"))
    for label, way in rows:
        r = results[way]
        print(f"{label:24s}{statistics.median(r['first']):14.3f}{statistics.median(r['steady']) if r['steady'] else float('nan'):12.3f}")
    f, n = results["fast"], results["naive"]
    print(f"{'比值（基线 / 本工具）':22s}{statistics.median(n['first']) / statistics.median(f['first']):14.1f}"
          + (f"{statistics.median(n['steady']) / statistics.median(f['steady']):12.1f}" if f["steady"] else ""))
    print(f"两种方式的 PNG 最大像素差：{diff}（0 表示完全相同）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
