"""Scoring speed: FAD for 1,000 clips (ours, and frechet-audio-distance's sqrtm route on the same
statistics where installed), KAD, clip metrics per clip, and embeddings per clip.

    python benchmarks/scoring.py [--embeddings] [--dim 512]
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from audioprobe import threads
from audioprobe.scoring.fad import checked_frechet_distance, frechet_distance
from audioprobe.scoring.intervals import (
    bootstrap_interval,
    bootstrap_interval_on_indices,
    fad_infinity,
)
from audioprobe.scoring.kad import KernelMatrices, kernel_audio_distance, median_pairwise_distance
from audioprobe.scoring.pitch import PitchSettings, estimate_f0
from audioprobe.scoring.text_metrics import word_error_rate

SR = 16000


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def fad_package_function() -> Callable | None:
    """frechet-audio-distance's calculate_frechet_distance, compiled alone (see tests)."""
    spec = importlib.util.find_spec("frechet_audio_distance")
    if spec is None or spec.origin is None:
        return None
    from scipy import linalg

    tree = ast.parse((Path(spec.origin).parent / "fad.py").read_text())
    node = next(
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef) and n.name == "calculate_frechet_distance"
    )
    ns = {"np": np, "linalg": linalg}
    exec(compile(ast.Module(body=[node], type_ignores=[]), "fad_reference", "exec"), ns)
    return lambda *stats: ns["calculate_frechet_distance"](None, *stats)


def bench_sets(dim: int) -> None:
    rng = np.random.default_rng(0)
    gen = rng.normal(size=(1000, dim)) + 0.1
    ref = rng.normal(size=(1000, dim))
    small = gen[:20]
    print(f"set metrics, D={dim} (best of 3, one BLAS thread)")
    print(f"  FAD 1000 vs 1000 clips            {timed(lambda: frechet_distance(gen, ref)):8.3f} s")
    t = timed(lambda: checked_frechet_distance(gen, ref), 1)
    print(f"  FAD 1000 vs 1000, root checked    {t:8.3f} s")
    print(
        f"  FAD 20 vs 1000 clips              {timed(lambda: frechet_distance(small, ref)):8.3f} s"
    )
    other = fad_package_function()
    if other is not None:
        stats = (gen.mean(0), np.cov(gen, rowvar=False), ref.mean(0), np.cov(ref, rowvar=False))
        t = timed(lambda: other(*stats), 1)
        print(f"  frechet-audio-distance, same stats {t:8.3f} s (its sqrtm on the D x D product)")
        print(f"    values: ours {frechet_distance(gen, ref):.6f}, theirs {other(*stats):.6f}")
    else:
        print("  frechet-audio-distance not installed: no comparison")
    point = frechet_distance(small, ref)
    t = timed(
        lambda: bootstrap_interval(
            frechet_distance, point, small, ref, n_boot=200, seed=0, key=("b",)
        ),
        1,
    )
    print(f"  FAD 20 vs 1000 + 200 bootstraps   {t:8.3f} s")
    t = timed(
        lambda: fad_infinity(gen, ref, steps=10, min_fraction=0.25, repeats=3, seed=0, key=("b",)),
        1,
    )
    print(f"  FAD∞ 1000 clips (10 sizes x 3)    {t:8.3f} s")
    t = timed(lambda: kernel_audio_distance(gen, ref))
    print(f"  KAD 1000 vs 1000 clips            {t:8.3f} s")
    bench_kad_bootstrap(rng, dim)


def bench_kad_bootstrap(rng: np.random.Generator, dim: int, n: int = 500) -> None:
    """KAD's interval at 500 vs 500 clips: distances recomputed per resample, against the kernel
    matrices computed once and indexed (what scoring does)."""
    gen, ref = rng.normal(size=(n, dim)) + 0.1, rng.normal(size=(n, dim))
    sigma = median_pairwise_distance(ref)
    point = kernel_audio_distance(gen, ref, sigma).value
    common: dict[str, Any] = {"n_boot": 50, "seed": 0, "key": ("b",)}
    slow = timed(
        lambda: bootstrap_interval(
            lambda g, r: kernel_audio_distance(g, r, sigma).value, point, gen, ref, **common
        ),
        1,
    )
    fast = timed(
        lambda: bootstrap_interval_on_indices(
            KernelMatrices(gen, ref, sigma, 100.0).mmd2, point, n, n, **common
        ),
        1,
    )
    print(f"  KAD {n} vs {n} + 50 bootstraps, recomputed {slow:7.3f} s")
    print(f"  KAD {n} vs {n} + 50 bootstraps, kernels once {fast:5.3f} s  ({slow / fast:.1f}x)")


def bench_clips(n: int = 24) -> None:
    """Pitch on real clips (the built-in note references): the shipped pYIN grid against
    librosa's default 0.1-semitone grid, CPU time and the largest f0 difference."""
    import dataclasses

    import soundfile as sf

    from audioprobe.references import builtin
    from audioprobe.scoring.pitch import cents

    print("clip metrics")
    clips = builtin.ensure("builtin-notes").clips()
    chosen = clips[:: max(1, len(clips) // n)][:n]
    audio = [sf.read(c.path, dtype="float32")[0] for c in chosen]
    shipped = PitchSettings()
    fine = dataclasses.replace(shipped, pyin_resolution=0.1)
    estimate_f0(audio[0], shipped)  # compile (numba) outside the timing
    results = {}
    for label, settings in (("0.1 semitone grid", fine), ("shipped grid", shipped)):
        start = time.process_time()
        results[label] = [estimate_f0(a, settings) for a in audio]
        rate = n / (time.process_time() - start)
        print(f"  pitch, {label:<18} {rate:8.1f} clips per CPU s")
    diffs = [
        abs(cents(a.f0_hz, b.f0_hz))
        for a, b in zip(results["0.1 semitone grid"], results["shipped grid"], strict=True)
        if a.f0_hz and b.f0_hz
    ]
    print(f"  largest f0 difference between them {max(diffs):8.3f} cents over {n} note clips")
    start = time.perf_counter()
    for _ in range(1000):
        word_error_rate("The birch canoe slid on the smooth planks.", "the birch canoe slid on")
    print(
        f"  WER with normalisation            {1000 / (time.perf_counter() - start):8.0f} pairs/s"
    )


def stage_rate(name: str, n: int = 32) -> float:
    """Clips per second of one stage in this process, after its model is loaded."""
    t = np.arange(2 * SR) / SR
    clips = [(0.3 * np.sin(2 * np.pi * 300 * (i + 1) * t)).astype(np.float32) for i in range(n)]
    if name == "asr:whisper-base":
        from audioprobe.scoring.asr import get_transcriber

        asr = get_transcriber("whisper-base")
        asr.transcribe(clips[0], SR)
        start = time.perf_counter()
        for clip in clips[:8]:
            asr.transcribe(clip, SR)
        return 8 / (time.perf_counter() - start)
    from audioprobe.scoring.embeddings import get_embedding

    emb = get_embedding(name)
    emb.embed(clips[:2])
    start = time.perf_counter()
    emb.embed(clips)
    return n / (time.perf_counter() - start)


def bench_embeddings() -> None:
    """Each model stage with 1 and 2 threads, each in its own process (CTranslate2 fixes its
    pool when the model loads) under audioprobe's thread policy (passive OpenMP waiting)."""
    import os
    import subprocess
    import sys

    from audioprobe.scoring.asr import get_transcriber
    from audioprobe.scoring.embeddings import embeddings, get_embedding

    print("model stages (CPU, 2 s clips, after loading; clips/s by thread count)")
    stages = [*embeddings.names(), "asr:whisper-base"]
    for name in stages:
        ok, reason = (
            get_transcriber("whisper-base").available()
            if name.startswith("asr:")
            else get_embedding(name).available()
        )
        if not ok:
            print(f"  {name:24s} unavailable: {reason[:70]}")
            continue
        rates = {}
        for count in (1, 2):
            env = {**os.environ, "AUDIOPROBE_THREADS": str(count)}
            out = subprocess.run(
                [sys.executable, __file__, "--stage", name],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            rates[count] = json.loads(out.strip().splitlines()[-1])["rate"]
        print(
            f"  {name:24s} 1 thread {rates[1]:7.1f}   2 threads {rates[2]:7.1f}"
            f"   ratio {rates[2] / rates[1]:5.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--embeddings", action="store_true", help="also time embedding models")
    parser.add_argument("--stage", help=argparse.SUPPRESS)  # one model stage, in a child process
    args = parser.parse_args()
    threads.prepare_process()  # before torch/ctranslate2 load, as the command line does
    if args.stage:
        print(json.dumps({"rate": stage_rate(args.stage)}))
        return
    with threadpool_limits(limits=1, user_api="blas"):
        bench_sets(args.dim)
        bench_clips()
    if args.embeddings:
        bench_embeddings()


if __name__ == "__main__":
    main()
