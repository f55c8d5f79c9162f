"""The report's section on feedback rounds and techniques.

Per tier, a small curve of render rate and task success by round (one line per model and
measure), the pass@k table, and per model × tier the technique families its scripts used
(techniques.py) with how the scripts using each fared. The numbers are those `show` prints
(results/rounds.py), drawn here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from audioprobe.feedback.success import criterion_of
from audioprobe.results.measures import tier_rank
from audioprobe.results.rounds import RoundCurve, has_feedback, round_curves
from audioprobe.results.verdicts import Verdicts
from audioprobe.store import TrialRecord
from audioprobe.techniques import TechniqueRow, load_rules, technique_summary


@dataclass(frozen=True)
class RoundPlot:
    tier: str
    file: str  # relative to the report folder
    rule: str


@dataclass(frozen=True)
class RoundsSection:
    feedback: bool
    curves: list[RoundCurve]
    plots: list[RoundPlot]
    ks: list[int]
    techniques: list[TechniqueRow]
    families: dict[str, str]  # name: description, for the table's legend


def _draw(tier: str, curves: list[RoundCurve], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(4.2, 2.8), dpi=110)
    for c in curves:
        xs = [p.round for p in c.points]
        for what, style in (("render", "--"), ("task success", "-")):
            rates = [p.rendered if what == "render" else p.success for p in c.points]
            ys = [math.nan if r.value is None else 100 * r.value for r in rates]  # a gap
            ax.plot(xs, ys, style, marker="o", linewidth=1.5, label=f"{c.model}: {what}")
    most = max(c.rounds for c in curves)
    ax.set_xticks(range(most))
    ax.set_xlim(-0.3, most - 0.7)
    ax.set_ylim(-3, 103)
    ax.set_xlabel("round", fontsize=9)
    ax.set_ylabel("% of trials", fontsize=9)
    ax.set_title(f"{tier}: by round", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=6, frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def rounds_section(
    trials: list[TrialRecord], folder: Path, verdicts: Verdicts | None = None
) -> RoundsSection:
    """Gather the section and draw its curves under folder/img/rounds-<tier>.png; `verdicts`
    are the scored task success (results/verdicts.py)."""
    curves = round_curves(trials, verdicts)
    feedback = has_feedback(trials)
    plots = []
    if feedback:
        for tier in sorted({c.tier for c in curves}, key=tier_rank):
            file = f"img/rounds-{tier}.png"
            _draw(tier, [c for c in curves if c.tier == tier], folder / file)
            plots.append(RoundPlot(tier, file, criterion_of(tier)))
    ks = sorted({p.k for c in curves for p in c.pass_at})
    families = {f.name: f.description for f in load_rules().family}
    return RoundsSection(feedback, curves, plots, ks, technique_summary(trials, verdicts), families)
