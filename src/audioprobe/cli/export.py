"""`export`: a run's trials as a table (CSV, JSONL or Parquet) for analysis elsewhere."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from audioprobe.cli.common import console, user_errors
from audioprobe.errors import AudioprobeError
from audioprobe.scoring import export_columns
from audioprobe.store import RunStore
from audioprobe.summary import EXPORT_COLUMNS, export_row


def export_rows(store: RunStore) -> list[dict[str, Any]]:
    """Outcome columns, then the metric columns (with their card hashes) once scored."""
    metrics = export_columns(store)
    return [export_row(store, t) | metrics.get(t.trial_id, {}) for t in store.trials()]


@user_errors
def export(
    run_dir: Annotated[Path, typer.Argument(help="a run folder")],
    format: Annotated[str, typer.Option("--format", "-f", help="csv, jsonl or parquet")] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file (default stdout)")
    ] = None,
) -> None:
    """One row per trial, with outcome, audio facts and token usage."""
    store = RunStore.open(run_dir)
    rows = export_rows(store)
    columns = list(EXPORT_COLUMNS) + sorted({k for r in rows for k in r} - set(EXPORT_COLUMNS))
    if format == "parquet":
        if output is None:
            raise AudioprobeError("--format parquet needs --output FILE")
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), output)
    elif format in ("csv", "jsonl"):
        handle = output.open("w", newline="") if output else None
        stream = handle or typer.get_text_stream("stdout")
        try:
            if format == "csv":
                writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore")
                writer.writeheader()
                writer.writerows(rows)
            else:
                for row in rows:
                    stream.write(json.dumps(row, default=str) + "\n")
        finally:
            if handle:
                handle.close()
    else:
        raise AudioprobeError(f"--format {format!r}: expected csv, jsonl or parquet")
    if output:
        console.print(f"wrote {len(rows)} rows to {output}")


def register(app: typer.Typer) -> None:
    app.command()(export)
