"""kill -9 in the middle of a run, then resume: nothing finished is redone, no answer re-asked."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from fault_server import FaultServer, ServerState

SLOW_SINE = """```python
import time
import numpy as np
from scipy.io import wavfile
time.sleep(1.5)
t = np.arange(16000 * 2) / 16000
wavfile.write("output.wav", 16000, (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32))
```"""
ITEMS = ["keyboard-c4", "keyboard-a4", "keyboard-e5", "organ-c3", "organ-c4", "organ-g4"]


def finished(run: Path) -> dict[str, str]:
    db = run / "index.sqlite"
    if not db.exists():
        return {}
    try:
        with sqlite3.connect(db) as conn:
            rows = conn.execute("SELECT trial_id, record FROM trials WHERE status != 'pending'")
            return {tid: json.loads(rec)["finished"] for tid, rec in rows}
    except sqlite3.OperationalError:  # the run is still creating its index
        return {}


def test_kill_dash_nine_then_resume(tmp_path):
    env = dict(os.environ, AUDIOPROBE_CACHE=str(tmp_path / "cache"))
    run = tmp_path / "run"
    with FaultServer(ServerState(answer=SLOW_SINE)) as stub:
        spec = tmp_path / "k.toml"
        spec.write_text(
            f"""
name = "k"
[[tiers]]
name = "notes"
items = {json.dumps(ITEMS)}
[[models]]
name = "stubbed"
kind = "openai"
model = "stub"
base_url = "{stub.base_url}"
concurrency = 1
[sandbox]
backend = "bwrap"
"""
        )
        cmd = [sys.executable, "-m", "audioprobe", "run", str(spec), "--out", str(run)]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while len(finished(run)) < 2:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "run made no progress"
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        before = finished(run)
        assert 2 <= len(before) < len(ITEMS)
        answered_before = list(stub.state.answered)

        resumed = subprocess.run(
            [sys.executable, "-m", "audioprobe", "resume", str(run)],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert resumed.returncode == 0, resumed.stderr
        after = finished(run)
        assert len(after) == len(ITEMS)
        for trial_id, stamp in before.items():
            assert after[trial_id] == stamp, f"{trial_id} was redone"
        # no answer the endpoint had already given was asked for again
        assert len(stub.state.answered) == len(set(stub.state.answered)) == len(ITEMS)
        assert stub.state.answered[: len(answered_before)] == answered_before
    with sqlite3.connect(run / "index.sqlite") as conn:
        statuses = [s for (s,) in conn.execute("SELECT status FROM trials")]
    assert statuses == ["ok"] * len(ITEMS)
