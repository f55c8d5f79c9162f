"""Writing a generator's samples as the tier asks: mono, the tier's rate, 16-bit PCM.

Generators run at their own rates (Piper 22.05 kHz, MusicGen 32 kHz, AudioLDM 2 16 kHz);
scoring compares clips at the tier's rate, so the WAV is resampled here with soxr and what was
changed (rate, channels, trimmed length, clipped samples) is returned for the trial record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr


def write_mono_wav(
    path: Path,
    audio: np.ndarray,
    rate: int,
    target_rate: int,
    *,
    duration_s: float | None = None,
) -> dict[str, Any]:
    """Write `audio` (samples, or channels x samples) to `path`; `duration_s` trims to length."""
    samples = np.asarray(audio, dtype=np.float64)
    channels = 1 if samples.ndim == 1 else samples.shape[0]
    if samples.ndim == 2:
        samples = samples.mean(axis=0)
    elif samples.ndim != 1:
        raise ValueError(f"audio of shape {samples.shape}: expected (samples,) or (channels, n)")
    if rate != target_rate:
        samples = soxr.resample(samples, rate, target_rate, quality="HQ")
    generated = samples.shape[0]
    if duration_s is not None:
        samples = samples[: round(duration_s * target_rate)]
    clipped = int(np.count_nonzero(np.abs(samples) > 1.0))
    sf.write(str(path), np.clip(samples, -1.0, 1.0), target_rate, subtype="PCM_16")
    return {
        "source_sample_rate": int(rate),
        "source_channels": int(channels),
        "sample_rate": int(target_rate),
        "frames": int(samples.shape[0]),
        "duration_s": samples.shape[0] / target_rate,
        "generated_duration_s": generated / target_rate,
        "clipped_samples": clipped,
    }
