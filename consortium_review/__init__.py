"""consortium-review — 产教联合体评审助手.

Stages (plain dataclasses between them, see ``models``)::

    files ──read──▶ blocks ──extract──▶ evidence ──assess──▶ findings ──render──▶ .docx/.xlsx/.png

The catalogue (``standards/``) and the Word templates (``templates/``) are package data: they
are found through :mod:`importlib.resources`, so an editable install, ``pip install .`` and a
wheel all work from any working directory.
"""

from importlib.resources import files
from pathlib import Path

__version__ = "0.1.0"


def _resource_dir(package: str) -> Path:
    """The folder of a data sub-package on disk (installs are never zipped)."""
    return Path(str(files(package)))


STANDARDS_DIR = _resource_dir("consortium_review.standards")
TEMPLATES_DIR = _resource_dir("consortium_review.templates")
DEFAULT_STANDARD = STANDARDS_DIR / "cjlht-2024.yaml"

#: The source checkout when running from one (editable install), else ``None``: only the
#: developer tools and tests use it (the bundled sample ``input_docs/`` lives there).
_checkout = Path(__file__).resolve().parent.parent
ROOT = _checkout if (_checkout / "pyproject.toml").is_file() else None
