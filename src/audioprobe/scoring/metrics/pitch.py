"""f0 of a rendered note, its error in cents against the item's f0 (plain and to the nearest
octave), the octave and in-tune flags, and the voiced share (pYIN refined in the spectrum; see
scoring/pitch.py). Notes only.

Summaries are the in-tune rate by pitch class (the note's name right, in any octave), the
octave-off rate and the median |pitch-class error|: the mean of plain |cents| is kept as a fact
of each clip, never summarised, since one octave error dominates it. Task success (feedback/
success.py) is octave-exact: it reads the plain cents error, so a clip an octave off is in tune
by pitch class, counted in the octave-off rate, and not a success."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from audioprobe.scoring.context import ClipInput, ScoreContext
from audioprobe.scoring.contract import ClipMetric, Column, Measured, Missing, Setup
from audioprobe.scoring.pitch import (
    ESTIMATOR,
    IN_TUNE_CENTS,
    PitchSettings,
    estimate_f0,
    pitch_error,
)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sample_rate: int = 16000
    fmin_hz: float = Field(32.70, gt=0)
    fmax_hz: float = Field(2093.0, gt=0)
    frame_length: int = 2048
    hop_length: int = 512
    pyin_resolution: float = Field(1.0, gt=0, le=1.0, description="pYIN grid, semitones")
    in_tune_cents: float = Field(
        IN_TUNE_CENTS, gt=0, le=600, description="|pitch-class error| counted in tune"
    )


class Pitch(ClipMetric):
    name = "pitch"
    version = 3
    rank = 20
    tiers = ()  # the tiers whose kind lists it
    description = (
        "f0, error in cents against the item's f0_hz (plain and to the nearest octave),"
        " octave and in-tune flags, voiced fraction (notes)"
    )
    Settings = Settings
    columns = (
        Column("f0_hz", unit="Hz", range=(0.0, None)),
        Column("cents_error", unit="cents"),
        Column("abs_cents_error", label="|cents|", unit="cents", range=(0.0, None)),
        Column("pitch_class_error", unit="cents", range=(-600.0, 600.0)),
        Column(
            "in_tune",
            label="in tune (pitch class)",
            direction="higher",
            range=(0.0, 1.0),
            quality=True,
            summary="rate",
        ),
        Column(
            "abs_pitch_class_error",
            label="median |pitch-class cents|",
            unit="cents",
            direction="lower",
            range=(0.0, 600.0),
            quality=True,
            summary="median",
        ),
        Column(
            "octave_error",
            label="octave off",
            direction="lower",
            range=(0.0, 1.0),
            quality=True,
            summary="rate",
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
        analysis = settings.model_dump(exclude={"in_tune_cents"})
        return Setup(card=card, model=PitchSettings(**analysis))

    def measure(self, ctx: ScoreContext, setup: Setup, clip: ClipInput) -> Measured:
        target = clip.item.note
        if target is None:
            return {c.name: Missing("the item names no note") for c in self.columns}
        audio = ctx.load(clip, setup.model.sample_rate)
        est = estimate_f0(audio.audio, setup.model)
        if est.f0_hz is None:
            none = Missing("no pitched frame")
            out: dict[str, float | str | Missing] = {c.name: none for c in self.columns}
            out["voiced_fraction"] = est.voiced_fraction
            out["in_tune"] = 0.0  # a note with no pitch is not in tune: the rate counts it
            return out
        err = pitch_error(est.f0_hz, target.f0_hz, setup.card["settings"]["in_tune_cents"])
        known = math.isfinite(err.pitch_class)  # else every column is recorded as an error
        return {
            "f0_hz": est.f0_hz,
            "cents_error": err.cents,
            "abs_cents_error": abs(err.cents),
            "pitch_class_error": err.pitch_class,
            "abs_pitch_class_error": abs(err.pitch_class),
            "octave_error": float(err.octaves != 0) if known else math.nan,
            "in_tune": float(err.in_tune) if known else math.nan,
            "voiced_fraction": est.voiced_fraction,
        }


METRIC = Pitch()
