"""Per-run overhead of each sandbox backend available here, against bare python3.

    python benchmarks/sandbox.py [--repeat N] [--json PATH] [--backends bwrap,docker,subprocess]

For two scripts (`pass`, and `import numpy, scipy`) it times a bare `python3 -c ...` child and
a full `backend.run()` (launch, limits, output capture, file listing, clean-up), N times each,
and prints median and 90th-percentile wall seconds plus the median overhead over bare python.
A backend that cannot run here is listed with the reason instead of a number.
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

SCRIPTS = {"pass": "pass\n", "import numpy, scipy": "import numpy, scipy\n"}


def _stats(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {"median_s": statistics.median(ordered), "p90_s": p90, "n": len(ordered)}


def time_bare(code: str, repeat: int) -> dict:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
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
    args = parser.parse_args()

    rows: list[dict] = []
    bare = {label: time_bare(code, args.repeat) for label, code in SCRIPTS.items()}
    for label, stats in bare.items():
        rows.append({"runner": "bare python3 -c", "script": label, **stats, "overhead_s": 0.0})
    for name in args.backends.split(","):
        try:
            backend = get_backend(name)
        except SandboxUnavailable as exc:
            rows.append({"runner": name, "script": "-", "unavailable": str(exc)})
            continue
        for label, code in SCRIPTS.items():
            stats = time_backend(backend, code, args.repeat)
            overhead = stats["median_s"] - bare[label]["median_s"]
            rows.append({"runner": name, "script": label, **stats, "overhead_s": overhead})

    print("| runner | script | median s | p90 s | overhead vs bare (median) | n |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        if "unavailable" in row:
            print(f"| {row['runner']} | - | unavailable: {row['unavailable']} | | | |")
            continue
        print(
            f"| {row['runner']} | `{row['script']}` | {row['median_s']:.3f} | {row['p90_s']:.3f}"
            f" | {row['overhead_s']:+.3f} | {row['n']} |"
        )
    if args.json:
        meta = {"python": sys.version.split()[0], "machine": platform.platform()}
        args.json.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
