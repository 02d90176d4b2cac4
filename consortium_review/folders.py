"""The materials folder a command was given (shared by review, watch and annual)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional


def material_folder(path: str) -> Optional[Path]:
    """The materials folder a command was given, or None after telling the user it is missing."""
    folder = Path(path)
    if not folder.is_dir():
        print(f"错误：找不到材料文件夹 {folder}", file=sys.stderr)
        return None
    return folder
