"""A trial's record (trial.json) and a feedback round's (round.json) as one typed model.

The trial stage writes a `TrialResult` and every view reads its fields, so a key misspelt in a
view is an AttributeError under test rather than a silent empty column. Every sub-record keeps
keys it does not name (`extra="allow"`): a record written by another version of audioprobe
round-trips unchanged, and `stored()` writes back exactly the keys the record was given, so the
files stay the shape researchers and older versions of audioprobe read.

Older records need no rewrite: every field has a default, so a record that lacks a field
(one written before the field existed, or a pending trial's empty one) reads as it did.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

from audioprobe.languages import DEFAULT_LANGUAGE
from audioprobe.outcomes import Outcome

#: A feedback round's record, in its folder round-N under the trial's (trial.json is the trial's).
ROUND_FILE = "round.json"


def round_dir_name(number: int) -> str:
    return f"round-{number}"


class _Stored(BaseModel):
    """A part of a stored record: known fields typed, every other key kept as it is."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def stored(self) -> dict[str, Any]:
        """The record as its file holds it: the keys it was given, no others."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class AudioFacts(_Stored):
    """The checked clip's facts (audio_check.AudioInfo)."""

    sha256: str | None = None
    duration_s: float | None = None
    sample_rate: int | None = None
    channels: int | None = None
    frames: int | None = None
    peak: float | None = None
    rms: float | None = None
    peak_to_peak: float | None = None
    has_nonfinite: bool | None = None
    silent: bool | None = None
    subtype: str | None = None
    clipping: str | None = None


class Response(_Stored):
    """What the endpoint said about the answer it gave (llm.base.Completion, without text)."""

    model: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None
    attempts: int | None = None
    cached: bool | None = None
    request_hash: str | None = None


class Execution(_Stored):
    """What the sandbox observed running the script (sandbox.base.ExecResult, without output)."""

    status: str | None = None
    exit_code: int | None = None
    wall_s: float | None = None
    cpu_s: float | None = None
    peak_memory_mb: float | None = None
    files: list[str] = Field(default_factory=list)
    reason: str = ""
    backend: str = ""
    runtime: str = ""


class Analysis(_Stored):
    """A round's measured clip (feedback.analysis.AudioAnalysis), as the feedback loop wrote it."""

    duration_s: float | None = None
    target_duration_s: float | None = None
    sample_rate: int | None = None
    channels: int | None = None
    peak: float | None = None
    peak_dbfs: float | None = None
    rms: float | None = None
    rms_dbfs: float | None = None
    clipped_share: float | None = None
    silent: bool | None = None
    silent_share: float | None = None
    centroid_hz: float | None = None
    bands: list[dict[str, Any]] = Field(default_factory=list)
    f0_hz: float | None = None
    target_f0_hz: float | None = None
    cents_error: float | None = None
    voiced_fraction: float | None = None
    transcript: str | None = None
    target_sentence: str | None = None
    transcript_wer: float | None = None
    notes: list[str] = Field(default_factory=list)


class RoundSummary(_Stored):
    """What a trial's record keeps of each of its feedback rounds (round.json has the rest)."""

    round: int | None = None
    status: Outcome = Outcome.PENDING
    error: str | None = None
    round_success: bool | None = None
    round_success_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class FeedbackInfo(_Stored):
    """How many rounds the trial was allowed and why its loop stopped."""

    rounds: int = 1
    stopped: str | None = None


class TrialResult(_Stored):
    """One trial's record, or one feedback round's: outcome, answer, script, run, clip, check.

    A trial with feedback rounds is its final round's record with `rounds`, `stage_dir` and
    `feedback` beside it. An empty record (`TrialResult()`) is a trial not yet run.
    """

    trial_id: str | None = None
    model: str | None = None
    model_kind: str | None = None
    tier: str | None = None
    # the language the code was asked in (audioprobe.languages); None: a baseline's trial
    language: str | None = None
    item: str | None = None
    sample: int | None = None
    seed: int | None = None
    class_key: str | None = None
    target_duration_s: float | None = None
    status: Outcome = Outcome.PENDING
    error: str | None = None
    wav: str | None = None
    audio: AudioFacts | None = None
    started: float | None = None
    finished: float | None = None
    # the answer and the script made from it
    prompt_sha256: str | None = None
    response: Response | None = None
    extraction: str | None = None
    script_sha256: str | None = None
    execution: Execution | None = Field(default=None, alias="exec")
    duration_error_s: float | None = None
    # a baseline's trial: its generator and the parameters it used
    generator: dict[str, Any] | None = None
    generator_params: dict[str, Any] | None = None
    # feedback: the round's analysis and task check; the trial's rounds
    analysis: Analysis | None = None
    round_success: bool | None = None
    round_success_reason: str | None = None
    round: int | None = None
    rounds: list[RoundSummary] | None = None
    stage_dir: str | None = None
    feedback: FeedbackInfo | None = None

    @classmethod
    def read(cls, raw: dict[str, Any]) -> Self:
        """A stored record as today's model; ValidationError when a value does not fit (the
        store then does not trust the file as the trial's result)."""
        return cls.model_validate(raw)

    def code_language(self) -> str | None:
        """The language the trial's code was asked in. A record written before languages has
        no `language`: it was Python's if it got as far as an extraction (a code trial), else
        it had none (a baseline's, or a trial not run)."""
        if "language" in self.model_fields_set:
            return self.language
        return DEFAULT_LANGUAGE if "extraction" in self.model_fields_set else None

    @property
    def has_rounds(self) -> bool:
        """Whether the trial ran a feedback loop (its record lists its rounds)."""
        return self.rounds is not None

    def round_list(self) -> list[RoundSummary]:
        """The trial's rounds; one, the trial itself, for a trial without feedback."""
        if self.rounds:
            return self.rounds
        return [RoundSummary(round=0, status=self.status, round_success=self.round_success)]

    def answers(self) -> list[RoundSummary | Response]:
        """Every answer the trial asked for: each round's, or the trial's one answer."""
        return list(self.rounds) if self.rounds else [self.response or Response()]

    def summary(self) -> RoundSummary:
        """What a trial's record keeps of this round (feedback.rounds)."""
        response = self.response or Response()
        return RoundSummary(
            round=self.round,
            status=self.status,
            error=self.error,
            round_success=self.round_success,
            round_success_reason=self.round_success_reason,
            prompt_tokens=response.prompt_tokens,
            completion_tokens=response.completion_tokens,
        )


class TrialFile(TrialResult):
    """A trial.json as the store trusts it: a file without an outcome holds no result (an empty
    record is a pending trial only in the index)."""

    status: Outcome
