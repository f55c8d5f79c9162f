"""kill -9 between feedback rounds, then resume: the finished round is read back, not asked
again, and the trial ends as an uninterrupted one would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from fault_server import FaultServer, ServerState
from feedback_helpers import GOOD, SILENT, feedback_spec

ROUND_ONE = "round 1 of 2"  # in the feedback turn, so only round 1's conversation holds it


def test_kill_dash_nine_between_rounds_then_resume_repeats_no_call(tmp_path):
    env = dict(os.environ, AUDIOPROBE_CACHE=str(tmp_path / "cache"))
    run = tmp_path / "run"
    state = ServerState(answer=SILENT, answers={ROUND_ONE: GOOD}, hang_s=20)
    with FaultServer(state) as stub:
        stub.fail(ROUND_ONE, "hang")  # round 1's answer is slow: the kill lands between rounds
        model = (
            f'[[models]]\nname = "stubbed"\nkind = "openai"\nmodel = "stub"\n'
            f'base_url = "{stub.base_url}"\ntimeout_s = 60\n'
        )
        spec = feedback_spec(tmp_path / "k.toml", model, 2, ["sine-a4"])
        cmd = [sys.executable, "-m", "audioprobe", "run", str(spec), "--out", str(run)]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        trial = run / "trials" / "stubbed" / "notes" / "sine-a4" / "s0"
        deadline = time.monotonic() + 120
        while not (trial / "round-0" / "round.json").is_file() or stub.state.count(ROUND_ONE) < 1:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "round 0 never finished"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not (trial / "trial.json").exists()  # killed inside the trial, between rounds
        assert stub.state.count("*") - stub.state.count(ROUND_ONE) == 1
        stub.heal()
        asked_before = len(stub.state.requests)

        resumed = subprocess.run(
            [sys.executable, "-m", "audioprobe", "resume", str(run)],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert resumed.returncode == 0, resumed.stderr
        after = stub.state.requests[asked_before:]
    # resume asked only round 1 (never answered before the kill), never round 0 again
    assert len(after) == 1 and ROUND_ONE in state.text_of(after[0])
    record = json.loads((trial / "trial.json").read_text())
    assert record["status"] == "ok" and record["round"] == 1 and record["round_success"] is True
    assert [r["status"] for r in record["rounds"]] == ["invalid_audio", "ok"]


@pytest.mark.slow  # kept out of make test's 15 minutes; make test-all runs it
def test_each_round_is_cached_under_its_conversation(tmp_path):
    env = dict(os.environ, AUDIOPROBE_CACHE=str(tmp_path / "cache"))
    state = ServerState(answer=SILENT, answers={ROUND_ONE: GOOD})
    with FaultServer(state) as stub:
        model = '[[models]]\nname = "s"\nkind = "openai"\nmodel = "stub"\n'
        model += f'base_url = "{stub.base_url}"\n'
        spec = feedback_spec(tmp_path / "c.toml", model, 2, ["sine-a4"])

        def run(out: str) -> dict:
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "audioprobe",
                    "run",
                    str(spec),
                    "--out",
                    str(tmp_path / out),
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=180,
            )
            assert done.returncode == 0, done.stderr
            trial = tmp_path / out / "trials/s/notes/sine-a4/s0/trial.json"
            return json.loads(trial.read_text())

        first = run("a")
        assert stub.state.count("*") == 2
        again = run("b")  # same conversations: both answers from the cache
        assert stub.state.count("*") == 2 and again["round_success"] is True
        # another feedback wording changes round 1's conversation only: only round 1 is asked
        template = tmp_path / "fb.txt"
        template.write_text("Round {round} gave {status}. {analysis}\nFix it: {request}\n")
        spec.write_text(
            spec.read_text().replace("rounds = 2", f'rounds = 2\ntemplate = "{template}"')
        )
        changed = run("c")
        assert stub.state.count("*") == 3
        asked = state.text_of(stub.state.requests[-1])
        assert "Round 1 gave invalid_audio" in asked and ROUND_ONE not in asked
    assert first["round"] == 1 and changed["rounds"][0]["status"] == "invalid_audio"


def test_an_endpoint_fault_in_round_one_is_retried_by_resume_without_round_zero(tmp_path):
    env = dict(os.environ, AUDIOPROBE_CACHE=str(tmp_path / "cache"))
    run = tmp_path / "run"
    state = ServerState(answer=SILENT, answers={ROUND_ONE: GOOD})
    with FaultServer(state) as stub:
        stub.fail(ROUND_ONE, "500")
        model = '[[models]]\nname = "s"\nkind = "openai"\nmodel = "stub"\nmax_retries = 0\n'
        model += f'base_url = "{stub.base_url}"\n'
        spec = feedback_spec(tmp_path / "f.toml", model, 2, ["sine-a4"])
        first = subprocess.run(
            [sys.executable, "-m", "audioprobe", "run", str(spec), "--out", str(run)],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert first.returncode == 3, first.stderr  # the infrastructure lost the only trial
        trial = run / "trials/s/notes/sine-a4/s0"
        record = json.loads((trial / "trial.json").read_text())
        assert record["status"] == "llm_error" and record["feedback"]["stopped"] == "infrastructure"
        assert [r["status"] for r in record["rounds"]] == ["invalid_audio", "llm_error"]
        assert not (trial / "round-1" / "round.json").exists()
        stub.heal()
        asked = len(stub.state.requests)
        resumed = subprocess.run(
            [sys.executable, "-m", "audioprobe", "resume", str(run)],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert resumed.returncode == 0, resumed.stderr
        again = stub.state.requests[asked:]
    assert len(again) == 1 and ROUND_ONE in state.text_of(again[0])
    record = json.loads((trial / "trial.json").read_text())
    assert record["status"] == "ok" and record["round"] == 1 and record["round_success"] is True
