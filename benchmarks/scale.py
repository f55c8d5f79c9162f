"""The same replayed experiment with the local executor and with `--executor ray` on a local
multi-node Ray cluster (a head and worker nodes, each a separate `ray start` with its own CPU
count, all on loopback: executors/local_cluster.py): trials/s, the ratio to local, and where the
time goes (cluster start, sandbox time per node, the driver's share).

The replayed answers are numpy synthesis scripts of `--work` seconds of audio each, so every
trial is real sandbox work and no model is asked. On one machine the cluster's nodes share its
cores: the ratio measures Ray's overhead, not a speed-up, which needs nodes on other machines.

    python benchmarks/scale.py [--items 4] [--samples 2] [--cpus 1,1] [--work 20]
                               [--json benchmarks/results/scale.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from audioprobe.executors.local_cluster import LocalCluster, namespace_command
from audioprobe.store import RunStore

SCRIPT = """```python
import numpy as np
from scipy.io import wavfile
from scipy.signal import lfilter
sr = 16000
t = np.arange(int(sr * {work})) / sr
rng = np.random.default_rng({seed})
x = lfilter([1.0], [1.0, -0.97], rng.standard_normal(t.size)) * 0.01
x += 0.3 * np.sin(2 * np.pi * 440 * t)
wavfile.write("output.wav", sr, (x[: sr * 2] / np.max(np.abs(x))).astype(np.float32))
```"""


def write_experiment(folder: Path, items: int, samples: int, work: float) -> Path:
    replay = folder / "answers.jsonl"
    replay.write_text(
        "".join(
            json.dumps({"item": "*", "completion": SCRIPT.format(work=work, seed=s)}) + "\n"
            for s in range(samples)
        )
    )
    tiers = "".join(
        f'[[tiers]]\nname = "{t}"\nlimit = {items}\n\n'
        for t in ("notes", "environmental", "speech")
    )
    spec = folder / "scale.toml"
    spec.write_text(
        f'name = "scale"\nsamples = {samples}\noutput_dir = "{folder}"\n\n{tiers}'
        f'[[models]]\nname = "replayed"\nkind = "replay"\nmodel = "{replay}"\n\n'
        '[sandbox]\nbackend = "auto"\nparallel = 2\n'
    )
    return spec


def summarise(run: Path, wall_s: float) -> dict[str, Any]:
    trials = RunStore.open(run).trials()
    execs = [t.record.execution for t in trials if t.record.execution]
    per_node = Counter(getattr(e, "node", None) or "this machine" for e in execs)
    sandbox_s = sum(e.wall_s or 0.0 for e in execs)
    return {
        "trials": len(trials),
        "statuses": dict(Counter(t.status for t in trials)),
        "wall_s": round(wall_s, 2),
        "trials_per_s": round(len(trials) / wall_s, 3),
        "sandbox_s": round(sandbox_s, 2),
        "sandbox_s_per_trial": round(sandbox_s / max(1, len(execs)), 3),
        "trials_per_node": {node[:8]: n for node, n in per_node.items()},
    }


def run_local(spec: Path, out: Path) -> dict[str, Any]:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "audioprobe", "run", str(spec), "--out", str(out)],
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    return summarise(out, time.monotonic() - started)


def inside(spec: Path, out: Path, cpus: str, report: Path) -> None:
    """In the loopback namespace: start the cluster, run with --executor ray, stop it."""
    cluster = LocalCluster([int(n) for n in cpus.split(",")])
    started = time.monotonic()
    try:
        address = cluster.start()
        start_s = time.monotonic() - started
        began = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "audioprobe", "run", str(spec), "--executor", "ray",
             "--out", str(out)],
            env={**cluster.env, "RAY_ADDRESS": address}, check=True, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        result = summarise(out, time.monotonic() - began)
    finally:
        stopping = time.monotonic()
        cluster.stop()
    result["cluster_start_s"] = round(start_s, 2)
    result["cluster_stop_s"] = round(time.monotonic() - stopping, 2)
    report.write_text(json.dumps(result))


def run_ray(spec: Path, out: Path, cpus: str) -> dict[str, Any]:
    report = out.parent / "ray.json"
    command = [sys.executable, __file__, "--inside", str(spec), str(out), cpus, str(report)]
    env = {**os.environ, "AUDIOPROBE_LOOPBACK_NAMESPACE": "1"}
    subprocess.run(namespace_command(command), env=env, check=True, timeout=1800)
    return json.loads(report.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=4, help="items per tier")
    parser.add_argument("--samples", type=int, default=2)
    parser.add_argument("--cpus", default="1,1", help="CPUs of the head, then of each worker")
    parser.add_argument("--work", type=float, default=20.0, help="seconds of audio synthesised")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--inside", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        spec, out, cpus, report = args.inside
        inside(Path(spec), Path(out), cpus, Path(report))
        return
    with tempfile.TemporaryDirectory(prefix="ap-scale-") as tmp:
        folder = Path(tmp)
        spec = write_experiment(folder, args.items, args.samples, args.work)
        local = run_local(spec, folder / "local")
        ray = run_ray(spec, folder / "ray", args.cpus)
    same = local["statuses"] == ray["statuses"]
    result = {
        "machine_cpus": os.cpu_count(),
        "cluster_cpus": args.cpus,
        "local": local,
        "ray": ray,
        "ray_to_local_trials_per_s": round(ray["trials_per_s"] / local["trials_per_s"], 3),
        "same_outcomes": same,
    }
    text = json.dumps(result, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
