"""`export`: a run as a table (CSV, JSONL or Parquet) for analysis elsewhere.

`--table trials` (default) gives one row per trial with its outcome and a numeric column per
metric; `--table rounds` one row per trial × feedback round; `--table sets` one row per
model × tier × metric × embedding of the set metrics. The schema is fixed and documented
(docs/scoring.md, "Export schema"). `--format replay` writes one system's answers exactly as
received instead, as replay JSONL (publication.answers), so `--model replay:FILE` re-runs them.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from audioprobe.api import open_store
from audioprobe.cli.common import console, user_errors
from audioprobe.errors import AudioprobeError
from audioprobe.output_path import writing
from audioprobe.results.export import TABLES, arrow_table, table
from audioprobe.results.measures import RunResults
from audioprobe.safetext import printable
from audioprobe.scoring.registry import describe

FORMATS = ("csv", "jsonl", "parquet", "replay")


def _write_text(stream: Any, fmt: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
    if fmt == "csv":
        writer = csv.DictWriter(stream, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    else:
        for row in rows:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")


@user_errors
def export(
    run_dir: Annotated[Path, typer.Argument(help="a run folder")],
    which: Annotated[
        str,
        typer.Option(
            "--table", "-t", help="trials (one row per trial), rounds (per feedback round) or sets"
        ),
    ] = "trials",
    format: Annotated[
        str, typer.Option("--format", "-f", help="csv, jsonl, parquet or replay (answers)")
    ] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file (default stdout)")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="replay: the system whose answers")
    ] = None,
) -> None:
    """A run as a table: trials with outcome, audio facts, tokens and metric values; or the set
    metrics (FAD, KAD, ...) with intervals and clip counts."""
    if which not in TABLES:
        known = f"{', '.join(TABLES[:-1])} or {TABLES[-1]}"
        raise AudioprobeError(f"--table {which!r}: expected {known}")
    if format not in FORMATS:
        raise AudioprobeError(f"--format {format!r}: expected csv, jsonl, parquet or replay")
    if format == "parquet" and output is None:
        raise AudioprobeError("--format parquet needs --output FILE")
    store = open_store(run_dir)
    if format == "replay":
        _export_answers(store, model, output)
        return
    if output is not None:
        with writing(output):
            schema, rows = table(RunResults.of(store, describe), which)
            _write_file(output, format, schema, rows)
        console.print(f"wrote {len(rows)} rows to {output}")
    else:
        schema, rows = table(RunResults.of(store, describe), which)
        stream = typer.get_text_stream("stdout")
        if stream.isatty():  # a script's escape sequences must not drive the terminal
            rows = [{k: _tty_cell(v) for k, v in r.items()} for r in rows]
        _write_text(stream, format, list(schema), rows)


def _write_file(output: Path, fmt: str, schema: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        with output.open("wb") as handle:  # Python's open: an OSError names the file
            pq.write_table(arrow_table(schema, rows), handle)
        return
    with output.open("w", newline="", encoding="utf-8") as handle:
        _write_text(handle, fmt, list(schema), rows)


def _export_answers(store: Any, model: str | None, output: Path | None) -> None:
    from audioprobe.publication.answers import answer_lines, model_named, write_answers

    lines = answer_lines(store, model_named(store, model))
    if output is None:
        stream = typer.get_text_stream("stdout")
        for line in lines:
            stream.write(json.dumps(line, ensure_ascii=False) + "\n")
        return
    with writing(output):
        write_answers(output, lines)
    console.print(f"wrote {len(lines)} answers to {output}")


def _tty_cell(value: Any) -> Any:
    return printable(value) if isinstance(value, str) else value


def register(app: typer.Typer) -> None:
    app.command(
        epilog="\b\nExamples:\n  audioprobe export runs/smoke -o trials.csv\n"
        "  audioprobe export runs/smoke --table sets -f parquet -o sets.parquet"
    )(export)
