"""Browser-safe copies of clips: 16-bit FLAC, same sound, cached by the original's hash."""

from __future__ import annotations

import numpy as np
import soundfile as sf
from scipy.io import wavfile

from audioprobe.report.media import FALLBACK_RATE, playable


def test_float64_clip_becomes_16bit_flac_with_the_same_samples(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIOPROBE_CACHE", str(tmp_path / "cache"))
    rate = 22050
    x = 0.5 * np.sin(2 * np.pi * 440 * np.arange(rate) / rate)
    wavfile.write(tmp_path / "a.wav", rate, np.stack([x, -x], axis=1))  # float64, stereo
    copy = playable(tmp_path / "a.wav")
    info = sf.info(str(copy))
    assert (info.format, info.subtype, info.samplerate, info.channels, info.frames) == (
        "FLAC", "PCM_16", rate, 2, rate,
    )  # fmt: skip
    y, _ = sf.read(str(copy))
    assert np.max(np.abs(y[:, 0] - x)) < 1 / 2**15 + 1e-9  # within 16-bit quantisation
    assert copy.is_relative_to(tmp_path / "cache")
    before = copy.stat().st_mtime_ns
    assert playable(tmp_path / "a.wav") == copy and copy.stat().st_mtime_ns == before


def test_loud_floats_are_clipped_and_odd_rates_resampled(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIOPROBE_CACHE", str(tmp_path / "cache"))
    sf.write(tmp_path / "loud.wav", np.full(4000, 3000.0), 8000, subtype="FLOAT")
    y, _ = sf.read(str(playable(tmp_path / "loud.wav")))
    assert np.allclose(y, 32767 / 32768)  # clipped at full scale, not wrapped around
    sf.write(tmp_path / "slow.wav", np.zeros(4000) + 0.1, 4000)  # below what browsers decode
    info = sf.info(str(playable(tmp_path / "slow.wav")))
    assert info.samplerate == FALLBACK_RATE and abs(info.duration - 1.0) < 1e-3
