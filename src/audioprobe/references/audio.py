"""Decoding, down-mixing, resampling and writing of reference clips.

Every clip of every set goes through `prepare` and `write_clip`, so all sets share one analysis
format (mono, 16-bit WAV at the analysis rate) and a build repeated on the same inputs gives the
same bytes, hence the same checksums.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from audioprobe.atomic import write_bytes

ANALYSIS_RATE = 16000


class DecodeError(Exception):
    """An audio file that neither libsndfile nor ffmpeg could read."""


def decode(path: Path) -> tuple[np.ndarray, int]:
    """Samples as float64 (frames, channels) and the file's own rate.

    libsndfile >= 1.1 reads WAV, FLAC, OGG/Vorbis and MP3; ffmpeg, where installed, covers the rest.
    """
    try:
        data, rate = sf.read(str(path), dtype="float64", always_2d=True)
        return data, int(rate)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        first_error = exc
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise DecodeError(f"{path}: cannot decode ({first_error}); ffmpeg is not installed")
    proc = subprocess.run(
        [ffmpeg, "-v", "error", "-i", str(path), "-f", "wav", "-acodec", "pcm_f32le", "-"],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise DecodeError(f"{path}: cannot decode: {proc.stderr.decode(errors='replace')[-300:]}")
    data, rate = sf.read(io.BytesIO(proc.stdout), dtype="float64", always_2d=True)
    return data, int(rate)


def to_mono(data: np.ndarray) -> np.ndarray:
    """Average of the channels: the analysis works on one channel."""
    if data.ndim == 1:
        return data
    return data.mean(axis=1)


def resample(mono: np.ndarray, rate: int, target: int = ANALYSIS_RATE) -> np.ndarray:
    """soxr high-quality resampling (deterministic, and fast enough for thousands of clips)."""
    if rate == target:
        return mono.astype(np.float64, copy=False)
    return soxr.resample(mono.astype(np.float64), rate, target, quality="HQ")


def prepare(data: np.ndarray, rate: int, target: int = ANALYSIS_RATE) -> np.ndarray:
    """Mono at `target`, scaled down only where resampling pushed peaks past full scale."""
    out = resample(to_mono(data), rate, target)
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    if peak > 1.0:
        out = out / peak
    return out


def wav_bytes(samples: np.ndarray, rate: int = ANALYSIS_RATE) -> bytes:
    """16-bit PCM WAV bytes; PCM_16 carries no timestamp or PEAK chunk, so bytes are repeatable."""
    buf = io.BytesIO()
    sf.write(buf, np.clip(samples, -1.0, 1.0), rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def write_clip(path: Path, samples: np.ndarray, rate: int = ANALYSIS_RATE) -> tuple[str, float]:
    """Write the clip atomically; return its sha256 and duration in seconds."""
    data = wav_bytes(samples, rate)
    write_bytes(path, data)
    return hashlib.sha256(data).hexdigest(), len(samples) / rate
