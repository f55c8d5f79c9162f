"""A run whose output goes to a file (nohup, Slurm) says how it is going at a steady pace: a line
every $AUDIOPROBE_PROGRESS_EVERY seconds (30 by default) with done/total, ok, failures, ETA and
tokens, even while no trial finishes; at the end the tokens and cost per model."""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fault_server import SINE, FaultServer, ServerState

from audioprobe.errors import ConfigError
from audioprobe.progress import DEFAULT_EVERY_S, EVERY_ENV, progress_every

REPO = Path(__file__).resolve().parents[1]
ANSWERS = REPO / "tests" / "data" / "answers_ok.jsonl"
LINE = re.compile(r"(\d+)/(\d+) trials, (\d+) ok, (\d+) failed.*; (ETA \S+|finished|ETA unknown)")


def _spec(path: Path, models: str) -> Path:
    path.write_text(
        'name = "slow"\n[[tiers]]\nname = "notes"\n'
        'items = ["sine-a4", "keyboard-c4", "keyboard-a4"]\n'
        f'{models}\n[sandbox]\nbackend = "subprocess"\n'
    )
    return path


def _run_logged(args: list[str], every: str) -> list[tuple[float, str]]:
    """The CLI's stdout to a pipe (not a terminal), each line with the time it arrived."""
    env = {**os.environ, EVERY_ENV: every, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "audioprobe", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append((time.monotonic(), line.rstrip("\n")))
    assert proc.wait(timeout=120) == 0, "\n".join(text for _, text in lines)
    return lines


def test_a_slow_run_to_a_file_writes_a_progress_line_with_eta_every_period(
    tmp_path, isolated_cache
):
    """Three answers 2 s apart, one at a time, with a line every second: the log never goes
    quiet for longer than the period, and each line says done/total and an ETA."""
    answers = tmp_path / "sine.jsonl"
    answers.write_text(json.dumps({"item": "*", "completion": SINE}) + "\n")
    spec = _spec(
        tmp_path / "slow.toml",
        f'[[models]]\nname = "slow"\nkind = "replay"\nmodel = "{answers}"\nconcurrency = 1\n'
        "extra = {delay_s = 2}",
    )
    logged = _run_logged(["run", str(spec), "--out", str(tmp_path / "run")], every="1")
    progress = [(t, text) for t, text in logged if LINE.search(text)]
    assert len(progress) >= 4, logged
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(progress)]
    assert max(gaps) < 1 + 1.5, gaps  # the period, plus scheduling slack on a busy machine
    parsed = [LINE.search(text).groups() for _, text in progress]  # type: ignore[union-attr]
    assert all(total == "3" for _, total, *_ in parsed)
    assert any(eta.startswith("ETA ") and eta[4:5].isdigit() for *_, eta in parsed), parsed
    assert parsed[-1][:4] == ("3", "3", "3", "0") and parsed[-1][4] == "finished"
    assert all("tokens 0 in / 0 out" in text for _, text in progress)


def test_the_end_of_a_run_gives_tokens_and_cost_per_model(tmp_path, isolated_cache):
    """The endpoint reports 11 prompt and 7 completion tokens per answer; at 1000 and 2000 USD
    per million tokens, 3 answers cost 3 * (11 * 1000 + 7 * 2000) / 1e6 = 0.075 USD."""
    with FaultServer(ServerState(delay_s=0.5)) as server:
        spec = _spec(
            tmp_path / "priced.toml",
            f'[[models]]\nname = "priced"\nkind = "openai"\nmodel = "m"\n'
            f'base_url = "{server.base_url}"\nconcurrency = 1\n'
            "price_in = 1000\nprice_out = 2000",
        )
        logged = _run_logged(["run", str(spec), "--out", str(tmp_path / "run")], every="1")
    text = "\n".join(line for _, line in logged)
    assert "tokens 33 in / 21 out" in text
    row = next(line for line in text.splitlines() if line.strip("│ ").startswith("priced"))
    assert re.search(r"priced\s*│\s*3\s*│\s*33\s*│\s*21\s*│\s*0\.075\b", row), row


def test_the_period_is_30_seconds_unless_set_and_a_bad_value_is_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv(EVERY_ENV, raising=False)
    assert progress_every() == DEFAULT_EVERY_S == 30
    monkeypatch.setenv(EVERY_ENV, "120")
    assert progress_every() == 120
    for bad in ("0", "-3", "soon", "nan"):
        monkeypatch.setenv(EVERY_ENV, bad)
        with pytest.raises(ConfigError, match=EVERY_ENV):
            progress_every()
    env = {**os.environ, EVERY_ENV: "soon"}
    out = tmp_path / "never"
    result = subprocess.run(
        [sys.executable, "-m", "audioprobe", "run", "smoke", "--model", f"replay:{ANSWERS}",
         "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert f"{EVERY_ENV}='soon'" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_a_terminal_gets_a_bar_per_model_with_its_counts_and_an_eta(tmp_path, isolated_cache):
    from rich.console import Console

    from audioprobe import api

    console = Console(file=io.StringIO(), force_terminal=True, record=True, width=160)
    planned = api.prepare(
        "smoke",
        models=[f"replay:{ANSWERS}", "baseline:piper"],
        tiers=["notes"],
        samples=2,
        out=tmp_path / "run",
    )
    api.run_plan(planned, console=console)
    # the live display redraws in place: keep each bar's last drawing
    drawn = console.export_text()
    last = dict(re.findall(r"(run|answers_ok|piper) +[━╺╸]+ +(\d+/\d+ [^\n]*?ETA [-:\d]+)", drawn))
    # the replay's two notes render; piper (a speech model) has nothing to do on notes: its
    # trials are not run, and not counted as the model's failures
    assert re.match(r"2/2 2 ok, 0 failed +\d:\d\d:\d\d ETA 0:00:00", last["answers_ok"])
    assert re.match(r"2/2 0 ok, 0 failed, 2 not run ", last["piper"])
    assert re.match(r"4/4 2 ok, 0 failed, 2 not run; tokens 0 in / 0 out ", last["run"])


def test_tokens_add_up_every_feedback_round(tmp_path, isolated_cache):
    """Each round is a request of its own (11 prompt and 7 completion tokens here): a trial of
    two rounds took 22 and 14, in the progress line and in the closing table alike."""
    from rich.console import Console

    from audioprobe import api
    from audioprobe.summary import model_usage

    with FaultServer() as server:
        spec = tmp_path / "fb.toml"
        spec.write_text(
            'name = "fb"\n[[tiers]]\nname = "notes"\nitems = ["sine-a4"]\n'
            '[[models]]\nname = "m"\nkind = "openai"\nmodel = "m"\n'
            f'base_url = "{server.base_url}"\n'
            "price_in = 1000\nprice_out = 2000\n"
            '[feedback]\nrounds = 2\nstop_on_success = false\n[sandbox]\nbackend = "subprocess"\n'
        )
        console = Console(file=io.StringIO(), width=200)  # not a terminal: plain lines
        run = api.run_plan(api.prepare(spec, out=tmp_path / "run"), console=console)
        assert server.state.count() == 2
    [usage] = model_usage(run.store)
    assert (usage.trials, usage.tokens_in, usage.tokens_out) == (1, 22, 14)
    assert usage.cost_usd == (22 * 1000 + 14 * 2000) / 1e6
    printed = console.file.getvalue()  # type: ignore[attr-defined]
    assert "1/1 trials, 1 ok, 0 failed; finished; tokens 22 in / 14 out" in printed
    assert re.search(r"m\s*│\s*1\s*│\s*22\s*│\s*14\s*│\s*0\.05\b", printed), printed


def test_missing_ipywidgets_warnings_are_silenced_and_nothing_else():
    import warnings

    from audioprobe.progress import without_widget_warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with without_widget_warnings():
            warnings.warn(
                "IProgress not found. Please update jupyter and ipywidgets.", stacklevel=2
            )
            warnings.warn('install "ipywidgets" for Jupyter support', stacklevel=2)
            warnings.warn("a real problem", stacklevel=2)
    assert [str(w.message) for w in caught] == ["a real problem"]
