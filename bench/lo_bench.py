"""LibreOffice benchmark: legacy .doc files converted one by one vs. in one run for the batch.

    python bench/lo_bench.py                  # 1, 10 and 50 files
    python bench/lo_bench.py --sizes 1,5      # other sizes

Data: different .doc files of a few pages of Chinese text each (headings, paragraphs, a table
per chapter), made from python-docx documents and converted to .doc once with LibreOffice;
kept in bench/data/lo/ (git-ignored) and reused.

Measured in this process, one after the other, on the same files, with the read of the
result included (``read_file``, what a worker does):
* per file: every file converted in a LibreOffice process of its own (the path without a batch)
* batch: ``readers.office.BatchConverter`` converts all N in one LibreOffice run, then
  ``read_file`` uses its results (``ReadSettings.preconverted``), the temp folder removed
Printed: seconds per file for both, their ratio, and whether both gave the same blocks.
Not a test: the timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA = ROOT / "bench" / "data" / "lo"
#: bump when the generated documents change (old files are then made again)
DATA_VERSION = 1

_WORDS = ("联合体", "成员单位", "产业学院", "实训基地", "订单班", "技术服务", "理事会", "秘书处", "龙头企业",
          "职业院校", "产教融合", "人才培养", "专业群", "现代学徒制", "双师型教师", "横向课题", "到款额",
          "共建共享", "实习实训", "社会培训", "科研平台", "技能大赛", "工位", "毕业生", "就业率")
_CHAPTERS = ("建设基本情况", "组织架构与运行机制", "人才培养", "产教协同创新", "资源共建共享", "社会服务",
             "保障措施", "存在问题与下一步计划")


def _sentence(rng: random.Random) -> str:
    a, b, c = rng.sample(_WORDS, 3)
    n = rng.randint(2, 900)
    return f"{rng.choice(('2024年', '本年度', '截至年底'))}{a}围绕{b}共完成{c}{n}项，较上年增长{rng.randint(1, 40)}%。"


def _make_docx(path: Path, seed: int) -> None:
    import docx

    rng = random.Random(seed)
    d = docx.Document()
    d.add_heading(f"第{seed + 1}号市域产教联合体年度工作报告", level=0)
    for i, chapter in enumerate(_CHAPTERS, 1):
        d.add_heading(f"{i}、{chapter}", level=1)
        for _ in range(4):
            d.add_paragraph("".join(_sentence(rng) for _ in range(rng.randint(3, 6))))
        t = d.add_table(rows=4, cols=3)
        for j, row in enumerate((("指标", "2023年", "2024年"),) + tuple(
                (rng.choice(_WORDS) + "（个）", str(rng.randint(1, 99)), str(rng.randint(1, 99))) for _ in range(3))):
            for k, v in enumerate(row):
                t.cell(j, k).text = v
    d.save(str(path))


def make_files(n: int, soffice: str, log: Callable[[str], None]) -> list[Path]:
    """``n`` different .doc files in bench/data/lo/ (made once with LibreOffice, then reused)."""
    DATA.mkdir(parents=True, exist_ok=True)
    want = [DATA / f"v{DATA_VERSION}-{i:03d}.doc" for i in range(n)]
    missing = [p for p in want if not p.is_file()]
    if missing:
        log(f"生成 {len(missing)} 个 .doc 测试文件（python-docx → LibreOffice，只做一次）……")
        with tempfile.TemporaryDirectory(prefix="lo-bench-") as tmp:
            tmpdir = Path(tmp)
            sources = []
            for p in missing:
                src = tmpdir / (p.stem + ".docx")
                _make_docx(src, int(p.stem.rsplit("-", 1)[1]))
                sources.append(src)
            subprocess.run([soffice, f"-env:UserInstallation={(tmpdir / 'profile').as_uri()}", "--headless",
                            "--convert-to", "doc", "--outdir", str(tmpdir / "out"), *map(str, sources)],
                           check=True, timeout=1800, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for p in missing:
                os.replace(tmpdir / "out" / p.name, p)
    return want


def _blocks(docs: list[list]) -> list:
    return [[vars(b) for b in d.blocks] + [d.status, d.error, d.warnings] for ds in docs for d in ds]


def per_file(files: list[Path]) -> tuple[float, list]:
    from consortium_review.extractors.read import read_file

    t0 = time.perf_counter()
    got = [read_file(p, p.name) for p in files]
    return time.perf_counter() - t0, got


def batch(files: list[Path], soffice: str) -> tuple[float, list, int]:
    from consortium_review.extractors.read import read_file
    from consortium_review.extractors.readers import office
    from consortium_review.settings import ReadSettings, using_read_settings

    t0 = time.perf_counter()
    with office.BatchConverter(soffice) as conv:
        report = conv.convert([(office.convert_key(p, hashlib.sha256(p.read_bytes()).hexdigest()), p) for p in files])
        with using_read_settings(ReadSettings(preconverted=conv.preconverted)):
            got = [read_file(p, p.name) for p in files]
    return time.perf_counter() - t0, got, len(report.converted)


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description="LibreOffice 基准测试：旧版 .doc 逐个转换 vs 一次批量转换（同一次运行）。")
    ap.add_argument("--sizes", default="1,10,50", help="文件数，逗号分隔（默认 1,10,50）")
    args = ap.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})

    from consortium_review.extractors.readers import office

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    soffice = office.find_soffice()
    if not soffice:
        print("未找到 LibreOffice（soffice），无法运行此基准测试", file=sys.stderr)
        return 2
    t_all = time.perf_counter()
    files = make_files(max(sizes), soffice, log)
    per_file(files[:1])                     # warm-up (disk cache, first start), not timed
    rows = []
    for n in sizes:
        log(f"{n} 个文件：逐个转换……")
        t_one, got_one = per_file(files[:n])
        log(f"{n} 个文件：批量转换……")
        t_batch, got_batch, converted = batch(files[:n], soffice)
        rows.append((n, t_one / n, t_batch / n, t_one / t_batch, converted == n and
                     _blocks(got_one) == _blocks(got_batch)))
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = float("nan")
    print(f"LibreOffice 基准：{os.cpu_count()} 个 CPU 核，开始时系统负载 {load:.1f}；每个文件约 "
          f"{files[0].stat().st_size // 1024} KB（.doc，几页中文、8 个表格）")
    print(" | ".join(("文件数", "逐个转换(秒/文件)", "批量转换(秒/文件)", "比值(逐个/批量)", "结果一致")))
    for n, one, bat, ratio, same in rows:
        print(" | ".join((str(n), f"{one:.2f}", f"{bat:.2f}", f"{ratio:.1f}×", "是" if same else "否")))
    print("说明：两种方式都含读取转换结果（read_file）；批量转换含复制输入、一次 LibreOffice 运行和清理临时文件夹。")
    print(f"（基准测试总用时 {time.perf_counter() - t_all:.0f} 秒；数据 {DATA}）")
    return 0 if all(r[4] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
