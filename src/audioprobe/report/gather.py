"""What the report shows, gathered from the typed results in one pass.

Outcome counts come from `audioprobe.summary` (the same numbers `show` prints); the rate beside
them is the render rate of `audioprobe.results` (ok over trials the model answered), with a
Wilson interval here because that is a property of counts, not a metric. Metric columns come from
the registered metrics' typed values, so the report shows whatever metrics a run was scored with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from audioprobe.report.cell import Cell
from audioprobe.results.measures import RunResults, tier_rank
from audioprobe.results.rates import Rate
from audioprobe.store import TrialRecord
from audioprobe.summary import export_row, outcome_table

Z95 = 1.959963984540054


def wilson(successes: int, total: int, z: float = Z95) -> tuple[float, float]:
    """95% Wilson score interval of a proportion (stays inside [0, 1] for small n)."""
    if total == 0:
        return (0.0, 0.0)
    p = successes / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class OverviewRow:
    model: str
    tier: str
    trials: int
    rate: Rate
    outcomes: dict[str, int]
    metrics: dict[str, Cell] = field(default_factory=dict)

    @property
    def ok_rate(self) -> Cell:
        """ok % over the trials the model answered, with its Wilson interval and that count."""
        if not self.rate.denominator:
            return Cell(unavailable="no trial was answered by the model", label="n/a")
        low, high = wilson(self.rate.numerator, self.rate.denominator)
        value = 100 * (self.rate.value or 0.0)
        return Cell(value=value, low=100 * low, high=100 * high, n=self.rate.denominator)


def overview(results: RunResults) -> list[OverviewRow]:
    """One row per model × tier: outcome counts, render rate, and each measure as a cell."""
    rows = []
    for base in outcome_table(results.run.store):
        model, tier = base["model"], base["tier"]
        rows.append(
            OverviewRow(
                model=model,
                tier=tier,
                trials=base["trials"],
                rate=results.rate(model, tier),
                outcomes=base["outcomes"],
                metrics={
                    m.heading: Cell.of(m) for m in results.measures_of(model, tier) if m.in_summary
                },
            )
        )
    rows.sort(key=lambda r: (r.model, tier_rank(r.tier)))
    return rows


@dataclass
class TrialView:
    """One trial as the report lists it; `detail` holds the long texts loaded on demand."""

    trial: TrialRecord
    row: dict[str, Any]
    metrics: dict[str, Cell]


def trial_views(results: RunResults) -> list[TrialView]:
    views = []
    for trial in results.trials:
        row = export_row(results.run, trial)
        cells = {v.key: Cell.of_clip(v) for v in results.clip_values_of(trial.trial_id)}
        views.append(TrialView(trial=trial, row=row, metrics=cells))
    views.sort(key=lambda v: (v.trial.model, tier_rank(v.trial.tier), v.trial.item, v.trial.sample))
    return views
