"""A replay file is checked against the plan before the run: one that answers none of it stops
the run (tested in test_cli_failures), one that lacks some items says which, in `--dry-run` too,
and their trials are the model's outcome, `no_code` with the reason, never infrastructure."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.cli.common import console
from audioprobe.store import RunStore

ANSWERS = Path(__file__).resolve().parent / "data" / "answers_ok.jsonl"
runner = CliRunner()


def only_first_item(tmp_path: Path) -> Path:
    """answers_ok.jsonl without the rain and speech answers: it covers 1 of smoke's 3 items."""
    lines = [line for line in ANSWERS.read_text().splitlines() if line.strip()]
    kept = [line for line in lines if json.loads(line)["item"] == "sine-a4"]
    path = tmp_path / "partial.jsonl"
    path.write_text("\n".join(kept) + "\n")
    return path


def test_missing_items_are_named_before_the_run_and_end_no_code(
    tmp_path, isolated_cache, monkeypatch
):
    monkeypatch.setattr(console, "_width", 250)
    answers = only_first_item(tmp_path)
    note = (
        f"replay file {answers} (model 'partial') has no answer for 2 of 3 items (harvard-01, rain)"
    )
    dry = runner.invoke(app, ["run", "smoke", "--model", f"replay:{answers}", "--dry-run"])
    assert dry.exit_code == 0 and note in " ".join(dry.output.split()), dry.output

    run = tmp_path / "run"
    done = runner.invoke(app, ["run", "smoke", "--model", f"replay:{answers}", "--out", str(run)])
    assert done.exit_code == 0, done.output  # the model's outcomes: no infrastructure failure
    assert note in " ".join(done.output.split())
    by_item = {t.item: t for t in RunStore.open(run).trials()}
    assert by_item["sine-a4"].status == "ok"
    for item in ("rain", "harvard-01"):
        assert by_item[item].status == "no_code"
        assert f"replay file {answers} has no answer for item {item!r}" in by_item[item].error
