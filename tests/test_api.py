"""The Python API from a notebook: calls made inside a running event loop (as a Jupyter cell is)
run, score and read a run; docs/api.md's walkthrough runs as written."""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import audioprobe

REPO = Path(__file__).resolve().parents[1]
ANSWERS = REPO / "tests" / "data" / "answers_ok.jsonl"


def test_import_is_quick_exposes_the_api_and_loads_neither_cli_nor_torch():
    code = (
        "import sys, audioprobe; "
        "print(sorted(n for n in dir(audioprobe) if not n.startswith('_'))); "
        "print('torch' in sys.modules, 'audioprobe.cli' in sys.modules, 'typer' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout.splitlines()
    names = ast.literal_eval(out[0])
    for name in ("run", "run_async", "resume", "score", "open_run", "prepare", "Run"):
        assert name in names
    assert out[1] == "False False False"


@pytest.mark.slow  # kept out of make test's 15 minutes; make test-all runs it
def test_run_inside_a_running_event_loop_then_score_gives_a_row_per_trial_with_numbers(
    tmp_path, isolated_cache
):
    out = tmp_path / "run"

    async def notebook_cell() -> audioprobe.Run:
        asyncio.get_running_loop()  # a loop runs here, as in Jupyter
        run = audioprobe.run(
            "smoke",
            models=[f"replay:{ANSWERS}"],
            tiers=["notes", "environmental"],
            samples=2,
            out=out,
            progress=False,
        )
        return audioprobe.score(run.root, metrics=["duration"])

    run = asyncio.run(notebook_cell())
    df = run.trials_df()
    assert len(df) == 4 == len(run.trials())
    assert set(df["status"]) == {"ok"}
    assert sorted(df["item"]) == ["rain", "rain", "sine-a4", "sine-a4"]
    assert list(df["tier"]) == ["notes"] * 2 + ["environmental"] * 2  # by complexity
    metric_cols = [c for c in df.columns if c.startswith("metric.")]
    assert metric_cols and all(df[c].dtype == "float64" for c in metric_cols)
    # The duration metric measures the clip: its error agrees with the WAV's length and target.
    error = df["metric.duration_error_s"]
    assert (error - (df["duration_s"] - df["target_duration_s"])).abs().max() < 1e-6
    assert run.experiment.samples == 2
    assert [i.id for i in run.items("notes")] == ["sine-a4"]


def test_run_async_is_a_coroutine_awaited_on_the_callers_loop(tmp_path, isolated_cache):
    async def cell() -> audioprobe.Run:
        return await audioprobe.run_async(
            "smoke", models=[f"replay:{ANSWERS}"], tiers=["notes"], out=tmp_path / "r"
        )

    run = asyncio.run(cell())
    assert run.outcomes() == {"ok": 1}


def test_a_fixable_mistake_raises_one_audioprobe_error_and_writes_nothing(tmp_path):
    with pytest.raises(audioprobe.AudioprobeError, match=r"tier 'music'"):
        audioprobe.run("smoke", models=[f"replay:{ANSWERS}"], tiers=["music"], out=tmp_path / "x")
    with pytest.raises(audioprobe.AudioprobeError, match=r"--temperature 5\.0"):
        audioprobe.prepare("smoke", models=[f"replay:{ANSWERS}"], temperature=5.0)
    assert not (tmp_path / "x").exists()


def test_shards_from_python_split_the_plan_and_an_unreachable_cluster_writes_nothing(tmp_path):
    models = [f"replay:{ANSWERS}"]
    whole = audioprobe.prepare("smoke", models=models, samples=4)
    parts = [
        {k.trial_id for k in audioprobe.prepare("smoke", models=models, samples=4, shard=s).keys}
        for s in ("1/2", "2/2")
    ]
    assert parts[0] and parts[1] and not parts[0] & parts[1]
    assert parts[0] | parts[1] == {k.trial_id for k in whole.keys}
    pytest.importorskip("ray", reason="the Ray executor needs ray: pip install 'audioprobe[ray]'")
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    where = audioprobe.ExecutorChoice("ray", f"127.0.0.1:{port}")
    out = tmp_path / "r"
    with pytest.raises(audioprobe.AudioprobeError, match="cannot reach the Ray cluster at 127"):
        audioprobe.run("smoke", models=models, out=out, executor=where, progress=False)
    assert not out.exists()


def _cells(markdown: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown, flags=re.S)


def test_docs_api_walkthrough_runs_as_written_inside_an_event_loop(
    tmp_path, isolated_cache, monkeypatch
):
    monkeypatch.chdir(REPO)  # the walkthrough runs from the root of a clone
    text = (REPO / "docs" / "api.md").read_text()
    out = tmp_path / "notebook-demo"
    cells = [c.replace('"runs/notebook-demo"', json.dumps(str(out))) for c in _cells(text)]
    assert len(cells) >= 5 and any("await " in c for c in cells)
    namespace: dict[str, object] = {}

    async def notebook() -> None:
        for number, cell in enumerate(cells, 1):
            code = compile(
                cell, f"docs/api.md cell {number}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
            )
            result = eval(code, namespace)
            if inspect.iscoroutine(result):
                await result

    asyncio.run(notebook())
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["overrides"] == {"samples": 2, "temperature": 0.3}
    df = namespace["df"]
    assert len(df) == 2 and list(df["status"]) == ["ok", "ok"]  # type: ignore[index]


def test_an_interrupt_while_a_cell_waits_cancels_the_run_and_lets_it_clean_up():
    """Jupyter's stop button raises KeyboardInterrupt in the waiting thread: the run's coroutine
    is cancelled and its clean-up (stopping servers, unlocking the folder) runs before the
    interrupt reaches the cell."""
    from audioprobe.loops import run_coroutine

    cleaned = threading.Event()

    async def long_run() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            cleaned.set()

    async def cell() -> None:
        # ipykernel turns SIGINT into KeyboardInterrupt (asyncio.run's own handler would not)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            run_coroutine(long_run())
        assert cleaned.is_set() and time.monotonic() - started < 10

    asyncio.run(cell())
