#!/usr/bin/env python3
"""List the import cycles inside the ``consortium_review`` package.

    python3 tools/import_cycles.py          # prints one line per cycle, "no import cycles" if none
    python3 tools/import_cycles.py --edges  # also prints every internal import edge

Reads the source with :mod:`ast` (nothing is imported), following the install-time mapping of
``pyproject.toml`` (``extractors/`` -> ``consortium_review.extractors`` …). Every ``import``
counts, at module top or inside a function: a lazy import still ties the two modules together.
Only imports under ``if TYPE_CHECKING:`` are left out (they never run). Exit code 1 when there
is a cycle.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Same mapping as ``[tool.setuptools.package-dir]`` in pyproject.toml.
PACKAGE_DIRS = {
    "consortium_review": "consortium_review",
    "consortium_review.extractors": "extractors",
    "consortium_review.generator": "generator",
}


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> source file, for every module of the package."""
    found: dict[str, Path] = {}
    for package, folder in PACKAGE_DIRS.items():
        base = root / folder
        for path in sorted(base.rglob("*.py")):
            rel = path.relative_to(base).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            found[".".join([package, *parts])] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """Yield Import / ImportFrom nodes, skipping ``if TYPE_CHECKING:`` bodies."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def edges(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Internal import graph: module -> modules it imports."""
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        is_pkg = path.name == "__init__.py"
        package = name if is_pkg else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in _imports(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    stem = ".".join(base + ([node.module] if node.module else []))
                else:
                    stem = node.module or ""
                for alias in node.names:
                    sub = f"{stem}.{alias.name}"
                    targets.append(sub if sub in mods else stem)
            for t in targets:
                while t and t not in mods:          # "pkg.mod.attr" -> "pkg.mod"
                    t = t.rpartition(".")[0]
                if t and t != name:
                    graph[name].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One shortest cycle per strongly connected component of more than one module,
    plus every other shortest cycle through a module of it (so each knot is named)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    comps: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:             # Tarjan, recursion depth = module count (small)
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)

    result: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    for comp in comps:
        members = set(comp)
        for start in comp:
            # shortest path start -> ... -> start inside the component (BFS)
            prev: dict[str, str] = {}
            frontier = [start]
            done = False
            while frontier and not done:
                nxt = []
                for v in frontier:
                    for w in sorted(graph[v] & members):
                        if w == start:
                            path = [v]
                            while path[-1] != start:
                                path.append(prev[path[-1]])
                            cyc = list(reversed(path))
                            i = cyc.index(min(cyc))
                            key = tuple(cyc[i:] + cyc[:i])
                            if key not in seen:
                                seen.add(key)
                                result.append(list(key))
                            done = True
                            break
                        if w not in prev and w != start:
                            prev[w] = v
                            nxt.append(w)
                    if done:
                        break
                frontier = nxt
    return result


def short(name: str) -> str:
    return name.removeprefix("consortium_review.")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edges", action="store_true", help="print every internal import edge")
    args = ap.parse_args(argv)
    graph = edges(modules())
    if args.edges:
        for m in sorted(graph):
            for t in sorted(graph[m]):
                print(f"{short(m)} -> {short(t)}")
    found = cycles(graph)
    for cyc in found:
        print(" -> ".join(short(m) for m in cyc + cyc[:1]))
    print(f"{len(found)} import cycle(s)" if found else "no import cycles")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
