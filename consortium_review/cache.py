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

from .fileio import sha256_file, write_json_atomic
from .models import Document

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
            base = root.parent
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


@functools.lru_cache(maxsize=None)
def reader_code_version() -> str:
    """Hash of the code that turns files into ``Document`` s (the extractors package + models)."""
    here = Path(__file__).resolve().parent
    roots = [p for p in (_package_dir("extractors"),) if p] + [here / "models.py", here / "fileio.py"]
    return hash_tree(roots)[:24]


@functools.lru_cache(maxsize=None)
def package_code_version() -> str:
    """Hash of all code and templates that shape a consortium's outputs."""
    from . import TEMPLATES_DIR

    roots = [p for p in (_package_dir(n) for n in ("consortium_review", "extractors", "generator")) if p]
    roots.append(Path(TEMPLATES_DIR))
    return hash_tree(roots)[:24]


def reader_settings() -> dict[str, Any]:
    """Everything besides code and bytes that changes what a reader returns."""
    from extractors import read as read_mod

    tools = {t: bool(shutil.which(t)) for t in ("soffice", "libreoffice", "pdftoppm", "tesseract")}
    env = {k: v for k, v in sorted(os.environ.items()) if k.startswith("CONSORTIUM_REVIEW_READ")}
    return {"readers": dict(sorted(read_mod.READERS.items())), "max_bytes": read_mod.MAX_FILE_BYTES,
            "tools": tools, "env": env, "format": CACHE_FORMAT}


def catalogue_hash(catalogue) -> str:
    """Hash of the catalogue's content (not its path): every field the stages can see."""
    data = dataclasses.asdict(catalogue)
    data.pop("path", None)
    raw = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- read cache

class ReadCache:
    """Per-file cache of read results, used as ``read_folder(folder, cache=ReadCache(...))``.

    ``use_cached=False`` (``--force``) never serves an entry but still stores fresh ones, so
    the next run is warm again. ``on_event(kind, data)`` receives ``file_start`` /
    ``file_done`` events (the batch progress display and run.log use them).
    """

    def __init__(self, root: Path, *, use_cached: bool = True, store: bool = True,
                 on_event: Optional[Event] = None):
        self.root = Path(root)
        self.use_cached = use_cached
        self.store = store
        self.on_event = on_event
        self.hits = 0
        self.misses = 0
        self.writes = 0
        self.files: list[dict[str, Any]] = []     # per file: rel, cached, seconds, status
        self._pending: dict[str, tuple[str, float]] = {}   # rel -> (content hash, start time)
        self._version = _key(reader_code_version(), json.dumps(reader_settings(), sort_keys=True))[:24]

    # -- key and location
    def key(self, content_sha: str, rel: str) -> str:
        return _key(self._version, content_sha, rel)

    def _path(self, key: str) -> Path:
        return self.root / "reads" / key[:2] / f"{key}.json"

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
        entry = {"format": CACHE_FORMAT, "version": self._version, "rel": rel, "sha256": sha,
                 "documents": [d.to_dict() for d in docs]}
        try:
            write_json_atomic(self._path(self.key(sha, rel)), entry)
            self.writes += 1
        except OSError as exc:   # a full disk must not fail the review
            log.warning("无法写入读取缓存（%s）：%s", rel, exc)

    def _load(self, key: str) -> Optional[list[Document]]:
        p = self._path(key)
        if not p.is_file():
            return None
        try:
            entry = json.loads(p.read_text(encoding="utf-8"))
            if entry.get("format") != CACHE_FORMAT or entry.get("version") != self._version:
                return None
            return [Document.from_dict(d) for d in entry["documents"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("读取缓存条目损坏，已忽略并重新读取：%s（%s）", p.name, exc)
            try:
                p.unlink()
            except OSError:
                pass
            return None

    def stats(self) -> dict[str, Any]:
        return {"hits": self.hits, "misses": self.misses, "writes": self.writes}


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
    from extractors.read import iter_files

    folder = Path(folder)
    out = []
    for p in iter_files(folder):
        try:
            out.append((p.relative_to(folder).as_posix(), p.stat().st_size, sha256_file(p)))
        except OSError as exc:     # vanished / locked while listing: it changes the fingerprint
            out.append((p.relative_to(folder).as_posix(), -1, f"unreadable:{exc.errno}"))
    return out


def consortium_fingerprint(files: list[tuple[str, int, str]], catalogue, *, render: bool,
                           renderers: Optional[list[str]] = None) -> str:
    """Everything that decides a consortium's outputs, as one hash (inputs, catalogue, code)."""
    parts = [f"format={CACHE_FORMAT}", f"code={package_code_version()}",
             f"reader={reader_code_version()}", f"settings={json.dumps(reader_settings(), sort_keys=True)}",
             f"catalogue={catalogue_hash(catalogue)}", f"render={bool(render)}",
             f"renderers={json.dumps(renderers)}"]
    parts += [f"file={rel}\t{sha}" for rel, _size, sha in files]
    return _key(*parts)


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
        return self.root / f"{hashlib.sha256(name.encode('utf-8')).hexdigest()[:20]}.json"

    def load(self, name: str) -> Optional[dict[str, Any]]:
        p = self._path(name)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("format") != CACHE_FORMAT or data.get("name") != name:
            return None
        return data

    def lookup(self, name: str, fingerprint: str, out_dir: Path) -> Optional[dict[str, Any]]:
        """The stored result when nothing that decides the outputs has changed, else None."""
        data = self.load(name)
        if not data or data.get("fingerprint") != fingerprint:
            return None
        recorded = data.get("outputs") or {}
        if not recorded or output_hashes(out_dir, recorded) != recorded:
            return None   # an output was edited (expert workbook) or deleted: run again
        return data

    def save(self, name: str, fingerprint: str, out_dir: Path, result: dict[str, Any]) -> None:
        names = (result.get("summary") or {}).get("outputs") or []
        data = {"format": CACHE_FORMAT, "name": name, "fingerprint": fingerprint,
                "outputs": output_hashes(out_dir, names), "result": result}
        write_json_atomic(self._path(name), data)

    def forget(self, name: str) -> None:
        try:
            self._path(name).unlink()
        except OSError:
            pass
