"""``consortium-review serve [WORKSPACE] [--port N]``: the review workspace in the browser."""

from __future__ import annotations

import argparse
import sys
import threading
import webbrowser
from pathlib import Path

HOST = "127.0.0.1"          # never another interface: the workspace holds unpublished materials
DEFAULT_PORT = 8765


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ModuleNotFoundError:
        print("错误：缺少 uvicorn，请先运行 pip install -e . 安装依赖", file=sys.stderr)
        return 2
    from consortium_review.catalogue import load_catalogue

    from .app import create_app

    workspace = Path(args.workspace)
    if workspace.exists() and not workspace.is_dir():
        print(f"错误：{workspace} 不是文件夹", file=sys.stderr)
        return 2
    catalogue = load_catalogue(args.standard)
    out = Path(args.output) if args.output else None
    app = create_app(workspace, out, catalogue=catalogue, max_upload_bytes=args.max_upload_mb * 1024 * 1024,
                     workers=args.workers, settings=getattr(args, "settings", None))
    ws = app.state.workspace
    config = uvicorn.Config(app, host=HOST, port=args.port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    url = f"http://{HOST}:{args.port}/"
    print(f"评审工作台已启动：{url}", flush=True)
    print(f"  工作区：{ws.root}", flush=True)
    print(f"  输出：{ws.out}（与 consortium-review review {ws.root} -o {ws.out} 相同）", flush=True)
    print("  按 Ctrl-C 结束。", flush=True)
    if not args.no_browser:
        threading.Timer(1.0, lambda: _open(url)).start()
    try:
        server.run()
    finally:
        app.state.jobs.stop()
    return 0


def _open(url: str) -> None:
    try:
        webbrowser.open(url)
    except Exception:       # no browser on this machine: the printed URL is enough
        pass


def add_commands(subparsers) -> None:
    p = subparsers.add_parser("serve", help="在浏览器中评审：本机网页工作台（拖入材料、逐项看原文、专家判定、下载）",
                              description="启动本机网页工作台（只监听 127.0.0.1，不联网）。工作区 = 每个联合体一个子文件夹，"
                                          "结果写在 工作区/output/，与 review、watch 使用同一批文件。")
    p.add_argument("workspace", nargs="?", default="工作区", help="工作区文件夹（默认 ./工作区，不存在时创建）")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"端口（默认 {DEFAULT_PORT}）")
    p.add_argument("-o", "--output", default=None, help="输出文件夹（默认 工作区/output）")
    p.add_argument("--standard", default=None, help="指标体系文件（默认 2024 年国家标准）")
    p.add_argument("--rules", default=None, metavar="文件", help="建议结论规则（YAML，与 review --rules 相同）")
    p.add_argument("--workers", type=int, default=2, help="评审用的工作进程数（默认 2）")
    p.add_argument("--max-upload-mb", type=int, default=512, help="单次上传的大小上限（MB，默认 512）")
    p.add_argument("--no-browser", action="store_true", help="不自动打开浏览器")
    p.set_defaults(func=cmd_serve)
