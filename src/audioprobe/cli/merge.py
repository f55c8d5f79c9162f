"""`merge`: the shards of a run (`run --shard i/N`) joined into one run folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from audioprobe.cli.common import console, safe, user_errors
from audioprobe.merge import merge_runs
from audioprobe.outcomes import Outcome
from audioprobe.output_path import writing


@user_errors
def merge(
    run_dirs: Annotated[list[Path], typer.Argument(help="every shard's run folder")],
    out: Annotated[Path, typer.Option(help="the merged run's folder (new)")],
) -> None:
    """Join the shards of one run into one run folder, which scores and exports as a whole."""
    with writing(out, folder=True):
        result = merge_runs(run_dirs, out)
    total = sum(result.counts.values())
    parts = ", ".join(f"{n} {status}" for status, n in result.counts.most_common())
    head = f"merged {result.shards} shards into [cyan]{safe(out)}[/]"
    console.print(f"{head}: {total} trials: {safe(parts)}")
    unfinished = result.counts.get(Outcome.PENDING, 0)
    if unfinished:
        console.print(f"{unfinished} trials are unfinished: audioprobe resume {safe(out)}")
    console.print(f"next: audioprobe score {safe(out)}")


def register(app: typer.Typer) -> None:
    app.command(
        epilog="\b\nExample:\n  audioprobe merge runs/r-shard1of2 runs/r-shard2of2 --out runs/r"
    )(merge)
