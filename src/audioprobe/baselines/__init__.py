"""Neural baselines: systems whose answer is audio, not code (`--model baseline:<name>`).

They run the same trials as the language models and land in the same store; the catalog
(catalog.toml) says which generator runs which checkpoint for which tiers.
"""

from __future__ import annotations

from typing import Any

from audioprobe.baselines.base import AudioGenerator
from audioprobe.baselines.catalog import BaselineEntry, all_entries, find_entry

__all__ = ["AudioGenerator", "BaselineEntry", "get_baseline", "list_baselines"]


def list_baselines() -> list[BaselineEntry]:
    """Every baseline in the catalog, in its order."""
    return list(all_entries().values())


def get_baseline(model: str, *, name: str, options: dict[str, Any]) -> AudioGenerator:
    """The generator for catalog entry `model`, named `name` in the run, with spec options.

    Raises ConfigError for an unknown baseline or option. Weights are not loaded here: a missing
    checkpoint shows up as `unavailable` trials with the reason, not as a failed run.
    """
    from audioprobe.baselines.generator import generators

    entry = find_entry(model)
    return generators.get(entry.generator)(entry, name, dict(options))
