"""`runs` lists a folder's runs with what each holds; `run --dry-run` shows the plan and the
prompts without asking anything or writing anything."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.cli.common import console
from audioprobe.prompts import render_prompt
from audioprobe.tiers import load_tier

ANSWERS = Path(__file__).resolve().parent / "data" / "answers_ok.jsonl"
runner = CliRunner()


def cli(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False, terminal_width=250)
    assert result.exit_code == code, result.output
    return result.output


def test_runs_lists_each_run_with_spec_models_trials_ok_and_scored(
    tmp_path, isolated_cache, monkeypatch
):
    monkeypatch.setattr(console, "_width", 250)  # one line per table row (undone after)
    runs = tmp_path / "runs"
    cli("run", "smoke", "--model", f"replay:{ANSWERS}", "--out", str(runs / "first"))
    cli(
        "run", "smoke", "--model", f"replay:{ANSWERS}", "--tier", "notes", "--samples", "2",
        "--out", str(runs / "nested" / "second"),
    )  # fmt: skip
    cli("score", str(runs / "nested" / "second"), "--metrics", "duration", "--quiet")
    rows = {
        line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
        for line in cli("runs", str(runs)).splitlines()
        if line.startswith("│") and ("first" in line or "nested/second" in line)
    }
    # run │ spec │ created │ models │ status │ trials │ ok │ scored
    assert rows["first"][0] == "smoke" and rows["first"][2] == "answers_ok"
    assert rows["first"][3:] == ["finished", "3", "3", "no"]
    assert rows["nested/second"][3:] == ["finished", "2", "2", "yes"]
    assert "no runs under" in cli("runs", str(tmp_path / "runs" / "first" / "trials"))
    monkeypatch.chdir(tmp_path)  # the default folder, given relative: ./runs
    assert "nested/second" in cli("runs") and "first" in cli("runs")
    out = cli("runs", str(tmp_path / "missing"), code=2)
    assert "is not a folder" in out and "Traceback" not in out


def test_dry_run_prints_models_plan_and_every_prompt_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(console, "_width", 250)
    out = tmp_path / "never"
    shown = cli(
        "run", "smoke", "--model", "local:qwen2.5-coder-1.5b", "--model", f"replay:{ANSWERS}",
        "--samples", "3", "--temperature", "0.1", "--dry-run", "--out", str(out),
    )  # fmt: skip
    assert not out.exists()
    text = " ".join(shown.split())
    assert "18 trials" in text  # 2 models x 3 items x 3 samples
    assert "qwen2.5-coder-1.5b │ local" in text and "answers_ok │ replay" in text
    assert "overrides: samples = 3, temperature = 0.1" in text
    for tier in ("notes", "environmental", "speech"):
        t = load_tier(tier)
        item = next(i for i in t.items if i.id in ("sine-a4", "rain", "harvard-01"))
        assert " ".join(render_prompt(t, item).user.split()) in text
        assert f"{tier}/{item.id}" in text


def test_dry_run_of_a_feedback_experiment_says_how_many_rounds(tmp_path, monkeypatch):
    monkeypatch.setattr(console, "_width", 250)
    shown = cli("run", "feedback", "--model", f"replay:{ANSWERS}", "--tier", "notes", "--dry-run")
    text = " ".join(shown.split())
    assert "3 trials" in text
    assert "feedback: up to 2 answers per trial, or until the task succeeds" in text
