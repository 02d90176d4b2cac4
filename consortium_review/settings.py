"""Settings objects: every knob of the read and extract stages in one visible place.

In the style of pdfplumber's ``TableSettings``: small frozen dataclasses with documented
defaults, passed explicitly from the CLI to the pipeline and to batch workers (never through
``os.environ``), and hashed into the cache keys so that changing one re-reads or re-extracts
exactly what it affects. The assessment rules are ``generator.assess.AssessSettings``.

    ReadSettings      read stage: OCR on/off and page cap, LibreOffice
    ExtractSettings   extract stage: windows, similarity thresholds, scores, penalties

User-facing environment overrides (``CR_MAX_OCR_PAGES``, ``CONSORTIUM_REVIEW_RULES``) are read
once, by the CLI (``cli.settings_from_args``).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, Optional


@dataclass(frozen=True, eq=False)
class Preconverted:
    """Legacy files (.doc/.wps/.rtf) a batch already converted with one LibreOffice process.

    ``folder``: the batch's private output folder; ``files``: conversion key (content hash and
    source suffix, ``readers.office.convert_key``) -> name of the .docx in ``folder``. The office
    reader uses such a file instead of starting LibreOffice for that file; everything else is
    converted on its own as before.
    """

    folder: str
    files: dict[str, str] = field(default_factory=dict)

    def path(self, key: str) -> Optional[Path]:
        name = self.files.get(key)
        return Path(self.folder) / name if name else None


#: metadata of a field that never changes what is read (left out of ``settings_hash``)
NOT_HASHED = {"hash": False}


@dataclass(frozen=True)
class ReadSettings:
    """How files are read (part of the read-cache key)."""

    ocr: bool = True                    # OCR scanned pages and images (rapidocr); off = report them unread
    max_ocr_pages: int = 60             # OCR at most this many pages per document (env CR_MAX_OCR_PAGES)
    libreoffice: Optional[str] = None   # soffice to convert .doc/.wps/.rtf; None = look on PATH and
                                        # in the usual install folders
    use_libreoffice: bool = True        # False = always the built-in .doc/.wps/.rtf parsers
    #: results of the batch's one LibreOffice run (set by ``batch``; the same blocks as a
    #: conversion of its own, so neither compared nor part of the cache key)
    preconverted: Optional[Preconverted] = field(default=None, compare=False, repr=False, metadata=NOT_HASHED)


@dataclass(frozen=True)
class ExtractSettings:
    """Tuning of evidence extraction (``extractors.matching`` and ``extractors.evidence``).

    Scores are confidences in 0–1. Penalties are "distance points" between a keyword and a
    figure (one character of text = one point); a candidate's score loses ``penalty / 100``,
    with the penalty capped at ``penalty_cap``.
    """

    # -- keyword matching (matching.py)
    keyword_window: int = 60            # chars: the parts of an 「A&B」 keyword lie at most this far apart
    synonym_variants: int = 24          # spellings of one keyword under the synonym groups, at most
    synonym_variants_per_part: int = 6  # spellings of one keyword part, at most
    #: modifiers that may sit inside a two-word keyword part of 2+2 characters without changing
    #: what it names (「日常运行经费」 is 日常经费, 「专项建设资金」 专项资金); each word is from
    #: the standard's own text (tests/test_catalogue_sources.py checks it)
    compound_infixes: tuple[str, ...] = ("运行", "工作", "建设", "教学", "管理")
    # -- table row labels -> points (matching.py)
    label_keyword_score: float = 0.85   # the label holds keywords of exactly one point
    label_keywords_score: float = 0.75  # keywords of several points: the closest name wins
    label_name_score: float = 0.7       # no keyword: matched by name similarity alone
    label_min_similarity: float = 0.55  # Dice similarity of character bigrams, at least
    label_min_margin: float = 0.08      # ... and ahead of the second-best point by this much
    #: a row whose unit is known (a unit column, a header 「（人月）」): among the points measured
    #: in that unit only, by IDF-weighted bigram similarity (rare words of the names count more)
    label_unit_score: float = 0.6
    label_unit_min_similarity: float = 0.22
    label_unit_min_margin: float = 0.1   # ... ahead of the next point with that unit
    label_unit_sole_similarity: float = 0.15  # the only point measured in that unit (「小时/周」)
    # -- a figure in a sentence -> the keyword it belongs to (evidence.py)
    comma_penalty: int = 8              # a comma between keyword and a following figure
    before_max_gap: int = 12            # chars: a figure before its keyword, at most this far
    before_penalty: int = 6             # a figure before its keyword (「126家企业参加」)
    inside_penalty: int = 4             # a figure inside an 「A&B」 phrase (「企业126家参加对接」)
    part_figure_gap: int = 4            # chars: a figure after an earlier part of an 「A&B」 hit, at most this far
    weak_unit_penalty: int = 10         # a weak unit match (bare 「个」 for 「家」 …)
    penalty_cap: int = 40               # penalties above this cost no more
    # -- candidate scores (evidence.py)
    sentence_number_score: float = 0.8  # a figure in a sentence, before its penalty
    sentence_multi_score: float = 0.75  # figures of a several-unit point in a sentence
    statement_score: float = 0.6        # a category statement in a sentence
    yesno_explicit_score: float = 0.7   # a yes/no statement with an explicit predicate (「已建立」「尚未」)
    yesno_score: float = 0.55           # a yes/no statement without one
    park_level_score: float = 0.55      # a park's level inferred from its name (score and confidence)
    text_statement_score: float = 0.55  # a text point mentioned in a sentence
    mention_count_score: float = 0.45   # a numeric point stated as done without a figure, items named
    mention_score: float = 0.35         # ... without a figure and without a count of named items
    table_code_score: float = 0.95      # a table row carrying the point's code
    table_text_discount: float = 0.1    # a table row for a text point scores this much less
    # -- aggregation over documents (evidence.py)
    same_value_tolerance: Decimal = Decimal("0.001")   # relative: values this close are the same
    file_bonus: float = 0.15            # group strength per further file stating the same value
    repeat_bonus: float = 0.02          # group strength per further candidate
    table_row_score: float = 0.8        # a yes/no group this strong counts as a table row
    conflict_min_score: float = 0.6     # both sides at least this strong make a conflict
    partial_confidence: float = 0.4     # only targets found
    mention_confidence: float = 0.35    # only mentions without a figure found
    text_confidence: float = 0.55       # a text point, before the per-file bonus
    text_confidence_max: float = 0.95
    confidence_per_file: float = 0.1    # confidence per further file
    confidence_max: float = 0.98
    conflict_confidence_factor: float = 0.7
    max_evidence: int = 8               # evidence items kept per point
    max_evidence_single: int = 5        # ... when there is no conflict to show (targets, text)
    max_previous_evidence: int = 1      # last year's figures listed after the year's own evidence


def settings_hash(obj: Any) -> str:
    """Stable short hash of a settings dataclass (for cache keys; ``NOT_HASHED`` fields left out)."""
    data = obj
    if dataclasses.is_dataclass(obj):
        data = dataclasses.asdict(obj)
        for f in dataclasses.fields(obj):
            if not f.metadata.get("hash", True):
                data.pop(f.name, None)
    raw = json.dumps({"type": type(obj).__name__, "data": data}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


#: The defaults, shared (frozen).
READ = ReadSettings()
EXTRACT = ExtractSettings()


# The read stage gets its settings explicitly (``read_folder(..., settings=)``) and hands them
# to the readers through this context variable, so that the one-function reader interface
# ``read(path, rel)`` stays as it is (OCR and LibreOffice look here).
_read_settings: contextvars.ContextVar[ReadSettings] = contextvars.ContextVar("read_settings", default=READ)


def current_read_settings() -> ReadSettings:
    """The settings of the read in progress (the defaults outside ``read_folder``)."""
    return _read_settings.get()


@contextlib.contextmanager
def using_read_settings(settings: ReadSettings) -> Iterator[ReadSettings]:
    """Read with ``settings`` inside the block (``read_folder`` does this)."""
    token = _read_settings.set(settings)
    try:
        yield settings
    finally:
        _read_settings.reset(token)
