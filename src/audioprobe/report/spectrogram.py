"""Small spectrogram PNGs, one per distinct clip, named by the clip's content hash.

A figure per clip through pyplot costs ~100 ms; 5,000 of them would dominate report time. This
computes the STFT with numpy, maps it through a colormap and writes the pixels directly (a few ms),
and skips clips whose image already exists, so re-running `report` on a grown run is cheap.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import lru_cache
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
    return np.lib.stride_tricks.sliding_window_view(mono, N_FFT)[::hop][:count]


def _db_image(mono: np.ndarray) -> np.ndarray:
    frames = _frames(mono) * np.hanning(N_FFT).astype(np.float32)[None, :]
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2  # (time, N_FFT/2 + 1)
    power = power[:, 1:].reshape(power.shape[0], FREQ_ROWS, -1).mean(axis=2)
    db = 10 * np.log10(np.maximum(power, 1e-20))
    db -= db.max()
    return np.clip(db, FLOOR_DB, 0.0).T[::-1]  # low frequencies at the bottom


def _is_png(path: Path) -> bool:
    """Whether an image drawn earlier can be reused: a non-empty file with PNG's signature."""
    try:
        with path.open("rb") as fh:
            return fh.read(8) == b"\x89PNG\r\n\x1a\n"
    except OSError:
        return False


def render(wav: Path, target: Path) -> SpectrogramInfo:
    """Draw the clip's log-power spectrogram into `target` (unless already there)."""
    info = sf.info(str(wav))
    facts = SpectrogramInfo(duration_s=info.duration, max_hz=info.samplerate / 2)
    if _is_png(target):
        return facts
    from PIL import Image

    data, _ = sf.read(str(wav), dtype="float32", always_2d=True)
    mono = np.nan_to_num(data.mean(axis=1), nan=0.0, posinf=0.0, neginf=0.0)
    levels = np.round((_db_image(mono) - FLOOR_DB) * (255 / -FLOOR_DB)).astype(np.uint8)
    picture = Image.fromarray(levels, mode="P")
    picture.putpalette(_palette())
    target.parent.mkdir(parents=True, exist_ok=True)
    # a name of this thread's own: two trials with the same clip may be drawn at once
    partial = target.with_name(f".{target.stem}.{os.getpid()}.{threading.get_ident()}.png")
    picture.save(partial, format="PNG", compress_level=3)
    partial.replace(target)
    return facts


@lru_cache(maxsize=1)
def _palette() -> list[int]:
    """magma as a 256-colour palette: an 8-bit paletted PNG is a third of RGBA's size and
    several times quicker to encode."""
    from matplotlib import colormaps

    rgb = colormaps["magma"](np.linspace(0, 1, 256), bytes=True)[:, :3]
    return rgb.reshape(-1).tolist()
