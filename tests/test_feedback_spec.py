"""The [feedback] table of an experiment: the shipped two-round spec for the local default model,
and one-line errors for a bad table."""

from __future__ import annotations

import subprocess

from conftest import REPO
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.spec import load_spec

runner = CliRunner()


def test_the_shipped_feedback_spec_is_the_quick_demo_with_two_rounds():
    feedback, _ = load_spec("feedback")
    quick, _ = load_spec("quick")
    assert feedback.feedback is not None and feedback.feedback.rounds == 2
    assert quick.feedback is None
    assert [m.model_dump() for m in feedback.models] == [m.model_dump() for m in quick.models]
    assert feedback.models[0].kind == "local"
    assert [t.model_dump() for t in feedback.tiers] == [t.model_dump() for t in quick.tiers]


def test_make_demo_runs_the_spec_it_is_given():
    planned = subprocess.run(
        ["make", "-n", "-W", ".venv/.installed", "demo", "DEMO_SPEC=experiments/feedback.toml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "run experiments/feedback.toml --out runs/demo" in planned.stdout, planned.stderr


def spec_with(tmp_path, table: str):
    path = tmp_path / "x.toml"
    path.write_text(
        f'name = "x"\n[[tiers]]\nname = "notes"\n[[models]]\nname = "m"\nkind = "replay"\n'
        f'model = "a.jsonl"\n[feedback]\n{table}\n'
    )
    return path


def test_a_bad_feedback_table_names_the_field(tmp_path):
    for table, field in (
        ("rounds = 0", "rounds"),
        ("round = 2", "round"),
        ("rounds = 11", "rounds"),
    ):
        result = runner.invoke(app, ["run", str(spec_with(tmp_path, table))])
        assert result.exit_code == 2, result.output
        assert f"feedback.{field}" in result.output and "Traceback" not in result.output
