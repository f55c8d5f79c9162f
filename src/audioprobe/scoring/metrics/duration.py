"""The clip's true length, from the WAV header, and its error against the item's duration."""

from __future__ import annotations

import soundfile as sf

from audioprobe.scoring.context import ClipInput, ScoreContext
from audioprobe.scoring.contract import ClipMetric, Column, Measured, Setup


class Duration(ClipMetric):
    name = "duration"
    version = 1
    rank = 10
    description = "true clip duration and its error against the item (every tier)"
    columns = (
        Column("duration_s", unit="s", range=(0.0, None)),
        Column("duration_error_s", label="duration error s", unit="s", quality=True),
    )

    def setup(self, ctx: ScoreContext, tier: str) -> Setup:
        return Setup(card={"source": "WAV frames / sample rate"})

    def measure(self, ctx: ScoreContext, setup: Setup, clip: ClipInput) -> Measured:
        info = sf.info(str(clip.path))
        duration = info.frames / info.samplerate
        return {"duration_s": duration, "duration_error_s": duration - clip.item.duration_s}


METRIC = Duration()
