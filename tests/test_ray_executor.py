"""`--executor ray` on a local cluster of separate `ray start` nodes, all on 127.0.0.1: the same
outcomes, WAVs and metric values as the local executor, and a lost node loses no trial."""

from __future__ import annotations

import importlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cluster_helpers import (
    cli,
    fake_scoring,
    metric_values,
    outcomes,
    patch_references,
    wav_hashes,
    write_spec,
)

import audioprobe
import audioprobe.references as references
from audioprobe.executors.local_cluster import namespace_command
from audioprobe.store import RunStore

pytest.importorskip("ray", reason="the Ray executor needs ray: pip install 'audioprobe[ray]'")
TESTS = Path(__file__).resolve().parent


def on_ray_cluster(
    spec: Path,
    out: Path,
    *,
    cpus: str = "1,1",
    kill_after: int = 0,
    kill_driver_after: int = 0,
    score_refs: Path | None = None,
    unfit_spec: Path | None = None,
) -> dict:
    """Run `spec` with --executor ray on a fresh loopback cluster (and score it there with
    `score_refs`); what ray_scenario saw."""
    report = out.parent / f"{out.name}.report.json"
    source = str(Path(audioprobe.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "AUDIOPROBE_LOOPBACK_NAMESPACE": "1",
        "PYTHONPATH": os.pathsep.join([source, str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, str(TESTS / "ray_scenario.py"), str(spec), str(out), str(report)]
    command += ["--cpus", cpus, "--kill-after", str(kill_after)]
    command += ["--kill-driver-after", str(kill_driver_after)]
    if unfit_spec:
        command += ["--unfit-spec", str(unfit_spec)]
    if score_refs:
        command += ["--score-refs", str(score_refs)]
        env["AUDIOPROBE_CACHE"] = str(out.parent / f"{out.name}.cache")  # no shared embeddings
    done = subprocess.run(
        namespace_command(command), env=env, capture_output=True, text=True, timeout=500
    )
    assert done.returncode == 0 and report.is_file(), done.stdout[-3000:] + done.stderr[-3000:]
    seen = json.loads(report.read_text())
    assert seen["rc"] == 0, seen["output"]
    return seen


def nodes_used(run: Path) -> set[str]:
    return {t.record.execution.node for t in RunStore.open(run).trials() if t.record.execution}


def assert_same_run(local: Path, remote: Path, tmp_path: Path, monkeypatch) -> None:
    assert outcomes(remote) == outcomes(local)
    assert wav_hashes(remote) == wav_hashes(local)
    fake_scoring(monkeypatch, tmp_path / "refs")
    cli("score", str(local), "-q")
    cli("score", str(remote), "-q")
    values = metric_values(local)
    assert any(k[1] == "fad" and v[0] == "ok" for k, v in values.items())
    assert metric_values(remote) == values


def test_ray_cluster_on_loopback_gives_the_local_results(tmp_path, isolated_cache, monkeypatch):
    spec = write_spec(tmp_path, per_tier=1, samples=3)
    local, remote = tmp_path / "local", tmp_path / "ray"
    cli("run", str(spec), "--out", str(local))
    unfit = tmp_path / "unfit" / "spread.toml"
    unfit.parent.mkdir()
    text = spec.read_text().replace("wall_s = 30", "wall_s = 30\nmemory_mb = 100000000")
    unfit.write_text(text)
    seen = on_ray_cluster(spec, remote, unfit_spec=unfit)
    # a run no node has room for is refused in one line, not queued forever
    said = " ".join(seen["unfit"]["output"].split())
    assert seen["unfit"]["rc"] == 2 and "no node of the Ray cluster offers 1 CPU" in said, said
    assert not Path(str(remote) + ".unfit").exists()
    # two nodes, each its own `ray start`, and nothing but loopback to talk on
    assert seen["interfaces"] == ["lo"]
    assert [n["address"] for n in seen["nodes"]] == ["127.0.0.1", "127.0.0.1"]
    assert seen["gcs_address"].startswith("127.0.0.1:")
    assert {n["id"] for n in seen["nodes"]} == nodes_used(remote)  # both nodes ran scripts
    assert {s for s, _ in outcomes(local).values()} == {"ok", "runtime_error"}
    assert_same_run(local, remote, tmp_path, monkeypatch)


def test_ray_refuses_without_a_cluster_address(tmp_path, monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    spec = write_spec(tmp_path)
    said = cli("run", str(spec), "--executor", "ray", "--out", str(tmp_path / "r"), code=2)
    assert "set RAY_ADDRESS or pass --ray-address" in said and not (tmp_path / "r").exists()
    said = cli("run", str(spec), "--executor", "spark", code=2)
    assert "expected one of local, ray" in said
    # nothing listens there: said in seconds (ray.init alone waits minutes), no folder written
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    out = tmp_path / "r"
    said = cli("run", str(spec), "--executor", "ray", "--ray-address", f"127.0.0.1:{port}",
               "--out", str(out), code=2)  # fmt: skip
    assert f"cannot reach the Ray cluster at 127.0.0.1:{port}" in said and not out.exists()


@pytest.mark.slow
def test_embeddings_computed_on_the_cluster_equal_local_ones(tmp_path, isolated_cache, monkeypatch):
    """Scoring with embedding batches as Ray tasks (the real aisfx model, loaded by the nodes)
    gives the values local scoring gives; each side computes its own vectors. Both sides pin
    torch to one thread, so the vectors cannot differ by a thread count (docs/scale.md)."""
    monkeypatch.setenv("AUDIOPROBE_THREADS", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    spec = write_spec(tmp_path, per_tier=1, samples=3)
    local, remote = tmp_path / "local", tmp_path / "ray"
    cli("run", str(spec), "--out", str(local))
    patch_references(tmp_path / "refs")  # written here, read there
    try:
        seen = on_ray_cluster(spec, remote, score_refs=tmp_path / "refs")
        assert seen["score"]["computed"] > 0
        cli("score", str(local), "-q")
    finally:
        importlib.reload(references)
    values = metric_values(local)
    aisfx = {k: v for k, v in values.items() if k[3] == "aisfx" and v[0] == "ok"}
    assert any(k[1] == "fad" for k in aisfx)  # a real embedding gave set values
    caches = {str(isolated_cache): "CACHE", str(tmp_path / "ray.cache"): "CACHE"}
    assert _without(metric_values(remote), caches) == _without(values, caches)


def _without(values: dict, paths: dict[str, str]) -> dict:
    """`values` with the cache folders named in reasons (vggish's missing weights) replaced."""

    def text(v):
        if not isinstance(v, str):
            return v
        for path, name in paths.items():
            v = v.replace(path, name)
        return v

    return {k: tuple(text(x) for x in v) for k, v in values.items()}


@pytest.mark.slow
def test_a_worker_node_killed_mid_run_loses_no_trial(tmp_path, isolated_cache, monkeypatch):
    spec = write_spec(tmp_path, per_tier=2, samples=3, sleep_s=1.0)
    local, remote = tmp_path / "local", tmp_path / "ray"
    cli("run", str(spec), "--out", str(local))
    seen = on_ray_cluster(spec, remote, kill_after=3)
    killed = seen["killed"]
    assert killed["while_running_a_script"] and killed["after"] < 18  # lost mid-trial, mid-run
    statuses = [s for s, _ in outcomes(remote).values()]
    assert "sandbox_error" not in statuses and "pending" not in statuses
    assert nodes_used(remote) == {n["id"] for n in seen["nodes"]}  # the lost node had run some
    on_lost = [
        t for t in RunStore.open(remote).trials() if t.record.execution.node == killed["node"]
    ]
    assert 0 < len(on_lost) <= killed["after"]  # none finished there after its loss
    assert_same_run(local, remote, tmp_path, monkeypatch)


@pytest.mark.slow
def test_driver_killed_then_resumed_on_the_cluster_loses_nothing(
    tmp_path, isolated_cache, monkeypatch
):
    spec = write_spec(tmp_path, per_tier=2, samples=3, sleep_s=0.5)
    local, remote = tmp_path / "local", tmp_path / "ray"
    cli("run", str(spec), "--out", str(local))
    seen = on_ray_cluster(spec, remote, kill_driver_after=4)
    assert 4 <= seen["driver_killed_after"] < 18  # killed mid-run; `resume` finished it
    assert "18 trials" in " ".join(seen["output"].split())
    assert_same_run(local, remote, tmp_path, monkeypatch)
