"""Small spectrogram PNGs, one per distinct clip, named by the clip's content hash.

A figure per clip through pyplot costs ~100 ms; 5,000 of them would dominate report time. This
computes the STFT with numpy, maps it through a colormap and writes the pixels directly (a few ms),
and skips clips whose image already exists, so re-running `report` on a grown run is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

VERSION = 1  # bump when the picture changes, so cached images are redrawn
WIDTH = 320
N_FFT = 512
FREQ_ROWS = 128
FLOOR_DB = -80.0


@dataclass(frozen=True)
class SpectrogramInfo:
    """What the page prints beside the image (axis ranges), in a form it can label."""

    duration_s: float
    max_hz: float


def image_name(sha256: str) -> str:
    return f"{sha256[:24]}-v{VERSION}.png"


def _frames(mono: np.ndarray) -> np.ndarray:
    if len(mono) < N_FFT:
        mono = np.pad(mono, (0, N_FFT - len(mono)))
    hop = max(1, (len(mono) - N_FFT) // (WIDTH - 1))
    count = min(WIDTH, 1 + (len(mono) - N_FFT) // hop)
    starts = np.arange(count) * hop
    return mono[starts[:, None] + np.arange(N_FFT)[None, :]]


def _db_image(mono: np.ndarray) -> np.ndarray:
    frames = _frames(mono) * np.hanning(N_FFT)[None, :]
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2  # (time, N_FFT/2 + 1)
    power = power[:, 1:].reshape(power.shape[0], FREQ_ROWS, -1).mean(axis=2)
    db = 10 * np.log10(np.maximum(power, 1e-20))
    db -= db.max()
    return np.clip(db, FLOOR_DB, 0.0).T[::-1]  # low frequencies at the bottom


def render(wav: Path, target: Path) -> SpectrogramInfo:
    """Draw the clip's log-power spectrogram into `target` (unless already there)."""
    info = sf.info(str(wav))
    facts = SpectrogramInfo(duration_s=info.duration, max_hz=info.samplerate / 2)
    if target.is_file():
        return facts
    from matplotlib import colormaps
    from matplotlib.image import imsave

    data, _ = sf.read(str(wav), dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    mono = np.nan_to_num(mono, nan=0.0, posinf=0.0, neginf=0.0)
    image = _db_image(mono)
    rgba = colormaps["magma"]((image - FLOOR_DB) / -FLOOR_DB, bytes=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part.png")
    imsave(partial, rgba)
    partial.replace(target)
    return facts
