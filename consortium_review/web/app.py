"""The Starlette application of the review workspace.

Pages are server-side Jinja2 templates (autoescaped: submission text is never markup); one
small script (``static/app.js``) adds the drop zone, live progress and the side panel. Safety:

* the Host header must name this machine (``TrustedHostMiddleware``: a page on another site
  cannot reach the server through DNS rebinding);
* every state-changing request (POST) carries the per-start token (header ``X-CR-Token`` or
  form field ``token``) and, when the browser sends one, a local ``Origin``;
* files are served only from inside the workspace (``workspace.inside``); uploads are
  size-limited and unpacked with the readers' archive rules.
"""

from __future__ import annotations

import hmac
import json
import secrets
import shutil
from importlib import resources
from pathlib import Path
from typing import Any, Optional
from urllib.parse import parse_qs, quote, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import (FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse,
                                 Response)
from starlette.routing import Mount, Route
from starlette.concurrency import run_in_threadpool
from starlette.staticfiles import StaticFiles

from consortium_review.annual import annual_report
from consortium_review.generator.annual_data import ANNUAL_DIR
from consortium_review.cache import CACHE_DIRNAME, ReadCache

from .jobs import JobRunner
from .workspace import DecisionError, UnsafePath, Workspace, check_relative, inside, valid_name

ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
TOKEN_HEADER = "X-CR-Token"
MAX_FORM_BYTES = 64 * 1024
STATUS_LABELS = {"found": "已找到", "partial": "部分", "conflict": "冲突", "missing": "缺失"}
CONFIDENCE_LEVELS = {"high": ("高", 0.75, 1.01), "mid": ("中", 0.5, 0.75), "low": ("低", -1.0, 0.5)}
DOWNLOAD_SUFFIXES = (".docx", ".xlsx", ".png", ".json", ".log")


def confidence_level(c: float) -> str:
    for key, (_, lo, hi) in CONFIDENCE_LEVELS.items():
        if lo <= (c or 0.0) < hi:
            return key
    return "low"


def heat_color(percent: Optional[float]) -> str:
    """Red (0 %) -> yellow -> green (100 %), as an rgb() string for the heat map."""
    if percent is None:
        return "#eeeeee"
    p = max(0.0, min(100.0, percent)) / 100.0
    if p < 0.5:
        r, g = 230, int(80 + 2 * p * 140)
    else:
        r, g = int(230 - (p - 0.5) * 2 * 130), 200
    return f"rgb({r},{g},90)"


class Forbidden(Exception):
    pass


class SecurityHeaders:
    """Pure ASGI middleware: no framing, no sniffing, scripts and styles only from this server."""

    HEADERS = [(b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
               (b"referrer-policy", b"no-referrer"),
               (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                            b"script-src 'self'; frame-ancestors 'none'")]

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + self.HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(workspace: Path, out: Optional[Path] = None, *, catalogue=None, token: Optional[str] = None,
               max_upload_bytes: Optional[int] = None, port: Optional[int] = None, workers: int = 2,
               settings=None) -> Starlette:
    ws = Workspace(workspace, out, catalogue, settings=settings)
    if max_upload_bytes is not None:
        ws.max_upload_bytes = max_upload_bytes
    token = token or secrets.token_urlsafe(24)
    jobs = JobRunner(ws, workers=workers)
    env = Environment(loader=PackageLoader("consortium_review.web", "templates"),
                      autoescape=select_autoescape(["html"], default=True), trim_blocks=True, lstrip_blocks=True)
    from consortium_review.generator.assess import format_value

    env.filters["ev_value"] = lambda e: format_value(e.get("value"), e.get("unit"), e.get("quantities"))
    env.globals.update(token=token, status_labels=STATUS_LABELS, heat_color=heat_color,
                       confidence_levels=CONFIDENCE_LEVELS, confidence_level=confidence_level, quote=quote)

    def page(_template: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(_template).render(**ctx), status_code=status_code)

    def error(message: str, status_code: int, request: Request) -> Response:
        if "application/json" in request.headers.get("accept", "") or request.headers.get(TOKEN_HEADER):
            return JSONResponse({"error": message}, status_code=status_code)
        return page("error.html", status_code=status_code, message=message)

    async def check_post(request: Request) -> dict[str, str]:
        """Token (+ local Origin) of a state-changing request; returns the urlencoded form, if any."""
        origin = request.headers.get("origin")
        if origin and origin != "null":
            host = urlsplit(origin).hostname or ""
            if host not in ALLOWED_HOSTS:
                raise Forbidden("请求来自其他网站，已拒绝")
        form: dict[str, str] = {}
        ctype = request.headers.get("content-type", "")
        if ctype.startswith("application/x-www-form-urlencoded"):
            body = b""
            async for chunk in request.stream():
                body += chunk
                if len(body) > MAX_FORM_BYTES:
                    raise Forbidden("表单内容过长")
            form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        given = request.headers.get(TOKEN_HEADER) or form.get("token") or ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise Forbidden("缺少或错误的操作令牌（请刷新页面后重试）")
        return form

    def wants_json(request: Request) -> bool:
        return bool(request.headers.get(TOKEN_HEADER))

    # ------------------------------------------------------------------ overview
    def consortium_card(name: str) -> dict[str, Any]:
        card: dict[str, Any] = {"name": name, "display": name, "reviewed": False, "busy": jobs.busy(name),
                                "has_materials": (ws.root / name).is_dir()}
        ev = ws.evidence(name)
        if ev is None:
            return card
        a = ws.assessment(ev)
        card.update(reviewed=True, display=a.name, conclusion=a.conclusion.label,
                    reasons=a.conclusion.reasons, coverage=a.coverage,
                    flags=[n for n in a.flagged],
                    thresholds_met=sum(1 for p in a.thresholds if p.threshold_met is True),
                    thresholds_total=len(a.thresholds),
                    level2=[l2 for l2 in a.level2],
                    failed_documents=a.failed_documents, documents=len(a.documents),
                    experts=len([p for p in a.points if p.expert_confirmed] + [n for n in a.negatives if n.expert_confirmed]),
                    problem=ev.get("_workbook_problem"))
        return card

    def overview(request: Request) -> Response:
        cards = [consortium_card(n) for n in ws.names()]
        level2 = []
        seen = set()
        for p in ws.catalogue.points:
            if p.level2_code not in seen:
                seen.add(p.level2_code)
                level2.append((p.level2_code, p.level2_name))
        summaries = [n for n in ("汇总.xlsx", "汇总说明.docx") if (ws.out / n).is_file()]
        return page("overview.html", cards=cards, level2=level2, workspace=str(ws.root), out=str(ws.out),
                    summaries=summaries, max_upload_mb=ws.max_upload_bytes // (1024 * 1024))

    # ------------------------------------------------------------------ consortium
    def load(name: str):
        name = valid_name(name)
        ev = ws.evidence(name)
        if ev is None:
            raise LookupError("该联合体尚未评审完成")
        return name, ev, ws.assessment(ev)

    def consortium(request: Request) -> Response:
        try:
            name, ev, a = load(request.path_params["name"])
        except UnsafePath as exc:
            return error(str(exc), 400, request)
        except LookupError as exc:
            return error(str(exc), 404, request)
        status = request.query_params.get("status") or ""
        conf = request.query_params.get("conf") or ""
        groups = []
        for g in a.groups:
            l2s = []
            for l2 in g.level2:
                pts = [p for p in l2.points if (not status or p.status == status)
                       and (not conf or confidence_level(p.confidence) == conf)]
                l2s.append((l2, pts))
            groups.append((g, l2s))
        out_dir = ws.output_dir(name)
        # the review's documents, then the annual report's (in its own sub-folder, as the CLI writes it)
        files = [p.relative_to(out_dir).as_posix() for d in (out_dir, out_dir / ANNUAL_DIR) if d.is_dir()
                 for p in sorted(d.iterdir()) if p.is_file() and p.suffix in (".docx", ".xlsx")
                 and not p.name.startswith((".", "~$"))]
        return page("consortium.html", name=name, a=a, ev=ev, groups=groups, status=status, conf=conf,
                    files=files, busy=jobs.busy(name), problem=ev.get("_workbook_problem"),
                    saved=request.query_params.get("saved"))

    def evidence_views(name: str, p) -> list[dict[str, Any]]:
        from . import sources

        views = []
        folder = ws.root / name
        doc_formats = {d.get("file"): d for d in (ws.evidence(name) or {}).get("documents", [])}
        for i, e in enumerate(p.evidence):
            v: dict[str, Any] = {"i": i, "ev": e, "kind": "text", "context": None}
            d = doc_formats.get(e.get("file")) or {}
            fmt = d.get("format")
            real = None
            try:
                real = inside(folder, e.get("file") or "") if folder.is_dir() else None
            except UnsafePath:
                real = None
            if fmt == "pdf" and e.get("page") and real is not None and real.is_file():
                v["kind"] = "pdf"
            elif fmt == "image" and real is not None and real.is_file():
                v["kind"] = "image"
            if v["kind"] != "pdf" and folder.is_dir():
                try:
                    docs = sources.read_documents(folder, e.get("file") or "", ws.out / ".cache")
                    v["context"] = sources.text_context(docs, e)
                except Exception as exc:  # a file that cannot be read again: say so, show the snippet
                    v["context_error"] = f"无法打开原文：{type(exc).__name__}"
            views.append(v)
        return views

    def point(request: Request) -> Response:
        try:
            name, ev, a = load(request.path_params["name"])
            code = request.path_params["code"]
            try:
                p = a.point(code)
                neg = None
            except KeyError:
                p = None
                neg = next((n for n in a.negatives if n.code == code), None)
                if neg is None:
                    return error(f"没有观测点 {code}", 404, request)
        except UnsafePath as exc:
            return error(str(exc), 400, request)
        except LookupError as exc:
            return error(str(exc), 404, request)
        item = p or neg
        views = evidence_views(name, item)
        partial = request.query_params.get("partial") == "1"
        return page("point.html", name=name, a=a, p=p, neg=neg, item=item, views=views, partial=partial,
                    busy=jobs.busy(name), saved=request.query_params.get("saved"))

    def page_image(request: Request) -> Response:
        """The PDF page of evidence ``i`` of point ``code``: PNG, or JSON boxes with ``?boxes=1``."""
        from . import sources

        try:
            name, ev, a = load(request.path_params["name"])
            code = request.query_params.get("code") or ""
            i = int(request.query_params.get("i") or "0")
            item = next((x for x in list(a.points) + list(a.negatives) if x.code == code), None)
            if item is None or not 0 <= i < len(item.evidence):
                return error("没有这条证据", 404, request)
            e = item.evidence[i]
            path = inside(ws.root / name, e.get("file") or "")
            if not path.is_file():
                return error("原文件已不在工作区中", 404, request)
            if request.query_params.get("image") == "1":
                return Response(sources.image_png(path), media_type="image/png")
            view = sources.pdf_page(path, int(e.get("page") or 1), str(e.get("snippet") or ""),
                                    render=request.query_params.get("boxes") != "1")
        except UnsafePath as exc:
            return error(str(exc), 400, request)
        except LookupError as exc:
            return error(str(exc), 404, request)
        except (ValueError, OSError) as exc:
            return error(f"无法显示该页：{exc}", 422, request)
        except Exception as exc:  # pdfium errors on a damaged file
            return error(f"无法显示该页：{type(exc).__name__}", 422, request)
        if request.query_params.get("boxes") == "1":
            return JSONResponse({"width": view.width, "height": view.height, "boxes": view.boxes})
        return Response(view.png, media_type="image/png", headers={"Cache-Control": "no-store"})

    # ------------------------------------------------------------------ decisions
    async def decide(request: Request) -> Response:
        try:
            form = await check_post(request)
            name = valid_name(request.path_params["name"])
            code = request.path_params["code"]
            if request.headers.get("content-type", "").startswith("application/json"):
                form = json.loads((await request.body())[:MAX_FORM_BYTES] or b"{}")
            if jobs.busy(name):
                raise DecisionError("该联合体正在评审，请在评审完成后再保存判定")
            status = str(form.get("status") or "")
            allowed = set(STATUS_LABELS.values()) | {"触发", "未触发", ""}
            if status not in allowed:
                raise DecisionError("专家判定只能是：已找到、部分、冲突、缺失（负面清单：触发、未触发）")
            ws.decide(name, code, status=status, value=str(form.get("value") or ""),
                      comment=str(form.get("comment") or ""))
        except Forbidden as exc:
            return error(str(exc), 403, request)
        except UnsafePath as exc:
            return error(str(exc), 400, request)
        except (DecisionError, ValueError) as exc:
            return error(str(exc), 409, request)
        if wants_json(request):
            return JSONResponse({"ok": True, "message": "已保存到证据清单"})
        back = form.get("back") or "point"
        target = f"/c/{quote(name)}/point/{quote(code)}?saved=1" if back == "point" else f"/c/{quote(name)}?saved=1#n-{quote(code)}"
        return RedirectResponse(target, status_code=303)

    async def review(request: Request) -> Response:
        """(Re)review one consortium, or all with name '*': regenerates every output from the decisions."""
        try:
            await check_post(request)
            raw = request.path_params["name"]
            names = ws.names() if raw == "*" else [valid_name(raw)]
            names = [n for n in names if (ws.root / n).is_dir()]
            if not names:
                return error("工作区中没有该联合体的材料", 404, request)
        except Forbidden as exc:
            return error(str(exc), 403, request)
        except UnsafePath as exc:
            return error(str(exc), 400, request)
        job = jobs.submit(names, "重新生成")
        if wants_json(request):
            return JSONResponse(job.to_json())
        return RedirectResponse(f"/c/{quote(names[0])}" if raw != "*" else "/", status_code=303)

    # ------------------------------------------------------------------ uploads
    async def receive_body(request: Request, target: Path) -> None:
        """Stream the body to ``target``, refusing it once it passes the size limit."""
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > ws.max_upload_bytes:
            raise Forbidden(f"上传内容过大（上限 {ws.max_upload_bytes // 1048576} MB）")
        n = 0
        with open(target, "wb") as f:
            async for chunk in request.stream():
                n += len(chunk)
                if n > ws.max_upload_bytes:
                    raise Forbidden(f"上传内容过大（上限 {ws.max_upload_bytes // 1048576} MB）")
                f.write(chunk)

    def upload_name(request: Request) -> str:
        from urllib.parse import unquote

        raw = unquote(request.headers.get("x-filename") or request.query_params.get("filename") or "upload.zip")
        return raw.replace("\\", "/").rsplit("/", 1)[-1]

    async def upload_zip(request: Request) -> Response:
        staging = None
        try:
            await check_post(request)
            filename = upload_name(request)
            staging = ws.new_upload_dir()
            body = staging / "upload.zip"
            await receive_body(request, body)
            stem = filename[:-4] if filename.lower().endswith(".zip") else filename
            up = ws.unpack_zip(body, stem or "联合体", staging, busy=jobs.busy)
        except Forbidden as exc:
            return error(str(exc), 413 if "过大" in str(exc) else 403, request)
        finally:
            if staging is not None:
                ws.clean_upload(staging)
        job = jobs.submit(up.names, "上传", up.problems)
        return JSONResponse(job.to_json())

    async def upload_file(request: Request) -> Response:
        """One file of a dropped folder: ``?staging=<id>&path=<relative path>``; then ``/upload/finish``."""
        try:
            await check_post(request)
            staging = request.query_params.get("staging") or ""
            if not staging.isalnum() or len(staging) > 64:
                raise UnsafePath("上传编号不合法")
            rel = request.query_params.get("path") or ""
            check_relative(rel)
            base = ws.uploads_dir() / f"f-{staging}" / "files"
            base.mkdir(parents=True, exist_ok=True)
            used = sum(p.stat().st_size for p in base.rglob("*") if p.is_file())
            target = inside(base, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            saved = ws.max_upload_bytes
            ws.max_upload_bytes = max(0, saved - used)
            try:
                await receive_body(request, target)
            finally:
                ws.max_upload_bytes = saved
        except Forbidden as exc:
            return error(str(exc), 413 if "过大" in str(exc) else 403, request)
        except UnsafePath as exc:
            return error(str(exc), 400, request)
        return JSONResponse({"ok": True})

    async def upload_finish(request: Request) -> Response:
        try:
            await check_post(request)
            staging = request.query_params.get("staging") or ""
            if not staging.isalnum() or len(staging) > 64:
                raise UnsafePath("上传编号不合法")
            root = ws.uploads_dir() / f"f-{staging}"
            up = ws.install_folder(root / "files", request.query_params.get("name") or "联合体", busy=jobs.busy)
            shutil.rmtree(root, ignore_errors=True)
        except Forbidden as exc:
            return error(str(exc), 403, request)
        except UnsafePath as exc:
            return error(str(exc), 400, request)
        job = jobs.submit(up.names, "上传", up.problems)
        return JSONResponse(job.to_json())

    def job_list(request: Request) -> Response:
        return JSONResponse({"jobs": [j.to_json() for j in reversed(jobs.jobs)]})

    # ------------------------------------------------------------------ downloads
    def send(path: Path, request: Request) -> Response:
        if not path.is_file() or path.suffix.lower() not in DOWNLOAD_SUFFIXES:
            return error("文件不存在", 404, request)
        return FileResponse(path, filename=path.name)

    def download(request: Request) -> Response:
        try:
            name = valid_name(request.path_params["name"])
            path = inside(ws.out, f"{name}/{request.path_params['file']}")
        except UnsafePath as exc:
            return error(str(exc), 400, request)
        return send(path, request)

    def download_summary(request: Request) -> Response:
        try:
            path = inside(ws.out, request.path_params["file"])
        except UnsafePath as exc:
            return error(str(exc), 400, request)
        return send(path, request)

    async def annual(request: Request) -> Response:
        """年度报告 from the consortium's materials (the ``annual`` command's own function)."""
        try:
            await check_post(request)
            name = valid_name(request.path_params["name"])
            if jobs.busy(name):
                raise DecisionError("该联合体正在评审，请稍后")
            written = await run_in_threadpool(_annual_report, ws, name)
        except Forbidden as exc:
            return error(str(exc), 403, request)
        except (UnsafePath, DecisionError) as exc:
            return error(str(exc), 409, request)
        except Exception as exc:  # the report is optional: say why it failed
            return error(f"生成年度报告失败：{type(exc).__name__}：{exc}", 500, request)
        if wants_json(request):
            return JSONResponse({"ok": True, "files": [p.relative_to(ws.output_dir(name)).as_posix() for p in written]})
        return RedirectResponse(f"/c/{quote(name)}", status_code=303)

    async def not_found(request: Request, exc) -> Response:
        return error("页面不存在", 404, request)

    static_dir = resources.files("consortium_review.web") / "static"
    routes = [
        Route("/", overview),
        Route("/api/jobs", job_list),
        Route("/upload", upload_zip, methods=["POST"]),
        Route("/upload/file", upload_file, methods=["POST"]),
        Route("/upload/finish", upload_finish, methods=["POST"]),
        Route("/review/{name}", review, methods=["POST"]),
        Route("/download/{file:path}", download_summary),
        Route("/c/{name}", consortium),
        Route("/c/{name}/point/{code}", point),
        Route("/c/{name}/decide/{code}", decide, methods=["POST"]),
        Route("/c/{name}/page.png", page_image),
        Route("/c/{name}/annual", annual, methods=["POST"]),
        Route("/c/{name}/files/{file:path}", download),
        Mount("/static", app=StaticFiles(directory=str(static_dir)), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found},
                    middleware=[Middleware(SecurityHeaders),
                                Middleware(TrustedHostMiddleware, allowed_hosts=list(ALLOWED_HOSTS))])

    app.state.workspace = ws
    app.state.jobs = jobs
    app.state.token = token
    return app


def _annual_report(ws: Workspace, name: str) -> list[Path]:
    """The ``annual`` command's own function, on the consortium's folder and output folder
    (with the workspace's settings and the read cache its reviews fill)."""
    folder = ws.material_dir(name)
    if not folder.is_dir():
        raise DecisionError("工作区中没有该联合体的材料")
    cache = ReadCache(ws.out / CACHE_DIRNAME, read_settings=ws.settings.read)
    # into the review's 年度报告/ sub-folder, like ``annual``: the review's evidence.json and
    # workbook stay untouched, and the expert's decisions there carry over into the report
    review_dir = ws.output_dir(name)
    s = annual_report(folder, review_dir / ANNUAL_DIR, ws.catalogue, review_dir=review_dir, settings=ws.settings,
                      cache=cache)
    return [Path(s["report"])]
