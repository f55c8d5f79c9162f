"""Speed of the shipped local models on this machine, through the same server audioprobe runs.

For each catalog model whose weights are installed: start LocalServer, send one short warm-up
request, then `--trials` requests of the real audioprobe prompt for the tier-1 item `sine-a4`
(a pure 440 Hz tone written to output.wav) with max_tokens 400 at temperature 0, and report the
server's own timings: prompt tokens/s, generated tokens/s, and the wall seconds of one trial.
The machine's load average and the CPUs the server actually got (CPU seconds / wall seconds)
are recorded beside each row: on shared cores these, not the model, often set the speed.

    python benchmarks/local_llm.py [--models KEY ...] [--trials 3] [--threads N] [--json PATH]
                                   [--autogroup-nice -15]

`--slots 1 2 4` measures aggregate throughput instead: for each slot count N the server is
started with N slots and N requests are kept in flight (as a run with concurrency N does);
generated tokens of all requests over the wall time, the ratio to one slot, and the
memory-bandwidth roofline of one sequence (GGUF bytes read per token vs measured copy bandwidth).
`default` in the list stands for the slot count audioprobe picks on this machine.

`--study SPEC` compares decoding settings on that spec's real prompts (study_prompts.py): today's
settings (no speculative decoding, no prompt-chunk reuse) against the spec's first local model
as declared (audioprobe's defaults unless it overrides them), or against `--after KEY=VALUE ...`
(ModelSpec fields: speculative, draft_model, draft_max, ngram_size, cache_reuse, threads), with
`--limit N` prompts. It prints seconds per trial, aggregate tokens/s and the roofline share of
each side and their ratio; `--json` writes them (keys s_per_trial_before, s_per_trial_after, ratio).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from openai import OpenAI

from audioprobe.errors import AudioprobeError
from audioprobe.llm.local import LocalServer, catalog, ensure_model
from audioprobe.machine import default_local_slots, usable_cpus
from audioprobe.prompts import render_prompt
from audioprobe.tiers import load_tier

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam


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
        trials: list[dict[str, Any]] = []
        for trial in range(args.trials):
            load_before = os.getloadavg()[0]
            cpu_before = cpu_seconds(server.pid)
            started = time.monotonic()
            response = client.chat.completions.create(
                model=server.model_id,
                messages=cast("list[ChatCompletionMessageParam]", messages),
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
            usage = response.usage
            trials.append(
                {
                    "seconds": wall,
                    "prompt_tokens": usage.prompt_tokens if usage else None,
                    "completion_tokens": usage.completion_tokens if usage else None,
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


def memory_bandwidth_gbs(size_mb: int = 256, repeats: int = 5) -> float:
    """Best-of-N copy bandwidth (bytes read + written per second), the bound of decoding."""
    src = np.ones(size_mb * 1024 * 1024 // 8)
    dst = np.empty_like(src)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - started)
    return 2 * src.nbytes / best / 1e9


def aggregate_row(
    path: Path, slots: int, args: argparse.Namespace, messages: list[dict[str, str]]
) -> dict[str, Any]:
    """N slots, N requests in flight for `--trials` rounds: aggregate generated tokens/s."""
    from concurrent.futures import ThreadPoolExecutor

    with LocalServer(path, ctx_size=4096, threads=args.threads, parallel=slots) as server:
        client = OpenAI(base_url=server.base_url, api_key="none", max_retries=0, timeout=1800)

        def one(seed: int) -> int:
            response = client.chat.completions.create(
                model=server.model_id,
                messages=cast("list[ChatCompletionMessageParam]", messages),
                max_tokens=args.max_tokens,
                temperature=0.7,
                seed=seed,
                extra_body={"cache_prompt": False},
            )
            return response.usage.completion_tokens if response.usage else 0

        one(10_000)  # warm-up
        load_before = os.getloadavg()[0]
        started = time.monotonic()
        with ThreadPoolExecutor(slots) as pool:
            tokens = sum(pool.map(one, range(slots * args.trials)))
        wall = time.monotonic() - started
    return {
        "slots": slots,
        "requests": slots * args.trials,
        "completion_tokens": tokens,
        "seconds": wall,
        "aggregate_tps": tokens / wall,
        "load_avg": load_before,
    }


def run_aggregate(args: argparse.Namespace, messages: list[dict[str, str]]) -> dict[str, Any]:
    key = args.models[0]
    path = ensure_model(catalog()[key])
    counts = [default_local_slots() if s == "default" else int(s) for s in args.slots]
    rows = []
    for slots in dict.fromkeys(counts):
        rows.append(aggregate_row(path, slots, args, messages))
        print(f"  done {slots} slot(s)", file=sys.stderr, flush=True)
    base = next((r["aggregate_tps"] for r in rows if r["slots"] == 1), None)
    bandwidth = memory_bandwidth_gbs()
    roofline = bandwidth * 1e9 / path.stat().st_size
    print(f"model {key}; audioprobe's default on this machine: {default_local_slots()} slots")
    print(
        f"{'slots':>5} {'requests':>8} {'out tok':>7} {'wall s':>7} {'agg t/s':>8} {'x 1 slot':>8}"
    )
    for row in rows:
        ratio = row["aggregate_tps"] / base if base else float("nan")
        row["ratio_to_one_slot"] = ratio
        print(
            f"{row['slots']:>5} {row['requests']:>8} {row['completion_tokens']:>7}"
            f" {row['seconds']:>7.1f} {row['aggregate_tps']:>8.2f} {ratio:>8.2f}"
        )
    print(
        f"roofline of one sequence: {roofline:.1f} tok/s"
        f" ({bandwidth:.1f} GB/s copy bandwidth / {path.stat().st_size / 1e9:.2f} GB of weights)"
    )
    return {"model": key, "roofline_tps": roofline, "bandwidth_gbs": bandwidth, "rows": rows}


TODAY = {"speculative": "none", "cache_reuse": 0}  # what audioprobe's server ran before


def _settings(pairs: list[str], known: set[str]) -> dict[str, Any]:
    """KEY=VALUE pairs as LocalServer settings (integers where they parse as such); the keys are
    those of ModelSpec.local_server_options (`known`), or the spec's own field names."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = {"draft_model": "draft"}.get(key, key)
        if not sep or key not in known:
            raise SystemExit(
                f"expected KEY=VALUE with KEY one of {', '.join(sorted(known))}: {pair!r}"
            )
        out[key] = int(value) if value.isdigit() else value
    return out


def run_study(args: argparse.Namespace) -> dict[str, Any]:
    from study_prompts import compare_settings, study_messages

    model, _ = study_messages(args.study, 1)
    declared = model.local_server_options()
    before = TODAY | _settings(args.before, set(declared))
    after = _settings(args.after, set(declared)) if args.after is not None else declared
    if after.get("speculative") == "draft" and not after.get("draft"):
        after["draft"] = catalog()[model.model].draft
    path = ensure_model(catalog()[model.model])
    roofline = memory_bandwidth_gbs() * 1e9 / path.stat().st_size
    slots = model.slots or default_local_slots()
    print(f"study {args.study}: {model.model}, {slots} slots; before {before}; after {after}")
    result = compare_settings(
        args.study, before, after, slots=slots, limit=args.limit, roofline_tps=roofline
    )
    print(
        f"{'side':<7} {'trials':>6} {'s/trial':>8} {'agg t/s':>8} {'roofline':>8} {'code':>5}"
        f" {'draft acc':>9}"
    )
    for name in ("before", "after"):
        row = result[name]
        acc = row["draft_acceptance"]
        print(
            f"{name:<7} {row['trials']:>6} {row['s_per_trial']:>8.1f} {row['aggregate_tps']:>8.2f}"
            f" {row['roofline_share']:>8.0%} {row['answers_with_code']:>5}"
            f" {'' if acc is None else format(acc, '.0%'):>9}"
        )
    print(
        f"ratio (s/trial before / after): {result['ratio']:.2f};"
        f" tokens/s after / before: {result['tokens_per_s_ratio']:.2f}"
    )
    return result


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
    parser.add_argument(
        "--slots",
        nargs="*",
        default=None,
        help="aggregate mode: slot counts to compare (integers or 'default'), first model only",
    )
    parser.add_argument("--study", default=None, help="study mode: a spec path or name")
    parser.add_argument("--limit", type=int, default=None, help="study mode: first N prompts")
    parser.add_argument(
        "--before", nargs="*", default=[], help="study mode: KEY=VALUE decoding settings"
    )
    parser.add_argument(
        "--after", nargs="*", default=None, help="study mode: KEY=VALUE decoding settings"
    )
    parser.add_argument("--json", type=Path, default=None, help="write the rows here")
    args = parser.parse_args(argv)
    if args.study:
        result = run_study(args)
        if args.json:
            args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        return 0

    messages = benchmark_messages()
    print(f"{usable_cpus()} usable CPUs; load average {os.getloadavg()[0]:.1f}", flush=True)
    if args.slots:
        result = run_aggregate(args, messages)
        if args.json:
            args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        return 0
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
