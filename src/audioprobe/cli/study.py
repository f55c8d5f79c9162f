"""`publish` and `reproduce`: a finished study as a folder of small files, and the check that
every number in it comes back from its answers (audioprobe.publication)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from audioprobe.api import open_store
from audioprobe.cli.common import console, safe, user_errors
from audioprobe.publication.compare import NOT_COMPARED_WHY, REDRAWN_WHY, TOLERANCES, Comparison

EXIT_MISMATCH = 1
SHOWN_DIFFS = 30
VERDICTS = ("equal", "within", "redrawn", "mismatch")
DIFF_FIELDS = ("table", "key", "column", "published", "reproduced", "tolerance", "verdict")


@user_errors
def publish(
    run_dir: Annotated[Path, typer.Argument(help="a finished, scored run folder")],
    out: Annotated[Path, typer.Option("--out", "-o", help="the folder, e.g. results/<study-id>")],
) -> None:
    """Write a study's answers (replay JSONL), tables (CSV), metric cards, environment, summary
    and figures to one folder of small files that `audioprobe reproduce` checks."""
    from audioprobe.publication.publish import publish as write

    done = write(open_store(run_dir), out)
    for note in done.notes:
        console.print(f"note: {safe(note)}", highlight=False)
    console.print(f"wrote {len(done.files)} files to {safe(out)}", highlight=False)
    console.print(f"check it: audioprobe reproduce {safe(out)}", highlight=False)


def _counts_table(comparison: Comparison) -> Table:
    table = Table(title="published vs reproduced: cells compared")
    for name in ("table", "tolerance", *VERDICTS):
        table.add_column(name, justify="right" if name not in ("table", "tolerance") else "left")
    groups = sorted({(t, tol) for t, tol, _ in comparison.counts})
    for name, tol in groups:
        got = [
            comparison.counts[(name, tol, v)] for v in ("equal", "within", "redrawn", "mismatch")
        ]
        table.add_row(name, tol, *(str(n) for n in got))
    return table


def _diff_table(comparison: Comparison) -> Table:
    table = Table(title=f"mismatches (first {SHOWN_DIFFS})")
    for name in ("table", "row", "column", "published", "reproduced", "tolerance"):
        table.add_column(name, overflow="fold")
    for d in comparison.mismatches[:SHOWN_DIFFS]:
        table.add_row(
            *(
                safe(v)[:80]
                for v in (d.table, d.key, d.column, d.published, d.reproduced, d.tolerance)
            )
        )
    return table


def _write_diffs(path: Path, comparison: Comparison) -> None:
    import csv
    from dataclasses import asdict

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle,
            fieldnames=[
                "table",
                "key",
                "column",
                "published",
                "reproduced",
                "tolerance",
                "verdict",
            ],
        )
        writer.writeheader()
        writer.writerows(asdict(d) for d in comparison.diffs)


@user_errors
def reproduce(
    folder: Annotated[Path, typer.Argument(help="a publication folder (results/<study-id>)")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="the reproduction's run folder (default runs/reproduce-<id>)"
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", help="only the first N items of each tier")
    ] = None,
    device: Annotated[str, typer.Option(help="embedding device: cpu, cuda, cuda:N, auto")] = "cpu",
) -> None:
    """Re-render every published answer in the sandbox, re-score, and compare every published
    number: exit 0 when all match (equal, or within their declared tolerance), 1 otherwise."""
    from audioprobe.publication.reproduce import reproduce as check

    if limit is not None and limit < 1:
        raise typer.BadParameter("give at least 1 item per tier", param_hint="--limit")
    target = out or Path("runs") / f"reproduce-{folder.resolve().name}"
    done = check(folder, target, limit=limit, device=device, say=console.print)
    comparison = done.comparison
    console.print(_counts_table(comparison))
    console.print("tolerances:", highlight=False)
    for tol in TOLERANCES:
        bound = "" if tol.name == "exact" else f" (rel {tol.rel:g}, abs {tol.abs:g})"
        console.print(f"  {tol.name}{bound}: {tol.why}", highlight=False)
    console.print(f"  redrawn: {REDRAWN_WHY}", highlight=False)
    console.print(f"not compared: {NOT_COMPARED_WHY}", highlight=False)
    if done.skipped:
        console.print(
            f"--limit {limit}: {', '.join(done.skipped)} are over every item, so the set"
            " metrics were not computed and those were not compared; without --limit every"
            " table is",
            highlight=False,
        )
    for note in comparison.notes:
        console.print(f"note: {safe(note)}", highlight=False)
    diffs = done.run_dir / "reproduce_diff.csv"
    _write_diffs(diffs, comparison)
    bad = comparison.mismatches
    if bad:
        console.print(_diff_table(comparison))
        console.print(
            f"{len(bad)} published numbers did not reproduce; every difference: {safe(diffs)}",
            highlight=False,
        )
        raise typer.Exit(EXIT_MISMATCH)
    console.print(
        f"every published number reproduced ({done.trials} trials re-rendered in"
        f" {safe(done.run_dir)}; differences within tolerance: {safe(diffs)})",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command()(publish)
    app.command()(reproduce)
