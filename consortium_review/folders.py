"""The materials folder a command was given (shared by review, watch and annual)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

from .extractors.read import iter_files


def material_folder(path: str, allow_empty: bool = False) -> Optional[Path]:
    """The materials folder a command was given, or None after saying what is wrong with it."""
    folder = Path(path)
    if folder.is_file():
        print(f"错误：{folder} 是一个文件，不是文件夹。请给出存放材料的文件夹"
              f"（例如 {folder.parent if str(folder.parent) != '.' else '材料文件夹'}）。", file=sys.stderr)
        return None
    if not folder.is_dir():
        print(f"错误：找不到材料文件夹 {folder}", file=sys.stderr)
        return None
    if not allow_empty and not has_material(folder):
        print(f"错误：材料文件夹 {folder} 是空的（没有可读取的材料文件）。请把材料放进这个文件夹后再运行。",
              file=sys.stderr)
        return None
    return folder


def has_material(folder: Path) -> bool:
    """Any file a review would read, here or in a sub-folder (own outputs do not count)."""
    return next(iter(iter_files(folder)), None) is not None
