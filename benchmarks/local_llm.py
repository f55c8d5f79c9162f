"""Speed of the shipped local models on this machine, through the same server audioprobe runs.

For each catalog model whose weights are installed: start LocalServer, send one short warm-up
request, then `--trials` requests of the real audioprobe prompt for the tier-1 item `sine-a4`
(a pure 440 Hz tone written to output.wav) with max_tokens 400 at temperature 0, and report the
server's own timings: prompt tokens/s, generated tokens/s, and the wall seconds of one trial.
The machine's load average and the CPUs the server actually got (CPU seconds / wall seconds)
are recorded beside each row: on shared cores these, not the model, often set the speed.

    python benchmarks/local_llm.py [--models KEY ...] [--trials 3] [--threads N] [--json PATH]
                                   [--autogroup-nice -15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from openai import OpenAI

from audioprobe.errors import AudioprobeError
from audioprobe.llm.local import LocalServer, catalog, ensure_model
from audioprobe.llm.local.server import usable_cpus
from audioprobe.prompts import render_prompt
from audioprobe.tiers import load_tier


def benchmark_messages() -> list[dict[str, str]]:
    tier = load_tier("notes")
    item = next(item for item in tier.items if item.id == "sine-a4")
    return render_prompt(tier, item).messages()


def cpu_seconds(pid: int | None) -> float | None:
    """User+system CPU time of the server process so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_model(key: str, args: argparse.Namespace, messages: list[dict[str, str]]) -> dict[str, Any]:
    row: dict[str, Any] = {"model": key, "params": catalog()[key].params}
    try:
        path = ensure_model(catalog()[key])
    except AudioprobeError as exc:
        return {**row, "status": "unavailable", "reason": str(exc).splitlines()[0]}
    env = {"OMP_WAIT_POLICY": args.omp_wait_policy} if args.omp_wait_policy else None
    with LocalServer(path, ctx_size=4096, threads=args.threads, env=env) as server:
        if args.autogroup_nice is not None:
            # The server leads its own session, hence its own scheduler autogroup, which
            # competes with every other session as one unit whatever the processes' nice.
            Path(f"/proc/{server.pid}/autogroup").write_text(str(args.autogroup_nice))
        client = OpenAI(base_url=server.base_url, api_key="none", max_retries=0, timeout=900)
        client.chat.completions.create(
            model=server.model_id,
            messages=[{"role": "user", "content": "Say OK."}],
            max_tokens=4,
            temperature=0,
        )
        trials = []
        for trial in range(args.trials):
            load_before = os.getloadavg()[0]
            cpu_before = cpu_seconds(server.pid)
            started = time.monotonic()
            response = client.chat.completions.create(
                model=server.model_id,
                messages=messages,
                max_tokens=args.max_tokens,
                temperature=0,
                seed=trial,
                # the same prompt each trial: measure prompt processing, not the prompt cache
                extra_body={"cache_prompt": False},
            )
            wall = time.monotonic() - started
            cpu_after = cpu_seconds(server.pid)
            cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after else None
            timings = (response.model_extra or {}).get("timings") or {}
            trials.append(
                {
                    "seconds": wall,
                    "prompt_tokens": response.usage.prompt_tokens,
                    "completion_tokens": response.usage.completion_tokens,
                    "prompt_tps": timings.get("prompt_per_second"),
                    "gen_tps": timings.get("predicted_per_second"),
                    "load_avg": load_before,
                    "cpu_s": cpu,
                    # the CPU share the server got while it ran; below `threads` = contention
                    "cpus_used": cpu / wall if cpu else None,
                }
            )
        row.update(
            status="ok",
            server=server.program.describe() if server.program else None,
            threads=server.threads,
            startup_s=server.startup_s,
            trials=trials,
        )
    fields = ("seconds", "prompt_tps", "gen_tps", "completion_tokens", "load_avg", "cpus_used")
    for field in fields:
        values = [t[field] for t in trials if t[field] is not None]
        row[field] = statistics.median(values) if values else None
    return row


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'model':<20} {'params':>6} {'thr':>3} {'start s':>7} {'prompt t/s':>10}"
        f" {'gen t/s':>8} {'out tok':>7} {'s/trial':>8} {'load':>5} {'cpus':>5}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        if row["status"] != "ok":
            print(f"{row['model']:<20} {row['params']:>6}  unavailable: {row['reason']}")
            continue
        print(
            f"{row['model']:<20} {row['params']:>6} {row['threads']:>3} {row['startup_s']:>7.1f}"
            f" {row['prompt_tps']:>10.1f} {row['gen_tps']:>8.1f} {row['completion_tokens']:>7.0f}"
            f" {row['seconds']:>8.1f} {row['load_avg']:>5.1f} {row['cpus_used'] or 0:>5.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=list(catalog()), help="catalog keys")
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=400)
    parser.add_argument("--threads", type=int, default=None, help="default: usable CPUs")
    parser.add_argument("--omp-wait-policy", choices=("PASSIVE", "ACTIVE"), default=None)
    parser.add_argument(
        "--autogroup-nice",
        type=int,
        default=None,
        help="Linux: the server's autogroup nice (negative needs root); approximates dedicated"
        " cores on a machine shared with other sessions",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the rows here")
    args = parser.parse_args(argv)

    messages = benchmark_messages()
    print(f"{usable_cpus()} usable CPUs; load average {os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    for key in args.models:
        rows.append(run_model(key, args, messages))
        print(f"  done {key}", file=sys.stderr, flush=True)
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
