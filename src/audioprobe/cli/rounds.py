"""The by-round tables of `show`: render rate and task success per feedback round, the gain
from round 0 and the share repaired, then pass@k over samples (results/rounds.py)."""

from __future__ import annotations

from rich.table import Table

from audioprobe.cli.common import safe
from audioprobe.feedback.success import criterion_of
from audioprobe.results.rounds import RoundCurve, has_feedback, round_curves
from audioprobe.results.verdicts import Verdicts
from audioprobe.store import TrialRecord
from audioprobe.tiers import tier_rank


def _points(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:+.0f} pts"


def _repaired(c: RoundCurve) -> str:
    """The share repaired, or why there is none (no trial failed its task at round 0)."""
    return str(c.repaired) if c.repaired.denominator else "none to repair"


def rounds_table(curves: list[RoundCurve]) -> Table:
    most = max(c.rounds for c in curves)
    table = Table(
        title="render rate and task success by round",
        title_justify="left",
        caption="a trial that stopped early keeps its last round's result; task success: "
        + "; ".join(
            f"{tier}: {criterion_of(tier)}"
            for tier in sorted({c.tier for c in curves}, key=tier_rank)
        ),
    )
    for col in ("model", "tier", "measure", *(f"round {r}" for r in range(most)), "gain"):
        table.add_column(col, no_wrap=col in ("model", "tier"), justify="left")
    table.add_column("repaired", justify="right")
    for c in curves:
        for what in ("render", "task success"):
            cells = [str(p.rendered if what == "render" else p.success) for p in c.points] + [
                ""
            ] * (most - len(c.points))
            repaired = _repaired(c) if what == "task success" else ""
            table.add_row(
                safe(c.model), safe(c.tier), what, *cells, _points(c.gain(what)), repaired
            )
    return table


def pass_at_k_table(curves: list[RoundCurve]) -> Table:
    ks = sorted({p.k for c in curves for p in c.pass_at})
    table = Table(
        title="pass@k over samples (unbiased estimator, mean over items)",
        title_justify="left",
    )
    for col in ("model", "tier", "of", *(f"pass@{k}" for k in ks)):
        table.add_column(col, no_wrap=True)
    for c in curves:
        for what in ("task success", "render"):
            got = {p.k: p for p in c.pass_at if p.what == what}
            cells = [
                "" if k not in got else "n/a" if got[k].value is None else f"{got[k].value:.2f}"
                for k in ks
            ]
            table.add_row(safe(c.model), safe(c.tier), what, *cells)
    return table


def round_tables(
    trials: list[TrialRecord], samples: int, verdicts: Verdicts | None = None
) -> list[Table]:
    """The by-round table for a run with feedback, pass@k when it has feedback or samples;
    `verdicts`: the scored task success (results/verdicts.py)."""
    curves = round_curves(trials, verdicts)
    if not curves:
        return []
    tables = [rounds_table(curves)] if has_feedback(trials) else []
    if tables or samples > 1:
        tables.append(pass_at_k_table(curves))
    return tables
