"""Shared test set-up: tests that need a private audioprobe cache ask for `isolated_cache`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
sys.path.insert(0, str(TESTS))


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
