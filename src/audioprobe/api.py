"""The Python API: what the command line does, as functions a notebook can call.

Every function works inside a running event loop (a Jupyter cell): the synchronous ones run
their coroutine on a worker thread there (audioprobe.loops), and the `*_async` ones are plain
coroutines to await. The command line is a shell over these functions, so a run made from
Python and one made from the shell are the same run. See docs/api.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from audioprobe import runner
from audioprobe.devices import parse_device, resolve_device
from audioprobe.errors import AudioprobeError
from audioprobe.executors import ExecutorChoice, open_embedder
from audioprobe.loops import run_coroutine
from audioprobe.model_kinds import model_kind
from audioprobe.output_path import check_output
from audioprobe.progress import (
    Display,
    RunProgress,
    default_console,
    display_for,
    usage_table,
    without_widget_warnings,
)
from audioprobe.results.export import Table as TableName
from audioprobe.results.export import arrow_table, table
from audioprobe.results.measures import RunResults
from audioprobe.results.run import Run as RunRecord
from audioprobe.runlock import hold_run
from audioprobe.safetext import printable
from audioprobe.scoring.registry import describe
from audioprobe.shard import Shard, parse_shard
from audioprobe.spec import ExperimentSpec, ModelSpec, Overrides, load_spec, parse_model_arg
from audioprobe.store import RunStore, TrialKey

if TYPE_CHECKING:
    import pandas as pd

    from audioprobe.scoring.run import ScoreReport

SpecArg = str | Path | ExperimentSpec
ModelArg = str | ModelSpec
FROM_PYTHON = "(given from Python)"


class Run(RunRecord):
    """A run folder as the API hands it out: the typed record (audioprobe.results.run.Run:
    spec, models, items, trials) with its export tables as DataFrames. The conveniences live
    here, above results/, so the results layer never reaches up to exports or scoring."""

    #: What the `audioprobe.score` call that returned this Run did (None otherwise).
    score_report: ScoreReport | None = None

    def trials_df(self) -> pd.DataFrame:
        """`export --table trials` as a DataFrame: one row per trial, metric columns float64."""
        return self._frame("trials")

    def sets_df(self) -> pd.DataFrame:
        """`export --table sets` as a DataFrame: one row per set metric value."""
        return self._frame("sets")

    def _frame(self, name: TableName) -> pd.DataFrame:
        # Read afresh each time: scoring the run adds columns to an open Run.
        schema, rows = table(RunResults.of(self.store, describe), name)
        return arrow_table(schema, rows).to_pandas()


def with_device(model: ModelSpec, device: str) -> ModelSpec:
    """The model with a baseline's device set (language models run where their server runs)."""
    parse_device(device)
    if model_kind(model.kind).writes_code:
        return model
    return model.model_copy(update={"extra": {**model.extra, "device": device}})


def prepare(
    spec: SpecArg,
    *,
    models: Sequence[ModelArg] | None = None,
    tiers: Sequence[str] | None = None,
    limit: int | None = None,
    out: str | Path | None = None,
    samples: int | None = None,
    seed: int | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    device: str | None = None,
    shard: str | Shard | None = None,
    dry_run: bool = False,
    language: str | None = None,
) -> runner.RunPlan:
    """A checked run that is not started: nothing is asked and no folder is written.

    `spec` is a TOML path, the name of a shipped experiment ("smoke", "quick") or an
    ExperimentSpec. `models` are the spec's model names, `KIND:VALUE` strings
    (`replay:answers.jsonl`, `local:qwen2.5-coder-1.5b`) or ModelSpec objects; default: the
    spec's models. `samples`, `seed`, `temperature` and `max_tokens` replace the spec's values
    for this run and are recorded in run.json, as is `language` (the language every language
    model answers in, over a model's, a tier's or the spec's own). `shard` ("i/N" or a Shard)
    keeps only part i of N of the plan, for a job array (join the parts with `audioprobe merge`).
    `prepare(...).prompts()` shows what will be asked. With `dry_run`, weights or a sandbox
    that a real run would need are listed in the plan's `needs` instead of raising.
    """
    if isinstance(spec, ExperimentSpec):
        experiment, path = spec, Path(FROM_PYTHON)
    else:
        experiment, path = load_spec(spec)
    chosen = [
        m if isinstance(m, ModelSpec) else parse_model_arg(m, experiment) for m in models or []
    ] or list(experiment.models)
    if device:
        chosen = [with_device(m, device) for m in chosen]
    overrides = Overrides(samples, seed, temperature, max_tokens, language)
    return runner.plan_run(
        experiment,
        path,
        chosen,
        tier_filter=list(tiers) if tiers else None,
        limit=limit,
        out=Path(out) if out is not None else None,
        overrides=overrides,
        shard=parse_shard(shard) if isinstance(shard, str) else shard,
        dry_run=dry_run,
    )


async def run_plan_async(
    planned: runner.RunPlan,
    *,
    executor: ExecutorChoice | None = None,
    progress: bool = True,
    console: Console | None = None,
) -> Run:
    """Write the planned run's folder and run its trials with `executor` (default: this
    machine; `ExecutorChoice("ray", "HOST:PORT")` for a Ray cluster); the finished Run."""
    executor = executor or ExecutorChoice()
    # an unreachable cluster, or one no node of which fits a sandbox run, stops before the folder
    executor.check(planned.spec.sandbox.limits)
    console = console or default_console()
    display = display_for(console) if progress else None
    for note in planned.notes:
        console.print(f"note: {printable(note)}", markup=False, highlight=False, soft_wrap=True)
    # a model that cannot answer, or a folder that cannot be made, stops before the first trial
    runner.preflight(planned.models)
    check_output(planned.root, folder=True)
    with hold_run(planned.root, "run", create=True):
        store = runner.create_run(planned)
        await _execute(store, store.pending_keys(), executor, display, console)
    return Run(store)


def run_plan(
    planned: runner.RunPlan,
    *,
    executor: ExecutorChoice | None = None,
    progress: bool = True,
    console: Console | None = None,
) -> Run:
    """`run_plan_async` from synchronous code (a script, or a notebook cell)."""
    return run_coroutine(
        run_plan_async(planned, executor=executor, progress=progress, console=console)
    )


async def run_async(
    spec: SpecArg,
    *,
    models: Sequence[ModelArg] | None = None,
    tiers: Sequence[str] | None = None,
    limit: int | None = None,
    out: str | Path | None = None,
    samples: int | None = None,
    seed: int | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    device: str | None = None,
    shard: str | Shard | None = None,
    executor: ExecutorChoice | None = None,
    progress: bool = True,
) -> Run:
    """Run an experiment on the running event loop (`await audioprobe.run_async(...)`).

    Arguments as for `prepare`, and `executor` as for `run_plan`; `progress` shows bars on a
    terminal or in Jupyter and a line every $AUDIOPROBE_PROGRESS_EVERY seconds (default 30)
    elsewhere. Returns the finished Run.
    Errors a user can fix raise AudioprobeError with the fix in the message; a trial that fails
    is not an error but an outcome in the Run.
    """
    planned = prepare(
        spec,
        models=models,
        tiers=tiers,
        limit=limit,
        out=out,
        samples=samples,
        seed=seed,
        temperature=temperature,
        max_tokens=max_tokens,
        device=device,
        shard=shard,
    )
    return await run_plan_async(planned, executor=executor, progress=progress)


def run(
    spec: SpecArg,
    *,
    models: Sequence[ModelArg] | None = None,
    tiers: Sequence[str] | None = None,
    limit: int | None = None,
    out: str | Path | None = None,
    samples: int | None = None,
    seed: int | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    device: str | None = None,
    shard: str | Shard | None = None,
    executor: ExecutorChoice | None = None,
    progress: bool = True,
) -> Run:
    """Run an experiment and return the finished Run (see `run_async` for the arguments).

    Inside a running event loop (Jupyter) the run gets its own loop on a worker thread, so this
    works in a notebook cell as in a script.
    """
    return run_coroutine(
        run_async(
            spec,
            models=models,
            tiers=tiers,
            limit=limit,
            out=out,
            samples=samples,
            seed=seed,
            temperature=temperature,
            max_tokens=max_tokens,
            device=device,
            shard=shard,
            executor=executor,
            progress=progress,
        )
    )


async def resume_async(
    path: str | Path,
    *,
    retry_infra: bool = True,
    executor: ExecutorChoice | None = None,
    progress: bool = True,
    console: Console | None = None,
) -> Run:
    """Finish a run on the running event loop: unfinished trials, and unless `retry_infra` is
    False those that ended in an infrastructure fault, run again (with `executor`, as for
    `run_plan`); answers given are not re-asked."""
    root = Path(path)
    console = console or default_console()
    display = display_for(console) if progress else None
    with hold_run(root, "resume"):
        store = open_store(root)
        store.check_manifest()  # a bad value in run.json stops here, named
        todo = store.pending_keys(retry_infra=retry_infra)
        asked = {k.model for k in todo}
        runner.preflight([m for m in runner.run_models(store) if m.name in asked])
        await _execute(store, todo, executor or ExecutorChoice(), display, console)
    return Run(store)


def resume(
    path: str | Path,
    *,
    retry_infra: bool = True,
    executor: ExecutorChoice | None = None,
    progress: bool = True,
    console: Console | None = None,
) -> Run:
    """`resume_async` from synchronous code (a script, or a notebook cell)."""
    return run_coroutine(
        resume_async(
            path, retry_infra=retry_infra, executor=executor, progress=progress, console=console
        )
    )


def score(
    path: str | Path,
    metrics: Sequence[str] | None = None,
    *,
    device: str = "cpu",
    executor: ExecutorChoice | None = None,
    progress: Callable[[str], None] | bool = True,
) -> Run:
    """Add metrics to a run (idempotent: values already computed are kept) and return it.

    `metrics` are registered metric names (docs/scoring.md); default: the experiment's list,
    else every registered metric. `device` is cpu, cuda, cuda:N or auto (a GPU when torch sees
    one), for embedding models; with a Ray `executor` the embedding batches run as tasks on the
    cluster's nodes, on `device` there. `progress` receives one message per step (default True:
    each is printed as a line, plain text in a notebook; False: silent). What was done is in the
    returned Run's `score_report`.
    """
    from audioprobe.scoring import score_run

    root = Path(path)
    say = _step_printer() if progress is True else progress or None
    device = resolve_device(device)  # a GPU that is not there fails before any work
    embedder = open_embedder(executor or ExecutorChoice(), device)
    with hold_run(root, "score"), without_widget_warnings():
        store = open_store(root)
        report: ScoreReport = score_run(
            store,
            list(metrics) if metrics else None,
            device=device,
            progress=say,
            embedder=embedder,
        )
    run_ = Run(store)
    run_.score_report = report
    return run_


def _step_printer() -> Callable[[str], None]:
    console = default_console()

    def say(message: str) -> None:
        console.print(printable(message), markup=False, highlight=False, soft_wrap=True)

    return say


def open_run(path: str | Path) -> Run:
    """A run folder as a Run: its spec (`experiment`), `models`, `items(tier)`, `trials()` and
    the `trials_df()` / `sets_df()` tables as pandas DataFrames."""
    return Run(open_store(Path(path)))


def open_store(root: Path) -> RunStore:
    """The run's store, saying on stderr when its index had to be rebuilt from the trial
    folders (the run is intact; the note explains why opening took longer)."""
    if root.is_dir() and not (root / "run.json").exists() and _holds_runs(root):
        raise AudioprobeError(
            f"{root} is not a run but a folder of runs; list them with: audioprobe runs {root}"
        )
    store = RunStore.open(root)
    if store.rebuilt:
        default_console(stderr=True).print(
            f"note: {printable(store.rebuilt)}; rebuilt it from the trial folders",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    return store


def _holds_runs(folder: Path) -> bool:
    """Whether a run lies one or two levels below `folder` (a user gave `show runs`)."""
    return any(folder.glob("*/run.json")) or any(folder.glob("*/*/run.json"))


async def _execute(
    store: RunStore,
    todo: list[TrialKey],
    executor: ExecutorChoice,
    display: Display | None,
    console: Console,
) -> Counter[str]:
    """Run `todo` with the progress display, then print the tokens each model used."""
    if display is None:
        return await runner.execute_async(store, todo, executor=executor)
    display.start(RunProgress(store, todo))
    try:
        counts = await runner.execute_async(store, todo, display.done, executor)
    finally:
        display.close()
    table = usage_table(store)
    if table is not None:
        console.print(table)
    return counts
