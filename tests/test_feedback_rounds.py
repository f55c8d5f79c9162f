"""Feedback rounds end to end through the real sandbox: a replayed model that writes silence
first and the right note when told so ends with task success at round 1."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from feedback_helpers import FLAT, GOOD, SILENT, feedback_spec, replay_file
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.store import RunStore

runner = CliRunner()


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def replay_model(answers: Path) -> str:
    return f'[[models]]\nname = "fixer"\nkind = "replay"\nmodel = "{answers}"\n'


def run_rounds(tmp_path: Path, answers: dict[int, str], rounds: int) -> RunStore:
    replay = replay_file(tmp_path / "answers.jsonl", answers)
    spec = feedback_spec(tmp_path / "fb.toml", replay_model(replay), rounds, ["sine-a4"])
    out = tmp_path / "run"
    cli("run", str(spec), "--out", str(out))
    return RunStore.open(out)


def test_silence_then_a_fix_succeeds_at_round_one_and_stops(tmp_path, isolated_cache):
    store = run_rounds(tmp_path, {0: SILENT, 1: GOOD, 2: FLAT}, rounds=3)
    (trial,) = store.trials()
    assert trial.status == "ok"
    rec = trial.record.stored()
    assert rec["round"] == 1 and rec["round_success"] is True
    assert [r["status"] for r in rec["rounds"]] == ["invalid_audio", "ok"]
    assert [r["round_success"] for r in rec["rounds"]] == [False, True]
    assert rec["feedback"] == {"rounds": 3, "stopped": "success"}
    assert not (trial.dir / "round-2").exists()  # stopped on success: round 2 was never asked
    # the final round is the trial's result: its clip and its script
    assert trial.wav_path == trial.dir / "round-1" / "output.wav"
    assert "32767" in (trial.files_dir / "script.py").read_text()
    round0 = json.loads((trial.dir / "round-0" / "round.json").read_text())
    assert round0["analysis"]["peak"] == 0.0 and round0["analysis"]["silent"] is True
    # measured f0 of the fix, in the round's record
    round1 = json.loads((trial.dir / "round-1" / "round.json").read_text())
    assert abs(round1["analysis"]["cents_error"]) < 5


def test_round_one_prompt_holds_round_zero_outcome_and_measured_peak(tmp_path, isolated_cache):
    store = run_rounds(tmp_path, {0: SILENT, 1: GOOD}, rounds=2)
    (trial,) = store.trials()
    first = (trial.dir / "round-0" / "prompt.txt").read_text()
    second = (trial.dir / "round-1" / "prompt.txt").read_text()
    assert "[assistant]" not in first
    assert second.startswith(first.rstrip("\n"))  # the conversation so far, then the feedback
    assert "[assistant]" in second and "astype(np.int16)" in second  # round 0's own answer
    assert "Outcome: invalid_audio" in second
    assert "audio is silent" in second  # round 0's error text
    assert "- peak: 0 (-inf dBFS)" in second
    assert "- silent: yes" in second


def test_a_wrong_pitch_is_fed_back_in_cents_and_the_last_round_is_the_result(
    tmp_path, isolated_cache
):
    store = run_rounds(tmp_path, {0: FLAT, 1: FLAT}, rounds=2)
    (trial,) = store.trials()
    rec = trial.record.stored()
    assert trial.status == "ok" and rec["round_success"] is False
    assert rec["round"] == 1 and rec["feedback"]["stopped"] == "rounds"
    second = (trial.dir / "round-1" / "prompt.txt").read_text()
    # 415 Hz against 440 Hz is -101.4 cents, measured by the scoring pitch estimator
    assert "measured f0: 415.0 Hz (target 440 Hz, error -101 cents)" in second
    assert "not met (101 cents from the target f0)" in second


def test_replay_lines_without_a_round_answer_every_round(tmp_path, isolated_cache):
    replay = tmp_path / "answers.jsonl"
    replay.write_text(json.dumps({"item": "*", "completion": SILENT}) + "\n")
    spec = feedback_spec(tmp_path / "fb.toml", replay_model(replay), 2, ["sine-a4"])
    cli("run", str(spec), "--out", str(tmp_path / "run"))
    (trial,) = RunStore.open(tmp_path / "run").trials()
    assert [r.status for r in trial.record.rounds] == ["invalid_audio", "invalid_audio"]
    assert trial.record.round_success is False


def test_a_bad_round_in_a_replay_file_is_one_line(tmp_path):
    replay = tmp_path / "answers.jsonl"
    replay.write_text(json.dumps({"item": "*", "round": "one", "completion": GOOD}) + "\n")
    spec = feedback_spec(tmp_path / "fb.toml", replay_model(replay), 2, ["sine-a4"])
    result = runner.invoke(app, ["run", str(spec), "--out", str(tmp_path / "run")])
    assert result.exit_code != 0
    assert "round must be a whole number from 0" in result.output
    assert not (tmp_path / "run").exists()


def test_a_missing_feedback_template_fails_before_the_run_folder_exists(tmp_path):
    replay = replay_file(tmp_path / "answers.jsonl", {0: GOOD})
    spec = feedback_spec(tmp_path / "fb.toml", replay_model(replay), 2, ["sine-a4"])
    spec.write_text(spec.read_text().replace("rounds = 2", 'rounds = 2\ntemplate = "nope.txt"'))
    result = runner.invoke(app, ["run", str(spec), "--out", str(tmp_path / "run")])
    assert result.exit_code != 0 and "nope.txt does not exist" in result.output
    assert not (tmp_path / "run").exists()


def test_show_and_export_give_rates_by_round_pass_at_k_and_the_round_column(
    tmp_path, isolated_cache
):
    # three samples: silent then fixed; right at once; flat twice
    replay = tmp_path / "answers.jsonl"
    lines = [(0, SILENT), (0, GOOD), (0, FLAT), (1, GOOD), (1, GOOD), (1, FLAT)]
    replay.write_text(
        "".join(
            json.dumps({"item": "sine-a4", "round": r, "completion": text}) + "\n"
            for r, text in lines
        )
    )
    spec = feedback_spec(tmp_path / "fb.toml", replay_model(replay), 2, ["sine-a4"])
    spec.write_text(spec.read_text().replace('name = "fb"', 'name = "fb"\nsamples = 3'))
    out = tmp_path / "run"
    cli("run", str(spec), "--out", str(out))

    shown = " ".join(cli("show", str(out)).replace("│", " ").replace("┃", " ").split())
    assert "render rate and task success by round" in shown
    assert "render 67% (2/3) 100% (3/3) +33 pts" in shown
    assert "task success 33% (1/3) 67% (2/3) +33 pts 50% (1/2)" in shown
    assert "pass@1 pass@2" in shown
    assert "task success 0.67 1.00" in shown and "render 1.00 1.00" in shown

    trials = list(csv.DictReader(io.StringIO(cli("export", str(out), "--format", "csv"))))
    assert [(r["sample"], r["round"], r["round_success"]) for r in trials] == [
        ("0", "1", "1"),
        ("1", "0", "1"),
        ("2", "1", "0"),
    ]
    assert {r["techniques"] for r in trials} == {"sine oscillators"}
    assert all("numpy.sin" in r["calls"].split() for r in trials)
    rounds = list(
        csv.DictReader(io.StringIO(cli("export", str(out), "-t", "rounds", "--format", "csv")))
    )
    got = [(r["sample"], r["round"], r["final"], r["status"]) for r in rounds]
    assert got == [
        ("0", "0", "0", "invalid_audio"),
        ("0", "1", "1", "ok"),
        ("1", "0", "1", "ok"),
        ("2", "0", "0", "ok"),
        ("2", "1", "1", "ok"),
    ]
    assert float(rounds[0]["peak"]) == 0.0
    assert float(rounds[3]["cents_error"]) == pytest.approx(-101.4, abs=2)


def test_the_report_shows_round_curves_pass_at_k_and_the_technique_summary(
    tmp_path, isolated_cache
):
    store = run_rounds(tmp_path, {0: SILENT, 1: GOOD}, rounds=2)
    cli("report", str(store.root), "--refs-per-trial", "0")
    page = (store.root / "report" / "index.html").read_text()
    assert (store.root / "report" / "img" / "rounds-notes.png").stat().st_size > 1000
    assert "Feedback rounds, pass@k and techniques" in page
    rounds = page[page.index('id="rounds"') : page.index('id="pass-at-k"')]
    assert "0% (0/1)" in rounds and "100% (1/1)" in rounds and "+100 pts" in rounds
    techniques = page[page.index('id="techniques"') :]
    assert "sine oscillators" in techniques and "1 / 1" in techniques
    # the trial's detail is its final round's script
    shards = "".join(p.read_text() for p in (store.root / "report/data/detail").glob("*.js"))
    assert "32767" in shards


def test_baselines_stay_single_round(tmp_path, isolated_cache, monkeypatch):
    monkeypatch.setenv("AUDIOPROBE_MODELS", str(tmp_path / "no-weights"))
    replay = replay_file(tmp_path / "answers.jsonl", {0: SILENT, 1: GOOD})
    models = replay_model(replay) + '[[models]]\nname = "mg"\nkind = "baseline"\n'
    models += 'model = "musicgen-small"\n'
    spec = feedback_spec(tmp_path / "fb.toml", models, 2, ["sine-a4"])
    out = tmp_path / "run"
    cli("run", str(spec), "--out", str(out))
    trials = {t.model: t for t in RunStore.open(out).trials()}
    assert trials["fixer"].record.round == 1
    baseline = trials["mg"]
    assert baseline.status == "unavailable"  # no weights here: the generator is not run
    assert not baseline.record.has_rounds and not (baseline.dir / "round-0").exists()
    rows = list(csv.DictReader(io.StringIO(cli("export", str(out), "--format", "csv"))))
    assert {r["model"]: r["round"] for r in rows} == {"fixer": "1", "mg": "0"}
