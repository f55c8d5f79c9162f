"""Shipped replays are named (`replay:smoke-ok`), so the documented commands work from any
folder; a name that is neither a file nor a shipped replay says which names exist."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from audioprobe.model_kinds.replay import shipped_replays

AUDIOPROBE = [sys.executable, "-m", "audioprobe"]


def audioprobe(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*AUDIOPROBE, *args], cwd=cwd, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, COLUMNS="200"),
    )  # fmt: skip


def test_a_shipped_replay_is_found_by_name_from_a_folder_outside_the_clone(tmp_path):
    assert {"smoke-ok", "smoke-bad"} <= set(shipped_replays())
    done = audioprobe("run", "smoke", "--model", "replay:smoke-ok", "--dry-run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "smoke-ok │ replay" in done.stdout
    assert "3 trials" in done.stdout
    assert not any(tmp_path.iterdir())  # a dry run writes nothing


def test_a_run_from_a_named_replay_records_the_file_it_played(tmp_path):
    done = audioprobe(
        "run", "smoke", "-m", "replay:smoke-ok", "--tier", "notes", "--out", "runs/s", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "1 trials: 1 ok" in " ".join(done.stdout.split())
    trial = json.loads(next((tmp_path / "runs/s/trials").rglob("trial.json")).read_text())
    assert trial["status"] == "ok"
    manifest = json.loads((tmp_path / "runs/s/run.json").read_text())
    assert manifest["models"][0]["model"] == "smoke-ok"


def test_an_unknown_replay_name_lists_the_shipped_ones(tmp_path):
    done = audioprobe("run", "smoke", "-m", "replay:smoke-okk", "--dry-run", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    line = " ".join(done.stderr.split())
    assert "replay file smoke-okk does not exist, and no shipped replay has that name" in line
    assert "smoke-ok" in line and "smoke-bad" in line
