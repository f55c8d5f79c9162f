"""Scoring settings: scoring/metrics.toml, overridden by the experiment's [scoring] table.

The settings every metric shares are fields here; a metric's own settings are the table named
after it, validated by the `Settings` model its module declares (see scoring/registry.py).
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from audioprobe.errors import ConfigError, format_validation_error
from audioprobe.paths import data_dir
from audioprobe.scoring.audio import AnalysisSettings
from audioprobe.tier_kinds import kind_of

FailedRule = Literal["exclude", "silence"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Analysis(_Strict):
    resampler: Literal["soxr-vhq", "soxr-hq", "soxr-mq", "scipy-poly"] = "soxr-hq"
    channel_mix: Literal["mean", "first"] = "mean"
    normalisation: Literal["none", "peak"] = "none"
    quantisation: Literal["float32"] = "float32"
    max_duration_s: float = Field(
        60.0, gt=0, description="metrics analyse at most this much of a clip (a memory bound)"
    )


class ShortClips(_Strict):
    policy: Literal["pad", "repeat"] = "pad"
    min_duration_s: float = Field(1.0, ge=0)


class SetSettings(_Strict):
    """How every set metric forms and sizes its sets."""

    min_clips: int = Field(3, ge=2)
    min_ref_clips: int = Field(5, ge=2)
    small_set: int = Field(50, ge=2)
    per_class: bool = True
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


class TierMetrics(_Strict):
    embeddings: list[str] = Field(default_factory=list)
    clap: str | None = None
    trim_silence_db: float | None = Field(
        None,
        ge=0,
        description="cut leading/trailing audio this far below the peak before embedding"
        " (0: no trimming, in place of a tier kind's default)",
    )


class ScoringConfig(BaseModel):
    # Tables beyond these fields are metrics' own settings, checked by `metric_settings`.
    model_config = ConfigDict(extra="allow")

    metrics: list[str] | None = Field(None, description="default: every registered metric")
    failed_renders: FailedRule = "exclude"
    analysis: Analysis = Field(default_factory=Analysis)
    short_clips: ShortClips = Field(default_factory=ShortClips)
    sets: SetSettings = Field(default_factory=SetSettings)
    bootstrap: Bootstrap = Field(default_factory=Bootstrap)
    tiers: dict[str, TierMetrics] = Field(default_factory=dict)

    def metric_settings(self, metric: str, model: type[BaseModel]) -> Any:
        """The [<metric>] table, validated by the metric's own settings model."""
        raw = (self.model_extra or {}).get(metric) or {}
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(format_validation_error(f"[scoring.{metric}]", exc, raw)) from exc

    def analysis_settings(self) -> AnalysisSettings:
        return AnalysisSettings(
            resampler=self.analysis.resampler,
            channel_mix=self.analysis.channel_mix,
            normalisation=self.analysis.normalisation,
            quantisation=self.analysis.quantisation,
            short_clip_policy=self.short_clips.policy,
            min_duration_s=self.short_clips.min_duration_s,
            max_duration_s=self.analysis.max_duration_s,
        )

    def tier_analysis(self, tier: str) -> AnalysisSettings:
        """The analysis settings with `tier`'s duration policy (its silence trimming)."""
        trim = self.tier(tier).trim_silence_db or None  # 0 turns a kind's trim off
        return replace(self.analysis_settings(), trim_silence_db=trim)

    def tier(self, name: str) -> TierMetrics:
        """`name`'s embeddings, CLAP model and silence trim: its kind's defaults
        (tier_kinds/), with what a [tiers.<name>] table sets in their place."""
        kind = kind_of(name)
        defaults = TierMetrics(
            embeddings=list(kind.embeddings), clap=kind.clap, trim_silence_db=kind.trim_silence_db
        )
        given = self.tiers.get(name)
        if given is None:
            return defaults
        return defaults.model_copy(update=given.model_dump(exclude_unset=True))


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
