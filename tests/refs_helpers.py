"""Helpers for the reference-set tests: tone files and an f0 estimator independent of the code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf


def write_tone(path: Path, freq: float, rate: int, seconds: float = 0.5, **kw: object) -> Path:
    """A sine tone written with soundfile (format from the suffix: .wav, .flac, ...)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * rate)) / rate
    sf.write(path, 0.5 * np.sin(2 * np.pi * freq * t), rate, **kw)
    return path


def yin_f0(x: np.ndarray, rate: int, fmin: float = 40.0, fmax: float = 2000.0) -> float:
    """YIN (de Cheveigné & Kawahara 2002) on one steady frame, with parabolic refinement.

    Written here, not imported from audioprobe, so the pitch test checks the renderer against an
    estimator it does not share code with.
    """
    frame = 2048
    window = int(rate / fmin) + 1
    start = int(0.25 * rate)
    seg = x[start : start + frame + window].astype(np.float64)
    taus = np.arange(1, window)
    diff = np.array([np.sum((seg[:frame] - seg[tau : tau + frame]) ** 2) for tau in taus])
    cmnd = diff * taus / np.maximum(np.cumsum(diff), 1e-12)
    lo = int(rate / fmax)
    cand = np.where(cmnd[lo:] < 0.15)[0]
    i = lo + (cand[0] if cand.size else int(np.argmin(cmnd[lo:])))
    while i + 1 < len(cmnd) and cmnd[i + 1] < cmnd[i]:
        i += 1
    a, b, c = cmnd[i - 1], cmnd[i], cmnd[i + 1]
    shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
    return rate / taus[i] * taus[i] / (taus[i] + shift)


def cents(f: float, ref: float) -> float:
    return 1200 * float(np.log2(f / ref))
