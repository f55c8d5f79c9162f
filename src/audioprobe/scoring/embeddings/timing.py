"""How fast an embedding runs here: for benchmarks/scoring.py and `docs/models.md`'s table."""

from __future__ import annotations

import time

import numpy as np

from audioprobe.scoring.embeddings import get_embedding


def time_embedding(
    name: str, n_clips: int = 16, seconds: float = 4.0, device: str = "cpu", seed: int = 0
) -> dict[str, float | int | str]:
    """Embed `n_clips` clips of `seconds` of noise-plus-tone; report load time and clips/s.

    The first call loads the weights (timed separately as `load_s`, including one warm-up clip),
    so `clips_per_s` is the steady-state rate. Raises Unavailable without weights.
    """
    emb = get_embedding(name, device)
    rng = np.random.default_rng(seed)
    n = int(seconds * emb.sample_rate)
    t = np.arange(n) / emb.sample_rate
    clips = [
        (
            0.3 * np.sin(2 * np.pi * rng.uniform(100, 2000) * t) + 0.05 * rng.standard_normal(n)
        ).astype(np.float32)
        for _ in range(n_clips)
    ]
    start = time.perf_counter()
    emb.embed(clips[:1])
    load_s = time.perf_counter() - start
    start, cpu_start = time.perf_counter(), time.process_time()
    emb.embed(clips)
    run_s, cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
    return {
        "name": name,
        "version": emb.version,
        "n_clips": n_clips,
        "clip_seconds": seconds,
        "load_s": round(load_s, 3),
        "run_s": round(run_s, 3),
        "clips_per_s": round(n_clips / run_s, 3),
        # CPU seconds of this process (all threads): comparable when other work shares the cores
        "cpu_s_per_clip": round(cpu_s / n_clips, 3),
    }
