"""Inspecting a rendered WAV without touching it.

The check decides `ok` versus `invalid_audio`; everything it measures is kept, so a researcher can
tell a wrong-length clip from a silent one without opening the file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from audioprobe.hashing import sha256_file

SILENCE_PEAK = 1e-4


@dataclass
class AudioInfo:
    sample_rate: int
    channels: int
    frames: int
    duration_s: float
    peak: float | None
    rms: float | None
    has_nonfinite: bool
    silent: bool
    subtype: str
    sha256: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class AudioVerdict:
    info: AudioInfo | None
    problem: str | None  # None: usable audio


def inspect_wav(path: Path) -> AudioVerdict:
    """Read `path` as audio; describe it and say what, if anything, makes it unusable."""
    try:
        data, rate = sf.read(str(path), dtype="float64", always_2d=True)
        subtype = sf.info(str(path)).subtype
    except Exception as exc:  # soundfile raises several types for malformed files
        return AudioVerdict(None, f"unreadable audio: {exc}")
    finite = np.isfinite(data)
    has_nonfinite = not bool(finite.all())
    clean = data[finite] if has_nonfinite else data
    peak = float(np.max(np.abs(clean))) if clean.size else None
    rms = float(np.sqrt(np.mean(np.square(clean)))) if clean.size else None
    info = AudioInfo(
        sample_rate=int(rate),
        channels=int(data.shape[1]),
        frames=int(data.shape[0]),
        duration_s=data.shape[0] / rate if rate else 0.0,
        peak=peak,
        rms=rms,
        has_nonfinite=has_nonfinite,
        silent=peak is None or peak < SILENCE_PEAK,
        subtype=subtype,
        sha256=sha256_file(path),
    )
    if info.frames == 0:
        return AudioVerdict(info, "empty audio: no samples")
    if has_nonfinite:
        bad = int(data.size - finite.sum())
        return AudioVerdict(info, f"audio has {bad} NaN or infinite sample(s)")
    if info.silent:
        return AudioVerdict(info, f"audio is silent (peak {peak or 0.0:.2e} < {SILENCE_PEAK:g})")
    return AudioVerdict(info, None)
