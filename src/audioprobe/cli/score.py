"""`audioprobe score RUN_DIR`: add metrics to a run (idempotent) and show the tier table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from audioprobe.cli.common import console, user_errors
from audioprobe.store import RunStore


def summary_table(store: RunStore) -> Table | None:
    """The model x tier table of render rates and metrics, or None before scoring."""
    from audioprobe.scoring import summary_rows

    rows = summary_rows(store)
    if not rows:
        return None
    table = Table(title=f"{store.manifest.get('run_id')}: scores per model and tier")
    columns = list(dict.fromkeys(k for r in rows for k in r))
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    return table


@user_errors
def score(
    run_dir: Annotated[Path, typer.Argument(help="a run folder")],
    metrics: Annotated[
        list[str] | None,
        typer.Option(
            "--metrics",
            "-m",
            help="duration, pitch, wer, clap_score, clap_zeroshot, fad, kad (repeatable or"
            " comma-separated); default: the experiment's list, else scoring/metrics.toml",
        ),
    ] = None,
    device: Annotated[str, typer.Option(help="cpu or cuda, for embedding models")] = "cpu",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress lines")] = False,
) -> None:
    """Add metrics to a run: pitch, WER, CLAP, FAD/KAD against references. Safe to re-run."""
    from audioprobe.scoring import score_run

    store = RunStore.open(run_dir)
    chosen = [m.strip() for arg in metrics or [] for m in arg.split(",") if m.strip()] or None

    def progress(message: str) -> None:
        if not quiet:
            console.print(f"[dim]{message}[/]", highlight=False)

    report = score_run(store, chosen, device=device, progress=progress)
    console.print(
        f"scored: {report.clip_values} clip values computed, {report.clip_skipped} kept from"
        f" before, {report.set_values} set values; embeddings {report.cache_hits} cached,"
        f" {report.cache_misses} computed; cards in {store.root / 'cards.json'}"
    )
    for note in report.notes:
        console.print(f"[yellow]{note}[/]")
    table = summary_table(store)
    if table is not None:
        console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(score)
