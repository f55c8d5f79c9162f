"""Per-run overhead of each sandbox backend available here, against bare python3.

    python benchmarks/sandbox.py [--repeat N] [--json PATH] [--backends bwrap,docker,subprocess]
                                 [--scripts pass,imports,realistic]

For each script (`pass`; `import numpy, scipy`; and a realistic synthesis: numpy oscillators, a
scipy filter and envelope, a WAV written with scipy) it times the sandbox runtime's own
interpreter run bare (no limits, no isolation: the same Python, libraries and .pyc a sandbox
runs) and a full `backend.run()` (launch, limits, output capture, file listing, clean-up), N
times each, and prints median and 90th-percentile wall seconds, the median overhead, and the
ratio of medians to bare python. A backend that cannot run here is listed with the reason.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from audioprobe.sandbox import Limits, SandboxUnavailable, get_backend
from audioprobe.sandbox.rootfs import ensure_rootfs
from audioprobe.sandbox.runtime import INSIDE_PREFIX, INSIDE_PYTHON, inside

REALISTIC = """
import numpy as np
from scipy import signal
from scipy.io import wavfile

sr, dur = 16000, 3.0
t = np.arange(int(sr * dur)) / sr
tone = sum(np.sin(2 * np.pi * 220 * k * t) / k for k in range(1, 9))
noise = np.random.default_rng(0).standard_normal(t.size) * 0.05
b, a = signal.butter(4, 3000, fs=sr)
mix = signal.lfilter(b, a, tone + noise) * np.exp(-1.5 * t)
wavfile.write("output.wav", sr, (0.8 * mix / np.abs(mix).max()).astype(np.float32))
"""
SCRIPTS = {"pass": "pass\n", "imports": "import numpy, scipy\n", "realistic": REALISTIC}


def _stats(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {"median_s": statistics.median(ordered), "p90_s": p90, "n": len(ordered)}


def time_bare(code: str, repeat: int) -> dict:
    """The runtime tree's interpreter, run directly: what a script costs with no sandbox."""
    tree = ensure_rootfs()
    prefix = str(inside(tree, INSIDE_PREFIX))
    env = {"PYTHONHOME": prefix, "LD_LIBRARY_PATH": f"{prefix}/lib", "OPENBLAS_NUM_THREADS": "1"}
    python = str(inside(tree, INSIDE_PYTHON))
    samples = []
    with tempfile.TemporaryDirectory(prefix="ap-bench-") as tmp:
        script = Path(tmp) / "script.py"
        script.write_text(code)
        for i in range(repeat + 1):
            start = time.perf_counter()
            subprocess.run([python, "-B", str(script)], check=True, env=env, cwd=tmp)
            if i:  # the first run warms the page cache, as for the backends
                samples.append(time.perf_counter() - start)
    return _stats(samples)


def time_backend(backend, code: str, repeat: int) -> dict:
    samples = []
    with tempfile.TemporaryDirectory(prefix="ap-bench-") as tmp:
        for i in range(repeat + 1):
            work = Path(tmp) / f"w{i}"
            work.mkdir()
            (work / "script.py").write_text(code)
            start = time.perf_counter()
            result = backend.run(work / "script.py", work, Limits())
            elapsed = time.perf_counter() - start
            if result.status != "ok":
                raise RuntimeError(f"{backend.name}: {result.status} {result.reason}")
            if i:  # the first run warms caches (and builds the docker image): not counted
                samples.append(elapsed)
    return _stats(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    parser.add_argument("--backends", default="bwrap,docker,subprocess")
    parser.add_argument("--scripts", default=",".join(SCRIPTS))
    args = parser.parse_args()
    scripts = {label: SCRIPTS[label] for label in args.scripts.split(",")}

    rows: list[dict] = []
    bare = {label: time_bare(code, args.repeat) for label, code in scripts.items()}
    for label, stats in bare.items():
        rows.append({"runner": "bare python3", "script": label, **stats, "overhead_s": 0.0})
    for name in args.backends.split(","):
        try:
            backend = get_backend(name)
        except SandboxUnavailable as exc:
            rows.append({"runner": name, "script": "-", "unavailable": str(exc)})
            continue
        for label, code in scripts.items():
            stats = time_backend(backend, code, args.repeat)
            overhead = stats["median_s"] - bare[label]["median_s"]
            rows.append({"runner": name, "script": label, **stats, "overhead_s": overhead})
    for row in rows:
        if "median_s" in row:
            row["ratio"] = row["median_s"] / bare[row["script"]]["median_s"]

    print("| runner | script | median s | p90 s | overhead vs bare (median) | x bare | n |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        if "unavailable" in row:
            print(f"| {row['runner']} | - | unavailable: {row['unavailable']} | | | | |")
            continue
        print(
            f"| {row['runner']} | `{row['script']}` | {row['median_s']:.3f} | {row['p90_s']:.3f}"
            f" | {row['overhead_s']:+.3f} | {row['ratio']:.2f} | {row['n']} |"
        )
    if args.json:
        meta = {"python": sys.version.split()[0], "machine": platform.platform()}
        args.json.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
