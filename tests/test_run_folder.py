"""The run folder's integrity: one writer at a time, an index that rebuilds itself, a run.json
that fails loudly, nothing created before the run is known to work, and safe terminal output."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audioprobe import atomic
from audioprobe.cli import app
from audioprobe.runlock import LOCK_NAME
from audioprobe.store import RunStore

runner = CliRunner()
ITEMS = ["keyboard-c4", "keyboard-a4", "keyboard-e5"]
SLOW_WAV = """```python
import time, sys
import numpy as np
from scipy.io import wavfile
print("\\x1b[2J\\x1b]0;pwned\\x07 done\\x00")
time.sleep(1.5)
t = np.arange(16000 * 2) / 16000
wavfile.write("output.wav", 16000, (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32))
```"""


def replay_spec(tmp_path: Path, answer: str = SLOW_WAV, **model: str) -> Path:
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"item": "*", "completion": answer}) + "\n")
    fields = {"name": "m", "kind": "replay", "model": str(answers), **model}
    spec = tmp_path / "folder.toml"
    spec.write_text(
        f"""
name = "folder"
[[tiers]]
name = "notes"
items = {json.dumps(ITEMS)}
[[models]]
{chr(10).join(f'{k} = "{v}"' for k, v in fields.items())}
[sandbox]
backend = "subprocess"
"""
    )
    return spec


def test_second_run_on_a_held_folder_exits_2_naming_the_holder(tmp_path, isolated_cache):
    run = tmp_path / "run"
    spec = replay_spec(tmp_path)
    env = dict(os.environ, AUDIOPROBE_CACHE=str(isolated_cache))
    first = subprocess.Popen(
        [sys.executable, "-m", "audioprobe", "run", str(spec), "--out", str(run)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not (run / "run.json").exists():
            assert first.poll() is None, first.stderr.read().decode()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        for command in (
            ["run", str(spec), "--out", str(run)],
            ["resume", str(run)],
            ["score", str(run)],
        ):
            second = runner.invoke(app, command)
            assert second.exit_code == 2, second.output
            assert f"pid {first.pid}" in second.output and "audioprobe run" in second.output
        assert first.wait(timeout=120) == 0, first.stderr.read().decode()
    finally:
        first.kill()
    statuses = [t.status for t in RunStore.open(run).trials()]
    assert statuses == ["ok"] * len(ITEMS)  # the second process wrote nothing
    assert runner.invoke(app, ["resume", str(run)]).exit_code == 0  # released at exit

    # the index rebuilds itself from the trial folders: deleted, truncated, or garbage
    index = run / "index.sqlite"
    for damage in ("delete", "truncate", "garbage"):
        if damage == "delete":
            index.unlink()
        else:
            index.write_bytes(b"" if damage == "truncate" else b"not a database" * 100)
        shown = runner.invoke(app, ["show", str(run)])
        assert shown.exit_code == 0, shown.output
        assert "rebuilt it from the trial folders" in shown.output
        assert "ok 3" in shown.output and "100% (3/3)" in shown.output
    repaired = runner.invoke(app, ["repair", str(run)])
    assert repaired.exit_code == 0 and "3 trials: 3 ok" in repaired.output

    # what the script printed reaches the terminal escaped, never as raw control characters
    exported = runner.invoke(app, ["export", str(run), "--format", "jsonl"])
    assert "\x1b" not in exported.output and "\x00" not in exported.output


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n\x00\xff", b'{"spec": {', b"[]", b'{"spec": {}, "models": [{}]}'],
)
def test_damaged_run_json_is_one_line_naming_it(tmp_path, content):
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_bytes(content)
    for command in ("show", "resume", "export", "score", "repair"):
        result = runner.invoke(app, [command, str(run)])
        assert result.exit_code == 2, (command, result.output)
        assert f"{run / 'run.json'} is damaged" in result.output
        assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "model", "expected"),
    [
        ([], {"kind": "openai", "model": "gpt-x"}, "OPENAI_API_KEY is not set"),
        ([], {"kind": "local", "model": "no-such-model"}, "unknown local model"),
        ([], {"kind": "replay", "model": "/nonexistent/answers.jsonl"}, "does not exist"),
        ([], {"kind": "baseline", "model": "no-such-baseline"}, "unknown baseline"),
        (["--limit", "0"], {}, "limit 0"),
    ],
)
def test_early_errors_leave_no_run_folder(tmp_path, clean_env, args, model, expected):
    spec = replay_spec(tmp_path, **model)
    run = tmp_path / "run"
    result = runner.invoke(app, ["run", str(spec), "--out", str(run), *args])
    assert result.exit_code == 2, result.output
    assert expected in result.output and "Traceback" not in result.output
    assert not run.exists()


def test_disk_full_is_one_line(tmp_path, isolated_cache, monkeypatch):
    def full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(atomic, "write_bytes", full)
    result = runner.invoke(app, ["run", str(replay_spec(tmp_path)), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert f"disk full writing {tmp_path / 'r' / 'run.json'}; free space" in result.output
    assert not (tmp_path / "r").exists()
    assert isinstance(result.exception, SystemExit)


def test_disk_full_during_a_trial_stops_the_run_with_the_resume_line(
    tmp_path, isolated_cache, monkeypatch
):
    real = atomic.write_bytes

    def full_for_records(path: Path, data: bytes) -> None:
        if path.name == "trial.json":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, data)

    monkeypatch.setattr(atomic, "write_bytes", full_for_records)
    run = tmp_path / "r"
    spec = replay_spec(tmp_path, answer="no code here")
    result = runner.invoke(app, ["run", str(spec), "--out", str(run)])
    assert result.exit_code == 2, result.output
    assert f"free space, then: audioprobe resume {run}" in result.output
    assert "Traceback" not in result.output
    assert not list(run.rglob("harness_error.txt"))  # not mistaken for a trial's fault


def test_ctrl_c_is_one_line_with_the_resume_hint(tmp_path, isolated_cache):
    run = tmp_path / "r"
    env = dict(os.environ, AUDIOPROBE_CACHE=str(isolated_cache))
    proc = subprocess.Popen(
        [sys.executable, "-m", "audioprobe", "run", str(replay_spec(tmp_path)), "--out", str(run)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list(run.glob("trials/*/*/*/s0/work")):  # a script is running
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    lines = [line for line in err.splitlines() if "UNSAFE" not in line and line.strip()]
    assert lines[-1] == f"interrupted; finish the run with: audioprobe resume {run}"
    assert "Traceback" not in err


def test_lock_file_names_its_holder_while_held(tmp_path):
    from audioprobe.runlock import RunLocked, hold_run

    with hold_run(tmp_path, "score"):
        info = json.loads((tmp_path / LOCK_NAME).read_text())
        assert info["pid"] == os.getpid() and info["command"] == "score"
        with pytest.raises(RunLocked, match=f"pid {os.getpid()}"), hold_run(tmp_path, "resume"):
            pass
