"""The command line follows common conventions: --version, flags shown without a value
placeholder, examples in --help, and a misspelt command answered with the closest one."""

from __future__ import annotations

from typer.testing import CliRunner

from audioprobe import __version__
from audioprobe.cli import app

runner = CliRunner()


def test_version_flag_prints_the_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"audioprobe {__version__}"


def test_help_shows_flags_without_placeholders_and_gives_examples():
    shown = runner.invoke(app, ["run", "--help"], terminal_width=200).output
    dry = next(line for line in shown.splitlines() if "--dry-run" in line)
    assert "<bool>" not in dry and "BOOLEAN" not in dry
    assert "-m, --model MODEL" in shown and "<list[str]>" not in shown
    assert "Examples:" in shown and "audioprobe run quick --limit 1" in shown
    for command in ("export", "score", "compare", "report", "show"):
        assert "Example" in runner.invoke(app, [command, "--help"]).output, command


def test_a_misspelt_command_gets_the_closest_one():
    result = runner.invoke(app, ["scroe", "runs/x"])
    assert result.exit_code == 2 and "Did you mean 'score'?" in result.output
