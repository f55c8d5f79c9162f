"""Pitch: a pure A4 sine is within 5 cents of A4; silence has no pitch."""

from __future__ import annotations

import numpy as np
import pytest

from audioprobe.scoring.pitch import PitchSettings, cents, estimate_f0

SR = 16000


def test_pure_440_sine_scores_under_5_cents_against_a4() -> None:
    t = np.arange(2 * SR) / SR
    est = estimate_f0(0.5 * np.sin(2 * np.pi * 440.0 * t), PitchSettings())
    assert est.f0_hz is not None
    assert abs(cents(est.f0_hz, 440.0)) < 5
    assert est.voiced_fraction > 0.9
    # A harmonic tone an octave below, with decaying partials, is found at its fundamental.
    tone = sum(0.3 / k * np.sin(2 * np.pi * 220 * k * t) for k in range(1, 6)) * np.exp(-t)
    low = estimate_f0(tone, PitchSettings())
    assert low.f0_hz is not None and abs(cents(low.f0_hz, 220.0)) < 5


def test_silence_has_no_pitch_and_cents_sign() -> None:
    est = estimate_f0(np.zeros(SR), PitchSettings())
    assert est.f0_hz is None and est.voiced_fraction == 0.0
    assert cents(880.0, 440.0) == pytest.approx(1200.0)
    assert cents(440.0, 466.16) == pytest.approx(-100.0, abs=0.1)


def test_the_coarse_pyin_grid_keeps_f0_on_real_note_references(isolated_cache) -> None:
    """The shipped 1-semitone pYIN grid against librosa's 0.1: same f0 (declared tolerance:
    1 cent) and voiced share within 0.1, on soundfont notes of several instrument families."""
    import dataclasses

    import soundfile as sf

    from audioprobe.references import builtin

    clips = builtin.ensure("builtin-notes").clips()
    programs: dict[str, object] = {}
    for clip in clips:  # one clip per soundfont program: piano, organ, strings, brass, ...
        programs.setdefault(clip.path.name.split("_")[0], clip)
    shipped = PitchSettings()
    assert shipped.pyin_resolution == 1.0
    fine = dataclasses.replace(shipped, pyin_resolution=0.1)
    for clip in list(programs.values())[:6]:
        audio, _ = sf.read(clip.path, dtype="float32")
        coarse, reference = estimate_f0(audio, shipped), estimate_f0(audio, fine)
        assert (coarse.f0_hz is None) == (reference.f0_hz is None), clip.path.name
        if reference.f0_hz is not None:
            assert abs(cents(coarse.f0_hz, reference.f0_hz)) < 1.0, clip.path.name
        assert abs(coarse.voiced_fraction - reference.voiced_fraction) <= 0.1, clip.path.name
