"""consortium-review — 产教联合体评审助手.

Stages (plain dataclasses between them, see ``models``)::

    files ──read──▶ blocks ──extract──▶ evidence ──assess──▶ findings ──render──▶ .docx/.xlsx/.png
"""

from pathlib import Path

__version__ = "0.1.0"

#: Repository root (the package is used from an editable install / checkout).
ROOT = Path(__file__).resolve().parent.parent
STANDARDS_DIR = ROOT / "standards"
TEMPLATES_DIR = ROOT / "templates"
DEFAULT_STANDARD = STANDARDS_DIR / "cjlht-2024.yaml"
