"""End to end through the real sandbox: replayed answers → scripts → WAVs → export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import soundfile as sf
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.sandbox import runtime_hash
from audioprobe.store import RunStore

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
runner = CliRunner()


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_smoke_over_three_tiers_writes_wavs_of_requested_length(tmp_path, isolated_cache):
    out = tmp_path / "run"
    cli(
        "run",
        str(REPO / "experiments/smoke.toml"),
        "--model",
        f"replay:{DATA / 'answers_ok.jsonl'}",
        "--out",
        str(out),
    )
    store = RunStore.open(out)
    trials = store.trials()
    assert {t.tier for t in trials} == {"notes", "environmental", "speech"}
    assert store.manifest.sandbox_runtime == runtime_hash()
    for trial in trials:
        assert trial.status == "ok", (trial.trial_id, trial.error)
        assert trial.record.execution.runtime == runtime_hash()
        info = sf.info(str(trial.wav_path))
        assert info.channels == 1 and info.samplerate == 16000
        target = store.item(trial.tier, trial.item).duration_s
        assert abs(info.duration - target) < 0.05, (trial.item, info.duration)
        folder = trial.dir
        for name in (
            "prompt.txt",
            "response.txt",
            "script.py",
            "stdout.txt",
            "stderr.txt",
            "trial.json",
        ):
            assert (folder / name).is_file(), name
        assert "output.wav" in (folder / "prompt.txt").read_text()
    assert f"sandbox runtime {runtime_hash()}" in cli("show", str(out))

    rows = list(csv.DictReader(io.StringIO(cli("export", str(out), "--format", "csv"))))
    assert len(rows) == 3
    assert all(r["status"] == "ok" for r in rows)
    assert {r["item"] for r in rows} == {"sine-a4", "rain", "harvard-01"}
    for r in rows:
        assert Path(r["wav_path"]).is_file()
        assert abs(float(r["duration_s"]) - float(r["target_duration_s"])) < 0.05
    shown = cli("show", str(out))
    assert "notes" in shown and "speech" in shown and "100" in shown


def bad_spec(tmp_path: Path) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(
        f"""
name = "bad"
[[tiers]]
name = "notes"
items = ["keyboard-c4", "keyboard-a4", "keyboard-e5", "organ-c3", "organ-c4", "organ-g4"]
[[models]]
name = "badmodel"
kind = "replay"
model = "{DATA / "answers_bad.jsonl"}"
[sandbox]
backend = "bwrap"
parallel = 2
[sandbox.limits]
wall_s = 12
"""
    )
    return path


def test_each_bad_answer_gets_its_own_outcome_and_the_run_completes(tmp_path, isolated_cache):
    out = tmp_path / "run"
    cli("run", str(bad_spec(tmp_path)), "--out", str(out))
    got = {t.item: t for t in RunStore.open(out).trials()}
    expected = {
        "keyboard-c4": "syntax_error",
        "keyboard-a4": "timeout",
        "keyboard-e5": "no_output",
        "organ-c3": "invalid_audio",
        "organ-c4": "no_code",
        "organ-g4": "runtime_error",
    }
    assert {k: t.status for k, t in got.items()} == expected
    assert "line 2" in got["keyboard-c4"].error
    assert "NaN" in got["organ-c3"].error
    assert "the model gave up" in got["organ-g4"].error
    assert "no Python code" in got["organ-c4"].error
    rows = [
        json.loads(line)
        for line in cli("export", str(out), "--format", "jsonl").splitlines()
        if line.startswith("{")
    ]
    assert sorted(r["status"] for r in rows) == sorted(expected.values())


def test_export_parquet_round_trips(tmp_path, isolated_cache):
    import pyarrow.parquet as pq

    out = tmp_path / "run"
    cli(
        "run",
        "smoke",
        "--model",
        f"replay:{DATA / 'answers_ok.jsonl'}",
        "--out",
        str(out),
        "--tier",
        "notes",
    )
    target = tmp_path / "t.parquet"
    cli("export", str(out), "--format", "parquet", "--output", str(target))
    table = pq.read_table(target).to_pylist()
    assert [r["status"] for r in table] == ["ok"]
    assert table[0]["sample_rate"] == 16000


def test_bad_spec_exits_with_named_field(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text('name = "x"\nsamples = 0\n[[tiers]]\nname = "notes"\n')
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 2
    assert "samples" in result.output and str(path) in result.output
