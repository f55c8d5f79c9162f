"""The test session is hermetic: every cache a test can read (audioprobe's answers, weights,
references and sandbox runtime; the Hugging Face, torch and XDG caches) lies in one folder made
fresh for this session, so nothing a demo or an earlier run left on this machine can make a
test pass."""

from __future__ import annotations

import os
from pathlib import Path

from audioprobe.paths import cache_dir, models_dir
from audioprobe.references import debian
from audioprobe.references.recipes import load_recipe
from audioprobe.sandbox.rootfs import runtime_cache
from audioprobe.weights.lookup import torch_hub_dir

STATE = Path(os.environ["AUDIOPROBE_CACHE"]).parent


def test_every_cache_audioprobe_and_its_libraries_read_is_in_the_sessions_fresh_folder() -> None:
    assert STATE.name.startswith("audioprobe-test-state-")
    assert not STATE.is_relative_to(Path.home() / ".cache")
    import huggingface_hub.constants as hf
    import torch

    for where in (
        cache_dir(),
        models_dir(),
        runtime_cache(),
        torch_hub_dir(),
        Path(torch.hub.get_dir()),
        Path(hf.HF_HUB_CACHE),
    ):
        assert where.resolve().is_relative_to(STATE.resolve()), where


def test_the_debian_recordings_make_install_fetched_are_found_under_fresh_caches() -> None:
    """They belong to the install (the environment's share/audioprobe/debs), not to a cache: a
    fresh AUDIOPROBE_CACHE must not silently cost builtin-environmental its real recordings."""
    recipe = load_recipe("builtin-environmental")
    debs = [name for name, spec in recipe["packages"].items() if spec["kind"] == "deb"]
    assert debs
    for name in debs:
        found = debian.find_deb(name)
        assert found is not None, f"{name}: not fetched; run `audioprobe refs fetch`"
        assert not found.is_relative_to(STATE)
