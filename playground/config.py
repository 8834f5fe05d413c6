"""Paths and the data directory: one place, no paths relative to the working directory.

The data directory is resolved in this order:
1. an explicit argument (``--data-dir`` on the command line of app.py and the scripts);
2. the environment variable ``CNN_PLAYGROUND_DATA``;
3. ``../shared/data`` beside the repository (the course machines' layout), when it exists.
With none of these, ``data_dir()`` returns ``None`` and callers fall back to torchvision's
download (MNIST) or say where to get the data.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

REPO_ROOT: Path = Path(__file__).resolve().parent.parent
ASSETS_DIR: Path = REPO_ROOT / "assets"
DATA_ENV_VAR: str = "CNN_PLAYGROUND_DATA"
_DEFAULT_SHARED: Path = REPO_ROOT.parent / "shared" / "data"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the data directory, or ``None`` if no candidate exists on disk."""
    candidates: list[Path] = []
    if explicit:
        candidates.append(Path(explicit).expanduser())
    env = os.environ.get(DATA_ENV_VAR)
    if env:
        candidates.append(Path(env).expanduser())
    candidates.append(_DEFAULT_SHARED)
    for cand in candidates:
        if cand.is_dir():
            return cand.resolve()
    return None


def cache_dir() -> Path:
    """A writable cache directory (never inside the repository or the data directory).

    ``CNN_PLAYGROUND_CACHE`` overrides it; otherwise ``$XDG_CACHE_HOME/cnn-playground`` or the
    system temp directory.
    """
    env = os.environ.get("CNN_PLAYGROUND_CACHE")
    if env:
        base = Path(env)
    elif os.environ.get("XDG_CACHE_HOME"):
        base = Path(os.environ["XDG_CACHE_HOME"]) / "cnn-playground"
    else:
        base = Path(tempfile.gettempdir()) / "cnn-playground-cache"
    base.mkdir(parents=True, exist_ok=True)
    return base
