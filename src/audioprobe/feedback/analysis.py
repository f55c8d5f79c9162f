"""What a rendered clip measures, for the model to read in its next round.

Only what a listener's first look would tell: length, level, clipping, silence, the pitch of a
note against its target, where the energy sits in the spectrum, and for speech what Whisper hears.
Pitch and transcript reuse scoring's estimators (scoring/pitch.py, scoring/asr.py) so that the
number a model is told is the number it is later scored on.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from audioprobe.audio_check import SILENCE_PEAK
from audioprobe.feedback.success import Facts, contract_deviations, octaves_of
from audioprobe.tiers import Item

#: A sample at or above this magnitude (of full scale) counts as clipped.
CLIP_LEVEL = 0.999
#: Frames of this length whose RMS is below SILENT_DBFS count as silent.
FRAME_S = 0.05
SILENT_DBFS = -60.0
#: The coarse band-energy profile: band edges in Hz (the last band runs to Nyquist).
BAND_EDGES_HZ = (0.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0)
PITCH_RATE = 16000


@dataclass
class Band:
    low_hz: float
    high_hz: float
    share: float  # of the clip's spectral energy, 0..1


@dataclass
class AudioAnalysis:
    """Measurements of one clip; a field is None when it does not apply or could not be had,
    with the reason in `notes`."""

    duration_s: float | None = None
    target_duration_s: float | None = None
    sample_rate: int | None = None
    channels: int | None = None
    peak: float | None = None
    peak_dbfs: float | None = None
    rms: float | None = None
    rms_dbfs: float | None = None
    clipped_share: float | None = None
    silent: bool | None = None
    silent_share: float | None = None
    centroid_hz: float | None = None
    bands: list[Band] = field(default_factory=list)
    f0_hz: float | None = None
    target_f0_hz: float | None = None
    cents_error: float | None = None
    voiced_fraction: float | None = None
    transcript: str | None = None
    target_sentence: str | None = None
    transcript_wer: float | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def facts(self, status: str, sample_rate: int | None) -> Facts:
        """What the task-success rule reads of this clip (feedback/success.py), with the
        contract checked against `sample_rate`, mono and the item's duration."""
        audio = {
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "duration_s": self.duration_s,
        }
        cents = self.cents_error
        return Facts(
            status=status,
            f0_hz=self.f0_hz,
            cents_error=cents,
            octaves=None if cents is None else octaves_of(cents),
            word_error=self.transcript_wer,
            deviations=contract_deviations(audio, sample_rate, self.target_duration_s),
            missing="; ".join(self.notes) or None,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AudioAnalysis:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["bands"] = [Band(**b) for b in known.get("bands") or []]
        return cls(**known)


def dbfs(level: float | None) -> float | None:
    """The level in dB of full scale; None for no level or zero (-inf has no JSON form)."""
    if level is None or level <= 0:
        return None
    return float(20 * np.log10(level))


def analyse(wav: Path, tier: str, item: Item, *, asr: bool = True) -> AudioAnalysis:
    """Measure `wav` for `item` of `tier`; an unreadable file gives the reason in `notes`."""
    out = AudioAnalysis(target_duration_s=item.duration_s)
    try:
        data, rate = sf.read(str(wav), dtype="float64", always_2d=True)
    except Exception as exc:  # soundfile raises several types for malformed files
        out.notes.append(f"the file is not readable audio ({exc})")
        return out
    out.sample_rate, out.channels = int(rate), int(data.shape[1])
    out.duration_s = data.shape[0] / rate if rate else 0.0
    mono = np.nan_to_num(data.mean(axis=1), nan=0.0, posinf=0.0, neginf=0.0)
    if mono.size == 0:
        out.notes.append("the file holds no samples")
        return out
    _levels(out, data, mono, int(rate))
    if out.silent:
        return out
    _spectrum(out, mono, int(rate))
    # what the item asks for decides what is measured, not the tier's name
    if item.note is not None:
        f0 = out.target_f0_hz = item.note.f0_hz
        _guarded(out, "f0", lambda: _pitch(out, mono, int(rate), f0))
    if item.speech is not None:
        sentence = out.target_sentence = item.speech.sentence
        if asr:
            _guarded(out, "transcript", lambda: _transcript(out, mono, int(rate), sentence))
        else:
            out.notes.append("no transcript: speech recognition was not asked for")
    return out


def _guarded(out: AudioAnalysis, what: str, step: Callable[[], None]) -> None:
    """Run one measurement; its failure is a gap in the feedback, said in `notes`, never the
    end of the trial (which would fail the same way on every resume)."""
    try:
        step()
    except Exception as exc:
        out.notes.append(f"no {what}: {type(exc).__name__}: {exc}")


def _levels(out: AudioAnalysis, data: np.ndarray, mono: np.ndarray, rate: int) -> None:
    finite = data[np.isfinite(data)]
    out.peak = float(np.max(np.abs(finite))) if finite.size else 0.0
    out.rms = float(np.sqrt(np.mean(np.square(finite)))) if finite.size else 0.0
    out.peak_dbfs, out.rms_dbfs = dbfs(out.peak), dbfs(out.rms)
    out.clipped_share = float(np.mean(np.abs(finite) >= CLIP_LEVEL)) if finite.size else 0.0
    out.silent = out.peak < SILENCE_PEAK
    frame = max(1, int(FRAME_S * rate))
    usable = mono[: mono.size // frame * frame].reshape(-1, frame) if mono.size >= frame else None
    if usable is not None:
        frame_rms = np.sqrt(np.mean(np.square(usable), axis=1))
        out.silent_share = float(np.mean(frame_rms < 10 ** (SILENT_DBFS / 20)))


def _spectrum(out: AudioAnalysis, mono: np.ndarray, rate: int) -> None:
    power = np.square(np.abs(np.fft.rfft(mono)))
    freqs = np.fft.rfftfreq(mono.size, 1.0 / rate)
    total = float(power.sum())
    if total <= 0:
        return
    out.centroid_hz = float((freqs * power).sum() / total)
    nyquist = rate / 2
    edges = [e for e in BAND_EDGES_HZ if e < nyquist] + [nyquist]
    for low, high in itertools.pairwise(edges):
        inside = (freqs >= low) & (freqs < high) if high < nyquist else (freqs >= low)
        out.bands.append(Band(low, high, float(power[inside].sum() / total)))


def _pitch(out: AudioAnalysis, mono: np.ndarray, rate: int, target_hz: float) -> None:
    from audioprobe.scoring.pitch import PitchSettings, cents, estimate_f0

    audio = mono
    if rate != PITCH_RATE:
        import soxr

        audio = soxr.resample(mono, rate, PITCH_RATE)
    est = estimate_f0(audio, PitchSettings(sample_rate=PITCH_RATE))
    out.voiced_fraction = est.voiced_fraction
    if est.f0_hz is None:
        out.notes.append("no pitch found: no frame was voiced")
        return
    out.f0_hz = est.f0_hz
    out.cents_error = cents(est.f0_hz, target_hz)


def _transcript(out: AudioAnalysis, mono: np.ndarray, rate: int, sentence: str) -> None:
    from audioprobe.scoring.asr import get_transcriber
    from audioprobe.scoring.text_metrics import word_error_rate

    transcriber = get_transcriber()
    ok, reason = transcriber.available()
    if not ok:
        out.notes.append(f"no transcript: {reason}")
        return
    out.transcript = transcriber.transcribe(mono.astype(np.float32), rate)
    out.transcript_wer = word_error_rate(sentence, out.transcript)
