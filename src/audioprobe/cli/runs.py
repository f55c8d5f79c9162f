"""`runs [DIR]`: the runs in a folder, newest first, one line each, to pick one to resume,
score or show without opening each run.json."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from audioprobe.cli.common import console, safe, user_errors
from audioprobe.errors import AudioprobeError
from audioprobe.outcomes import Outcome


@user_errors
def runs(
    runs_dir: Annotated[Path, typer.Argument(help="a folder of runs (default: ./runs)")] = Path(
        "runs"
    ),
) -> None:
    """List the runs under a folder: id, spec, date, models, status, trials, ok, scored."""
    from audioprobe.viewer.runs import find_runs

    if not runs_dir.is_dir():
        raise AudioprobeError(f"{runs_dir} is not a folder; pass the folder that holds your runs")
    found = find_runs(runs_dir)
    if not found:
        console.print(f"no runs under {safe(runs_dir)} (a run is a folder with a run.json)")
        return
    table = Table(title=f"{len(found)} runs under {safe(runs_dir)}", title_justify="left")
    # Every column keeps its heading whole; long run and model names fold onto more lines.
    for col in ("run", "spec", "created", "models", "status"):
        table.add_column(col, min_width=len(col), overflow="fold")
    for col in ("trials", "ok"):
        table.add_column(col, justify="right", min_width=len(col))
    table.add_column("scored", min_width=len("scored"))
    for r in found:
        table.add_row(
            safe(r.key),
            safe(r.experiment),
            safe(r.created),
            safe(", ".join(r.models)),
            r.status,
            str(r.trials),
            str(r.outcomes.get(Outcome.OK, 0)),
            r.scored_text,
        )
    console.print(table)
    for r in found:
        if r.status == "incomplete":
            console.print(f"{safe(r.key)} stopped part-way: audioprobe resume {safe(r.root)}")
        elif r.coverage is not None and not r.coverage.complete:
            console.print(f"{safe(r.key)}: {safe(r.coverage.message(r.root))}")


def register(app: typer.Typer) -> None:
    app.command(epilog="\b\nExample:\n  audioprobe runs runs")(runs)
