"""f0 of a rendered note, its error in cents against the item's f0, and the voiced share
(pYIN refined in the spectrum; see scoring/pitch.py). Notes only."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from audioprobe.scoring.context import ClipInput, ScoreContext
from audioprobe.scoring.pitch import ESTIMATOR, PitchSettings, cents, estimate_f0
from audioprobe.scoring.registry import ClipMetric, Column, Measured, Missing, Setup


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sample_rate: int = 16000
    fmin_hz: float = Field(32.70, gt=0)
    fmax_hz: float = Field(2093.0, gt=0)
    frame_length: int = 2048
    hop_length: int = 512
    pyin_resolution: float = Field(1.0, gt=0, le=1.0, description="pYIN grid, semitones")


class Pitch(ClipMetric):
    name = "pitch"
    version = 1
    rank = 20
    tiers = ("notes",)
    description = "f0, error in cents against the item's f0_hz, voiced fraction (notes)"
    Settings = Settings
    columns = (
        Column("f0_hz", unit="Hz", range=(0.0, None)),
        Column("cents_error", unit="cents"),
        Column(
            "abs_cents_error",
            label="mean |cents|",
            unit="cents",
            direction="lower",
            range=(0.0, None),
            quality=True,
        ),
        Column("voiced_fraction", range=(0.0, 1.0)),
    )

    def setup(self, ctx: ScoreContext, tier: str) -> Setup:
        settings = ctx.metric_settings(self.name, Settings)
        card = {
            "packages": ("librosa",),
            "estimator": ESTIMATOR,
            "settings": settings.model_dump(),
            "analysis": ctx.settings.describe(),
        }
        return Setup(card=card, model=PitchSettings(**settings.model_dump()))

    def measure(self, ctx: ScoreContext, setup: Setup, clip: ClipInput) -> Measured:
        target = clip.item.note
        if target is None:
            return {c.name: Missing("the item names no note") for c in self.columns}
        audio = ctx.load(clip, setup.model.sample_rate)
        est = estimate_f0(audio.audio, setup.model)
        if est.f0_hz is None:
            none = Missing("no pitched frame")
            return {
                "f0_hz": none,
                "cents_error": none,
                "abs_cents_error": none,
                "voiced_fraction": est.voiced_fraction,
            }
        err = cents(est.f0_hz, target.f0_hz)
        return {
            "f0_hz": est.f0_hz,
            "cents_error": err,
            "abs_cents_error": abs(err),
            "voiced_fraction": est.voiced_fraction,
        }


METRIC = Pitch()
