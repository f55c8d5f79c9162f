"""The number tables of a publication, built the same way from the source run (publish) and
from its re-rendering (reproduce), so the two compare column for column.

Each table is a name, its key columns and its rows (dicts of plain values); CSV is the file
format, read back as text and compared as typed values (publication.compare).
"""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audioprobe.errors import AudioprobeError
from audioprobe.results.export import sets_table, trials_table
from audioprobe.results.measures import RunResults
from audioprobe.summary import outcome_table


@dataclass(frozen=True)
class Table:
    name: str
    keys: tuple[str, ...]
    columns: list[str]
    rows: list[dict[str, Any]]

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    def by_key(self) -> dict[tuple[str, ...], dict[str, Any]]:
        return {tuple(cell_text(row.get(k)) for k in self.keys): row for row in self.rows}


def cell_text(value: Any) -> str:
    """A value as csv writes it: '' for None, str() otherwise (repr for floats: exact)."""
    return "" if value is None else str(value)


def _renders(results: RunResults) -> Table:
    columns = ["trial_id", "model", "tier", "item", "sample", "status"]
    columns += ["prompt_sha256", "script_sha256", "wav_sha256"]
    rows = []
    for t in results.trials:
        rows.append(
            {
                "trial_id": t.trial_id,
                "model": t.model,
                "tier": t.tier,
                "item": t.item,
                "sample": t.sample,
                "status": t.status,
                "prompt_sha256": t.record.prompt_sha256,
                "script_sha256": t.record.script_sha256,
                # the clip scoring measured: only a trial that ended ok has one
                "wav_sha256": t.record.audio.sha256 if t.wav_path and t.record.audio else None,
            }
        )
    return Table("renders", ("trial_id",), columns, rows)


def _trials(results: RunResults) -> Table:
    schema, rows = trials_table(results)
    root = results.run.store.root.resolve()
    for row in rows:  # a path on the publishing machine means nothing elsewhere
        if row.get("wav_path"):
            row["wav_path"] = str(Path(row["wav_path"]).resolve().relative_to(root))
    return Table("trials", ("trial_id",), list(schema), rows)


def _sets(results: RunResults) -> Table:
    schema, rows = sets_table(results)
    keys = ("model", "tier", "class_key", "metric", "column", "embedding")
    return Table("sets", keys, list(schema), rows)


def _cells(results: RunResults) -> Table:
    columns = ["model", "tier", "trials", "answered", "ok", "ok_rate", "outcomes"]
    rows = [
        {
            "model": r["model"],
            "tier": r["tier"],
            "trials": r["trials"],
            "answered": r["answered"],
            "ok": r["ok"],
            "ok_rate": r["ok_rate"].value,
            "outcomes": json.dumps(r["outcomes"], sort_keys=True),
        }
        for r in outcome_table(results.run.store)
    ]
    return Table("cells", ("model", "tier"), columns, rows)


def _plain(value: Any) -> Any:
    """A dataclass field as one CSV cell: enums by value, sequences as JSON."""
    if isinstance(value, tuple | list | dict):
        return json.dumps(value, default=str, ensure_ascii=False)
    return getattr(value, "value", value)


def _dataclass_table(name: str, keys: tuple[str, ...], items: list[Any], extra: Iterable[str]):
    if not items:
        return Table(name, keys, list(keys), [])
    names = [f.name for f in dataclasses.fields(items[0])] + list(extra)
    rows = [{n: _plain(getattr(item, n)) for n in names} for item in items]
    return Table(name, keys, names, rows)


def _measures(results: RunResults) -> Table:
    keys = ("model", "tier", "level", "metric", "column", "embedding")
    return _dataclass_table("measures", keys, results.measures, ())


def _claim(results: RunResults) -> Table:
    from audioprobe.results.paired import claim_steps

    keys = ("model", "measure", "before", "after")
    return _dataclass_table("claim", keys, claim_steps(results), ("verdict",))


def build_tables(results: RunResults) -> list[Table]:
    """Every number table of a publication, in the order `reproduce` reports them."""
    return [
        _renders(results),
        _cells(results),
        _trials(results),
        _sets(results),
        _measures(results),
        _claim(results),
    ]


def write_table(folder: Path, table: Table) -> None:
    with (folder / table.file).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=table.columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows({c: row.get(c) for c in table.columns} for row in table.rows)


def read_table(folder: Path, name: str, keys: tuple[str, ...]) -> Table:
    """A published table as text cells ('' for an empty one), as csv reads it."""
    path = folder / f"{name}.csv"
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            columns = list(reader.fieldnames or [])
    except OSError as exc:
        raise AudioprobeError(f"{path}: cannot read the published table ({exc})") from exc
    missing = [k for k in keys if k not in columns]
    if missing and rows:
        raise AudioprobeError(f"{path}: no column {', '.join(missing)}; not a published table")
    return Table(name, keys, columns, rows)
