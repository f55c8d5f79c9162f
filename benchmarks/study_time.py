"""A study's wall time on this machine, stage by stage, and what a large study would take.

    python benchmarks/study_time.py RUN [RUN ...] [--score] [--json PATH]

RUN folders are generation runs of the study spec (one model each, as the study was generated).
From their trial records, per model:
  generation  the seconds of decoding per trial as the run saw them: the sum of answer
              latencies over the slots that decoded together (a run keeps every slot busy)
  sandbox     the seconds of script execution per trial: the sum of sandbox wall times over
              the scripts run at once
With `--score`, scoring is timed on copies of the runs (WAVs and records, not the caches): the
first run scored cold (reference sets embedded: a one-off of every study), the others with the
references warm, which is the cost a further clip adds; per clip new to the cache, times the
runs' share of trials that rendered a clip.
Then: seconds per 100 trials per stage, and extrapolations to 100 models x 1,000 trials on one
machine (generation and sandbox overlap in a run, so their sum is an upper bound) and on N Ray
nodes (sandbox and scoring are Ray tasks; generation splits by model across nodes).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from audioprobe.spec import ExperimentSpec, ModelSpec
from audioprobe.store import RunStore

STUDY_MODELS, STUDY_TRIALS = 100, 1_000
RAY_NODES = (1, 4, 16)


def run_stages(root: Path) -> dict[str, Any]:
    """Per-trial generation and sandbox seconds of one run, from its trial records."""
    store = RunStore.open(root)
    spec = ExperimentSpec.model_validate(store.manifest.spec.stored())
    models = [ModelSpec.model_validate(m.stored()) for m in store.manifest.models]
    slots = max(m.concurrency or 1 for m in models)
    answered = [t.record for t in store.trials() if t.record.response]
    responses = [r.response for r in answered if r.response and not r.response.cached]
    latency = sum(r.latency_s or 0.0 for r in responses)
    tokens = sum(r.completion_tokens or 0 for r in responses)
    executed = [r.execution.wall_s for r in answered if r.execution and r.execution.wall_s]
    fresh = responses
    parallel = spec.sandbox.parallel or 1
    return {
        "run": str(root),
        "models": [m.name for m in models],
        "trials": len(answered),
        "generated": len(fresh),
        "slots": slots,
        "generation_s_per_trial": latency / slots / len(fresh) if fresh else None,
        "completion_tokens_per_trial": tokens / len(fresh) if fresh else None,
        "sandbox_s_per_trial": sum(executed) / parallel / len(answered) if answered else None,
        "sandbox_parallel": parallel,
    }


def _clip_shas(root: Path) -> set[str]:
    """sha256 of every rendered clip of a run (what scoring embeds)."""
    shas = set()
    for trial in RunStore.open(root).trials():
        audio = trial.record.audio
        if trial.record.wav and audio and audio.sha256:
            shas.add(audio.sha256)
    return shas


def time_scoring(roots: list[Path]) -> list[dict[str, Any]]:
    """Score copies of the runs in one fresh cache (reference sets reused from the user's cache
    when present, their embeddings not): the first cold, the rest with references warm. A clip
    already scored in an earlier run (two runs that rendered the same audio) costs nothing the
    second time, so the cost is given per clip that was new to the cache."""
    rows = []
    seen: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="study-time-") as tmp:
        cache = Path(tmp) / "cache"
        cache.mkdir()
        real_refs = Path(os.environ.get("AUDIOPROBE_CACHE") or Path.home() / ".cache/audioprobe")
        if (real_refs / "references").is_dir():
            (cache / "references").symlink_to(real_refs / "references")
        env = {**os.environ, "AUDIOPROBE_CACHE": str(cache)}
        for index, root in enumerate(roots):
            copy = Path(tmp) / f"run{index}"
            shutil.copytree(root, copy, ignore=shutil.ignore_patterns("report", "scores*"))
            clips = _clip_shas(copy)
            new = len(clips - seen)
            seen |= clips
            started = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-m", "audioprobe", "score", str(copy), "--quiet"],
                env=env,
                capture_output=True,
                text=True,
            )
            seconds = time.monotonic() - started
            rows.append(
                {
                    "run": str(root),
                    "references": "cold" if index == 0 else "warm",
                    "seconds": seconds,
                    "clips": len(clips),
                    "new_clips": new,
                    "s_per_new_clip": seconds / new if new else None,
                    "rc": done.returncode,
                    "stderr_tail": done.stderr[-400:],
                }
            )
    return rows


def extrapolate(per_trial: dict[str, float]) -> list[dict[str, Any]]:
    trials = STUDY_MODELS * STUDY_TRIALS
    rows = []
    for nodes in RAY_NODES:
        hours = {k: v * trials / nodes / 3600 for k, v in per_trial.items()}
        rows.append({"nodes": nodes, **{f"{k}_h": h for k, h in hours.items()}})
        rows[-1]["total_h"] = sum(hours.values())
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--score", action="store_true", help="also time scoring on copies")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    stages = [run_stages(root) for root in args.runs]
    print(f"{'model':<22} {'trials':>6} {'gen s/100':>9} {'out tok':>7} {'sandbox s/100':>13}")
    for row in stages:
        gen, box = row["generation_s_per_trial"], row["sandbox_s_per_trial"]
        print(
            f"{','.join(row['models']):<22} {row['trials']:>6}"
            f" {'-' if gen is None else format(gen * 100, '.0f'):>9}"
            f" {'-' if gen is None else format(row['completion_tokens_per_trial'], '.0f'):>7}"
            f" {'-' if box is None else format(box * 100, '.1f'):>13}"
        )
    measured = [r for r in stages if r["generation_s_per_trial"] is not None]
    per_trial = {
        "generation": statistics.mean(r["generation_s_per_trial"] for r in measured),
        "sandbox": statistics.mean(r["sandbox_s_per_trial"] or 0.0 for r in measured),
    }
    result: dict[str, Any] = {"runs": stages, "per_trial_s": per_trial}
    if args.score:
        scoring = time_scoring(args.runs)
        result["scoring"] = scoring
        for row in scoring:
            print(
                f"scoring {row['run']} (references {row['references']}): {row['seconds']:.0f} s"
                f" for {row['clips']} clips ({row['new_clips']} new to the cache), rc {row['rc']}"
            )
        ok = [r for r in scoring if r["rc"] == 0 and r["s_per_new_clip"] is not None]
        warm = [r["s_per_new_clip"] for r in ok if r["references"] == "warm"]
        cold = [r["s_per_new_clip"] for r in ok]
        if warm or cold:
            # per rendered clip, times the share of trials that render (failed renders cost
            # scoring nothing): seconds per trial of the runs measured
            rendered = sum(len(_clip_shas(root)) for root in args.runs)
            answered = sum(r["trials"] for r in stages)
            per_trial["scoring"] = statistics.mean(warm or cold) * rendered / max(1, answered)
    print(
        "seconds per 100 trials: " + ", ".join(f"{k} {v * 100:.0f}" for k, v in per_trial.items())
    )
    result["extrapolation"] = extrapolate(per_trial)
    print(f"{STUDY_MODELS} models x {STUDY_TRIALS:,} trials (models of the sizes measured):")
    for row in result["extrapolation"]:
        parts = ", ".join(f"{k[:-2]} {v:,.0f} h" for k, v in row.items() if k.endswith("_h"))
        print(f"  {row['nodes']:>3} node(s): {parts}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
