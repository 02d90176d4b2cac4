"""Content-hash caches for batch runs (缓存): read results per file, results per consortium.

Two layers, both under ``OUT/.cache/`` and both written atomically:

* ``ReadCache`` — the ``list[Document]`` a reader produced for one file, keyed by the SHA-256
  of the file's bytes, its relative path, the *reader code version* (a hash of every source
  file of the ``extractors`` package and of ``consortium_review/models.py``) and the reader
  settings (format table, size limit, which external tools are installed). Any change to the
  file, to reader code or to those settings gives a new key, so a stale result is never
  served. ``read_folder(folder, cache=...)`` calls ``get`` before and ``put`` after each
  file; the cache also reports those calls as progress events.
* ``ResultStore`` — per consortium, the *input fingerprint* (hashes of every input file,
  the catalogue, all package code and templates, render settings) with the summary of the
  last successful run and the hashes of the outputs it wrote. A re-run skips a consortium
  whose fingerprint is unchanged and whose outputs are still exactly as written (an expert
  who edits the evidence workbook, or deletes an output, makes it run again).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from .fileio import sha256_file, write_json_atomic, write_text_atomic
from .models import Document
from .settings import READ, ReadSettings, settings_hash

log = logging.getLogger("consortium_review.cache")

#: Bump when the layout of cache entries changes.
CACHE_FORMAT = 1
#: Name of the cache folder inside the output folder.
CACHE_DIRNAME = ".cache"
#: Source suffixes that count as "code" for the version hashes (templates are code too).
CODE_SUFFIXES = {".py", ".yaml", ".yml", ".json", ".docx", ".xlsx", ".txt", ".j2", ".html", ".css"}
#: Errors that may be transient (resources, timeouts): such read results are not cached.
TRANSIENT_ERROR_MARKERS = ("超时", "内存不足", "timeout", "MemoryError")

Event = Callable[[str, dict[str, Any]], None]


# --------------------------------------------------------------------------- code versions

def _package_dir(name: str) -> Optional[Path]:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def hash_tree(paths: Iterable[Path], h: Optional["hashlib._Hash"] = None) -> str:
    """SHA-256 over the relative names and bytes of every code file below ``paths``."""
    h = h or hashlib.sha256()
    for root in paths:
        root = Path(root)
        if root.is_file():
            files = [root]
            base = root.parent.parent
        elif root.is_dir():
            files = sorted((p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                            and p.suffix.lower() in CODE_SUFFIXES and not p.name.startswith((".", "~$"))),
                           key=lambda p: p.relative_to(root).as_posix())
            base = root
        else:
            h.update(f"<absent {root.name}>".encode())
            continue
        for f in files:
            h.update(f"{root.name}/{f.relative_to(base).as_posix()}\0".encode())
            h.update(f.read_bytes())
            h.update(b"\0")
    return h.hexdigest()


def _module_file(name: str) -> Optional[Path]:
    spec = importlib.util.find_spec(name) if name else None
    if spec is None or not spec.origin or spec.origin in ("built-in", "frozen"):
        return None
    return Path(spec.origin)


def import_closure(modules: Iterable[str], packages: tuple[str, ...] = ("extractors", "consortium_review")
                   ) -> list[Path]:
    """Source files of ``modules`` and of every module of ``packages`` they import (statically,
    including imports inside functions), transitively."""
    import ast

    seen: dict[str, Path] = {}
    todo = list(modules)
    while todo:
        name = todo.pop()
        if name in seen or name.split(".")[0] not in packages:
            continue
        try:
            path = _module_file(name)
        except (ImportError, ValueError):
            path = None
        if path is None or path.suffix != ".py":
            continue
        seen[name] = path
        if path.name == "__init__.py":
            pkg = name
        else:
            pkg = name.rpartition(".")[0]
        try:
            tree = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError, OSError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                todo += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg.split(".")
                    base = base[: len(base) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                todo.append(mod)
                todo += [f"{mod}.{a.name}" for a in node.names]     # "from pkg import module"
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # parent packages run too
    return sorted(seen.values())


@functools.lru_cache(maxsize=None)
def reader_code_version() -> str:
    """Hash of the code that turns files into ``Document`` s.

    That is ``consortium_review.extractors.read``, every reader module, and everything inside the project they
    import (textclean, sniff, models, fileio ...) — but not the extraction code, so improving
    the matching never forces slow files (OCR) to be read again.
    """
    readers_dir = _package_dir("consortium_review.extractors.readers")
    start = ["consortium_review.extractors.read", "consortium_review.extractors.readers"]
    if readers_dir is not None:
        start += [f"consortium_review.extractors.readers.{p.stem}" for p in sorted(readers_dir.glob("*.py")) if p.stem != "__init__"]
    from . import __version__

    files = import_closure(start)
    if not files:          # no sources to hash (frozen build): fall back to the whole package
        files = [p for p in (_package_dir("consortium_review.extractors"),) if p]
    h = hashlib.sha256(f"consortium-review {__version__}\0".encode())
    return hash_tree(files, h)[:24]


@functools.lru_cache(maxsize=None)
def package_code_version() -> str:
    """Hash of all code and templates that shape a consortium's outputs."""
    from . import TEMPLATES_DIR

    from . import __version__

    roots = [p for p in (_package_dir(n) for n in ("consortium_review", "consortium_review.extractors", "consortium_review.generator")) if p]
    roots.append(Path(TEMPLATES_DIR))
    return hash_tree(roots, hashlib.sha256(f"consortium-review {__version__}\0".encode()))[:24]


def reader_settings() -> dict[str, Any]:
    """Everything besides code and bytes that changes what a reader returns."""
    from consortium_review.extractors import read as read_mod

    tools = {t: bool(shutil.which(t)) for t in ("soffice", "libreoffice", "pdftoppm", "tesseract")}
    # optional Python components whose absence changes what a reader returns (OCR of scans)
    tools.update({m: importlib.util.find_spec(m) is not None for m in ("rapidocr", "rapidocr_onnxruntime")})
    try:   # LibreOffice as the office reader finds it (also outside PATH on Windows/macOS)
        from consortium_review.extractors.readers.office import find_soffice

        tools["office_soffice"] = bool(find_soffice())
    except Exception:
        pass
    env = {k: v for k, v in sorted(os.environ.items()) if k.startswith("CONSORTIUM_REVIEW_READ")}
    return {"readers": dict(sorted(read_mod.READERS.items())), "max_bytes": read_mod.MAX_FILE_BYTES,
            "limits": dataclasses.asdict(read_mod.LIMITS), "tools": tools, "env": env, "format": CACHE_FORMAT}


#: Environment variables that never change outputs (test hooks, the lock wait).
ENV_IGNORED = {"CONSORTIUM_REVIEW_INJECT_FAULT", "CONSORTIUM_REVIEW_LOCK_WAIT"}


def env_settings() -> dict[str, str]:
    """``CONSORTIUM_REVIEW_*`` settings (e.g. the conclusion-rules file of ``review --rules``);
    a value naming a file counts by that file's content, so editing the file counts as a change."""
    out: dict[str, str] = {}
    for k, v in sorted(os.environ.items()):
        if not k.startswith("CONSORTIUM_REVIEW_") or k in ENV_IGNORED:
            continue
        try:
            p = Path(v)
            out[k] = "file:" + sha256_file(p) if v and p.is_file() else v
        except (OSError, ValueError):
            out[k] = v
    return out


def catalogue_hash(catalogue) -> str:
    """Hash of the catalogue's content (not its path): every field the stages can see."""
    data = dataclasses.asdict(catalogue)
    data.pop("path", None)
    raw = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]


def _key(*parts: str) -> str:
    # surrogatepass: a name with undecodable bytes still hashes (never a UnicodeEncodeError)
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


# --------------------------------------------------------------------------- read cache

class ReadCache:
    """Per-file cache of read results, used as ``read_folder(folder, cache=ReadCache(...))``.

    ``use_cached=False`` (``--force``) never serves an entry but still stores fresh ones, so
    the next run is warm again. ``on_event(kind, data)`` receives ``file_start`` /
    ``file_done`` events (the batch progress display and run.log use them).
    """

    def __init__(self, root: Path, *, use_cached: bool = True, store: bool = True,
                 on_event: Optional[Event] = None, read_settings: ReadSettings = READ):
        self.root = Path(root)
        self.use_cached = use_cached
        self.store = store
        self.on_event = on_event
        self.hits = 0
        self.misses = 0
        self.writes = 0
        self.files: list[dict[str, Any]] = []     # per file: rel, cached, seconds, status
        self._pending: dict[str, tuple[str, float]] = {}   # rel -> (content hash, start time)
        self._version = _key(reader_code_version(), json.dumps(reader_settings(), sort_keys=True),
                             settings_hash(read_settings))[:24]

    # -- key and location
    def key(self, content_sha: str, rel: str) -> str:
        return _key(self._version, content_sha, rel)

    def _path(self, key: str) -> Path:
        # one folder per reader version: entries of old versions can be pruned wholesale
        return self.root / "reads" / self._version / key[:2] / f"{key}.json"

    def has(self, content_sha: str, rel: str) -> bool:
        """Whether ``get`` would look at a stored entry for these bytes at ``rel``."""
        return self.use_cached and self._path(self.key(content_sha, rel)).is_file()

    def _emit(self, kind: str, **data: Any) -> None:
        if self.on_event is not None:
            try:
                self.on_event(kind, data)
            except Exception:     # progress must never break reading
                log.debug("progress callback failed", exc_info=True)

    # -- the read_folder protocol
    def get(self, path: Path, rel: str) -> Optional[list[Document]]:
        import time

        path = Path(path)
        try:
            size = path.stat().st_size
            sha = sha256_file(path)
        except OSError:
            self._emit("file_start", rel=rel, size=0)
            self._pending[rel] = ("", time.perf_counter())
            self.misses += 1
            return None
        self._emit("file_start", rel=rel, size=size)
        self._pending[rel] = (sha, time.perf_counter())
        docs = self._load(self.key(sha, rel)) if self.use_cached else None
        if docs is None:
            self.misses += 1
            return None
        self.hits += 1
        self._pending.pop(rel, None)
        self.files.append({"rel": rel, "cached": True, "seconds": 0.0, "status": _status(docs)})
        self._emit("file_done", rel=rel, size=size, cached=True, status=_status(docs),
                   errors=_errors(docs))
        return docs

    def put(self, path: Path, rel: str, docs: list[Document]) -> None:
        import time

        sha, t0 = self._pending.pop(rel, ("", time.perf_counter()))
        seconds = round(time.perf_counter() - t0, 3)
        try:
            size = Path(path).stat().st_size
        except OSError:
            size = 0
        self.files.append({"rel": rel, "cached": False, "seconds": seconds, "status": _status(docs)})
        self._emit("file_done", rel=rel, size=size, cached=False, status=_status(docs),
                   errors=_errors(docs), seconds=seconds)
        if not self.store or not sha or not _cacheable(docs, rel, sha):
            return
        from consortium_review.extractors.read import LIMITS

        # cheap upper bound first (a CJK character is 3 bytes of UTF-8): no huge string is built
        approx = sum(3 * len(b.text) + 200 for d in docs for b in d.blocks)
        if approx > 2 * LIMITS.cache_entry_bytes:
            log.warning("读取缓存条目过大（约 %d MB，上限 %d MB），未缓存：%s", approx >> 20,
                        LIMITS.cache_entry_bytes >> 20, rel)
            return
        entry = {"format": CACHE_FORMAT, "version": self._version, "rel": rel, "sha256": sha,
                 "documents": [_doc_dict(d) for d in docs]}
        try:
            text = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
            if len(text) * 2 > LIMITS.cache_entry_bytes and len(text.encode("utf-8", "surrogatepass")) > LIMITS.cache_entry_bytes:
                log.warning("读取缓存条目过大（%d MB，上限 %d MB），未缓存：%s", len(text.encode("utf-8", "surrogatepass")) >> 20,
                            LIMITS.cache_entry_bytes >> 20, rel)
                return
            write_text_atomic(self._path(self.key(sha, rel)), text)
            self.writes += 1
        except OSError as exc:   # a full disk must not fail the review
            log.warning("无法写入读取缓存（%s）：%s", rel, exc)

    def report_skipped(self, docs: list[Document]) -> None:
        """Progress events for files left out without reading (links, pipes, junk ...)."""
        for d in docs:
            self.files.append({"rel": d.file, "cached": False, "seconds": 0.0, "status": "skipped"})
            self._emit("file_done", rel=d.file, size=0, cached=False, status="skipped", errors=_errors([d]),
                       seconds=0.0)

    def _load(self, key: str) -> Optional[list[Document]]:
        p = self._path(key)
        if not p.is_file():
            return None
        try:
            from consortium_review.extractors.read import LIMITS

            if p.stat().st_size > LIMITS.cache_entry_bytes:
                raise ValueError("条目过大")
            entry = json.loads(p.read_text(encoding="utf-8"))
            if not _entry_shape_ok(entry):
                raise ValueError("条目结构不对")
            if entry.get("format") != CACHE_FORMAT or entry.get("version") != self._version:
                return None
            return [Document.from_dict(d) for d in entry["documents"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            log.warning("读取缓存条目损坏，已忽略并重新读取：%s（%s）", p.name, exc)
            try:
                p.unlink()
            except OSError:
                pass
            return None

    def stats(self) -> dict[str, Any]:
        return {"hits": self.hits, "misses": self.misses, "writes": self.writes, "version": self._version}

    @property
    def version(self) -> str:
        return self._version


def _entry_shape_ok(entry: Any) -> bool:
    """A read-cache entry is an object whose documents are objects with the expected fields."""
    if not isinstance(entry, dict) or not isinstance(entry.get("documents"), list):
        return False
    for d in entry["documents"]:
        if not isinstance(d, dict) or not isinstance(d.get("file"), str) or not isinstance(d.get("blocks", []), list):
            return False
        if not all(isinstance(b, dict) and isinstance(b.get("text"), str) for b in d.get("blocks", [])):
            return False
    return True


def prune_read_cache(root: Path, keep: Iterable[str]) -> int:
    """Delete read-cache folders of reader versions not in ``keep`` (they can never be served)."""
    reads = Path(root) / "reads"
    keep = set(keep)
    removed = 0
    if not reads.is_dir():
        return 0
    for d in reads.iterdir():
        if d.is_dir() and d.name not in keep:
            shutil.rmtree(d, ignore_errors=True)
            removed += 1
    return removed


def _doc_dict(d: Document) -> dict[str, Any]:
    """``Document.to_dict()`` without ``dataclasses.asdict``'s deep copy (10× faster on
    thousands of blocks; the dicts are only serialised)."""
    out = dict(vars(d))
    out["blocks"] = [dict(vars(b)) for b in d.blocks]
    return out


def _status(docs: list[Document]) -> str:
    if not docs:
        return "empty"
    if all(d.status in ("error", "skipped") for d in docs):
        return docs[0].status
    return "ok"


def _errors(docs: list[Document]) -> list[dict[str, str]]:
    return [{"file": d.file, "error": d.error or ""} for d in docs if d.status in ("error", "skipped")]


def _cacheable(docs: list[Document], rel: str, sha: str) -> bool:
    """Store only results that are reproducible and belong to the bytes that were hashed."""
    for d in docs:
        if d.error and any(m in d.error for m in TRANSIENT_ERROR_MARKERS):
            return False
        # the file changed while it was being read: the result is not for ``sha``
        if d.file == rel and d.sha256 and d.sha256 != sha:
            return False
    return True


# --------------------------------------------------------------------------- result store

def input_files(folder: Path) -> list[tuple[str, int, str]]:
    """(relative path, size, sha256) of every file the reader would read, in read order."""
    from consortium_review.extractors.read import rel_name, scan

    folder = Path(folder)
    out = []
    files, skipped = scan(folder)
    for p in files:
        rel = rel_name(p, folder)
        try:
            out.append((rel, p.stat().st_size, sha256_file(p)))
        except OSError as exc:     # vanished / locked while listing: it changes the fingerprint
            out.append((rel, -1, f"unreadable:{exc.errno}"))
    # files left out count too: a new link or pipe changes what evidence.json reports
    out += [(s.rel, -1, "skipped:" + s.reason) for s in skipped if not s.junk]
    junk = [s.rel for s in skipped if s.junk]
    if junk:                # reported as one entry (read.skipped_documents)
        from consortium_review.extractors.read import JUNK_GROUP

        out.append((JUNK_GROUP, -1, "skipped:" + "\0".join(junk)))
    return out


def consortium_fingerprint(files: list[tuple[str, int, str]], catalogue, *, render: bool,
                           renderers: Optional[list[str]] = None,
                           settings_hashes: Optional[dict[str, str]] = None) -> tuple[str, dict[str, Any]]:
    """Everything that decides a consortium's outputs, as one hash plus its parts.

    ``settings_hashes``: ``pipeline.Settings.hashes()`` of the run (read / extract / assess).

    The parts (code/reader/settings/catalogue/render hashes and the file hashes) are stored
    with the result so that a re-run can say *why* a consortium is reviewed again.
    """
    parts: dict[str, Any] = {
        "format": CACHE_FORMAT, "code": package_code_version(), "reader": reader_code_version(),
        "settings": _key(json.dumps(reader_settings(), sort_keys=True), (settings_hashes or {}).get("read", ""))[:16],
        "rules": _key(json.dumps({k: v for k, v in (settings_hashes or {}).items() if k != "read"},
                                 sort_keys=True))[:16],
        "catalogue": catalogue_hash(catalogue),
        "render": _key(str(bool(render)), json.dumps(renderers))[:16],
        "env": _key(json.dumps(env_settings(), sort_keys=True))[:16],
        "files": {rel: sha for rel, _size, sha in files},
    }
    return _key(json.dumps(parts, sort_keys=True, ensure_ascii=False)), parts


def change_reasons(old: Optional[dict[str, Any]], new: dict[str, Any]) -> list[str]:
    """Chinese reasons why ``new`` fingerprint parts differ from ``old`` (for run.log)."""
    if not old:
        return ["首次评审"]
    reasons = []
    of, nf = old.get("files") or {}, new.get("files") or {}
    added = [f for f in nf if f not in of]
    removed = [f for f in of if f not in nf]
    changed = [f for f in nf if f in of and of[f] != nf[f]]
    for label, items in (("新增文件", added), ("文件已修改", changed), ("文件已删除", removed)):
        if items:
            more = f" 等 {len(items)} 个" if len(items) > 3 else ""
            reasons.append(f"{label}：{'、'.join(items[:3])}{more}")
    if old.get("catalogue") != new.get("catalogue"):
        reasons.append("指标体系已变化")
    if old.get("reader") != new.get("reader") or old.get("settings") != new.get("settings"):
        reasons.append("读取程序或其设置已更新")
    elif old.get("code") != new.get("code"):
        reasons.append("程序或模板已更新")
    if old.get("render") != new.get("render"):
        reasons.append("输出设置已变化")
    if old.get("env") != new.get("env") or old.get("rules") != new.get("rules"):
        reasons.append("评审规则或运行设置已变化")
    if old.get("format") != new.get("format"):
        reasons.append("缓存格式已更新")
    return reasons


def output_hashes(out_dir: Path, names: Iterable[str]) -> dict[str, Optional[str]]:
    out_dir = Path(out_dir)
    res: dict[str, Optional[str]] = {}
    for n in names:
        p = out_dir / n
        try:
            res[n] = sha256_file(p) if p.is_file() else None
        except OSError:
            res[n] = None
    return res


class ResultStore:
    """Last successful result per consortium: ``OUT/.cache/results/<key>.json``."""

    def __init__(self, root: Path):
        self.root = Path(root) / "results"

    def _path(self, name: str) -> Path:
        return self.root / f"{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()[:20]}.json"

    def load(self, name: str) -> Optional[dict[str, Any]]:
        p = self._path(name)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return None
        # valid JSON of the wrong shape (a list, a string ...) is a miss, never a crash
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT or data.get("name") != name:
            return None
        if not isinstance(data.get("result"), dict) or not isinstance(data.get("outputs") or {}, dict):
            return None
        return data

    def lookup(self, name: str, fingerprint: str, out_dir: Path,
               parts: Optional[dict[str, Any]] = None) -> tuple[Optional[dict[str, Any]], list[str]]:
        """(stored result, []) when nothing that decides the outputs changed, else (None, reasons)."""
        data = self.load(name)
        if not data:
            return None, ["首次评审"]
        if data.get("fingerprint") != fingerprint:
            return None, change_reasons(data.get("parts"), parts or {}) or ["评审条件已变化"]
        recorded = data.get("outputs") or {}
        now = output_hashes(out_dir, recorded)
        if not recorded or now != recorded:
            touched = [n for n in recorded if now.get(n) != recorded[n]]
            return None, [f"输出文件被修改或删除：{'、'.join(touched[:3]) or '（全部）'}"]
        return data, []

    def save(self, name: str, fingerprint: str, out_dir: Path, result: dict[str, Any],
             parts: Optional[dict[str, Any]] = None) -> None:
        names = (result.get("summary") or {}).get("outputs") or []
        data = {"format": CACHE_FORMAT, "name": name, "fingerprint": fingerprint, "parts": parts,
                "outputs": output_hashes(out_dir, names), "result": result}
        write_json_atomic(self._path(name), data)

    def forget(self, name: str) -> None:
        try:
            self._path(name).unlink()
        except OSError:
            pass
