"""Pitch of a rendered note: f0, its error in cents against the item's target, voiced share.

pYIN (librosa) decides which frames are pitched and gives a coarse f0 that resists octave
errors, but it reports f0 on a 10-cent grid (and YIN's own interpolation leans sharp by a few
cents). So the coarse value is refined in the spectrum: in each voiced analysis frame the peaks
nearest the first few harmonics of the coarse f0 are located by quadratic interpolation of the
log magnitude (Hann window, 4x zero padding), each gives f_k / k, and their magnitude-weighted
mean is the frame's f0; the clip's f0 is the median over voiced frames. A pure tone comes out
within a fraction of a cent. Before refining, a coarse f0 that is a lone sub-octave partial
(the built-in church and drawbar organs carry a 16' rank as loud as the note, and pYIN reads
it) is moved up an octave when the partials above it are the harmonic series of twice its
frequency (see _is_sub_octave). Settings come from the metric card.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ESTIMATOR = "pyin-voicing+sub-octave-check+harmonic-peak-refine-v2"


@dataclass(frozen=True)
class PitchSettings:
    sample_rate: int = 16000
    fmin_hz: float = 32.70
    fmax_hz: float = 2093.0
    frame_length: int = 2048
    hop_length: int = 512
    refine_window: int = 4096
    harmonics: int = 5
    # pYIN's pitch grid in semitones. Its Viterbi pass costs most of the time and grows with the
    # square of the grid's states; the refinement below sets the final f0, so a coarse grid
    # (1 semitone, 25x less CPU than librosa's 0.1) loses no precision: on the built-in note
    # references f0 moved by under a cent (tests/test_pitch_sine.py checks it on real clips).
    pyin_resolution: float = 1.0


@dataclass(frozen=True)
class PitchEstimate:
    f0_hz: float | None  # None: no voiced frame
    voiced_fraction: float
    frames: int


def cents(f0_hz: float, target_hz: float) -> float:
    """Signed interval from target to f0 in cents (1200 per octave)."""
    return 1200.0 * math.log2(f0_hz / target_hz)


@dataclass(frozen=True)
class PitchError:
    """A measured f0 against its target, octave-aware.

    `cents` is the plain interval. `pitch_class` is the interval to the *nearest octave* of the
    target, in [-600, 600): a note rendered an octave off has the right pitch class (a synth
    preset or an estimator may move it by octaves: the built-in organ's sub-octave rank is as
    loud as its fundamental; the listener hears the same note name), so one such clip does not
    dominate a summary of tuning. `octaves` counts the octave shift, flagged on its own;
    `in_tune` is |pitch_class| <= the declared tolerance.
    """

    cents: float
    pitch_class: float
    octaves: int
    in_tune: bool


IN_TUNE_CENTS = 50.0  # a quarter tone: nearer the target than any neighbouring semitone


def pitch_error(f0_hz: float, target_hz: float, tolerance: float = IN_TUNE_CENTS) -> PitchError:
    err = cents(f0_hz, target_hz)
    octaves = round(err / 1200.0) if math.isfinite(err) else 0  # a NaN stays NaN below
    pitch_class = err - 1200.0 * octaves
    return PitchError(err, pitch_class, octaves, abs(pitch_class) <= tolerance)


def estimate_f0(audio: np.ndarray, settings: PitchSettings) -> PitchEstimate:
    """f0 of a mono clip at settings.sample_rate (median over voiced frames)."""
    import librosa

    y = np.asarray(audio, dtype=np.float32)
    if y.size < settings.frame_length:
        y = np.pad(y, (0, settings.frame_length - y.size))
    f0, voiced, _ = librosa.pyin(
        y,
        fmin=settings.fmin_hz,
        fmax=settings.fmax_hz,
        sr=settings.sample_rate,
        frame_length=settings.frame_length,
        hop_length=settings.hop_length,
        resolution=settings.pyin_resolution,
    )
    frames = int(voiced.size)
    voiced_fraction = float(voiced.mean()) if frames else 0.0
    if not voiced.any():
        return PitchEstimate(None, voiced_fraction, frames)
    coarse = float(np.nanmedian(f0[voiced]))
    centres = np.flatnonzero(voiced) * settings.hop_length
    # pYIN may land under an organ note: one octave on its sub-octave rank, or two where the
    # lower one holds no partial at all (an organ of octave ranks only stays ambiguous above)
    if _is_sub_octave(y, coarse, centres, settings, rank=True):
        coarse *= 2.0
    elif _is_sub_octave(y, coarse, centres, settings, rank=False):
        coarse *= 2.0
        if _is_sub_octave(y, coarse, centres, settings, rank=True):
            coarse *= 2.0
    refined = _refine(y, coarse, centres, settings)
    return PitchEstimate(refined if refined is not None else coarse, voiced_fraction, frames)


def _peak_near(spectrum: np.ndarray, bin_hz: float, freq: float) -> tuple[float, float] | None:
    """Interpolated (frequency, magnitude) of the largest peak within ±40 cents of `freq`."""
    lo = int(np.floor(freq * 2 ** (-40 / 1200) / bin_hz))
    hi = int(np.ceil(freq * 2 ** (40 / 1200) / bin_hz))
    lo, hi = max(lo, 1), min(hi, spectrum.size - 2)
    if hi <= lo:
        return None
    k = lo + int(np.argmax(spectrum[lo : hi + 1]))
    a, b, c = np.log(spectrum[k - 1 : k + 2] + 1e-12)
    denom = a - 2 * b + c
    offset = 0.5 * (a - c) / denom if denom < 0 else 0.0
    return (k + offset) * bin_hz, float(spectrum[k])


#: A coarse f0 whose odd partials above the first (3, 5, 7 x f0) hold less than this share of
#: the energy of its even ones (2, 4, 6 x f0) has the partials of a note at 2 x f0; measured on
#: the built-in soundfont (tests/test_pitch_sine.py): the organs' sub-octave readings lie below
#: 0.008, every other instrument whose first two partials are alike above 0.025.
SUB_OCTAVE_ODD_SHARE = 0.012
#: ...and its own partial is a rank as loud as the note (energy ratio to 2 x f0 in this range),
#: or no partial at all (pYIN's own subharmonic error).
SUB_OCTAVE_RANK = (0.5, 2.0)
SUB_OCTAVE_ABSENT = 1e-3


def _is_sub_octave(
    y: np.ndarray, coarse: float, centres: np.ndarray, settings: PitchSettings, *, rank: bool
) -> bool:
    """Whether pYIN's f0 is a sub-octave partial (an organ's 16' rank, as loud as the note)
    rather than the note: the partials above it form the harmonic series of 2 x f0 (strong
    even multiples) with almost nothing at its odd multiples. A tone truly an octave low has
    its odd partials (a sawtooth's 1/3, 1/5, ...) or no partials at all (a sine): it stays.
    `rank`: the partial at f0 is as loud as the one at 2 x f0 (else: no partial at f0).
    Checked where 7 x f0 lies below Nyquist."""
    win = settings.refine_window
    n_fft = 4 * win
    bin_hz = settings.sample_rate / n_fft
    if 7 * coarse * 2 ** (40 / 1200) >= settings.sample_rate / 2:
        return False
    padded = np.pad(y, (win // 2, win // 2))
    frames = [padded[c : c + win] for c in centres[:: max(1, len(centres) // 8)]]
    frames = [f for f in frames if f.size == win]
    if not frames:
        return False
    window = np.hanning(win)
    spectrum = np.mean([np.abs(np.fft.rfft(f * window, n_fft)) for f in frames], axis=0)

    def energy(k: int) -> float:
        peak = _peak_near(spectrum, bin_hz, k * coarse)
        return peak[1] ** 2 if peak else 0.0

    first, second = energy(1), energy(2)
    even = sum(energy(k) for k in (2, 4, 6))
    odd = sum(energy(k) for k in (3, 5, 7))
    if second <= 0 or odd >= SUB_OCTAVE_ODD_SHARE * even:
        return False
    low, high = SUB_OCTAVE_RANK
    return low <= first / second <= high if rank else first < SUB_OCTAVE_ABSENT * second


def _refine(
    y: np.ndarray, coarse: float, centres: np.ndarray, settings: PitchSettings
) -> float | None:
    win = settings.refine_window
    n_fft = 4 * win
    bin_hz = settings.sample_rate / n_fft
    window = np.hanning(win)
    padded = np.pad(y, (win // 2, win // 2))
    estimates = []
    for centre in centres[:: max(1, win // (2 * settings.hop_length))]:
        frame = padded[centre : centre + win]
        if frame.size < win:
            continue
        spectrum = np.abs(np.fft.rfft(frame * window, n_fft))
        parts = []
        for k in range(1, settings.harmonics + 1):
            if k * coarse * 2 ** (40 / 1200) >= settings.sample_rate / 2:
                break
            peak = _peak_near(spectrum, bin_hz, k * coarse)
            if peak is not None:
                parts.append((peak[0] / k, peak[1]))
        if parts:
            freqs, weights = np.array(parts).T
            if weights.sum() > 0:
                estimates.append(float(np.average(freqs, weights=weights)))
    return float(np.median(estimates)) if estimates else None
