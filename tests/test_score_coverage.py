"""A run stopped part-way (as Ctrl-C leaves it), then resumed: its scores know what they cover
(`show`, `runs` and the viewer's list say partial until `score` runs again), and the resume's
progress counts the kept trials, so every count it prints agrees."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from rich.console import Console
from starlette.testclient import TestClient
from typer.testing import CliRunner

from audioprobe import api, runner
from audioprobe.cli import app
from audioprobe.cli.common import console
from audioprobe.results.coverage import coverage
from audioprobe.store import RunStore
from audioprobe.viewer.runs import find_runs
from audioprobe.viewer.server import Viewer

ANSWERS = Path(__file__).resolve().parent / "data" / "answers_ok.jsonl"
cli_runner = CliRunner()


def cli(*args: str) -> str:
    result = cli_runner.invoke(app, list(args), catch_exceptions=False, terminal_width=250)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def stopped_after_one_trial(root: Path) -> RunStore:
    """The state Ctrl-C leaves: the run folder with one of its three trials finished."""
    planned = api.prepare("smoke", models=[f"replay:{ANSWERS}"], out=root)
    store = runner.create_run(planned)
    asyncio.run(runner.execute_async(store, planned.keys[:1]))
    return store


def test_resume_after_score_marks_scores_partial_until_scored_again(
    tmp_path, isolated_cache, monkeypatch
):
    monkeypatch.setattr(console, "_width", 250)
    root = tmp_path / "runs" / "r"
    stopped_after_one_trial(root)
    cli("score", str(root), "--metrics", "duration", "--quiet")
    assert "scores cover" not in cli("show", str(root))  # 1 of 1 finished trials: complete

    cli("resume", str(root))
    partial = f"scores cover 1 of 3 trials; run `audioprobe score {root}` to score the rest"
    assert partial in cli("show", str(root))
    listed = cli("runs", str(tmp_path / "runs"))
    assert "partial 1/3" in listed and partial in listed
    (summary,) = find_runs(tmp_path / "runs")
    assert summary.scored_text == "partial 1/3"
    viewer = TestClient(Viewer(tmp_path / "runs").app(), base_url="http://127.0.0.1")
    page = viewer.get("/").text  # the viewer's runs list
    assert "<th>scored</th>" in page and ">partial 1/3</td>" in page
    cli("report", str(root), "--refs-per-trial", "0")
    report = (root / "report" / "index.html").read_text()
    assert 'id="stale-scores"' in report and "scores cover 1 of 3 trials" in report

    cli("score", str(root), "--metrics", "duration", "--quiet")
    assert "scores cover" not in cli("show", str(root))
    assert "partial" not in cli("runs", str(tmp_path / "runs"))
    found = coverage(RunStore.open(root))
    assert found is not None and (found.covered, found.finished) == (3, 3)


@pytest.mark.slow  # kept out of make test's 15 minutes; make test-all runs it
def test_a_rebuilt_index_keeps_the_coverage_of_unchanged_trials(tmp_path, isolated_cache):
    root = tmp_path / "r"
    stopped_after_one_trial(root)
    cli("resume", str(root))
    cli("score", str(root), "--metrics", "duration", "--quiet")
    cli("repair", str(root))  # the trials table is rebuilt from the trial folders
    found = coverage(RunStore.open(root))
    assert found is not None and found.complete and found.finished == 3


def test_resume_progress_counts_the_kept_trials_so_every_count_agrees(tmp_path, isolated_cache):
    root = tmp_path / "r"
    stopped_after_one_trial(root)
    buffer = io.StringIO()
    run = api.resume(root, console=Console(file=buffer, width=250))
    lines = buffer.getvalue().splitlines()
    assert lines[0].startswith("r: 2 of 3 trials to run"), lines
    # the last progress line and the final outcome counts describe the same 3 trials
    assert "r: 3/3 trials, 3 ok, 0 failed; finished" in lines[-1], lines
    assert run.outcomes() == {"ok": 3}
