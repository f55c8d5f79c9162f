"""Run inside executors.local_cluster.namespace_command by the Ray tests: start a loopback Ray
cluster of separate `ray start` nodes, run `audioprobe run SPEC --executor ray`, optionally kill
the first worker node once some trials have finished, and write what was seen as JSON."""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

from audioprobe.executors.local_cluster import LocalCluster


def _running_a_script(cluster: LocalCluster, node: int) -> bool:
    """Whether a Ray worker of `node` is inside a sandbox task (Ray titles it by the task)."""
    for pid in cluster.node_processes(node):
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"ray::sandbox_task"):
            return True
    return False


def _finished(run: Path) -> int:
    return sum(1 for _ in (run / "trials").rglob("trial.json")) if (run / "trials").is_dir() else 0


def _score_on_cluster(run: Path, address: str, refs_root: Path) -> dict:
    """`score` with embedding batches as Ray tasks (real models: the nodes load their own), the
    references being test tones read by this driver."""
    from cluster_helpers import patch_references

    from audioprobe.executors import ExecutorChoice, open_embedder
    from audioprobe.scoring import score_run
    from audioprobe.store import RunStore

    patch_references(refs_root)
    embedder = open_embedder(ExecutorChoice("ray", address), "cpu")
    started = time.monotonic()
    report = score_run(RunStore.open(run), embedder=embedder)
    return {"s": time.monotonic() - started, "computed": report.cache_misses}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("spec")
    parser.add_argument("out", type=Path)
    parser.add_argument("report", type=Path)
    parser.add_argument("--cpus", default="1,1")
    parser.add_argument("--kill-after", type=int, default=0)
    parser.add_argument("--kill-driver-after", type=int, default=0, help="then resume")
    parser.add_argument("--score-refs", type=Path, help="then score, embedding on the cluster")
    parser.add_argument("--unfit-spec", help="first try a spec no node has memory for")
    args = parser.parse_args()
    report: dict = {"interfaces": [name for _, name in socket.if_nameindex()]}
    cluster = LocalCluster([int(n) for n in args.cpus.split(",")])
    try:
        started = time.monotonic()
        address = cluster.start()
        report["start_s"] = time.monotonic() - started
        import ray

        ray.init(address=address, log_to_driver=False)
        alive = [n for n in ray.nodes() if n["Alive"]]
        # head first, as LocalCluster numbers its nodes (ray.nodes() has no fixed order)
        alive.sort(key=lambda n: "node:__internal_head__" not in n["Resources"])
        report["nodes"] = [
            {"id": n["NodeID"], "address": n["NodeManagerAddress"], "cpus": n["Resources"]["CPU"]}
            for n in alive
        ]
        report["gcs_address"] = ray.get_runtime_context().gcs_address
        ray.shutdown()
        if args.unfit_spec:
            unfit = [
                sys.executable,
                "-m",
                "audioprobe",
                "run",
                args.unfit_spec,
                "--executor",
                "ray",
            ]
            done = subprocess.run(
                [*unfit, "--out", str(args.out) + ".unfit"],
                env={**cluster.env, "RAY_ADDRESS": address, "COLUMNS": "300"},
                capture_output=True,
                text=True,
                timeout=120,
            )
            report["unfit"] = {"rc": done.returncode, "output": done.stdout + done.stderr}
        command = [sys.executable, "-m", "audioprobe", "run", args.spec, "--executor", "ray"]
        started = time.monotonic()
        run = subprocess.Popen(
            [*command, "--out", str(args.out)],
            env={**cluster.env, "RAY_ADDRESS": address},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if args.kill_after:
            while run.poll() is None and not (
                _finished(args.out) >= args.kill_after and _running_a_script(cluster, 1)
            ):
                time.sleep(0.05)
            busy = _running_a_script(cluster, 1)
            cluster.kill_node(1)
            report["killed"] = {
                "node": report["nodes"][1]["id"],
                "after": _finished(args.out),
                "while_running_a_script": busy,
            }
        if args.kill_driver_after:
            while _finished(args.out) < args.kill_driver_after and run.poll() is None:
                time.sleep(0.05)
            run.kill()  # SIGKILL: the driver gets no chance to tidy up
            run.communicate(timeout=60)
            report["driver_killed_after"] = _finished(args.out)
            resume = [sys.executable, "-m", "audioprobe", "resume", str(args.out)]
            run = subprocess.Popen(
                [*resume, "--executor", "ray"],
                env={**cluster.env, "RAY_ADDRESS": address},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        output, _ = run.communicate(timeout=400)
        report["run_s"] = time.monotonic() - started
        report["rc"] = run.returncode
        report["output"] = output[-4000:]
        if args.score_refs and run.returncode == 0:
            report["score"] = _score_on_cluster(args.out, address, args.score_refs)
    finally:
        cluster.stop()
    args.report.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
