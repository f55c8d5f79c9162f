"""What the report shows, gathered from the run store in one pass.

Outcome counts come from `audioprobe.summary` (the same numbers `show` and `export` print); metric
columns come from scoring as plain dicts, so the report takes whatever metrics a run was scored
with. Success rates get a Wilson interval here because that is a property of counts, not a metric.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from audioprobe.report.cells import Cell, is_card_column, metric_cells
from audioprobe.store import RunStore, TrialRecord
from audioprobe.summary import export_row, outcome_table
from audioprobe.tiers import TIER_ORDER

Z95 = 1.959963984540054
# Columns of scoring's summary rows that are not metrics: the report has its own outcome
# columns, and a tier's level is its place in the tier order.
_NOT_METRICS = frozenset({"model", "tier", "level", "trials", "ok", "ok_pct", "outcomes"})


def wilson(successes: int, total: int, z: float = Z95) -> tuple[float, float]:
    """95% Wilson score interval of a proportion (stays inside [0, 1] for small n)."""
    if total == 0:
        return (0.0, 0.0)
    p = successes / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def tier_rank(tier: str) -> tuple[int, str]:
    return (TIER_ORDER.index(tier) if tier in TIER_ORDER else len(TIER_ORDER), tier)


@dataclass
class OverviewRow:
    model: str
    tier: str
    trials: int
    ok: int
    outcomes: dict[str, int]
    metrics: dict[str, Cell] = field(default_factory=dict)

    @property
    def ok_rate(self) -> Cell:
        low, high = wilson(self.ok, self.trials)
        rate = self.ok / self.trials if self.trials else 0.0
        return Cell(value=100 * rate, low=100 * low, high=100 * high, n=self.trials)


def overview(store: RunStore, summary_rows: list[dict[str, Any]]) -> list[OverviewRow]:
    """One row per model × tier: outcome counts from the store, metrics from scoring's rows."""
    scored = {(r.get("model"), r.get("tier")): r for r in summary_rows}
    rows = []
    for base in outcome_table(store):
        extra = scored.get((base["model"], base["tier"]), {})
        rows.append(
            OverviewRow(
                model=base["model"],
                tier=base["tier"],
                trials=base["trials"],
                ok=base["ok"],
                outcomes=base["outcomes"],
                metrics=metric_cells(extra, skip=_NOT_METRICS),
            )
        )
    rows.sort(key=lambda r: (r.model, tier_rank(r.tier)))
    return rows


def metric_names(rows: list[OverviewRow]) -> list[str]:
    """Metric columns in the order scoring first gave them."""
    names: list[str] = []
    for row in rows:
        for key in row.metrics:
            if key not in names:
                names.append(key)
    return names


@dataclass
class TrialView:
    """One trial as the report lists it; `detail` holds the long texts loaded on demand."""

    trial: TrialRecord
    row: dict[str, Any]
    metrics: dict[str, Cell]


def trial_views(store: RunStore, trial_metrics: dict[str, dict[str, Any]]) -> list[TrialView]:
    views = []
    for trial in store.trials():
        row = export_row(store, trial)
        columns = trial_metrics.get(trial.trial_id, {})
        cells = metric_cells({k: v for k, v in columns.items() if not is_card_column(k)})
        views.append(TrialView(trial=trial, row=row, metrics=cells))
    views.sort(key=lambda v: (v.trial.model, tier_rank(v.trial.tier), v.trial.item, v.trial.sample))
    return views
