"""Overview plots: the tier-comparable measures per tier, one line per model, with intervals.

Tiers run left to right in rising complexity (notes → environmental → speech), so the study's
"worse as complexity rises" reads as task success falling and normalised FAD rising to the
right. Only task success and normalised FAD are drawn across tiers: they mean the same in every
tier (docs/science.md); raw FAD, KAD, CLAP and the clip measures do not, and stay in each tier's
table. A plot with a single point is not drawn. Unavailable cells are left out of a line, never
drawn as zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from audioprobe.report.cell import Cell, direction_words
from audioprobe.report.gather import OverviewRow
from audioprobe.report.scores import Series
from audioprobe.results.measures import tier_rank


@dataclass(frozen=True)
class Plot:
    metric: str
    title: str
    file: str  # relative to the report folder
    missing: list[str]  # "model/tier: reason" for cells that could not be drawn


def _series(
    rows: list[OverviewRow], series: Series, metric: str, tiers: list[str]
) -> tuple[dict[str, list[Cell | None]], list[str]]:
    by_model: dict[str, list[Cell | None]] = {}
    missing: list[str] = []
    for row in rows:
        cell = series.cells.get((row.model, row.tier, metric))
        line = by_model.setdefault(row.model, [None] * len(tiers))
        if cell is not None and cell.numeric:
            line[tiers.index(row.tier)] = cell
        elif cell is not None and cell.unavailable is not None:
            why = cell.unavailable if len(cell.unavailable) <= 90 else cell.unavailable[:89] + "…"
            missing.append(f"{row.model}/{row.tier}: {cell.label}" + (f" ({why})" if why else ""))
    return by_model, missing


def _draw(
    metric: str,
    title: str,
    ylabel: str,
    rows: list[OverviewRow],
    series: Series,
    tiers: list[str],
    path: Path,
) -> list[str] | None:
    by_model, missing = _series(rows, series, metric, tiers)
    if sum(c is not None for line in by_model.values() for c in line) < 2:
        return None  # one point on an axis says nothing a table does not
    fig, ax = plt.subplots(figsize=(4.6, 3.1), dpi=110)
    models = sorted(by_model)
    width = 0.08 if len(models) > 1 else 0.0
    for k, model in enumerate(models):
        offset = (k - (len(models) - 1) / 2) * width
        xs, ys, err_lo, err_hi = [], [], [], []
        for x, cell in enumerate(by_model[model]):
            if cell is None or cell.value is None:
                continue
            xs.append(x + offset)
            ys.append(cell.value)
            low = cell.low if cell.low is not None else cell.value
            high = cell.high if cell.high is not None else cell.value
            err_lo.append(max(0.0, cell.value - low))
            err_hi.append(max(0.0, high - cell.value))
        ax.errorbar(
            xs, ys, yerr=[err_lo, err_hi], marker="o", capsize=3, linewidth=1.6, label=model
        )
    ax.set_xticks(range(len(tiers)), tiers)
    ax.set_xlim(-0.5, len(tiers) - 0.5)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    if len(models) > 1:
        ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return missing


def overview_plots(rows: list[OverviewRow], series: Series, folder: Path) -> list[Plot]:
    """Write one PNG per tier-comparable measure under `folder/img/`; measures with fewer than
    two points are skipped."""
    tiers = sorted({r.tier for r in rows}, key=tier_rank)
    plots = []
    # (metric, caption under the image, title inside it: short enough for the figure's width)
    specs = []
    for metric in series.plotted():
        if metric not in series.comparable:
            continue
        hint = next(
            (direction_words(c.direction) for (_, _, k), c in series.cells.items()
             if k == metric and c.direction),
            None,
        )  # fmt: skip
        notes = ", ".join(x for x in (hint, "95% bootstrap interval") if x)
        caption = f"{metric} ({notes})" if notes else metric
        specs.append((metric, caption, f"{metric} ({hint})" if hint else metric))
    for k, (metric, caption, title) in enumerate(specs):
        file = f"img/plot-{k:02d}.png"
        missing = _draw(metric, title, metric, rows, series, tiers, folder / file)
        if missing is not None:
            plots.append(Plot(metric=metric, title=caption, file=file, missing=missing))
    return plots
