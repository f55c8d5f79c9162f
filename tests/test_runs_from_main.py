"""A run folder written by an earlier main opens, shows and exports the same tables today.

The folders under tests/data/runs_from_main were written by main at 7e92073 (before trial records
and run.json were read through typed models): a replay run with two feedback rounds (a syntax
error repaired, a clip that stayed ok, a script that never saved its output) and the smoke replay
run without feedback. Beside them is what that main printed for `show` and for each `export`
table (capture.sh). Each run is opened both through the index main wrote and with the index
removed, so the records are read back from trial.json and round.json alone. A column added to
an export since (ADDED_SINCE_MAIN) is checked for the value these old trials read as, and the
rest of the table must match main's.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from audioprobe.manifest import Manifest
from audioprobe.store import RunStore
from audioprobe.trial_record import TrialResult

DATA = Path(__file__).parent / "data" / "runs_from_main"
RUNS = ("feedback", "smoke")
VIEWS = ("show", "trials", "rounds", "sets")
#: Export columns added since main wrote these runs, each with the value every trial of both runs
#: reads as: each asked for code, and code was Python's before languages (issue 29).
ADDED_SINCE_MAIN = {"trials": {"language": "python"}}


def _printed(root: Path, view: str) -> str:
    """What the CLI prints for the view, with the run's folder written as <RUN>."""
    args = ["show", str(root)] if view == "show" else ["export", str(root), "--table", view]
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "audioprobe", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.replace(str(root), "<RUN>")


def _rows_without_added(view: str, printed: str) -> list[list[str]]:
    """The table's rows with the columns added since main left out, once each is checked to
    hold its one expected value."""
    rows = list(csv.reader(io.StringIO(printed)))
    header = rows[0]
    for column, value in ADDED_SINCE_MAIN[view].items():
        at = header.index(column)
        assert {row[at] for row in rows[1:]} == {value}, f"{view}: {column}"
    keep = [i for i, name in enumerate(header) if name not in ADDED_SINCE_MAIN[view]]
    return [[row[i] for i in keep] for row in rows]


@pytest.mark.parametrize("index", ["main's index", "index rebuilt"])
@pytest.mark.parametrize("run", RUNS)
def test_a_run_written_by_main_shows_and_exports_as_main_did(
    tmp_path: Path, run: str, index: str
) -> None:
    root = tmp_path / run
    shutil.copytree(DATA / run, root)
    if index == "index rebuilt":
        (root / "index.sqlite").unlink()
    for view in VIEWS:
        suffix = "show.txt" if view == "show" else f"{view}.csv"
        expected = (DATA / "expected" / f"{run}.{suffix}").read_text()
        printed = _printed(root, view)
        if view in ADDED_SINCE_MAIN:
            expected_rows = list(csv.reader(io.StringIO(expected)))
            assert _rows_without_added(view, printed) == expected_rows, f"{run}: {view} differs"
        else:
            assert printed == expected, f"{run}: {view} differs from main's"


def test_records_written_by_main_read_and_write_back_unchanged() -> None:
    """Every trial.json, round.json and run.json main wrote reads into its model and back to the
    same content: a resume that re-saves a record, or a merge that copies run.json, changes
    nothing a researcher (or an older audioprobe) would read."""
    records = [p for name in ("trial.json", "round.json") for p in DATA.glob(f"*/**/{name}")]
    assert len(records) == 12  # 3 trials of each run, and the feedback run's 6 rounds
    for path in records:
        raw = json.loads(path.read_text())
        assert TrialResult.read(raw).stored() == raw, path
    for path in sorted(DATA.glob("*/run.json")):
        raw = json.loads(path.read_text())
        assert Manifest.read(raw, path).stored() == raw, path


def test_a_trial_file_without_an_outcome_is_not_taken_as_a_result(tmp_path: Path) -> None:
    """Rebuilding the index, a trial.json that lost its status is reported and run again, not
    read as a pending trial's empty record."""
    root = tmp_path / "smoke"
    shutil.copytree(DATA / "smoke", root)
    (root / "index.sqlite").unlink()
    broken = root / "trials/smoke-ok/notes/sine-a4/s0/trial.json"
    raw = json.loads(broken.read_text())
    del raw["status"]
    broken.write_text(json.dumps(raw))
    store = RunStore.open(root)
    assert [t.status for t in store.trials()] == ["ok", "pending", "ok"]
    (problem,) = store.problems
    assert str(broken) in problem and "status" in problem
