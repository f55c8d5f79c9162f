"""Typed records of scoring's results: numbers stay numbers until a view formats them.

A metric value is either a number with status `ok`, or no number and a status saying why:
`unavailable` (the metric's model or data is missing here; the reason names the fix),
`not_applicable` (nothing to measure: the trial did not render, or the clip has no pitch),
`error` (the metric failed on this clip or set; the reason is the exception), and for sets
`too_few_clips`. Every value carries the hash of the metric card it was computed under.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

Direction = Literal["higher", "lower"]


class Status(StrEnum):
    OK = "ok"
    UNAVAILABLE = "unavailable"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"
    TOO_FEW = "too_few_clips"

    @property
    def label(self) -> str:
        """How a view names a missing number: "not applicable", "too few clips", ..."""
        return self.value.replace("_", " ")


# Statuses written by earlier versions of audioprobe, read as today's.
LEGACY_STATUS = {"not_rendered": Status.NOT_APPLICABLE, "failed": Status.ERROR}


def status_of(raw: str) -> Status:
    return LEGACY_STATUS.get(raw) or Status(raw)


@dataclass(frozen=True)
class ClipValue:
    """One column of one metric for one trial's clip."""

    trial_id: str
    metric: str
    column: str
    embedding: str
    status: Status
    card_hash: str
    value: float | None = None
    text: str | None = None  # a text result (a transcript) where the column is text
    reason: str | None = None
    unit: str = ""

    @property
    def key(self) -> str:
        return column_key(self.column, self.embedding)


@dataclass(frozen=True)
class SetValue:
    """One column of a set metric for a model × tier (× reference class) set."""

    model: str
    tier: str
    class_key: str  # "" for the whole tier
    metric: str
    column: str
    embedding: str
    status: Status
    card_hash: str
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n_generated: int | None = None
    n_reference: int | None = None
    n_trials: int | None = None  # trials the model answered (the render rate's denominator)
    n_rendered: int | None = None
    rule: str = ""  # the failed-render rule that chose the generated clips
    reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return column_key(self.column, self.embedding)

    @property
    def flags(self) -> list[str]:
        return list(self.extra.get("flags", [])) + [
            f"warning: {w}" for w in self.extra.get("warnings", [])
        ]


def column_key(column: str, embedding: str) -> str:
    """`fad[aisfx]`: a column and the embedding it was computed in (none for most)."""
    return f"{column}[{embedding}]" if embedding else column
