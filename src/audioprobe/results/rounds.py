"""Measures across feedback rounds, per model × tier: render rate and task success by round,
the gain from round 0, the share of trials repaired, and pass@k over samples.

A trial's state "at round r" is the outcome of its round r, or of its last round when it stopped
earlier (on success, it stays a success): the result the run would have had with r + 1 rounds.
Every rate is over the trials whose final outcome is the model's (outcomes.py); task success is
over those with a verdict (feedback.success: an unmeasurable one is neither). A run without
feedback has one round, and task success only where its records carry it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from audioprobe.outcomes import Outcome, Rate, is_model_outcome
from audioprobe.results.measures import tier_rank
from audioprobe.results.passk import ks_for, mean_pass_at_k
from audioprobe.results.verdicts import Verdicts, final_verdict
from audioprobe.store import TrialRecord
from audioprobe.trial_record import RoundSummary


def rounds_of(trial: TrialRecord) -> list[RoundSummary]:
    """The trial's rounds; one, the trial itself, for a single-round trial."""
    return trial.record.round_list()


def state_at(trial: TrialRecord, number: int, verdicts: Verdicts | None = None) -> RoundSummary:
    """The trial's round `number` (its last when it stopped earlier); the final round's task
    success is the scored verdict where there is one (results/verdicts.py)."""
    listed = rounds_of(trial)
    state = listed[min(number, len(listed) - 1)]
    if number >= len(listed) - 1:
        state = state.model_copy(update={"round_success": final_verdict(trial, verdicts)})
    return state


@dataclass(frozen=True)
class RoundPoint:
    round: int
    rendered: Rate
    success: Rate


@dataclass(frozen=True)
class PassAtK:
    k: int
    what: str  # "task success" or "render"
    value: float | None
    items: int  # items with at least k samples


@dataclass(frozen=True)
class RoundCurve:
    model: str
    tier: str
    rounds: int  # rounds allowed (the most any trial of the cell could take)
    points: list[RoundPoint]
    repaired: Rate  # trials failing the task at round 0 that succeed at their last round
    pass_at: list[PassAtK]

    def gain(self, what: str) -> float | None:
        """Last round's share minus round 0's, in points of 0..1 (None without both)."""
        first, last = self.points[0], self.points[-1]
        a, b = (
            (first.rendered, last.rendered) if what == "render" else (first.success, last.success)
        )
        return None if a.value is None or b.value is None else b.value - a.value


def _success_rate(states: list[RoundSummary]) -> Rate:
    known = [s for s in states if s.round_success is not None]
    return Rate(sum(s.round_success is True for s in known), len(known))


def _allowed(trials: list[TrialRecord]) -> int:
    declared = [t.record.feedback.rounds if t.record.feedback else 1 for t in trials]
    return max([*declared, *(len(rounds_of(t)) for t in trials)], default=1)


def _pass_at(trials: list[TrialRecord], verdicts: Verdicts | None) -> list[PassAtK]:
    per_item: dict[str, list[TrialRecord]] = defaultdict(list)
    for t in trials:
        per_item[t.item].append(t)
    samples = max((len(ts) for ts in per_item.values()), default=1)
    out = []
    for what in ("task success", "render"):
        counts = []
        for ts in per_item.values():
            if what == "render":
                counts.append((len(ts), sum(t.status == Outcome.OK for t in ts)))
            else:
                known = [v for t in ts if (v := final_verdict(t, verdicts)) is not None]
                if known:
                    counts.append((len(known), sum(v is True for v in known)))
        for k in ks_for(samples):
            value, items = mean_pass_at_k(counts, k)
            out.append(PassAtK(k, what, value, items))
    return out


def round_curves(
    trials: Iterable[TrialRecord], verdicts: Verdicts | None = None
) -> list[RoundCurve]:
    """One curve per model × tier with trials whose outcome is the model's; `verdicts` (the
    scored task success, results/verdicts.py) decide each trial's final round."""
    cells: dict[tuple[str, str], list[TrialRecord]] = defaultdict(list)
    for t in trials:
        if is_model_outcome(t.status):
            cells[(t.model, t.tier)].append(t)
    curves = []
    for (model, tier), ts in sorted(cells.items(), key=lambda kv: (kv[0][0], tier_rank(kv[0][1]))):
        allowed = _allowed(ts)
        points = []
        for r in range(allowed):
            states = [state_at(t, r, verdicts) for t in ts]
            rendered = Rate(sum(s.status == Outcome.OK for s in states), len(states))
            points.append(RoundPoint(r, rendered, _success_rate(states)))
        failed_first = [t for t in ts if state_at(t, 0, verdicts).round_success is False]
        fixed = sum(final_verdict(t, verdicts) is True for t in failed_first)
        curves.append(
            RoundCurve(
                model, tier, allowed, points, Rate(fixed, len(failed_first)), _pass_at(ts, verdicts)
            )
        )
    return curves


def has_feedback(trials: Iterable[TrialRecord]) -> bool:
    return any(t.record.has_rounds for t in trials)
