"""The package's import graph has no cycles (tools/import_cycles.py, read with ast)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tool():
    spec = importlib.util.spec_from_file_location("import_cycles", ROOT / "tools" / "import_cycles.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_package_has_no_import_cycles():
    tool = _tool()
    graph = tool.edges(tool.modules(ROOT))
    assert "consortium_review.extractors.readers.pdf" in graph      # the mapping found the folders
    assert "consortium_review.generator.assess" in graph
    assert tool.cycles(graph) == []


def test_tool_finds_a_cycle_through_a_function_level_import(tmp_path):
    tool = _tool()
    pkg = tmp_path / "consortium_review"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "a.py").write_text("from .b import f\n", encoding="utf-8")
    (pkg / "b.py").write_text("def f():\n    from consortium_review import a\n", encoding="utf-8")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n",
                              encoding="utf-8")
    (pkg / "d.py").write_text("from . import c\n", encoding="utf-8")
    for folder in ("extractors", "generator"):
        (tmp_path / folder).mkdir()
    graph = tool.edges(tool.modules(tmp_path))
    assert graph["consortium_review.c"] == set()             # TYPE_CHECKING imports never run
    assert graph["consortium_review.d"] == {"consortium_review.c"}
    assert tool.cycles(graph) == [["consortium_review.a", "consortium_review.b"]]


#: what renderers may not import: the read and extract stages, and the modules that wire the
#: stages (every import counts, function-level ones too)
NOT_FROM_GENERATOR = ("consortium_review.extractors", "consortium_review.pipeline", "consortium_review.annual",
                      "consortium_review.datasheet_read", "consortium_review.cli", "consortium_review.batch",
                      "consortium_review.watch", "consortium_review.web")


def test_generator_renders_from_plain_data_and_never_reads():
    """generator/ (assess + render) never reaches down into read/extract, nor up into the wiring:
    the pipeline reads and extracts (``pipeline``, ``annual``) and hands the renderers plain data."""
    tool = _tool()
    graph = tool.edges(tool.modules(ROOT))
    generator = {m: deps for m, deps in graph.items() if m.startswith("consortium_review.generator.")}
    assert "consortium_review.generator.annual_prose" in generator and "consortium_review.generator.datasheet" in generator
    bad = sorted(f"{m} -> {d}" for m, deps in generator.items() for d in deps
                 if any(d == p or d.startswith(p + ".") for p in NOT_FROM_GENERATOR))
    assert bad == []
