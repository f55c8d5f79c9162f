"""Control characters from scripts and models never reach a terminal raw."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.safetext import printable
from audioprobe.store import RunStore

runner = CliRunner()
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x00\u202e"
ANSWER = f"```python\nimport sys\nsys.exit({HOSTILE!r})\n```"


def read_tty(cmd: list[str], env: dict[str, str]) -> str:
    """What `cmd` writes to stdout when stdout is a terminal."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, env=env, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=60) == 0, proc.stderr.read().decode()
    return b"".join(chunks).decode("utf-8", "replace")


def test_export_to_a_terminal_and_error_lines_escape_control_characters(
    tmp_path: Path, isolated_cache: Path
) -> None:
    answers = tmp_path / "a.jsonl"
    answers.write_text(json.dumps({"item": "*", "completion": ANSWER}) + "\n")
    run = tmp_path / "run"
    result = runner.invoke(
        app, ["run", "smoke", "--model", f"replay:{answers}", "--tier", "notes", "--out", str(run)]
    )
    assert result.exit_code == 0, result.output
    (trial,) = RunStore.open(run).trials()
    assert trial.status == "runtime_error" and "\x1b]0;pwned" in trial.error  # stored as is

    env = dict(os.environ, AUDIOPROBE_CACHE=str(isolated_cache))
    shown = read_tty([sys.executable, "-m", "audioprobe", "export", str(run)], env)
    assert "runtime_error" in shown
    assert "\x1b" not in shown and "\x00" not in shown and "\x07" not in shown
    assert printable(HOSTILE) in shown

    weird = tmp_path / "no\x1b[31mrun"
    failed = runner.invoke(app, ["show", str(weird)])
    assert failed.exit_code == 2
    assert "\x1b" not in failed.output and "no\\x1b[31mrun" in failed.output
