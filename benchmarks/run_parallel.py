"""A replayed 30-trial run with the spec's default sandbox parallelism against `parallel = 1`.

The same recorded answers (tests/data/answers_ok.jsonl: a pyo note, a numpy/scipy rain, a
pydub speech-like clip) are replayed for 10 samples of each of the smoke experiment's three items,
through the real sandbox (`--backend`, default auto). Both runs go back to back in one process
tree, so the ratio is what matters on a shared machine, not the seconds.

    python benchmarks/run_parallel.py [--samples 10] [--backend auto] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from audioprobe.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
ANSWERS = ROOT / "tests" / "data" / "answers_ok.jsonl"

SPEC = """
name = "parallel-bench"
seed = 0
samples = {samples}
[[tiers]]
name = "notes"
items = ["sine-a4"]
[[tiers]]
name = "environmental"
items = ["rain"]
[[tiers]]
name = "speech"
items = ["harvard-01"]
[[models]]
name = "replayed"
kind = "replay"
model = "{answers}"
[sandbox]
backend = "{backend}"
{parallel}
"""


def timed_run(folder: Path, samples: int, backend: str, parallel: int | None) -> dict:
    line = f"parallel = {parallel}" if parallel else ""
    spec_path = folder / f"spec-{parallel or 'default'}.toml"
    spec_path.write_text(
        SPEC.format(samples=samples, answers=ANSWERS, backend=backend, parallel=line)
    )
    resolved = load_spec(spec_path)[0].sandbox.parallel
    out = folder / f"run-{parallel or 'default'}"
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "audioprobe", "run", str(spec_path), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"run failed ({proc.returncode}): {proc.stderr[-2000:]}")
    statuses = [json.loads(p.read_text())["status"] for p in out.glob("trials/*/*/*/*/trial.json")]
    return {
        "setting": "default" if parallel is None else f"parallel = {parallel}",
        "parallel": resolved,
        "trials": len(statuses),
        "ok": statuses.count("ok"),
        "wall_s": wall,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        rows = [
            timed_run(Path(tmp), args.samples, args.backend, 1),
            timed_run(Path(tmp), args.samples, args.backend, None),
        ]
    print(f"{'setting':<14} {'parallel':>8} {'trials':>6} {'ok':>4} {'wall s':>7} {'speed-up':>8}")
    for row in rows:
        row["speedup"] = rows[0]["wall_s"] / row["wall_s"]
        print(
            f"{row['setting']:<14} {row['parallel']:>8} {row['trials']:>6} {row['ok']:>4}"
            f" {row['wall_s']:>7.1f} {row['speedup']:>8.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
