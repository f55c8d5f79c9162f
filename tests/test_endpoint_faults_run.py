"""A whole run against a misbehaving endpoint: faults are recorded as the endpoint's, never the
model's, never cached, and `resume` retries exactly them once the endpoint heals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fault_server import FAULTS, FaultServer, ServerState
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.llm import openai_compat
from audioprobe.prompts import render_prompt
from audioprobe.store import RunStore
from audioprobe.tiers import load_tier

runner = CliRunner()
KINDS = sorted(FAULTS)
#: The declared outcome of each fault: only a well-formed answer cut at max_tokens is the model's.
DECLARED = {kind: "llm_error" for kind in KINDS} | {"length": "no_code"}


def task_lines(n: int) -> dict[str, str]:
    """item id -> the first line of its prompt, which the fault server matches on."""
    tier = load_tier("notes")
    return {i.id: render_prompt(tier, i).user.splitlines()[0] for i in tier.items[:n]}


def write_spec(path: Path, url: str, items: list[str]) -> Path:
    path.write_text(
        f"""
name = "faults"
[[tiers]]
name = "notes"
items = {json.dumps(items)}
[[models]]
name = "flaky"
kind = "openai"
model = "m"
base_url = "{url}"
concurrency = 16
timeout_s = 1
max_retries = 1
retry_budget_s = 3
[sandbox]
backend = "subprocess"
parallel = 2
"""
    )
    return path


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    monkeypatch.setattr(openai_compat, "BACKOFF_BASE_S", 0.01)


def test_each_fault_ends_declared_and_only_faults_are_asked_again_after_healing(
    tmp_path, isolated_cache
):
    lines = task_lines(len(KINDS) + 1)
    items = list(lines)
    fault_of = dict(zip(items, KINDS, strict=False))  # the last item is answered well
    run = tmp_path / "run"
    with FaultServer(ServerState(hang_s=1.5)) as server:
        for item, kind in fault_of.items():
            server.fail(lines[item], kind)
        spec = write_spec(tmp_path / "f.toml", server.base_url, items)
        first = runner.invoke(app, ["run", str(spec), "--out", str(run)])
        # most trials failed in the endpoint: the run says so, and how to go on
        assert first.exit_code == 3, first.output
        assert f"audioprobe resume {run}" in " ".join(first.output.split())
        got = {t.item: t for t in RunStore.open(run).trials()}
        for item, kind in fault_of.items():
            assert got[item].status == DECLARED[kind], (kind, got[item].error)
            if DECLARED[kind] == "llm_error":
                assert server.base_url in got[item].error, kind
        assert "truncated at max_tokens" in got[fault_of_item(fault_of, "length")].error
        assert "HTTP 503" in got[fault_of_item(fault_of, "503")].error
        assert got[items[-1]].status == "ok"

        shown = runner.invoke(app, ["show", str(run)]).output
        infra = sum(1 for kind in KINDS if DECLARED[kind] == "llm_error")
        assert f"llm_error {infra}" in shown  # infrastructure, apart from the model's outcomes
        assert "50% (1/2)" in shown  # ok over the 2 trials the model answered

        before = {item: server.state.count(line) for item, line in lines.items()}
        server.heal()
        # a second run of the spec asks only for the faulted trials: no fault had been cached
        second = runner.invoke(app, ["run", str(spec), "--out", str(tmp_path / "second")])
        assert second.exit_code == 0, second.output
        after = {item: server.state.count(line) for item, line in lines.items()}
        asked = {item for item in items if after[item] > before[item]}
        faulted = {item for item, kind in fault_of.items() if DECLARED[kind] == "llm_error"}
        assert asked == faulted
        assert all(after[i] - before[i] == 1 for i in asked)
        healed = {i: "no_code" if fault_of.get(i) == "length" else "ok" for i in items}
        got = {t.item: t.status for t in RunStore.open(tmp_path / "second").trials()}
        assert got == healed

        # resume retries the first run's llm_error trials, now from the cache: no request
        total = server.state.count()
        resumed = runner.invoke(app, ["resume", str(run)])
        assert resumed.exit_code == 0, resumed.output
        assert server.state.count() == total
        assert {t.item: t.status for t in RunStore.open(run).trials()} == healed
        shown = runner.invoke(app, ["show", str(run)]).output
        assert f"{len(items) - 1}/{len(items)}" in shown and "llm_error" not in shown


def fault_of_item(fault_of: dict[str, str], kind: str) -> str:
    return next(item for item, k in fault_of.items() if k == kind)


def test_dead_endpoint_stops_before_the_run_naming_url_and_cause(tmp_path, isolated_cache):
    from fault_server import dead_url

    url = dead_url()
    run = tmp_path / "run"
    spec = write_spec(tmp_path / "d.toml", url, ["keyboard-c4", "keyboard-a4"])
    result = runner.invoke(app, ["run", str(spec), "--out", str(run)])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert f"cannot reach {url}: connection refused" in said and "Traceback" not in said
    assert not run.exists()  # no trial was run, no folder made


def test_failing_endpoint_run_exits_3_naming_url_cause_and_keep_flag(tmp_path, isolated_cache):
    run = tmp_path / "run"
    with FaultServer() as server:
        server.fail("*", "500")
        spec = write_spec(tmp_path / "d.toml", server.base_url, ["keyboard-c4", "keyboard-a4"])
        result = runner.invoke(app, ["run", str(spec), "--out", str(run)])
    assert result.exit_code == 3, result.output
    said = " ".join(result.output.split())
    assert "2 of 2 trials failed in the infrastructure" in said
    assert f"most often (2x, llm_error): {server.base_url}/chat/completions" in said
    assert "HTTP 500" in said
    trials = RunStore.open(run).trials()
    assert all(t.status == "llm_error" and server.base_url in t.error for t in trials)
    shown = runner.invoke(app, ["show", str(run)]).output
    assert "n/a (0 answered)" in shown  # no ok % made up from infrastructure failures
    # the endpoint is gone now: resume stops before asking, naming it
    gone = runner.invoke(app, ["resume", str(run)])
    assert gone.exit_code == 2 and "connection refused" in gone.output, gone.output
    assert server.base_url in " ".join(gone.output.split())
    # --keep-infra-failures leaves them as they are: no request is made, nothing changes
    kept = runner.invoke(app, ["resume", str(run), "--keep-infra-failures"])
    assert kept.exit_code == 3
    assert [t.record.finished for t in RunStore.open(run).trials()] == [
        t.record.finished for t in trials
    ]
