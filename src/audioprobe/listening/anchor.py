"""The MUSHRA low anchor: the reference low-passed at 3.5 kHz (ITU-R BS.1534-3, section 5.1).

BS.1534 fixes the cut-off, not the filter; a zero-phase 8th-order Butterworth (scipy) keeps the
anchor time-aligned with the reference and its stop band steep. A reference sampled at 7 kHz or
less has nothing above 3.5 kHz, so its anchor is the reference itself (said by `lowpass`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import butter, sosfiltfilt

CUTOFF_HZ = 3500.0
ORDER = 8


def lowpass(source: Path, target: Path, cutoff_hz: float = CUTOFF_HZ) -> bool:
    """Write `source` low-passed at `cutoff_hz` to `target` (16-bit FLAC); False when the clip
    has no content above the cut-off to remove (written unchanged)."""
    data, rate = sf.read(str(source), dtype="float64", always_2d=True)
    filtered = cutoff_hz < rate / 2
    if filtered:
        sos = butter(ORDER, cutoff_hz, btype="low", fs=rate, output="sos")
        data = sosfiltfilt(sos, data, axis=0)
    sf.write(str(target), np.clip(data, -1.0, 1.0), rate, format="FLAC", subtype="PCM_16")
    return filtered
