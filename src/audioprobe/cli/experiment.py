"""`run`, `resume`, `show`: the commands that drive and read a run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from audioprobe import runner
from audioprobe.cli.common import console, user_errors
from audioprobe.cli.score import summary_tables
from audioprobe.errors import AudioprobeError
from audioprobe.spec import ModelSpec, load_spec, parse_model_arg
from audioprobe.store import RunStore, TrialKey
from audioprobe.summary import outcome_table


def _execute_with_progress(store: RunStore) -> Counter[str]:
    todo = store.pending_keys()
    total = store.count()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(store.root.name, total=total, completed=total - len(todo), last="")

        def on_done(key: TrialKey, record: dict[str, Any]) -> None:
            progress.update(task, advance=1, last=f"{key.trial_id}: {record['status']}")

        counts = runner.execute(store, todo, on_done)
    return counts


def _finish_message(store: RunStore, counts: Counter[str]) -> None:
    total = sum(counts.values())
    parts = ", ".join(f"{n} {status}" for status, n in counts.most_common())
    console.print(f"[bold]{total} trials[/]: {parts}")
    console.print(f"results in [cyan]{store.root}[/]  (audioprobe show {store.root})")


def with_device(model: ModelSpec, device: str) -> ModelSpec:
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise AudioprobeError(f"--device {device!r}: expected cpu, cuda or cuda:N")
    if model.kind != "baseline":
        return model
    return model.model_copy(update={"extra": {**model.extra, "device": device}})


@user_errors
def run(
    spec: Annotated[str, typer.Argument(help="experiment TOML, or the name of a shipped one")],
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="a spec model's name or KIND:VALUE; repeatable"),
    ] = None,
    tier: Annotated[list[str] | None, typer.Option("--tier", "-t", help="repeatable")] = None,
    limit: Annotated[int | None, typer.Option(help="first N items of each tier")] = None,
    out: Annotated[Path | None, typer.Option(help="run folder (default: a new one)")] = None,
    device: Annotated[
        str | None, typer.Option(help="cpu or cuda, for baselines (neural generators)")
    ] = None,
) -> None:
    """Run an experiment: ask each model for each item, run the code, check the audio."""
    experiment, path = load_spec(spec)
    models = [parse_model_arg(m, experiment) for m in model] if model else experiment.models
    if device:
        models = [with_device(m, device) for m in models]
    runner.sandbox_for(experiment, models)  # fail before creating the run folder
    store, keys = runner.create_run(
        experiment, path, models, tier_filter=tier, limit=limit, out=out
    )
    console.print(f"run [cyan]{store.root}[/]: {len(keys)} trials")
    _finish_message(store, _execute_with_progress(store))


@user_errors
def resume(run_dir: Annotated[Path, typer.Argument(help="a run folder")]) -> None:
    """Finish a run that was interrupted; finished trials are kept, answers are not re-asked."""
    store = RunStore.open(run_dir)
    _finish_message(store, _execute_with_progress(store))


def _outcome_rich_table(store: RunStore) -> Table:
    table = Table(title=f"{store.manifest.get('run_id')}: outcomes per model and tier")
    for col in ("model", "tier", "trials", "ok %", "outcomes"):
        table.add_column(col, justify="right" if col in ("trials", "ok %") else "left")
    for row in outcome_table(store):
        outcomes = ", ".join(f"{k} {v}" for k, v in row["outcomes"].items())
        table.add_row(
            row["model"], row["tier"], str(row["trials"]), f"{row['ok_pct']:.0f}", outcomes
        )
    return table


@user_errors
def show(run_dir: Annotated[Path, typer.Argument(help="a run folder")]) -> None:
    """Summarise a run: outcomes per model and tier (and metrics once scored)."""
    store = RunStore.open(run_dir)
    console.print(_outcome_rich_table(store))
    tables, notes = summary_tables(store)
    for table in tables:
        console.print(table)
    for i, note in enumerate(notes, 1):
        console.print(f"[dim]\\[{i}][/] {escape(note)}", highlight=False)
    if not tables:
        console.print(f"not scored yet: audioprobe score {store.root}")


def register(app: typer.Typer) -> None:
    for command in (run, resume, show):
        app.command()(command)
