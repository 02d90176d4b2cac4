"""The workspace folder the web page, the CLI and ``watch`` share.

Layout (the same one ``consortium-review review WORKSPACE -o WORKSPACE/output`` uses)::

    WORKSPACE/
        <联合体A>/ ...材料...          one folder per consortium (materials, never modified)
        <联合体B>/ ...
        output/                        the outputs: output/<联合体A>/evidence.json, 证据清单.xlsx, ...
        .uploads/                      uploads being unpacked (hidden: review and watch skip it)

Decisions (专家判定/专家取值/专家意见) are stored in exactly one place: the expert columns of
``output/<联合体>/<名称>-证据清单.xlsx``. The pipeline reads those columns back on every run
(``generator.workbook.render``), so an edit in the browser shows in the workbook and an edit
in the workbook shows in the browser; both survive re-runs and re-uploads.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import shutil
import threading
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Optional

from consortium_review.batch import consortium_folders
from consortium_review.fileio import atomic_path

#: default name of the outputs folder inside the workspace
OUTPUT_DIRNAME = "output"
UPLOADS_DIRNAME = ".uploads"
#: largest upload (one request body); the readers' own per-file and archive limits apply too
MAX_UPLOAD_BYTES = 512 * 1024 * 1024

_NAME_BAD = re.compile(r'[\x00-\x1f<>:"/\\|?*]')


class UnsafePath(ValueError):
    """A path from a URL or an upload that would leave the workspace (message in Chinese)."""


class DecisionError(ValueError):
    """A decision could not be stored (message in Chinese)."""


# --------------------------------------------------------------------------- paths

def check_relative(rel: str) -> PurePosixPath:
    """A '/'-separated relative path from a URL or upload, or ``UnsafePath``.

    Refused: empty, absolute, drive letters, UNC, backslashes, ``..``, NUL and control characters.
    """
    if not rel or "\x00" in rel or "\\" in rel or any(ord(c) < 32 for c in rel):
        raise UnsafePath("路径不合法")
    if rel.startswith("/") or re.match(r"^[A-Za-z]:", rel):
        raise UnsafePath("不接受绝对路径")
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise UnsafePath("路径不能包含“..”或空的部分")
    return PurePosixPath(*parts)


def inside(base: Path, rel: str) -> Path:
    """``base/rel`` after checking it stays inside ``base`` (symlinks resolved)."""
    pure = check_relative(rel)
    base_res = Path(base).resolve()
    target = base_res.joinpath(*pure.parts)
    resolved = target.resolve()
    if resolved != base_res and base_res not in resolved.parents:
        raise UnsafePath("路径指向工作区之外")
    # a link inside the workspace that points elsewhere inside is still refused: what is
    # served is exactly what the path names
    probe = base_res
    for part in pure.parts:
        probe = probe / part
        if probe.is_symlink():
            raise UnsafePath("不提供符号链接")
    return target


def valid_name(name: str) -> str:
    """A consortium folder name from a URL: one path component, no separators, not hidden."""
    if not name or name.startswith(".") or _NAME_BAD.search(name) or name in (".", "..") or len(name) > 200:
        raise UnsafePath("联合体名称不合法")
    return name


# --------------------------------------------------------------------------- the workspace

@dataclass
class Upload:
    """What an upload produced: consortium names and per-file problems (Chinese)."""

    names: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class Workspace:
    def __init__(self, root: Path, out: Optional[Path] = None, catalogue=None,
                 max_upload_bytes: int = MAX_UPLOAD_BYTES, settings=None):
        from consortium_review.pipeline import DEFAULT_SETTINGS

        #: the run's settings (``serve --rules``): the same conclusion rules as ``review``
        self.settings = settings or DEFAULT_SETTINGS
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.out = Path(out).resolve() if out is not None else self.root / OUTPUT_DIRNAME
        self.out.mkdir(parents=True, exist_ok=True)
        if catalogue is None:
            from consortium_review.catalogue import load_catalogue

            catalogue = load_catalogue(None)
        self.catalogue = catalogue
        self.max_upload_bytes = max_upload_bytes
        self.lock = threading.RLock()            # decisions and folder swaps, one at a time
        self._cache: dict[str, tuple[Any, Any]] = {}

    # -- listing
    def material_dir(self, name: str) -> Path:
        return inside(self.root, valid_name(name))

    def output_dir(self, name: str) -> Path:
        return inside(self.out, valid_name(name))

    def names(self) -> list[str]:
        """Consortia with materials in the workspace or results in the output folder."""
        names = {p.name for p in consortium_folders(self.root, self.out) if p.name != OUTPUT_DIRNAME}
        if self.out.is_dir():
            names |= {p.name for p in self.out.iterdir()
                      if p.is_dir() and not p.name.startswith(".") and (p / "evidence.json").is_file()}
        return sorted(names)

    # -- results
    def evidence(self, name: str) -> Optional[dict]:
        """evidence.json of a consortium with the workbook's expert columns applied (None: not reviewed)."""
        path = self.output_dir(name) / "evidence.json"
        try:
            st = path.stat()
        except OSError:
            return None
        wb = self.workbook_path(name)
        wst = wb.stat() if wb is not None and wb.is_file() else None
        key = (st.st_mtime_ns, st.st_size, str(wb), wst.st_mtime_ns if wst else None, wst.st_size if wst else None)
        hit = self._cache.get(name)
        if hit and hit[0] == key:
            return json.loads(json.dumps(hit[1]))
        try:
            evidence = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        self._apply_workbook(evidence, wb)
        self._cache[name] = (key, evidence)
        return json.loads(json.dumps(evidence))

    def _apply_workbook(self, evidence: dict, wb: Optional[Path]) -> None:
        from consortium_review.generator.workbook import apply_expert_edits, read_expert_edits

        if wb is None or not wb.is_file():
            return
        try:
            edits = read_expert_edits(wb)
        except ValueError as exc:
            evidence["_workbook_problem"] = str(exc)
            return
        apply_expert_edits(evidence, edits)

    def workbook_path(self, name: str) -> Optional[Path]:
        """The consortium's 证据清单.xlsx (the one the pipeline reads back), or None."""
        out_dir = self.output_dir(name)
        path = out_dir / "evidence.json"
        try:
            evidence = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        from consortium_review.generator.workbook import _candidates, workbook_path

        found = _candidates(workbook_path(evidence, out_dir))
        return found[0] if found else None

    def assessment(self, evidence: dict):
        from consortium_review.generator.assess import assess

        return assess(evidence, self.catalogue, self.settings.assess)

    # -- decisions: written into the workbook's expert columns, atomically
    def decide(self, name: str, code: str, status: str = "", value: str = "", comment: str = "") -> None:
        """Store the expert's decision for one point or negative-list item in the workbook."""
        import openpyxl

        from consortium_review.generator.workbook import (CODE_HEADER, EXPERT_HEADERS, SHEET_MAIN,
                                                           WorkbookLockedError, _set)

        with self.lock:
            wb_path = self.workbook_path(name)
            if wb_path is None:
                raise DecisionError("尚未生成证据清单，请先完成评审")
            try:
                wb = openpyxl.load_workbook(wb_path)
            except Exception as exc:
                raise DecisionError(f"证据清单无法打开（{type(exc).__name__}），请检查 {wb_path.name}") from exc
            if SHEET_MAIN not in wb.sheetnames:
                raise DecisionError(f"证据清单中没有工作表“{SHEET_MAIN}”")
            ws = wb[SHEET_MAIN]
            header = [str(c.value).strip() if c.value is not None else "" for c in ws[1]]
            if CODE_HEADER not in header or not all(h in header for h in EXPERT_HEADERS):
                raise DecisionError("证据清单的表头已被修改，无法写入专家列")
            code_col = header.index(CODE_HEADER) + 1
            row = next((r for r in range(2, ws.max_row + 1)
                        if str(ws.cell(r, code_col).value or "").strip() == code), None)
            if row is None:
                raise DecisionError(f"证据清单中没有观测点 {code}")
            for h, v in (("专家判定", status), ("专家取值", value), ("专家意见", comment)):
                cell = ws.cell(row, header.index(h) + 1)
                v = (v or "").strip()
                cell.value = None
                if not v:
                    continue
                number = _number(v) if h == "专家取值" else None
                if number is not None:
                    cell.value = number
                else:
                    _set(ws, row, header.index(h) + 1, v, text=True)
            try:
                with atomic_path(wb_path) as tmp:
                    wb.save(tmp)
            except PermissionError as exc:
                raise DecisionError(f"无法写入 {wb_path.name}（文件可能正在 Excel/WPS 中打开），请关闭后重试") from exc
            except WorkbookLockedError as exc:
                raise DecisionError(str(exc)) from exc
            finally:
                wb.close()
            self._cache.pop(name, None)

    # -- uploads
    def uploads_dir(self) -> Path:
        d = self.root / UPLOADS_DIRNAME
        d.mkdir(parents=True, exist_ok=True)
        return d

    def new_upload_dir(self) -> Path:
        d = self.uploads_dir() / uuid.uuid4().hex
        d.mkdir()
        return d

    def unpack_zip(self, zip_path: Path, fallback_name: str, staging: Path, busy=None) -> Upload:
        """Unpack an uploaded zip into ``staging`` with the readers' archive rules; then install it."""
        from consortium_review.extractors.read import MAX_FILE_BYTES
        from consortium_review.extractors.readers import ReadError
        # the readers' own archive rules: bomb limits, GBK names, unsafe paths, links, encryption
        from consortium_review.extractors.readers.archive import (_Budget, _copy_member, _is_symlink, is_junk,
                                                                  member_name, open_zip_checked, safe_member_path)

        up = Upload()
        try:
            zf = open_zip_checked(zip_path)
        except ReadError as exc:
            up.problems.append(f"{fallback_name}.zip：{exc}")
            return up
        files_dir = staging / "files"
        files_dir.mkdir(parents=True, exist_ok=True)
        budget = _Budget.fresh()
        try:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                name = member_name(info)
                shown = safe_member_path(name)
                if shown is None:
                    up.problems.append(f"{name}：压缩包内文件路径不安全（绝对路径或含“..”），已拒绝")
                    continue
                if is_junk(shown):
                    continue
                if _is_symlink(info):
                    up.problems.append(f"{shown}：压缩包内的符号链接，已拒绝")
                    continue
                if info.flag_bits & 0x1:
                    up.problems.append(f"{shown}：已加密（需要密码），无法解压")
                    continue
                if info.file_size > MAX_FILE_BYTES:
                    up.problems.append(f"{shown}：文件过大（{info.file_size / 1048576:.0f} MB），未解压")
                    continue
                target = inside(files_dir, shown)
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    _copy_member(zf, info, target, budget)
                except ReadError as exc:
                    up.problems.append(f"{shown}：{exc}")
                    target.unlink(missing_ok=True)
                except Exception:   # noqa: BLE001 — CRC errors, truncation, unsupported methods
                    up.problems.append(f"{shown}：压缩包内该文件已损坏，无法解压")
                    target.unlink(missing_ok=True)
        finally:
            zf.close()
        self._install(files_dir, fallback_name, up, busy)
        return up

    def install_folder(self, files_dir: Path, fallback_name: str, busy=None) -> Upload:
        up = Upload()
        self._install(files_dir, fallback_name, up, busy)
        return up

    def _install(self, files_dir: Path, fallback_name: str, up: Upload, busy=None) -> None:
        """Move unpacked materials into the workspace: one consortium or one per sub-folder.

        A re-upload replaces that consortium's materials; its outputs (and the expert's
        decisions in the workbook) stay where they are.
        """
        entries = [p for p in files_dir.iterdir() if not p.name.startswith(".")] if files_dir.is_dir() else []
        if not entries:
            up.problems.append("上传的内容中没有可用的材料文件")
            return
        if any(p.is_file() for p in entries):
            groups = [(fallback_name, files_dir)]                  # files at the top: one consortium
        elif len(entries) == 1 and any(q.is_file() for q in entries[0].iterdir()):
            groups = [(entries[0].name, entries[0])]               # one folder with files: one consortium
        else:
            groups = []
            for p in sorted(entries):                              # a folder of consortium folders
                if len(entries) == 1:
                    groups.extend((q.name, q) for q in sorted(p.iterdir()) if q.is_dir() and not q.name.startswith("."))
                else:
                    groups.append((p.name, p))
        for name, src in groups:
            try:
                name = valid_name(_clean_name(name))
            except UnsafePath:
                up.problems.append(f"{name}：文件夹名称不合法，已跳过")
                continue
            if name == OUTPUT_DIRNAME or (self.root / name).resolve() == self.out:
                name = f"{name}-材料"
            if busy is not None and busy(name):
                up.problems.append(f"{name}：正在评审，材料未替换；请在评审完成后重新上传")
                continue
            with self.lock:
                dest = self.root / name
                old = None
                try:
                    if dest.exists() or dest.is_symlink():
                        old = self.uploads_dir() / f"old-{uuid.uuid4().hex}"
                        dest.rename(old)
                    shutil.move(str(src), str(dest))
                except OSError as exc:      # a file of the old materials is open (Windows) ...
                    if old is not None and not dest.exists():
                        old.rename(dest)    # ... keep the old materials as they were
                        old = None
                    up.problems.append(f"{name}：无法替换原有材料（{type(exc).__name__}，文件可能正被其他程序打开）")
                    continue
                if old is not None:
                    shutil.rmtree(old, ignore_errors=True)
            up.names.append(name)

    def clean_upload(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)


def _clean_name(name: str) -> str:
    name = _NAME_BAD.sub("_", name).strip().strip(".")
    return name or "联合体-" + _dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def _number(text: str) -> Optional[float | int]:
    """320 / 3.5 / 1,260 typed as a value stays a number in the workbook (filters, sums)."""
    t = text.replace(",", "").replace("，", "").strip()
    if not re.fullmatch(r"-?\d+(\.\d+)?", t):
        return None
    f = float(t)
    return int(f) if f.is_integer() and "." not in t else f
