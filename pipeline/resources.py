"""Where the package finds its data: shipped files, and the models folder.

Templates, schemas and rule files ship inside the package (``importlib.resources``), so
an installed wheel works from any folder. Models are too large to ship: they live in
``$MEMO_MODELS_DIR``, else ``models/`` of the checkout this package runs from, else the
user's data folder (``platformdirs``).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

__all__ = ["checkout_root", "models_dir", "package_file"]


def package_file(package: str, name: str) -> Path:
    """A file shipped in ``package`` (e.g. ``pipeline.memo.templates``) as a filesystem path.

    Setuptools installs packages as folders (never zipped), so the traversable is a real path.
    """
    return Path(str(resources.files(package).joinpath(name)))


def checkout_root() -> Path | None:
    """The source checkout this package runs from, or ``None`` when installed from a wheel."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() and (root / "pipeline").is_dir() else None


def models_dir() -> Path:
    """Where models are kept: ``$MEMO_MODELS_DIR``, ``<checkout>/models``, or the user's data folder."""
    env = os.environ.get("MEMO_MODELS_DIR")
    if env:
        return Path(env).expanduser()
    root = checkout_root()
    if root is not None:
        return root / "models"
    import platformdirs

    return Path(platformdirs.user_data_dir("meeting-memo", appauthor=False)) / "models"
