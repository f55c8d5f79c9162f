"""Scoring's results in the shapes the report and `compare` use.

The overview table shows scoring's own per model × tier rows as scoring words them
(`summary_rows`: a value with interval and clip counts, or why there is none). Plots and
`compare` need numbers instead: set metrics (FAD, KAD, ...) come with their interval and clip
count from `set_results`; clip metrics (CLAP score, pitch error, WER, ...) are averaged here per
model × tier over the clips that have a value, with a 95% normal interval of that mean.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from audioprobe.report.cells import Cell, is_card_column, parse_cell
from audioprobe.report.gather import Z95
from audioprobe.store import RunStore

Key = tuple[str, str, str]  # model, tier, metric
SKIPPED_SET_METRICS = frozenset({"render_rate"})  # the report's own ok % (with interval) covers it
# Clip columns that measure quality (the ones scoring's summary averages); the others are facts
# of a clip (duration_s, f0_hz, voiced_fraction, signed cents_error, transcript): `compare` keeps
# them, the plots do not.
QUALITY_CLIP_METRICS = frozenset(
    {"clap_score", "abs_cents_error", "wer", "cer", "duration_error_s"}
)


@dataclass
class Scores:
    """What scoring stored for a run; empty when the run is not scored."""

    summary_rows: list[dict[str, Any]] = field(default_factory=list)
    trial_metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    set_rows: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, store: RunStore) -> Scores:
        from audioprobe.scoring import export_columns, set_results, summary_rows

        return cls(summary_rows(store), export_columns(store), set_results(store))


def _label(metric: str, embedding: str) -> str:
    return f"{metric}[{embedding}]" if embedding else metric


def set_cells(rows: list[dict[str, Any]]) -> dict[Key, Cell]:
    """Tier-level set metrics: value, interval and generated-clip count, or the reason."""
    out: dict[Key, Cell] = {}
    for row in rows:
        if row.get("class_key") or row["metric"] in SKIPPED_SET_METRICS:
            continue
        key = (row["model"], row["tier"], _label(row["metric"], row.get("embedding") or ""))
        value = row.get("value")
        if row.get("status") != "ok" or value is None or not math.isfinite(value):
            label = str(row.get("status") or "unavailable").replace("_", " ")
            out[key] = Cell(unavailable=row.get("reason") or "no value", label=label)
            continue
        out[key] = Cell(value=value, low=row.get("ci_low"), high=row.get("ci_high"),
                        n=row.get("n_gen"))  # fmt: skip
    return out


def clip_cells(
    trial_cells: dict[str, tuple[str, str]], trial_metrics: dict[str, dict[str, Any]]
) -> dict[Key, Cell]:
    """Per model × tier mean of each clip metric over clips with a number (95% normal
    interval); a metric with no number anywhere in the cell keeps its first reason."""
    values: dict[Key, list[float]] = defaultdict(list)
    reasons: dict[Key, Cell] = {}
    for trial_id, columns in trial_metrics.items():
        if trial_id not in trial_cells:
            continue
        model, tier = trial_cells[trial_id]
        for name, raw in columns.items():
            if is_card_column(name):
                continue
            cell = parse_cell(raw)
            if cell is None:
                continue
            key = (model, tier, name)
            if cell.value is not None:
                values[key].append(cell.value)
            elif cell.unavailable is not None and cell.label != "not rendered":
                reasons.setdefault(key, cell)
    out: dict[Key, Cell] = {}
    for key in sorted(set(values) | set(reasons)):
        got = values.get(key)
        out[key] = _mean_cell(got) if got else reasons[key]
    return out


def _mean_cell(values: list[float]) -> Cell:
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return Cell(value=mean, n=n)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = Z95 * sd / math.sqrt(n)
    return Cell(value=mean, low=mean - half, high=mean + half, n=n)


@dataclass
class Series:
    """Every plotted / compared number of a scored run, by (model, tier, metric)."""

    cells: dict[Key, Cell] = field(default_factory=dict)
    clip_means: set[str] = field(default_factory=set)  # metrics averaged here over clips

    def metrics(self) -> list[str]:
        names: list[str] = []
        for _, _, metric in self.cells:
            if metric not in names:
                names.append(metric)
        return names

    def plotted(self) -> list[str]:
        """Set metrics, and the clip metrics that measure quality."""
        return [
            m
            for m in self.metrics()
            if m not in self.clip_means or m.split("[", 1)[0] in QUALITY_CLIP_METRICS
        ]


def numeric_series(scores: Scores, trial_cells: dict[str, tuple[str, str]]) -> Series:
    """Set metrics as scoring computed them, then clip-metric means per model × tier."""
    series = Series(cells=set_cells(scores.set_rows))
    for key, cell in clip_cells(trial_cells, scores.trial_metrics).items():
        if key not in series.cells:
            series.cells[key] = cell
            series.clip_means.add(key[2])
    return series
