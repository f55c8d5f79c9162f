"""`report` and `compare`: read a finished run as a web page, or against a published table."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from audioprobe.cli.common import console, user_errors
from audioprobe.errors import AudioprobeError
from audioprobe.output_path import check_output, writing
from audioprobe.scoring.registry import describe
from audioprobe.store import RunStore

# The commands import their modules when run: every `audioprobe` command loads this file, and
# matplotlib, the reference sets and scoring need not load for `run` or `show`.


@user_errors
def report(
    run_dir: Annotated[Path, typer.Argument(help="a run folder")],
    out: Annotated[Path | None, typer.Option(help="report folder (default RUN_DIR/report)")] = None,
    refs_per_trial: Annotated[
        int, typer.Option(min=0, help="reference clips offered beside each trial (0: none)")
    ] = 3,
) -> None:
    """Write a self-contained HTML report: overview table and plots, and every trial to hear,
    see and read (open index.html from disk or any static web server)."""
    from audioprobe.report.write import write_run_report

    store = RunStore.open(run_dir)
    started = time.perf_counter()
    with (
        writing(out or store.root / "report", folder=True),
        console.status("writing report") as status,
    ):
        result = write_run_report(
            store, out, refs_per_trial=refs_per_trial, progress=lambda msg: status.update(msg)
        )
    console.print(
        f"report of {result.trials} trials ({result.spectrograms} clips) in "
        f"{time.perf_counter() - started:.1f} s: [cyan]{result.index}[/]"
    )


@user_errors
def compare_cmd(
    run_dir: Annotated[Path, typer.Argument(help="a run folder")],
    against: Annotated[
        Path | None,
        typer.Option(
            help="CSV with model, tier, metric, value rows, or another run folder (without it:"
            " the run's systems against each other)"
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="write the table to FILE (.csv or .md)"),
    ] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="also list our measures the other side never reports")
    ] = False,
) -> None:
    """Paired differences between the run's systems on their shared items (interval and
    p-value), and with --against, a side-by-side table of this run's numbers and another's:
    ours, theirs, diff, relative diff, with the reasons behind cells without a number as
    footnotes. The terminal lists the rows the other side has; --output gets every row."""
    from audioprobe.compare import (
        against_table,
        agreement_text,
        compare,
        paired_text,
        run_table,
        shown,
    )
    from audioprobe.compare import to_csv as compare_csv
    from audioprobe.compare import to_markdown as compare_markdown
    from audioprobe.compare import to_text as compare_text
    from audioprobe.results.measures import RunResults
    from audioprobe.results.paired import model_pairs, rank_agreement, run_pairs

    if output is not None and output.suffix.lower() not in (".csv", ".md", ".markdown"):
        raise AudioprobeError(f"--output {output}: use a .csv or .md file name")
    if output is not None and against is None:
        raise AudioprobeError("--output writes the --against table: name --against too")
    if output is not None:
        check_output(output)  # before any work: a path that cannot be written costs seconds
    results = RunResults.of(RunStore.open(run_dir), describe)
    theirs = against_table(against) if against is not None else None  # a bad table fails first
    if against is not None and theirs is not None:
        rows, left_out = compare(run_table(results), theirs, everything)
        listed = shown(rows, everything)
        typer.echo(f"{run_dir} (ours) against {against} (theirs)\n")
        typer.echo(compare_text(listed))
        if len(listed) < len(rows):
            typer.echo(
                f"{len(rows) - len(listed)} rows of ours have no counterpart in {against}"
                " (listed with --all; every row is in --output)"
            )
        if left_out:
            typer.echo(f"not in {against} at all (shown with --all): {', '.join(left_out)}")
        typer.echo("")
    typer.echo(paired_text(model_pairs(results)))
    agreement = agreement_text(rank_agreement(results))
    if agreement:
        typer.echo(agreement)
    if against is not None and (against / "run.json").is_file():
        typer.echo(f"each model against the same model in {against}:")
        pairs = run_pairs(results, RunResults.of(RunStore.open(against), describe))
        none = f"no model shares an item with a number with the same model in {against}"
        typer.echo(paired_text(pairs, none))
    if output is None or against is None:
        return
    with writing(output):
        output.write_text(
            compare_csv(rows) if output.suffix.lower() == ".csv" else compare_markdown(rows)
        )
    console.print(f"wrote {len(rows)} rows to {output}")


def register(app: typer.Typer) -> None:
    app.command(epilog="\b\nExample:\n  audioprobe report runs/smoke --out /tmp/smoke-report")(
        report
    )
    app.command(
        name="compare",
        epilog="\b\nExamples:\n  audioprobe compare runs/smoke\n"
        "  audioprobe compare runs/smoke --against paper.csv -o diff.md",
    )(compare_cmd)
