"""`audioprobe score RUN_DIR`: add metrics to a run (idempotent) and show the tier table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from audioprobe.cli.common import console, on_interrupt, safe, user_errors
from audioprobe.cli.executor_options import ExecutorOption, RayAddressOption
from audioprobe.executors import ExecutorChoice
from audioprobe.outcomes import Outcome
from audioprobe.results.measures import Measure, RunResults
from audioprobe.results.records import Status
from audioprobe.scoring.registry import describe
from audioprobe.store import RunStore


def summary_tables(store: RunStore) -> tuple[list[Table], list[str]]:
    """One table per tier (models as rows, render rate, then the metrics that apply), and the
    footnotes giving the reasons behind cells without a number, each reason once. A column
    unavailable for the same reason on every row is left out and named in a footnote, and so is
    a system none of whose trials of the tier could be answered."""
    from audioprobe.report.format import fmt_measure

    results = RunResults.of(store, describe)
    if not results.scored:
        return [], []
    notes: list[str] = []
    tables = []
    # reason -> tier -> columns unavailable for it on every row: one footnote per reason
    dropped_all: dict[str, dict[str, list[str]]] = {}
    # systems -> tiers none of whose trials they could answer (a speech baseline on notes)
    absent: dict[tuple[str, ...], list[str]] = {}
    for tier in dict.fromkeys(t for _, t in results.cells):
        cell_models = [m for m, t in results.cells if t == tier]
        models = [m for m in cell_models if not _none_answerable(results, m, tier)]
        if left_out := tuple(m for m in cell_models if m not in models):
            absent.setdefault(left_out, []).append(tier)
        cells: dict[tuple[str, str], Measure] = {}
        for model in models:
            for m in results.measures_of(model, tier):
                if m.in_summary:
                    cells[(model, m.heading)] = m
        columns: list[str] = []
        dropped: dict[str, list[str]] = {}  # reason -> columns unavailable for it on every row
        for heading in dict.fromkeys(h for _, h in cells):
            got = [cells.get((model, heading)) for model in models]
            reasons = {(m.status, m.reason) for m in got if m is not None}
            if len(reasons) == 1 and all(got):
                status, reason = next(iter(reasons))
                if status == Status.UNAVAILABLE and reason:
                    dropped.setdefault(reason, []).append(heading)
                    continue
            columns.append(heading)
        for why, dropped_columns in dropped.items():
            dropped_all.setdefault(why, {})[tier] = dropped_columns
        info = results.run.tiers.get(tier)
        level = info.level if info else None
        table = Table(title=f"tier {level}: {tier}" if level else tier, title_justify="left")
        for col in ("model", "render rate", *columns):
            table.add_column(safe(col), overflow="fold")
        for model in models:
            row = [model, str(results.rate(model, tier))]
            for heading in columns:
                cell = cells.get((model, heading))
                row.append("" if cell is None else _cell(cell, fmt_measure(cell), notes))
            table.add_row(*(safe(c) for c in row))
        tables.append(table)
    for why, by_tier in dropped_all.items():
        where = "; ".join(f"{tier}: {', '.join(cols)}" for tier, cols in by_tier.items())
        notes.append(f"{where} unavailable: {why}")
    for left_out, tiers in absent.items():
        notes.append(
            f"{', '.join(tiers)}: no row for {', '.join(left_out)}: every trial unavailable"
            " (a system that does not answer the tier)"
        )
    return tables, notes


def _none_answerable(results: RunResults, model: str, tier: str) -> bool:
    """Whether every trial of `model` on `tier` ended `unavailable`: a row of "not
    applicable" cells would only hide which columns are unavailable for everyone else."""
    statuses = {t.status for t in results.trials if (t.model, t.tier) == (model, tier)}
    return statuses == {Outcome.UNAVAILABLE}


def _cell(m: Measure, text: str, notes: list[str]) -> str:
    """The cell's text, with the number of the footnote giving the reason it has no number."""
    if m.status == Status.OK or not m.reason:
        return text
    if m.reason not in notes:
        notes.append(m.reason)
    return f"{text} [{notes.index(m.reason) + 1}]"


def print_summary(store: RunStore) -> bool:
    """Print the tier tables and their footnotes; False when the run is not scored."""
    tables, notes = summary_tables(store)
    for table in tables:
        console.print(table)
    for i, note in enumerate(notes, 1):
        console.print(f"[dim]\\[{i}][/] {safe(note)}", highlight=False)
    return bool(tables)


def print_claim(store: RunStore) -> None:
    """Per model, whether the tier-comparable measures fall from tier to tier (the study's
    claim), each step with its interval; nothing when no model has two tiers to compare."""
    from audioprobe.compare import claim_text
    from audioprobe.results.paired import claim_steps

    text = claim_text(claim_steps(RunResults.of(store, describe)))
    if text:
        console.print(safe(text), highlight=False, soft_wrap=True)


@user_errors
def score(
    run_dir: Annotated[Path, typer.Argument(help="a run folder")],
    metrics: Annotated[
        list[str] | None,
        typer.Option(
            "--metrics",
            "-m",
            help="registered metric names (repeatable or comma-separated); default: the"
            " experiment's list, else every registered metric (docs/scoring.md)",
        ),
    ] = None,
    device: Annotated[
        str, typer.Option(help="cpu, cuda, cuda:N or auto (a GPU when torch sees one)")
    ] = "cpu",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress lines")] = False,
    executor: ExecutorOption = "local",
    ray_address: RayAddressOption = None,
) -> None:
    """Add metrics to a run: pitch, WER, CLAP, FAD/KAD against references. Safe to re-run."""
    from audioprobe import api

    where = ExecutorChoice.parse(executor, ray_address)
    chosen = [m.strip() for arg in metrics or [] for m in arg.split(",") if m.strip()] or None

    def progress(message: str) -> None:
        if not quiet:
            console.print(f"[dim]{safe(message)}[/]", highlight=False)

    on_interrupt(f"run `audioprobe score {run_dir}` to continue")
    run = api.score(run_dir, chosen, device=device, executor=where, progress=progress)
    store, report = run.store, run.score_report
    assert report is not None
    console.print(
        f"scored: {report.clip_values} clip values computed, {report.clip_skipped} kept from"
        f" before, {report.set_values} set values; embeddings {report.cache_hits} cached,"
        f" {report.cache_misses} computed; cards in {store.root / 'cards.json'}"
    )
    for note in report.notes:
        console.print(f"[yellow]{safe(note)}[/]")
    print_summary(store)
    print_claim(store)


def register(app: typer.Typer) -> None:
    app.command(
        epilog="\b\nExamples:\n  audioprobe score runs/smoke\n"
        "  audioprobe score runs/smoke --metrics duration,pitch --device auto"
    )(score)
