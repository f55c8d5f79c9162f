"""The outcome vocabulary of a trial, and which outcomes count against the model.

An instrument must not blame the model for its own faults: an endpoint that failed to answer
(`llm_error`), a sandbox that could not start (`sandbox_error`) or a generator whose weights are
missing (`unavailable`) say nothing about what the model can do. Those trials are kept apart,
retried by `resume`, and left out of every rate's denominator. This module is the one place that
says which is which, so every view (show, export, report, API) divides by the same number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """How a trial (or one feedback round of it) ended: the one vocabulary every stage writes
    and every view reads. A str enum, so a stored record's plain string compares equal."""

    PENDING = "pending"
    OK = "ok"
    NO_CODE = "no_code"
    SYNTAX_ERROR = "syntax_error"
    RUNTIME_ERROR = "runtime_error"
    TIMEOUT = "timeout"
    KILLED = "killed"
    NO_OUTPUT = "no_output"
    INVALID_AUDIO = "invalid_audio"
    LLM_ERROR = "llm_error"
    SANDBOX_ERROR = "sandbox_error"
    UNAVAILABLE = "unavailable"


#: What the model's answer led to: each is the model's result.
MODEL_OUTCOMES = frozenset(
    {
        Outcome.OK,
        Outcome.NO_CODE,
        Outcome.SYNTAX_ERROR,
        Outcome.RUNTIME_ERROR,
        Outcome.TIMEOUT,
        Outcome.KILLED,
        Outcome.NO_OUTPUT,
        Outcome.INVALID_AUDIO,
    }
)

#: Faults of the harness's own infrastructure: never the model's score, retried by `resume`.
INFRA_OUTCOMES = frozenset({Outcome.LLM_ERROR, Outcome.SANDBOX_ERROR})

#: Nothing to measure here (a baseline whose weights are absent); not retried automatically.
NOT_RUN_OUTCOMES = frozenset({Outcome.UNAVAILABLE})

FINAL_OUTCOMES = MODEL_OUTCOMES | INFRA_OUTCOMES | NOT_RUN_OUTCOMES


def is_infrastructure(status: str) -> bool:
    return status in INFRA_OUTCOMES


def is_model_outcome(status: str) -> bool:
    """True when the trial's outcome is the model's doing (it counts in a rate's denominator)."""
    return status in MODEL_OUTCOMES


@dataclass(frozen=True)
class Rate:
    """A share with its denominator stated, so no view can print a bare percentage."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    def __str__(self) -> str:
        if not self.denominator:
            return "n/a (0 answered)"
        share = 100.0 * self.numerator / self.denominator
        return f"{share:.0f}% ({self.numerator}/{self.denominator})"


def render_rate(statuses: Iterable[str]) -> Rate:
    """Trials that rendered valid audio, over the trials whose outcome is the model's."""
    answered = [s for s in statuses if is_model_outcome(s)]
    return Rate(sum(1 for s in answered if s == Outcome.OK), len(answered))


#: A run whose infrastructure failed on more than this share of its trials did not measure the
#: model: `run` and `resume` exit non-zero (exit code 3) and say how to retry those trials.
INFRA_FAILURE_LIMIT = 0.10


def infra_failures(statuses: Iterable[str]) -> tuple[int, int]:
    """(trials that ended in an infrastructure fault, all trials)."""
    listed = list(statuses)
    return sum(1 for s in listed if is_infrastructure(s)), len(listed)


def too_many_infra_failures(statuses: Iterable[str]) -> bool:
    failed, total = infra_failures(statuses)
    return total > 0 and failed / total > INFRA_FAILURE_LIMIT
