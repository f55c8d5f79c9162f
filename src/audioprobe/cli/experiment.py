"""`run`, `resume`, `repair`, `show`: the commands that drive and read a run."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from audioprobe import api
from audioprobe.api import open_store
from audioprobe.cli.common import console, fail, holds_run, on_interrupt, safe, user_errors
from audioprobe.cli.executor_options import ExecutorOption, RayAddressOption
from audioprobe.cli.rounds import round_tables
from audioprobe.cli.score import summary_tables
from audioprobe.executors import ExecutorChoice
from audioprobe.outcomes import (
    INFRA_FAILURE_LIMIT,
    INFRA_OUTCOMES,
    infra_failures,
    too_many_infra_failures,
)
from audioprobe.results.coverage import stale_note
from audioprobe.results.run import Run
from audioprobe.results.tables import set_values
from audioprobe.results.verdicts import scored_verdicts
from audioprobe.runner import RunPlan
from audioprobe.scoring.registry import describe
from audioprobe.shard import Shard
from audioprobe.store import RunStore
from audioprobe.summary import outcome_table

_RETRY_TAIL = re.compile(r" \(after \d+ attempt\(s\)[^()]*\)$")
EXIT_INFRA = 3  # the run finished, but its infrastructure failed on too many trials


def _finish(run: Run) -> None:
    """The closing lines; exit 3 when infrastructure failed too often for the run to count."""
    counts = run.outcomes()
    total = sum(counts.values())
    parts = ", ".join(f"{n} {status}" for status, n in counts.most_common())
    console.print(f"[bold]{total} trials[/]: {safe(parts)}")
    console.print(f"results in [cyan]{safe(run.root)}[/]  (audioprobe show {safe(run.root)})")
    if too_many_infra_failures(counts.elements()):
        failed, _ = infra_failures(counts.elements())
        raise fail(
            f"{failed} of {total} trials failed in the infrastructure (llm_error, sandbox_error),"
            f" over the {INFRA_FAILURE_LIMIT:.0%} a run may lose; {_commonest_fault(run)};"
            f" fix it, then: audioprobe resume {run.root}",
            EXIT_INFRA,
        )


def _commonest_fault(run: Run) -> str:
    """The infrastructure error most trials ended with, as the line to act on (the retry tail,
    "(after 2 attempt(s) in 0.7s)", differs per trial and is left out)."""
    errors = Counter(
        (t.status, _RETRY_TAIL.sub("", t.error or "no reason recorded"))
        for t in run.trials()
        if t.status in INFRA_OUTCOMES
    )
    (status, error), n = errors.most_common(1)[0]
    return f"most often ({n}x, {status}): {error}"


@user_errors
def run(
    spec: Annotated[str, typer.Argument(help="experiment TOML, or the name of a shipped one")],
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model", "-m", metavar="MODEL", help="a spec model's name or KIND:VALUE; repeatable"
        ),
    ] = None,
    tier: Annotated[
        list[str] | None, typer.Option("--tier", "-t", metavar="TIER", help="repeatable")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="first N items of each tier")] = None,
    out: Annotated[Path | None, typer.Option(help="run folder (default: a new one)")] = None,
    samples: Annotated[int | None, typer.Option(help="samples per item and model")] = None,
    seed: Annotated[int | None, typer.Option(help="the run's seed")] = None,
    temperature: Annotated[
        float | None, typer.Option(help="sampling temperature of every language model")
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option(help="answer length cap of every language model")
    ] = None,
    device: Annotated[
        str | None, typer.Option(help="cpu or cuda, for baselines (neural generators)")
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="print the plan and prompts; ask nothing, write nothing"),
    ] = False,
    shard: Annotated[
        str | None,
        typer.Option(help="i/N: run only part i of N of the plan (join with audioprobe merge)"),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option(help="the language every language model answers in: python, csound, ..."),
    ] = None,
    executor: ExecutorOption = "local",
    ray_address: RayAddressOption = None,
) -> None:
    """Run an experiment: ask each model for each item, run the code, check the audio.

    --samples, --seed, --temperature, --max-tokens and --language replace the spec's values for
    this run; run.json records them under "overrides"."""
    where = ExecutorChoice.parse(executor, ray_address)
    planned = api.prepare(
        spec,
        models=model,
        tiers=tier,
        limit=limit,
        out=out,
        samples=samples,
        seed=seed,
        temperature=temperature,
        max_tokens=max_tokens,
        device=device,
        shard=shard,
        dry_run=dry_run,
        language=language,
    )
    if dry_run:
        print_plan(planned)
        return
    on_interrupt(f"finish the run with: audioprobe resume {planned.root}")
    part = Shard.from_manifest(planned.manifest)
    planned_trials = planned.manifest.plan.trials if planned.manifest.plan else None
    of_shard = f" (shard {part} of {planned_trials})" if part else ""
    console.print(f"run [cyan]{safe(planned.root)}[/]: {len(planned.keys)} trials{of_shard}")
    _finish(api.run_plan(planned, executor=where, console=console))


def print_plan(planned: RunPlan) -> None:
    """What `run` would do: the models with their settings, the trials, each prompt."""
    console.print(f"[bold]dry run[/]: nothing is asked and {safe(planned.root)} is not written")
    table = Table(title=f"{len(planned.keys)} trials", title_justify="left")
    for col in ("model", "kind", "model id / file", "temperature", "max_tokens", "concurrency"):
        table.add_column(col, no_wrap=col != "model id / file")
    for m in planned.models:
        table.add_row(
            *(
                safe(getattr(m, k))
                for k in ("name", "kind", "model", "temperature", "max_tokens", "concurrency")
            )
        )
    console.print(table)
    for name, why in planned.needs.items():
        console.print(f"[yellow]a real run still needs[/], for {safe(name)}: {safe(why)}")
    samples = planned.spec.samples
    for tier, ids in planned.manifest.item_ids().items():
        listed = ", ".join(ids)
        console.print(f"{safe(tier)}: {len(ids)} item(s) × {samples} sample(s): {safe(listed)}")
    for note in planned.notes:
        console.print(f"[yellow]note:[/] {safe(note)}", highlight=False, soft_wrap=True)
    if planned.manifest.overrides:
        given = ", ".join(f"{k} = {v}" for k, v in planned.manifest.overrides.items())
        console.print(f"overrides: {safe(given)}")
    feedback = planned.spec.feedback
    if feedback:
        until = ", or until the task succeeds" if feedback.stop_on_success else ""
        console.print(
            f"feedback: up to {feedback.rounds} answers per trial{until}; only the first"
            " prompt of each is shown below (the later ones are written from each round's result)"
        )
    if all(m.kind == "baseline" for m in planned.models):
        return
    prompts = planned.prompts()
    systems = {p.system for _, _, p in prompts}
    if len(systems) == 1:
        console.rule("system prompt")
        console.print(safe(systems.pop()), highlight=False, soft_wrap=True)
    for tier, item, prompt in prompts:
        console.rule(f"{safe(tier)}/{safe(item.id)}")
        if len(systems) > 1:
            console.print(safe(prompt.system), highlight=False, soft_wrap=True)
        console.print(safe(prompt.user), highlight=False, soft_wrap=True)


@user_errors
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
    on_interrupt(f"run `audioprobe resume {run_dir}` to continue")
    _finish(
        api.resume(run_dir, retry_infra=not keep_infra_failures, executor=where, console=console)
    )


@user_errors
@holds_run("repair")
def repair(run_dir: Annotated[Path, typer.Argument(help="a run folder")]) -> None:
    """Rebuild the run's index (index.sqlite) from run.json and the trial folders."""
    store = open_store(run_dir)
    if store.rebuilt is None:
        store.rebuild_index()
    counts = Counter(t.status for t in store.trials())
    parts = ", ".join(f"{n} {status}" for status, n in counts.most_common())
    console.print(f"index rebuilt from the trial folders: {sum(counts.values())} trials: {parts}")
    for problem in store.problems:  # a record not trusted: that trial is pending again
        console.print(f"not used (resume runs the trial again): {safe(problem)}", highlight=False)


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
        title=f"{safe(store.manifest.run_id)}: outcomes per model and tier", caption=caption
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


def _languages_line(store: RunStore) -> str:
    """Which language each model answered in (one run, or `audioprobe compare` two runs of one
    model in two languages); "" for a run of Python only, as every run was before languages."""
    from audioprobe.languages import DEFAULT_LANGUAGE
    from audioprobe.model_kinds import model_kind

    spec = store.spec()
    spoken = {
        m.name: sorted({spec.language_for(m, t.name) for t in spec.tiers})
        for m in store.model_specs()
        if model_kind(m.kind).writes_code
    }
    if all(langs == [DEFAULT_LANGUAGE] for langs in spoken.values()):
        return ""
    parts = [f"{safe(name)}: {', '.join(langs)}" for name, langs in spoken.items()]
    return "answers written in " + "; ".join(parts)


@user_errors
def show(run_dir: Annotated[Path, typer.Argument(help="a run folder")]) -> None:
    """Summarise a run: outcomes per model and tier (and metrics once scored)."""
    from audioprobe.listening.agreement import agreement_text, run_agreements  # loads scipy

    store = open_store(run_dir)
    console.print(_outcome_rich_table(store))
    spoken = _languages_line(store)
    if spoken:
        console.print(spoken, highlight=False)
    runtime = Run(store).manifest.sandbox_runtime
    if runtime:
        console.print(f"[dim]scripts ran in sandbox runtime {safe(runtime)}[/]", highlight=False)
    trials = store.trials()
    samples = store.manifest.spec.samples
    verdicts = scored_verdicts(set_values(store, describe=describe))
    for table in round_tables(trials, samples, verdicts):
        console.print(table)
    tables, notes = summary_tables(store)
    stale = stale_note(store) if tables else None
    if stale:
        console.print(f"[bold yellow]{safe(stale)}[/]", highlight=False, soft_wrap=True)
    for table in tables:
        console.print(table)
    for i, note in enumerate(notes, 1):
        console.print(f"[dim]\\[{i}][/] {safe(note)}", highlight=False)
    if not tables:
        console.print(f"not scored yet: audioprobe score {safe(store.root)}")
    elif stale:  # again below the tables, where the eye ends
        console.print(f"[bold yellow]{safe(stale)}[/]", highlight=False, soft_wrap=True)
    if run_agreements(store):  # listening tests answered: how each metric agrees with ears
        console.print(safe(agreement_text(store)), highlight=False)


def register(app: typer.Typer) -> None:
    examples: dict[Callable[..., Any], str] = {
        run: "audioprobe run quick --limit 1   (--limit: the first N items of each tier)\n"
        "  audioprobe run smoke --model replay:tests/data/answers_ok.jsonl --out runs/smoke\n"
        "  audioprobe run experiments/my.toml --dry-run",
        resume: "audioprobe resume runs/smoke",
        show: "audioprobe show runs/smoke   (all runs of a folder: audioprobe runs runs)",
        repair: "audioprobe repair runs/smoke",
    }
    for command, example in examples.items():
        app.command(epilog=f"\b\nExamples:\n  {example}")(command)
