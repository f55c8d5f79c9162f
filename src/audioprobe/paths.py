"""Where audioprobe finds its shipped data and keeps its caches.

In a clone the data folders sit at the repository root, where researchers edit them; an installed
wheel carries copies under `audioprobe/_data`. Looking in the clone first keeps edits live.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_ROOT = _PACKAGE_DIR.parents[1]
DATA_FOLDERS = ("tiers", "prompts", "experiments", "scoring", "sandbox")


def data_dir(name: str) -> Path:
    """The folder of shipped data called `name` (one of DATA_FOLDERS)."""
    if name not in DATA_FOLDERS:
        raise ValueError(f"unknown data folder {name!r}; expected one of {DATA_FOLDERS}")
    in_clone = _REPO_ROOT / name
    if (_REPO_ROOT / "pyproject.toml").is_file() and in_clone.is_dir():
        return in_clone
    return _PACKAGE_DIR / "_data" / name


def cache_dir(*parts: str) -> Path:
    """A folder under the cache root (AUDIOPROBE_CACHE, else ~/.cache/audioprobe), created."""
    root = Path(os.environ.get("AUDIOPROBE_CACHE") or Path.home() / ".cache" / "audioprobe")
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir() -> Path:
    """Where pretrained weights are looked for first (AUDIOPROBE_MODELS, else the cache)."""
    env = os.environ.get("AUDIOPROBE_MODELS")
    path = Path(env) if env else cache_dir("models")
    path.mkdir(parents=True, exist_ok=True)
    return path
