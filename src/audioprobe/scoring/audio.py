"""Audio as the metrics see it: mono, one sample rate, one short-clip policy, all recorded.

Every metric reads clips through `prepare`, so the choices that change a number (how channels
are mixed, which resampler, whether levels are normalised, how a clip shorter than a model's
window is extended) are made in one place and written into each metric card. The clip's true
duration is measured before any padding and kept as a metric of its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import soundfile as sf

Resampler = Literal["soxr-vhq", "soxr-hq", "soxr-mq", "scipy-poly"]
_SOXR_QUALITY = {"soxr-vhq": "VHQ", "soxr-hq": "HQ", "soxr-mq": "MQ"}
MAX_RATE_FOR_BOUND = 192_000
TRIM_FRAME, TRIM_HOP = 256, 64  # samples: silence is cut to within 16 ms at 16 kHz


@dataclass(frozen=True)
class AnalysisSettings:
    resampler: Resampler = "soxr-hq"
    channel_mix: Literal["mean", "first"] = "mean"
    normalisation: Literal["none", "peak"] = "none"
    quantisation: Literal["float32"] = "float32"
    short_clip_policy: Literal["pad", "repeat"] = "pad"
    min_duration_s: float = 1.0
    max_duration_s: float = 60.0
    # Leading and trailing audio quieter than this many dB below the clip's peak is cut before
    # embedding (a tier's duration policy; None keeps the clip whole). Speech sets it: the
    # duration contract makes scripts pad a sentence with silence, which an embedding of the
    # whole clip would count against them (docs/science.md).
    trim_silence_db: float | None = None

    def describe(self) -> dict:
        """The settings plus the resampler's library version, for metric cards."""
        out = asdict(self)
        out["resampler_version"] = resampler_version(self.resampler)
        if self.trim_silence_db is not None:
            out["trim"] = f"librosa.effects.trim frame {TRIM_FRAME} hop {TRIM_HOP}"
        return out


def resampler_version(name: str) -> str:
    if name.startswith("soxr"):
        import soxr

        return f"soxr {soxr.__version__}"
    import scipy

    return f"scipy {scipy.__version__}"


def resample(audio: np.ndarray, sr_in: int, sr_out: int, method: Resampler) -> np.ndarray:
    if sr_in == sr_out:
        return audio
    if method in _SOXR_QUALITY:
        import soxr

        return soxr.resample(audio, sr_in, sr_out, quality=_SOXR_QUALITY[method])
    if method == "scipy-poly":
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(sr_in, sr_out)
        return resample_poly(audio, sr_out // g, sr_in // g).astype(audio.dtype)
    raise ValueError(f"unknown resampler {method!r}; expected one of {sorted(_SOXR_QUALITY)}")


def to_mono(data: np.ndarray, mix: str) -> np.ndarray:
    if data.ndim == 1:
        return data
    return data.mean(axis=1) if mix == "mean" else data[:, 0]


def extend_short(
    audio: np.ndarray, sample_rate: int, settings: AnalysisSettings, min_samples: int = 0
) -> np.ndarray:
    """Apply the short-clip policy: pad with silence or repeat up to the longer of
    min_duration_s and the model's own minimum (`min_samples`)."""
    need = max(round(settings.min_duration_s * sample_rate), int(min_samples))
    if audio.size >= need:
        return audio
    if audio.size == 0 or settings.short_clip_policy == "pad":
        return np.pad(audio, (0, need - audio.size))
    reps = -(-need // audio.size)
    return np.tile(audio, reps)[:need]


@dataclass(frozen=True)
class Clip:
    """A clip ready for a model: mono float32 at `sample_rate`, plus its true duration."""

    audio: np.ndarray
    sample_rate: int
    duration_s: float


def prepare(
    data: np.ndarray,
    sr_in: int,
    sr_out: int,
    settings: AnalysisSettings,
    extend: bool = True,
    min_samples: int = 0,
) -> Clip:
    """Mono mix, resample, normalise, trim silence (where the tier says so), then (for
    embeddings) the short-clip policy."""
    mono = to_mono(np.asarray(data, dtype=np.float32), settings.channel_mix)
    duration = mono.size / sr_in if sr_in else 0.0
    audio = resample(mono, sr_in, sr_out, settings.resampler).astype(np.float32)
    if settings.normalisation == "peak":
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        if peak > 0:
            audio = audio / peak
    if settings.trim_silence_db is not None and audio.size:
        import librosa

        audio, _ = librosa.effects.trim(
            audio, top_db=settings.trim_silence_db, frame_length=TRIM_FRAME, hop_length=TRIM_HOP
        )
    if extend:
        audio = extend_short(audio, sr_out, settings, min_samples)
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    return Clip(audio=audio, sample_rate=sr_out, duration_s=duration)


def load(
    path: Path, sr_out: int, settings: AnalysisSettings, extend: bool = True, min_samples: int = 0
) -> Clip:
    """Read at most `max_duration_s` of the file: every metric works within that memory bound,
    whatever length a script wrote (the true length is the duration metric's, from the header)."""
    with sf.SoundFile(str(path)) as fh:
        # the rate is the file's claim: a header saying 10 MHz must not lift the bound
        rate = min(fh.samplerate, MAX_RATE_FOR_BOUND)
        frames = min(fh.frames, round(settings.max_duration_s * rate))
        data = fh.read(frames, dtype="float32", always_2d=True)
        sr = fh.samplerate
    return prepare(data, int(sr), sr_out, settings, extend=extend, min_samples=min_samples)


def silence(
    duration_s: float, sr_out: int, settings: AnalysisSettings, min_samples: int = 0
) -> Clip:
    """The stand-in for a failed render under the `silence` rule."""
    frames = max(1, round(duration_s * sr_out))
    zeros = np.zeros(frames, dtype=np.float32)
    return prepare(zeros, sr_out, sr_out, settings, min_samples=min_samples)
