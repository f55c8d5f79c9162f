"""`audioprobe score RUN_DIR`: add metrics to a run (idempotent) and show the tier table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from audioprobe.cli.common import console, holds_run, user_errors
from audioprobe.store import RunStore


def summary_tables(store: RunStore) -> tuple[list[Table], list[str]]:
    """One table per tier (models as rows, only the metrics that apply), and the footnotes that
    give the reasons behind "unavailable" or "too few clips" cells, each reason once."""
    from audioprobe.scoring import summary_rows

    rows = summary_rows(store)
    notes: list[str] = []
    tables = []
    for tier in dict.fromkeys(r["tier"] for r in rows):
        tier_rows = [r for r in rows if r["tier"] == tier]
        columns = []
        dropped: dict[str, list[str]] = {}  # reason -> columns unavailable for it on every row
        for c in dict.fromkeys(k for r in tier_rows for k in r):
            cells = {str(r.get(c) or "") for r in tier_rows}
            if c in ("tier", "level") or cells == {""}:
                continue
            only = next(iter(cells)) if len(cells) == 1 else ""
            if only.startswith("unavailable: "):  # the same reason on every row: say it once
                dropped.setdefault(only, []).append(c)
                continue
            columns.append(c)
        notes.extend(f"{tier}: {', '.join(cols)} {why}" for why, cols in dropped.items())
        level = tier_rows[0].get("level")
        table = Table(title=f"tier {level}: {tier}" if level else tier, title_justify="left")
        for col in columns:
            table.add_column(escape(col), overflow="fold")
        for row in tier_rows:
            table.add_row(*(escape(_cell(row.get(c), notes)) for c in columns))
        tables.append(table)
    return tables, notes


def _cell(value: object, notes: list[str]) -> str:
    text = "" if value is None else str(value)
    status, sep, reason = text.partition(": ")
    if sep and status in ("unavailable", "too few clips", "failed", "not rendered"):
        if reason not in notes:
            notes.append(reason)
        return f"{status} [{notes.index(reason) + 1}]"
    return text


@user_errors
@holds_run("score")
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
    tables, notes = summary_tables(store)
    for table in tables:
        console.print(table)
    for i, note in enumerate(notes, 1):
        console.print(f"[dim]\\[{i}][/] {escape(note)}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(score)
