"""The contract of a neural baseline: a system whose answer is audio, not code."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from audioprobe.tiers import Item, Tier


class AudioGenerator(Protocol):
    name: str

    def describe(self) -> dict[str, Any]:
        """Generator, checkpoint and settings, for run.json and each trial."""
        ...

    def generate(self, tier: Tier, item: Item, seed: int, out_path: Path) -> dict[str, Any]:
        """Write `out_path` (WAV) for `item`; return the parameters used.

        Raises audioprobe.errors.Unavailable when weights or tools are absent.
        """
        ...
