"""run.json and trial.json are read back into their typed records: a well-formed file with a
wrong value (edited by hand, damaged, written by another tool) gives one line naming the file
and the field, exit code 2, and never a pydantic traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.store import RunStore

runner = CliRunner()
QUICK_WAV = (
    "```python\nimport numpy as np\nfrom scipy.io import wavfile\n"
    "t = np.arange(16000) / 16000\n"
    "wavfile.write('output.wav', 16000, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32))\n"
    "```"
)
ITEMS = ["keyboard-c4", "keyboard-a4"]


@pytest.fixture
def finished_run(tmp_path: Path, isolated_cache: Path) -> Path:
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"item": "*", "completion": QUICK_WAV}) + "\n")
    spec = tmp_path / "records.toml"
    spec.write_text(
        f"""
name = "records"
[[tiers]]
name = "notes"
items = {json.dumps(ITEMS)}
[[models]]
name = "m"
kind = "replay"
model = "{answers}"
[sandbox]
backend = "bwrap"
"""
    )
    run = tmp_path / "run"
    result = runner.invoke(app, ["run", str(spec), "--out", str(run)])
    assert result.exit_code == 0, result.output
    return run


def _edit_manifest(run: Path, edit) -> None:
    manifest = json.loads((run / "run.json").read_text())
    edit(manifest)
    (run / "run.json").write_text(json.dumps(manifest))


def _one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "pydantic" not in result.output
    assert "validation error" not in result.output.lower()
    for needle in needles:
        assert needle in result.output, result.output


@pytest.mark.parametrize(
    ("where", "edit", "field"),
    [
        ("limits", lambda m: m["spec"]["sandbox"]["limits"].update(wall_s="abc"), "wall_s"),
        ("model", lambda m: m["models"][0].update(temperature="hot"), "models[0]"),
        ("seed", lambda m: m["spec"].update(seed=[1, 2]), "spec.seed"),
        ("item", lambda m: m["items"]["notes"][0].update(duration_s=-1), "items.notes[0]"),
    ],
)
def test_resume_names_the_bad_run_json_field(finished_run: Path, where, edit, field) -> None:
    _edit_manifest(finished_run, edit)
    # an infrastructure failure makes resume run a trial again, so every record is read
    result = runner.invoke(app, ["resume", str(finished_run)])
    _one_line_error(result, "run.json", field)
    assert len([ln for ln in result.output.splitlines() if "run.json" in ln]) == 1


def test_show_and_report_name_a_bad_run_json_value(finished_run: Path) -> None:
    _edit_manifest(finished_run, lambda m: m["tiers"]["notes"].update(level="high"))
    for command in (["show", str(finished_run)], ["report", str(finished_run)]):
        result = runner.invoke(app, command)
        _one_line_error(result, "run.json", "tiers.notes.level")


def test_a_trial_json_with_a_wrong_value_is_named_and_run_again(finished_run: Path) -> None:
    store = RunStore.open(finished_run)
    trial = store.trials()[0]
    record = json.loads((trial.dir / "trial.json").read_text())
    record["audio"] = {"sha256": 7, "duration_s": "long"}
    (trial.dir / "trial.json").write_text(json.dumps(record))
    result = runner.invoke(app, ["repair", str(finished_run)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "trial.json: audio.sha256" in result.output.replace("\n", "")
    assert "1 pending" in result.output and "1 ok" in result.output
    resumed = runner.invoke(app, ["resume", str(finished_run)])
    assert resumed.exit_code == 0, resumed.output
    assert [t.status for t in RunStore.open(finished_run).trials()] == ["ok", "ok"]


def test_a_trial_json_that_is_not_an_object_is_named(finished_run: Path) -> None:
    store = RunStore.open(finished_run)
    (store.trials()[1].dir / "trial.json").write_text("[1, 2, 3]")
    result = runner.invoke(app, ["repair", str(finished_run)])
    assert result.exit_code == 0, result.output
    assert "trial.json: (top level)" in result.output.replace("\n", "")
