"""Browser-safe copies of clips for the report's players; the originals stay the scored files.

Model scripts write whatever WAV their library makes: 64-bit float (`scipy.io.wavfile.write` of a
float64 array), 24-bit, stereo at 48 kHz, odd sample rates. Chromium refuses several of these
(`MEDIA_ERR_SRC_NOT_SUPPORTED` for float64), so the page plays a copy in one format every browser
decodes: 16-bit FLAC at the clip's own rate and channel count. FLAC, because it is lossless against
16-bit PCM (nothing a listener judges is altered beyond 16-bit quantisation) and measured 21–87 %
of the 16-bit WAV's size on 3 s test clips at 16 kHz (chord 21 %, tone 33 %, filtered noise 77 %,
white noise 87 %); Opus was 25 % on all of them but lossy, which a listening lab should not be.
Copies are cached by the original's content hash, so a clip is converted once however many
reports show it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from audioprobe.hashing import sha256_file
from audioprobe.paths import cache_dir

# Changes whenever the copy's bytes would, so an old cache is never served for a new format.
FORMAT = "flac-pcm16-v1"
SUFFIX = ".flac"
# Rates outside what browsers' decoders accept are resampled; FLAC itself stops at 655 kHz.
MIN_RATE, MAX_RATE, FALLBACK_RATE = 8000, 192000, 48000


def _readable_flac(path: Path) -> bool:
    """Whether a cached copy can be reused: a FLAC whose header reads (an empty or damaged
    copy, from a full disk or another tool, is made again)."""
    try:
        return path.is_file() and sf.info(str(path)).format == "FLAC"
    except Exception:  # libsndfile's errors for a file it cannot read
        return False


def playable(source: Path, sha256: str | None = None) -> Path:
    """The cached browser-safe copy of `source` (made now if missing): 16-bit FLAC.

    Float samples beyond ±1 are clipped, as any player of the original would; non-finite samples
    (never in an `ok` clip) become silence rather than noise.
    """
    sha = sha256 or sha256_file(source)
    target = cache_dir("media", FORMAT) / f"{sha[:24]}{SUFFIX}"
    if _readable_flac(target):
        return target
    data, rate = sf.read(str(source), dtype="float32", always_2d=True)
    data = np.clip(np.nan_to_num(data, nan=0.0, posinf=0.0, neginf=0.0), -1.0, 1.0)
    if not MIN_RATE <= rate <= MAX_RATE:
        data = soxr.resample(data, rate, FALLBACK_RATE)
        rate = FALLBACK_RATE
    partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
    sf.write(str(partial), data, rate, format="FLAC", subtype="PCM_16")
    partial.replace(target)  # atomic: a concurrent report sees the whole file or none
    return target
