"""`run`, `resume`, `repair`, `show`: the commands that drive and read a run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from audioprobe import runner
from audioprobe.cli.common import (
    console,
    err_console,
    fail,
    holds_run,
    on_interrupt,
    safe,
    user_errors,
)
from audioprobe.cli.executor_options import ExecutorOption, RayAddressOption
from audioprobe.cli.score import summary_tables
from audioprobe.devices import parse_device
from audioprobe.executors import ExecutorChoice
from audioprobe.outcomes import INFRA_FAILURE_LIMIT, infra_failures, too_many_infra_failures
from audioprobe.runlock import hold_run
from audioprobe.shard import parse_shard
from audioprobe.spec import ModelSpec, load_spec, parse_model_arg
from audioprobe.store import RunStore, TrialKey
from audioprobe.summary import outcome_table

EXIT_INFRA = 3  # the run finished, but its infrastructure failed on too many trials


def _execute_with_progress(
    store: RunStore, todo: list[TrialKey], executor: ExecutorChoice
) -> Counter[str]:
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
            progress.update(task, advance=1, last=safe(f"{key.trial_id}: {record['status']}"))

        counts = runner.execute(store, todo, on_done, executor)
    return counts


def _finish(store: RunStore, counts: Counter[str]) -> None:
    """The closing lines; exit 3 when infrastructure failed too often for the run to count."""
    total = sum(counts.values())
    parts = ", ".join(f"{n} {status}" for status, n in counts.most_common())
    console.print(f"[bold]{total} trials[/]: {safe(parts)}")
    console.print(f"results in [cyan]{safe(store.root)}[/]  (audioprobe show {safe(store.root)})")
    if too_many_infra_failures(counts.elements()):
        failed, _ = infra_failures(counts.elements())
        raise fail(
            f"{failed} of {total} trials failed in the infrastructure (llm_error, sandbox_error),"
            f" over the {INFRA_FAILURE_LIMIT:.0%} a run may lose; fix the endpoint or sandbox,"
            f" then: audioprobe resume {store.root}",
            EXIT_INFRA,
        )


def with_device(model: ModelSpec, device: str) -> ModelSpec:
    parse_device(device)
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
    shard: Annotated[
        str | None,
        typer.Option(help="i/N: run only part i of N of the plan (join with audioprobe merge)"),
    ] = None,
    executor: ExecutorOption = "local",
    ray_address: RayAddressOption = None,
) -> None:
    """Run an experiment: ask each model for each item, run the code, check the audio."""
    part = parse_shard(shard) if shard is not None else None
    where = ExecutorChoice.parse(executor, ray_address)
    experiment, path = load_spec(spec)
    models = [parse_model_arg(m, experiment) for m in model] if model else experiment.models
    if device:
        models = [with_device(m, device) for m in models]
    plan = runner.plan_run(
        experiment, path, models, tier_filter=tier, limit=limit, out=out, shard=part
    )
    where.check(experiment.sandbox.limits)
    with hold_run(plan.root, "run", create=True):
        store = runner.create_run(plan)
        on_interrupt(f"finish the run with: audioprobe resume {store.root}")
        of_shard = f" (shard {part} of {plan.manifest['plan']['trials']})" if part else ""
        console.print(f"run [cyan]{safe(store.root)}[/]: {len(plan.keys)} trials{of_shard}")
        counts = _execute_with_progress(store, store.pending_keys(), where)
    _finish(store, counts)


@user_errors
@holds_run("resume")
def resume(
    run_dir: Annotated[Path, typer.Argument(help="a run folder")],
    keep_infra_failures: Annotated[
        bool,
        typer.Option(
            "--keep-infra-failures",
            help="do not retry trials that ended llm_error or sandbox_error",
        ),
    ] = False,
    executor: ExecutorOption = "local",
    ray_address: RayAddressOption = None,
) -> None:
    """Finish a run: unfinished trials and infrastructure failures are run again; finished
    trials are kept and answers already given are not re-asked."""
    where = ExecutorChoice.parse(executor, ray_address)
    store = open_run(run_dir)
    todo = store.pending_keys(retry_infra=not keep_infra_failures)
    _finish(store, _execute_with_progress(store, todo, where))


@user_errors
@holds_run("repair")
def repair(run_dir: Annotated[Path, typer.Argument(help="a run folder")]) -> None:
    """Rebuild the run's index (index.sqlite) from run.json and the trial folders."""
    store = open_run(run_dir)
    if store.rebuilt is None:
        store.rebuild_index()
    counts = Counter(t.status for t in store.trials())
    parts = ", ".join(f"{n} {status}" for status, n in counts.most_common())
    console.print(f"index rebuilt from the trial folders: {sum(counts.values())} trials: {parts}")


def _join(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def _outcome_rich_table(store: RunStore) -> Table:
    """The model's outcomes, and (only when there are any) the infrastructure's apart."""
    rows = outcome_table(store)
    with_infra = any(row["infrastructure"] for row in rows)
    caption = "ok % (ok/n): over the n trials the model answered"
    if with_infra:
        caption += "; infrastructure faults are not the model's: resume retries them"
    table = Table(
        title=f"{safe(store.manifest.get('run_id'))}: outcomes per model and tier", caption=caption
    )
    table.add_column("model", no_wrap=True)
    table.add_column("tier", no_wrap=True)
    table.add_column("trials", justify="right")
    table.add_column("ok % (ok/n)", justify="right", no_wrap=True)
    table.add_column("outcomes")
    if with_infra:
        table.add_column("infrastructure", style="yellow")
    for row in rows:
        cells = [
            safe(row["model"]),
            safe(row["tier"]),
            str(row["trials"]),
            str(row["ok_rate"]),
            safe(_join(row["model_outcomes"] | row["other"])),
        ]
        if with_infra:
            cells.append(safe(_join(row["infrastructure"])) or "-")
        table.add_row(*cells)
    return table


def open_run(run_dir: Path) -> RunStore:
    """The run, saying so on stderr when its index had to be rebuilt from the trial folders."""
    store = RunStore.open(run_dir)
    if store.rebuilt:
        err_console.print(
            f"note: {safe(store.rebuilt)}; rebuilt it from the trial folders",
            highlight=False,
            soft_wrap=True,
        )
    return store


@user_errors
def show(run_dir: Annotated[Path, typer.Argument(help="a run folder")]) -> None:
    """Summarise a run: outcomes per model and tier (and metrics once scored)."""
    store = open_run(run_dir)
    console.print(_outcome_rich_table(store))
    tables, notes = summary_tables(store)
    for table in tables:
        console.print(table)
    for i, note in enumerate(notes, 1):
        console.print(f"[dim]\\[{i}][/] {safe(note)}", highlight=False)
    if not tables:
        console.print(f"not scored yet: audioprobe score {safe(store.root)}")


def register(app: typer.Typer) -> None:
    for command in (run, resume, show, repair):
        app.command()(command)
