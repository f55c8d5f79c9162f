"""Scoring settings: scoring/metrics.toml, overridden by the experiment's [scoring] table."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from audioprobe.errors import ConfigError, format_validation_error
from audioprobe.paths import data_dir
from audioprobe.scoring.audio import AnalysisSettings
from audioprobe.scoring.pitch import PitchSettings

CLIP_METRICS = ("duration", "pitch", "wer", "clap_score")
SET_METRICS = ("clap_zeroshot", "fad", "kad")
ALL_METRICS = CLIP_METRICS + SET_METRICS
FailedRule = Literal["exclude", "silence"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Analysis(_Strict):
    resampler: Literal["soxr-vhq", "soxr-hq", "soxr-mq", "scipy-poly"] = "soxr-hq"
    channel_mix: Literal["mean", "first"] = "mean"
    normalisation: Literal["none", "peak"] = "none"
    quantisation: Literal["float32"] = "float32"


class ShortClips(_Strict):
    policy: Literal["pad", "repeat"] = "pad"
    min_duration_s: float = Field(1.0, ge=0)


class FadSettings(_Strict):
    min_clips: int = Field(3, ge=2)
    min_ref_clips: int = Field(5, ge=2)
    small_set: int = Field(50, ge=2)
    per_class: bool = True
    sqrt_check_rtol: float = Field(1e-3, gt=0)
    reference_classes: Literal["run", "all"] = Field(
        "run", description="reference clips of the run's classes only, or of every tier class"
    )
    max_ref_clips_per_class: int = Field(
        32, ge=2, description="cap per class, the clips with the smallest sha256 (deterministic)"
    )


class Bootstrap(_Strict):
    n: int = Field(200, ge=0, description="0 turns intervals off")
    seed: int = 0
    confidence: float = Field(0.95, gt=0, lt=1)


class FadInfSettings(_Strict):
    min_clips: int = Field(10, ge=3)
    steps: int = Field(10, ge=2)
    min_fraction: float = Field(0.25, gt=0, lt=1)
    repeats: int = Field(3, ge=1)
    seed: int = 0


class KadSettings(_Strict):
    kernel: Literal["gaussian"] = "gaussian"
    bandwidth: Literal["median-reference"] = "median-reference"
    scale: float = Field(100.0, gt=0)


class Pitch(_Strict):
    sample_rate: int = 16000
    fmin_hz: float = Field(32.70, gt=0)
    fmax_hz: float = Field(2093.0, gt=0)
    frame_length: int = 2048
    hop_length: int = 512
    pyin_resolution: float = Field(1.0, gt=0, le=1.0, description="pYIN grid, semitones")

    def settings(self) -> PitchSettings:
        return PitchSettings(**self.model_dump())


class Wer(_Strict):
    asr: str = "whisper-base"


class TierMetrics(_Strict):
    embeddings: list[str] = Field(default_factory=list)
    clap: str | None = None


class ScoringConfig(_Strict):
    metrics: list[Literal["duration", "pitch", "wer", "clap_score", "clap_zeroshot", "fad", "kad"]]
    failed_renders: FailedRule = "exclude"
    analysis: Analysis = Field(default_factory=Analysis)
    short_clips: ShortClips = Field(default_factory=ShortClips)
    fad: FadSettings = Field(default_factory=FadSettings)
    bootstrap: Bootstrap = Field(default_factory=Bootstrap)
    fad_inf: FadInfSettings = Field(default_factory=FadInfSettings)
    kad: KadSettings = Field(default_factory=KadSettings)
    pitch: Pitch = Field(default_factory=Pitch)
    wer: Wer = Field(default_factory=Wer)
    tiers: dict[str, TierMetrics] = Field(default_factory=dict)

    def analysis_settings(self) -> AnalysisSettings:
        return AnalysisSettings(
            resampler=self.analysis.resampler,
            channel_mix=self.analysis.channel_mix,
            normalisation=self.analysis.normalisation,
            quantisation=self.analysis.quantisation,
            short_clip_policy=self.short_clips.policy,
            min_duration_s=self.short_clips.min_duration_s,
        )

    def tier(self, name: str) -> TierMetrics:
        return self.tiers.get(name, TierMetrics())


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        elif value is not None:
            out[key] = value
    return out


def load_config(overrides: dict[str, Any] | None = None, path: Path | None = None) -> ScoringConfig:
    """metrics.toml (or `path`) with `overrides` (a spec's [scoring] table) merged on top."""
    path = path or data_dir("scoring") / "metrics.toml"
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"no scoring settings file {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    merged = _merge(raw, overrides or {})
    try:
        return ScoringConfig.model_validate(merged)
    except ValidationError as exc:
        where = f"{path} + the experiment's [scoring] table" if overrides else path
        raise ConfigError(format_validation_error(where, exc, merged)) from exc
