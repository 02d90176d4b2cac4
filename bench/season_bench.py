"""Review-season benchmark (评审季基准测试): a generated batch, timed end to end.

Generates a season-like batch — consortia of ≈ ``--pages`` pages each across PDF, Word and
Excel, with ruled tables — and times, for 1×, 2× and 4× the base number of consortia:

* the cold full review (read → extract → render every output) with ``--workers`` processes,
* plain ``pdfplumber`` ``extract_text()`` over the same PDFs (one process),
* the warm re-run (nothing changed: served from the caches),
* an incremental re-run (two files added to one consortium),
* the peak resident memory of the largest process of the review (``RUSAGE_CHILDREN``).

Each measurement runs in its own child process, so memory figures do not mix.

Quick run (3, 6 and 12 consortia of ≈ 150 pages; about five minutes on 2 cores)::

    python bench/season_bench.py

Full season size (8, 16 and 32 consortia of ≈ 150 pages, 4× ≈ 4 800 pages; about 15 minutes)::

    python bench/season_bench.py --consortia 8

Generated data lives in ``bench/data/`` and outputs in ``bench/out/`` (both git-ignored);
the template PDF is made once with LibreOffice (or matplotlib when LibreOffice is missing)
and its pages are imported with pypdfium2 to build every consortium's PDF quickly.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
OUT = HERE / "out"
GEN_VERSION = 4            # bump when the generator changes (regenerates bench/data)
TEMPLATE_PAGES = 40        # distinct pages in the template PDF
ROWS_PER_PAGE = 50         # nominal spreadsheet page

# share of a consortium's pages per format
PDF_SHARE, DOCX_SHARE, XLSX_SHARE = 0.6, 0.3, 0.1


# --------------------------------------------------------------------------- text generator

SENTENCES = [
    "{y}年，联合体内企业共接收学生岗位实习{a}人次，专业对口率达到{p}%。",
    "牵头企业近三年在产教融合领域累计投入资金{m}万元，用于共建生产性实训基地{b}个。",
    "园区规模以上工业企业{c}家，{y}年实现总产值{g}亿元，在全省开发区中排名第{r}位。",
    "联合体共开发工作手册式教材{d}本、新形态教材{e}本，建设在线精品课程{f}门。",
    "校企双向聘用企业高技能人才{h}人担任兼职教师，选派{i}名专任教师到企业实践锻炼。",
    "学校承接企业员工岗前培训、岗位培训和继续教育{j}人次，累计{k}课时。",
    "{y}届毕业生就业率为{p}%，在本地就业的比例为{q}%。",
    "{y}年发布核心产品清单{s}次、技术需求清单{t}次、人才需求清单{u}次。",
    "面向园区企业开展技术服务，技术服务到款额{m}万元，完成专利转化{v}项。",
    "理事会召开全体会议{w}次，审议通过年度工作计划和经费预算等事项{x}项。",
    "市级财政安排市域产教联合体专项经费{m}万元，社会资本投入{n}万元。",
    "联合体持续深化产教融合、校企合作，推动专业、课程、教材、师资、实习实训五大关键要素改革。",
    "围绕园区主导产业，建立学校专业设置与园区产业协调联动机制，动态调整专业{d}个。",
    "依托联合体建设区域技术创新中心和转化中心，服务成果转化、产品中试、技术升级和工艺革新。",
    "按照不少于职工工资总额{z}%的比例提取职工教育经费，其中{p}%用于技能人才培训。",
]
CITIES = ["临江", "北湖", "云岭", "青川", "东港", "南屏", "西陵", "安澜", "清河", "望海", "金沙", "长丰",
          "石门", "兴远", "瑞安", "泰和"]
INDUSTRIES = ["智能制造", "新能源汽车", "生物医药", "电子信息", "现代物流", "海洋装备", "新材料", "数字经济"]


def consortium_name(i: int) -> str:
    """A plausible, unique name: 临江智能制造市域产教联合体 ..."""
    return f"{CITIES[i % len(CITIES)]}{INDUSTRIES[(i // len(CITIES)) % len(INDUSTRIES)]}市域产教联合体"


HEADINGS = ["总体情况", "组织机构与运行机制", "合作办学", "合作育人", "合作就业", "合作发展",
            "专业建设", "课程建设", "教材建设", "师资队伍建设", "实习实训建设", "经费保障",
            "政策支持", "存在问题", "下一步工作"]
TABLE_HEAD = ["序号", "项目", "数量", "单位", "备注"]
TABLE_ITEMS = [("共建实训基地", "个"), ("兼职教师", "人"), ("订单培养学生", "人"), ("技术服务项目", "项"),
               ("企业投入资金", "万元"), ("培训人次", "人次"), ("开发教材", "本"), ("专业群", "个")]


def sentence(rng: random.Random) -> str:
    t = rng.choice(SENTENCES)
    vals = {k: rng.randint(2, 900) for k in "abcdefhijkstuvwxnr"}
    vals.update(y=rng.choice([2022, 2023, 2024]), m=rng.randint(50, 3000), g=round(rng.uniform(50, 900), 1),
                p=round(rng.uniform(60, 99), 1), q=round(rng.uniform(30, 80), 1), z=rng.choice([1.5, 2.5, 3]))
    return t.format(**vals)


def paragraph(rng: random.Random, n: int = 4) -> str:
    return "".join(sentence(rng) for _ in range(n))


def table_rows(rng: random.Random, n: int) -> list[list[str]]:
    rows = [TABLE_HEAD]
    for i in range(1, n + 1):
        item, unit = rng.choice(TABLE_ITEMS)
        rows.append([str(i), item, str(rng.randint(1, 500)), unit, rng.choice(["", "已完成", "进行中"])])
    return rows


# --------------------------------------------------------------------------- writers

def write_docx(path: Path, rng: random.Random, title: str, pages: int) -> int:
    """A Word file of ``pages`` pages (explicit page breaks), each with a ruled table."""
    import docx
    from docx.enum.text import WD_BREAK

    d = docx.Document()
    d.add_heading(title, level=0)
    for pg in range(pages):
        d.add_heading(f"{'一二三四五六七八九十'[pg % 10]}、{HEADINGS[pg % len(HEADINGS)]}", level=1)
        for _ in range(4):
            d.add_paragraph(paragraph(rng, 3))
        rows = table_rows(rng, 6)
        t = d.add_table(rows=len(rows), cols=len(rows[0]))
        t.style = "Table Grid"
        for r, row in enumerate(rows):
            cells = t.rows[r].cells
            for c, v in enumerate(row):
                cells[c].text = v
        if pg < pages - 1:
            d.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    d.save(str(path))
    return pages


def write_xlsx(path: Path, rng: random.Random, rows: int, self_eval: bool) -> int:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("自评表" if self_eval else "经费明细")
    if self_eval:
        ws.append(["观测点编号", "观测点", "自评值", "单位", "佐证材料"])
        for i in range(rows):
            item, unit = rng.choice(TABLE_ITEMS)
            ws.append([f"{i // 8 + 1}.{i % 8 // 3 + 1}.{i % 3 + 1}", item, rng.randint(1, 900), unit, "见年度工作总结"])
    else:
        ws.append(["序号", "日期", "项目", "资金来源", "金额（万元）", "用途", "经办单位", "备注"])
        for i in range(rows):
            ws.append([i + 1, f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", rng.choice(TABLE_ITEMS)[0],
                       rng.choice(["市级财政", "牵头企业", "学校自筹", "社会资本"]), round(rng.uniform(0.5, 80), 2),
                       rng.choice(["设备购置", "课程开发", "师资培训", "实训基地建设"]), "联合体秘书处", ""])
    wb.save(str(path))
    return math.ceil(rows / ROWS_PER_PAGE)


def template_pdf(log) -> Path:
    """The template PDF (TEMPLATE_PAGES pages), converted once with LibreOffice."""
    tdir = DATA / "template"
    pdf = tdir / f"template-v{GEN_VERSION}.pdf"
    if pdf.is_file():
        return pdf
    tdir.mkdir(parents=True, exist_ok=True)
    src = tdir / f"template-v{GEN_VERSION}.docx"
    write_docx(src, random.Random(7), "2024年度工作总结", TEMPLATE_PAGES)
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    t0 = time.perf_counter()
    if exe:
        profile = (tdir / "lo-profile").resolve().as_uri()
        subprocess.run([exe, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(tdir), str(src)], capture_output=True, timeout=600)
    if not pdf.is_file():
        log("未找到 LibreOffice（或转换失败），改用 matplotlib 生成模板 PDF（较慢，仅一次）")
        _matplotlib_template(pdf, random.Random(7))
    log(f"模板 PDF：{pdf.name}（{TEMPLATE_PAGES} 页，用时 {time.perf_counter() - t0:.1f} 秒）")
    return pdf


def _matplotlib_template(pdf: Path, rng: random.Random) -> None:
    import matplotlib

    matplotlib.rcParams["pdf.fonttype"] = 42
    import mplfonts
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    fp = FontProperties(fname=str(Path(mplfonts.__file__).parent / "fonts" / "SimHei.ttf"))
    with PdfPages(pdf) as pp:
        for pg in range(TEMPLATE_PAGES):
            fig = Figure(figsize=(8.27, 11.69))
            y = 0.93
            fig.text(0.1, y, f"{HEADINGS[pg % len(HEADINGS)]}", fontproperties=fp, fontsize=14)
            for _ in range(24):
                y -= 0.035
                fig.text(0.1, y, sentence(rng)[:38], fontproperties=fp, fontsize=10)
            pp.savefig(fig)


def write_pdf(path: Path, template: Path, rng: random.Random, pages: int) -> int:
    """A PDF of ``pages`` pages imported from the template in a consortium-specific order."""
    import pypdfium2 as pdfium

    src = pdfium.PdfDocument(str(template))
    try:
        n = len(src)
        order = [rng.randrange(n) for _ in range(pages)]
        dst = pdfium.PdfDocument.new()
        dst.import_pages(src, pages=order)
        dst.save(str(path))
        dst.close()
    finally:
        src.close()
    return pages


def generate(total: int, pages: int, log) -> tuple[Path, list[dict[str, Any]]]:
    """``total`` consortia of ≈ ``pages`` pages; reused when already generated with the same settings."""
    pool = DATA / f"pool-v{GEN_VERSION}-p{pages}"
    manifest = pool / "manifest.json"
    if manifest.is_file():
        m = json.loads(manifest.read_text(encoding="utf-8"))
        if len(m["consortia"]) >= total:
            return pool, m["consortia"][:total]
    template = template_pdf(log)
    pool.mkdir(parents=True, exist_ok=True)
    done = json.loads(manifest.read_text(encoding="utf-8"))["consortia"] if manifest.is_file() else []
    t0 = time.perf_counter()
    for i in range(len(done), total):
        rng = random.Random(1000 + i)
        name = consortium_name(i)
        folder = pool / f"{i + 1:03d}-{name}"
        if folder.exists():
            shutil.rmtree(folder)
        (folder / "佐证材料").mkdir(parents=True)
        n_pdf = max(1, round(pages * PDF_SHARE))
        n_docx = max(1, round(pages * DOCX_SHARE))
        n_xlsx_rows = max(ROWS_PER_PAGE, round(pages * XLSX_SHARE) * ROWS_PER_PAGE - 116)
        counts = {"pdf": 0, "docx": 0, "xlsx": 0}
        counts["pdf"] += write_pdf(folder / "2024年度工作总结.pdf", template, rng, n_pdf)
        counts["docx"] += write_docx(folder / "建设方案.docx", rng, f"{name}建设方案", n_docx - 2)
        # (the PDF pages come from a shared template; the Word and Excel files carry the name)
        counts["docx"] += write_docx(folder / "佐证材料" / "理事会章程.docx", rng, "理事会章程", 2)
        counts["xlsx"] += write_xlsx(folder / "自评表.xlsx", rng, 116, True)
        counts["xlsx"] += write_xlsx(folder / "佐证材料" / "经费明细.xlsx", rng, n_xlsx_rows, False)
        done.append({"name": folder.name, "pages": sum(counts.values()), "pdf_pages": counts["pdf"], **counts})
        manifest.write_text(json.dumps({"consortia": done}, ensure_ascii=False, indent=1), encoding="utf-8")
    if total > 0:
        log(f"已生成 {total} 个联合体（本次新生成用时 {time.perf_counter() - t0:.1f} 秒）：{pool}")
    return pool, done[:total]


def make_batch(pool: Path, consortia: list[dict[str, Any]], scale: int) -> Path:
    """A batch folder holding exactly these consortia (hard links into the pool)."""
    batch = DATA / f"batch-{pool.name}-n{len(consortia)}"
    want = {c["name"] for c in consortia}
    if batch.exists() and {p.name for p in batch.iterdir()} == want:
        return batch
    if batch.exists():
        shutil.rmtree(batch)
    for c in consortia:
        src = pool / c["name"]
        for f in src.rglob("*"):
            if f.is_file():
                dst = batch / c["name"] / f.relative_to(src)
                dst.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(f, dst)
                except OSError:
                    shutil.copy2(f, dst)
    return batch


# --------------------------------------------------------------------------- measurement

def measure(cmd: list[str], env: Optional[dict[str, str]] = None) -> dict[str, Any]:
    """Run ``cmd`` under a small wrapper process: wall time, exit code, largest process RSS."""
    wrapper = [sys.executable, str(Path(__file__).resolve()), "_measure", json.dumps(cmd)]
    p = subprocess.run(wrapper, capture_output=True, text=True, env=env, cwd=str(ROOT))
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"wall": float("nan"), "cpu": float("nan"), "rc": p.returncode, "maxrss_mb": float("nan"),
                "stderr": p.stderr[-2000:]}


def _measure_main(cmd_json: str) -> None:
    import resource

    cmd = json.loads(cmd_json)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    mb = ru.ru_maxrss / 1024 / (1024 if sys.platform == "darwin" else 1)
    # CPU seconds of the whole process tree: comparable even when other jobs load the machine
    print(json.dumps({"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rc": p.returncode, "maxrss_mb": mb,
                      "stderr": p.stderr[-2000:]}))


def _plumber_main(folder: str) -> None:
    """Plain pdfplumber: extract_text() on every page of every PDF below ``folder``."""
    import pdfplumber

    pages = chars = 0
    for pdf_path in sorted(Path(folder).rglob("*.pdf")):
        with pdfplumber.open(pdf_path) as pdf:
            for page in pdf.pages:
                chars += len(page.extract_text() or "")
                pages += 1
    print(json.dumps({"pages": pages, "chars": chars}), file=sys.stderr)


STAGE_ZH = {"read": "读取", "extract": "提取", "workbook": "证据清单", "charts": "图表", "review_opinion": "评审意见"}


def stage_seconds(out: Path) -> dict[str, float]:
    """Seconds per pipeline stage summed over the consortia of a run (from the result store)."""
    acc: dict[str, float] = {}
    for f in (out / ".cache" / "results").glob("*.json"):
        try:
            t = json.loads(f.read_text(encoding="utf-8"))["result"]["summary"]["timings"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        for k, v in t.items():
            if k != "total":
                acc[k] = acc.get(k, 0.0) + float(v)
    return acc


def review_cmd(batch: Path, out: Path, workers: int, render: bool) -> list[str]:
    cmd = [sys.executable, "-m", "consortium_review", "review", str(batch), "-o", str(out), "--batch",
           "--workers", str(workers)]
    if not render:
        cmd.append("--no-render")
    return cmd


def run_scale(scale: int, pool: Path, consortia: list[dict[str, Any]], workers: int, render: bool,
              plumber: bool, log) -> dict[str, Any]:
    batch = make_batch(pool, consortia, scale)
    out = OUT / f"scale-{scale}"
    if out.exists():
        shutil.rmtree(out)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    pages = sum(c["pages"] for c in consortia)
    pdf_pages = sum(c["pdf_pages"] for c in consortia)
    log(f"[{scale}×] {len(consortia)} 个联合体，{pages} 页（PDF {pdf_pages} 页）：冷启动评审……")
    cold = measure(review_cmd(batch, out, workers, render), env)
    cold["stages"] = stage_seconds(out)
    log(f"[{scale}×] 冷启动 {cold['wall']:.1f} 秒（退出码 {cold['rc']}）；复跑（缓存）……")
    warm = measure(review_cmd(batch, out, workers, render), env)
    # incremental: two new files in one consortium (removed again afterwards)
    first = batch / consortia[0]["name"]
    added = [first / "补充材料一.docx", first / "补充材料二.docx"]
    rng = random.Random(99)
    for f in added:
        write_docx(f, rng, "补充材料", 2)
    inc = measure(review_cmd(batch, out, workers, render), env)
    for f in added:
        f.unlink()
    log(f"[{scale}×] 复跑 {warm['wall']:.1f} 秒，增量 {inc['wall']:.1f} 秒；pdfplumber……")
    plumb = None
    if plumber:
        plumb = measure([sys.executable, str(Path(__file__).resolve()), "_plumber", str(batch)], env)
        log(f"[{scale}×] pdfplumber {plumb['wall']:.1f} 秒")
    for m, what in ((cold, "冷启动"), (warm, "复跑"), (inc, "增量")):
        if m["rc"] not in (0,):
            log(f"  注意：{what}评审退出码 {m['rc']}（失败的联合体数），见 {out / 'run.log'}")
            if m.get("stderr"):
                log("  " + m["stderr"].strip().splitlines()[-1][:300])
    return {"scale": scale, "consortia": len(consortia), "pages": pages, "pdf_pages": pdf_pages,
            "cold": cold, "warm": warm, "incremental": inc, "plumber": plumb, "out": str(out)}


def report(rows: list[dict[str, Any]], workers: int, render: bool) -> str:
    lines = []
    cpu = os.cpu_count()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = float("nan")
    lines.append(f"评审季基准：{cpu} 个 CPU 核，--workers {workers}，{'生成全部输出' if render else '仅 evidence.json'}；"
                 f"开始时系统负载 {load:.1f}")
    head = ("规模", "联合体", "页数", "PDF页", "冷启动(秒)", "页/秒", "pdfplumber(秒)", "比值", "CPU秒 本工具/pdfplumber",
            "复跑(秒)", "复跑占比", "增量(秒)", "内存峰值(MB)", "秒/千页")
    lines.append(" | ".join(head))
    for r in rows:
        cold, warm, inc, pl = r["cold"]["wall"], r["warm"]["wall"], r["incremental"]["wall"], r["plumber"]
        plw = pl["wall"] if pl else float("nan")
        lines.append(" | ".join([
            f"{r['scale']}×", str(r["consortia"]), str(r["pages"]), str(r["pdf_pages"]), f"{cold:.1f}",
            f"{r['pages'] / cold:.1f}", f"{plw:.1f}", f"{cold / plw:.2f}" if pl else "—",
            f"{r['cold']['cpu']:.0f}/{pl['cpu']:.0f}" if pl else "—", f"{warm:.1f}",
            f"{100 * warm / cold:.1f}%", f"{inc:.1f}", f"{r['cold']['maxrss_mb']:.0f}",
            f"{1000 * cold / r['pages']:.1f}"]))
    for r in rows:
        st = r["cold"].get("stages") or {}
        total = sum(st.values()) or 1.0
        lines.append(f"{r['scale']}× 各阶段（各进程累计秒数）：" + "，".join(
            f"{STAGE_ZH.get(k, k)} {v:.1f}（{100 * v / total:.0f}%）" for k, v in st.items()))
    if len(rows) >= 2:
        base = rows[0]
        per = [1000 * r["cold"]["wall"] / r["pages"] for r in rows]
        lines.append("线性检查（每千页秒数相对 1×）：" + "，".join(
            f"{r['scale']}× {p / per[0]:.2f}" for r, p in zip(rows, per)) + f"（基准 {per[0]:.1f} 秒/千页，规模 {base['scale']}×）")
    worst_ratio = max((r["cold"]["wall"] / r["plumber"]["wall"] for r in rows if r["plumber"]), default=float("nan"))
    worst_warm = max(100 * r["warm"]["wall"] / r["cold"]["wall"] for r in rows)
    peak = max(r["cold"]["maxrss_mb"] for r in rows)
    lines.append(f"目标：比值 < 1 → 最大 {worst_ratio:.2f}；复跑 < 10% → 最大 {worst_warm:.1f}%；"
                 f"内存 < 1024 MB → 最大 {peak:.0f} MB")
    lines.append("说明：比值 = 本工具完整评审的墙钟时间（--workers 个进程）÷ 单进程 pdfplumber extract_text() 的墙钟时间；"
                 "机器同时有其他负载时墙钟时间会波动，CPU 秒一栏不受并行与负载影响。")
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["_measure"]:
        _measure_main(argv[1])
        return 0
    if argv[:1] == ["_plumber"]:
        _plumber_main(argv[1])
        return 0
    ap = argparse.ArgumentParser(description="评审季基准测试：生成一批联合体材料，计时完整评审、pdfplumber、缓存复跑。")
    ap.add_argument("--consortia", type=int, default=3, help="1× 规模的联合体数（默认 3；评审季规模用 8，4× 即 32 个）")
    ap.add_argument("--pages", type=int, default=150, help="每个联合体的页数（默认 150）")
    ap.add_argument("--scales", default="1,2,4", help="规模倍数，逗号分隔（默认 1,2,4）")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="评审进程数（默认 CPU 核数）")
    ap.add_argument("--no-render", action="store_true", help="只计时到 evidence.json（不生成 Word/Excel/图表）")
    ap.add_argument("--no-plumber", action="store_true", help="不计时 pdfplumber")
    ap.add_argument("--json", metavar="FILE", help="另存结果为 JSON")
    args = ap.parse_args(argv)
    scales = sorted({int(s) for s in args.scales.split(",") if s.strip()})

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    pool, consortia = generate(args.consortia * max(scales), args.pages, log)
    rows = []
    for s in scales:
        rows.append(run_scale(s, pool, consortia[: args.consortia * s], args.workers, not args.no_render,
                              not args.no_plumber, log))
    text = report(rows, args.workers, not args.no_render)
    print(text)
    print(f"（基准测试总用时 {time.perf_counter() - t0:.0f} 秒；数据 {pool}；输出 {OUT}）")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
