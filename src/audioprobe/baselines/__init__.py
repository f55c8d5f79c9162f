"""Neural baselines: systems whose answer is audio, not code (`--model baseline:<name>`).

They run the same trials as the language models and land in the same store; the catalog
(catalog.toml) says which generator runs which checkpoint for which tiers.
"""

from __future__ import annotations

import importlib
from typing import Any

from audioprobe.baselines.base import AudioGenerator
from audioprobe.baselines.catalog import BaselineEntry, find_entry, load_catalog

# generator kind -> "module:class"; imported on use so that torch loads only when needed.
_IMPLEMENTATIONS = {
    "piper": "audioprobe.baselines.piper:PiperBaseline",
    "musicgen": "audioprobe.baselines.musicgen:MusicGenBaseline",
    "audioldm2": "audioprobe.baselines.audioldm2:AudioLDM2Baseline",
    "speecht5": "audioprobe.baselines.speecht5:SpeechT5Baseline",
}

__all__ = ["AudioGenerator", "BaselineEntry", "get_baseline", "list_baselines"]


def list_baselines() -> list[BaselineEntry]:
    """Every baseline in the catalog, in its order."""
    return list(load_catalog().values())


def get_baseline(model: str, *, name: str, options: dict[str, Any]) -> AudioGenerator:
    """The generator for catalog entry `model`, named `name` in the run, with spec options.

    Raises ConfigError for an unknown baseline or option. Weights are not loaded here: a missing
    checkpoint shows up as `unavailable` trials with the reason, not as a failed run.
    """
    entry = find_entry(model)
    module_name, _, class_name = _IMPLEMENTATIONS[entry.generator].partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(entry, name, dict(options))
