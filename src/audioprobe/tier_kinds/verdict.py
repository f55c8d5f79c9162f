"""The words a tier kind's success rule is written in: the [task_success] settings, the facts
measured of a trial's clip, and the verdict.

They sit under tier_kinds/ rather than in feedback/success.py (which applies the rule and still
exports them, the names a tier plugin imports) because the base `TierKind` returns a verdict, and
feedback/success.py asks the tier's kind for its rule: the kind importing the module that imports
it would close an import circle (tests/test_import_graph.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class SuccessSettings(BaseModel):
    """The [task_success] table: the thresholds of the rule, one set for every caller."""

    model_config = ConfigDict(extra="forbid")

    note_cents: float = Field(
        50.0, gt=0, le=600, description="notes: |cents error| against f0_hz at most this"
    )
    wer_threshold: float = Field(0.25, ge=0, description="speech: WER at most this is a success")
    knn_k: int = Field(5, ge=1, description="environmental: neighbours that vote on the class")
    contract: Literal["flag", "fail"] = Field(
        "flag", description="a clip off the prompt's rate/channels/duration: shown, or a failure"
    )


@dataclass(frozen=True)
class Facts:
    """What a trial's clip measured, as far as the rule of its tier needs it."""

    status: str
    f0_hz: float | None = None
    cents_error: float | None = None  # signed, against the item's f0_hz (plain, not folded)
    octaves: int | None = None  # the octave shift of f0 from the target (0: the right octave)
    recognised: str | None = None  # the class the reference neighbours vote for
    target_class: str | None = None
    neighbours: tuple[str, ...] = ()  # the classes of the nearest reference clips, nearest first
    word_error: float | None = None  # Whisper's WER against the sentence
    deviations: tuple[str, ...] = ()  # contract deviations ("44100 Hz, asked 16000")
    missing: str | None = None  # why a measurement the rule needs is absent
    # what else a tier kind's rule reads ("note_f1": 0.93), for tiers beyond the built-in ones
    measured: Mapping[str, float | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        if not self.measured:  # the built-in tiers' records keep the shape they always had
            del out["measured"]
        return out


@dataclass(frozen=True)
class TaskSuccess:
    value: bool | None  # None: could not be decided (a measurement was unavailable)
    reason: str
    facts: Facts | None = field(default=None, compare=False)
