"""Task success: did a trial do what its item asked, beyond rendering some audio?

The one rule per tier, supplied by the tier's kind (tier_kinds/). Scoring's `task_success`
metric, the feedback loop's stop condition, the by-round views, pass@k and the technique table
all call `judge`, so "succeeded" means the same clip-for-clip everywhere
(tests/test_task_success_rule.py). The rule reads a trial's `Facts` (what was measured of its
clip) and the [task_success] settings of the scoring configuration (scoring/metrics.toml,
overridable by a spec's [scoring.task_success]). Audioprobe's tiers:

  notes          rendered, and the measured f0 within `note_cents` cents of the item's f0_hz
                 (octave-exact: a note an octave off did not do what was asked; the pitch metric's
                 pitch-class measure `in_tune` stays beside it)
  environmental  rendered, and its class recognised: the majority class of its `knn_k` nearest
                 reference clips is the item's class (needs the scoring embeddings: the feedback
                 loop, which does not load them, leaves it unknown)
  speech         rendered, and Whisper's transcript within `wer_threshold` word error rate
  (a tier file with no kind module: rendered valid, non-silent audio)

Every tier: a clip that deviates from the contract the prompt stated (sample rate, channels,
duration) fails when `contract = "fail"`; under "flag" the deviation is recorded and shown only.

A trial that did not render never succeeded. An unknown verdict (None: a measurement was
unavailable) is neither a success nor a failure in any rate, and never stops the loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audioprobe.outcomes import Outcome
from audioprobe.tier_kinds import kind_of
from audioprobe.tier_kinds.verdict import Facts, SuccessSettings, TaskSuccess

__all__ = [
    "Facts",
    "SuccessSettings",
    "TaskSuccess",
    "contract_deviations",
    "criterion_of",
    "judge",
    "octaves_of",
    "rule_of",
    "success_settings",
]

#: Duration deviations within this share of the requested length (or 0.1 s) are no deviation.
DURATION_TOLERANCE = 0.1
DURATION_FLOOR_S = 0.1


def criterion_of(tier: str) -> str:
    """The tier's rule as cards, exports and `rounds` state it."""
    return kind_of(tier).criterion


def rule_of(tier: str, settings: SuccessSettings | None = None) -> str:
    """The tier's rule in words with its numbers, as the feedback turn tells the model."""
    s = settings or SuccessSettings()
    rule = kind_of(tier).rule(s)
    if s.contract == "fail":
        rule += "; and it is mono, at the requested sample rate and duration"
    return rule


def octaves_of(cents_error: float) -> int:
    return round(cents_error / 1200.0)


def judge(tier: str, facts: Facts, settings: SuccessSettings | None = None) -> TaskSuccess:
    """Whether a trial with these facts met its task, and why (the one rule)."""
    s = settings or SuccessSettings()
    verdict = _judge(tier, facts, s)
    return TaskSuccess(verdict.value, verdict.reason, facts)


def _judge(tier: str, facts: Facts, s: SuccessSettings) -> TaskSuccess:
    if facts.status != Outcome.OK:
        return TaskSuccess(False, f"it did not render ({facts.status})")
    if facts.deviations and s.contract == "fail":
        return TaskSuccess(False, f"off the contract: {'; '.join(facts.deviations)}")
    return kind_of(tier).judge(facts, s)


def contract_deviations(
    audio: Mapping[str, Any] | None, sample_rate: int | None, duration_s: float | None
) -> tuple[str, ...]:
    """How a rendered clip departs from what the prompt asked: mono, `sample_rate` Hz,
    `duration_s` seconds (within DURATION_TOLERANCE of it). `audio` is the trial record's
    audio facts (audio_check.AudioInfo); baselines, which are asked for no rate, pass None."""
    if not audio:
        return ()
    out = []
    rate = audio.get("sample_rate")
    if sample_rate and rate and int(rate) != int(sample_rate):
        out.append(f"{int(rate)} Hz, asked {int(sample_rate)}")
    channels = audio.get("channels")
    if channels and int(channels) != 1:
        out.append(f"{int(channels)} channels, asked mono")
    got = audio.get("duration_s")
    if duration_s and got is not None:
        allowed = max(DURATION_TOLERANCE * duration_s, DURATION_FLOOR_S)
        if abs(float(got) - duration_s) > allowed:
            out.append(f"{float(got):.2f} s, asked {duration_s:g}")
    return tuple(out)


def success_settings(scoring_overrides: dict[str, Any] | None = None) -> SuccessSettings:
    """The [task_success] settings of the scoring configuration with a spec's overrides."""
    from audioprobe.results.verdicts import TASK_SUCCESS
    from audioprobe.scoring.config import load_config

    return load_config(scoring_overrides).metric_settings(TASK_SUCCESS, SuccessSettings)
