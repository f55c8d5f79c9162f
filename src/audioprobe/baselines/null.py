"""Null systems: silence and white noise for every item of every tier, framing each number.

A row of silence and a row of noise in the same tables say what a number is worth: a metric
that scores noise as well as a model says nothing about the model. Both write the item's
duration at the tier's sample rate and draw nothing but from the trial's seed, so a clip is a
function of its seed alone. Silence goes through the same audio check as any answer and is
recorded `invalid_audio` (silent), as a script writing zeros would be; under
`failed_renders = "silence"` its set metrics are those of the silent stand-ins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from audioprobe.baselines.generator import Baseline, OptionType, Synthesis, generators
from audioprobe.tiers import Item, Tier


class NullBaseline(Baseline):
    """A system that ignores the prompt (its catalog entry's prompt field is recorded, unread):
    a clip of the item's duration at the tier's rate."""

    CONTROLS_DURATION = True

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._rates: dict[str, int] = {}

    def generate(self, tier: Tier, item: Item, seed: int, out_path: Path) -> dict[str, Any]:
        self._rates[tier.name] = tier.sample_rate  # written at the tier's rate: no resampling
        return super().generate(tier, item, seed, out_path)

    def prompt_text(self, item: Item) -> str:
        return ""

    def _load(self) -> None:
        return None

    def _frames(self, item: Item) -> tuple[int, int]:
        rate = self._rates[item.tier]
        return round(item.duration_s * rate), rate

    def _synthesize(self, text: str, item: Item, seed: int) -> Synthesis:
        frames, rate = self._frames(item)
        return Synthesis(self._signal(frames, seed), rate, {"frames": frames})

    def _signal(self, frames: int, seed: int) -> np.ndarray:
        raise NotImplementedError


@generators.register("silence")
class SilenceBaseline(NullBaseline):
    def _signal(self, frames: int, seed: int) -> np.ndarray:
        return np.zeros(frames)


@generators.register("noise")
class NoiseBaseline(NullBaseline):
    OPTIONS: ClassVar[dict[str, OptionType]] = {"std": (int, float)}

    def _signal(self, frames: int, seed: int) -> np.ndarray:
        std = float(self.options["std"])
        return np.clip(np.random.default_rng(seed).normal(0.0, std, frames), -1.0, 1.0)
