"""One reader per format. Each module exposes ``read(path: Path, rel: str) -> Reading``.

Readers never guess about observation points; they only turn a file into ``Block`` s that
remember file, page and place. Errors are raised as ``ReadError`` with a one-line Chinese
message for the user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from consortium_review.models import Block


class ReadError(Exception):
    """A file cannot be read. ``str(exc)`` is a one-line Chinese reason for the user."""


@dataclass
class Reading:
    """What a reader returns for one file."""

    blocks: list[Block] = field(default_factory=list)
    pages: Optional[int] = None
    ocr: bool = False                       # text came (partly) from OCR
    warnings: list[str] = field(default_factory=list)
