"""The audio analysis fed back to a model, against numbers computed independently here, and the
task-success rules of each tier."""

from __future__ import annotations

import math

import numpy as np
import pytest
import soundfile as sf

from audioprobe.feedback.analysis import AudioAnalysis, analyse
from audioprobe.feedback.message import analysis_lines
from audioprobe.feedback.success import SuccessSettings, judge
from audioprobe.tiers import load_tier

SR = 16000


def write(path, signal, subtype="FLOAT"):
    sf.write(str(path), signal, SR, subtype=subtype)
    return path


def test_a_sine_measures_its_level_spectrum_and_pitch(tmp_path):
    t = np.arange(2 * SR) / SR
    wav = write(tmp_path / "a.wav", 0.5 * np.sin(2 * np.pi * 440 * t))
    a = analyse(wav, "notes", load_tier("notes").item("sine-a4"))
    assert a.duration_s == pytest.approx(2.0) and a.target_duration_s == 2.0
    assert a.peak == pytest.approx(0.5, abs=1e-3)
    assert a.peak_dbfs == pytest.approx(20 * math.log10(0.5), abs=0.02)
    assert a.rms == pytest.approx(0.5 / math.sqrt(2), rel=1e-3)
    assert a.clipped_share == 0 and a.silent is False and a.silent_share == 0
    assert a.centroid_hz == pytest.approx(440, abs=2)
    band = next(b for b in a.bands if b.low_hz == 250)
    assert band.high_hz == 500 and band.share > 0.99
    assert sum(b.share for b in a.bands) == pytest.approx(1.0)
    assert a.bands[-1].high_hz == SR / 2
    assert a.f0_hz == pytest.approx(440, abs=0.5) and abs(a.cents_error) < 2


def test_clipping_and_partial_silence_are_counted(tmp_path):
    t = np.arange(2 * SR) / SR
    loud = np.clip(3.0 * np.sin(2 * np.pi * 200 * t), -1, 1)
    loud[SR:] = 0.0  # the second half is silent
    wav = write(tmp_path / "c.wav", loud, subtype="PCM_16")
    back, _ = sf.read(str(wav))
    a = analyse(wav, "environmental", load_tier("environmental").item("rain"))
    assert a.clipped_share == pytest.approx(float(np.mean(np.abs(back) >= 0.999)))
    assert 0.2 < a.clipped_share < 0.5
    assert a.silent_share == pytest.approx(0.5, abs=0.03)
    assert a.f0_hz is None and a.transcript is None  # no pitch or transcript outside their tiers
    text = analysis_lines(a)
    assert f"- clipped samples: {100 * a.clipped_share:.2f}%" in text
    assert "50% of it below -60 dBFS" in text


def test_unreadable_and_silent_files_say_what_they_are(tmp_path):
    junk = tmp_path / "j.wav"
    junk.write_text("this is text, not audio")
    a = analyse(junk, "notes", load_tier("notes").item("sine-a4"))
    assert a.peak is None and "not readable audio" in a.notes[0]
    silent = analyse(
        write(tmp_path / "s.wav", np.zeros(SR)), "notes", load_tier("notes").item("sine-a4")
    )
    assert silent.silent is True and silent.peak == 0.0 and silent.f0_hz is None
    assert "- peak: 0 (-inf dBFS)" in analysis_lines(silent)


def test_task_success_rules_per_tier():
    rule = SuccessSettings()

    def verdict(tier, status, analysis):
        return judge(tier, analysis.facts(status, 16000), rule)

    assert verdict("notes", "ok", AudioAnalysis(cents_error=rule.note_cents)).value is True
    assert verdict("notes", "ok", AudioAnalysis(cents_error=-51.0)).value is False
    octave = verdict("notes", "ok", AudioAnalysis(cents_error=-1197.0))  # in tune by pitch class
    assert octave.value is False and "-1 octave" in octave.reason
    assert verdict("notes", "ok", AudioAnalysis()).value is False  # no pitch found
    assert verdict("notes", "invalid_audio", AudioAnalysis(cents_error=0.0)).value is False
    # the class needs the scoring embeddings: unknown in the loop, never a made-up success
    assert verdict("environmental", "ok", AudioAnalysis()).value is None
    assert verdict("environmental", "runtime_error", AudioAnalysis()).value is False
    wer = AudioAnalysis(transcript_wer=rule.wer_threshold)
    assert verdict("speech", "ok", wer).value is True
    assert verdict("speech", "ok", AudioAnalysis(transcript_wer=0.9)).value is False
    unknown = verdict("speech", "ok", AudioAnalysis(notes=["no transcript: no weights"]))
    assert unknown.value is None and "no weights" in unknown.reason


def test_a_contract_deviation_fails_only_where_the_spec_says_so():
    stereo = AudioAnalysis(sample_rate=44100, channels=2, duration_s=2.0, target_duration_s=2.0)
    stereo.cents_error = 0.0
    facts = stereo.facts("ok", 16000)
    assert facts.deviations == ("44100 Hz, asked 16000", "2 channels, asked mono")
    assert judge("notes", facts, SuccessSettings()).value is True  # "flag": shown, not failed
    failed = judge("notes", facts, SuccessSettings(contract="fail"))
    assert failed.value is False and "44100 Hz, asked 16000" in failed.reason


def test_speech_is_transcribed_and_scored_by_wer(tmp_path):
    from audioprobe.references import load_reference_set
    from audioprobe.scoring.asr import get_transcriber

    ok, why = get_transcriber().available()
    assert ok, why
    clips = [
        c for c in load_reference_set("builtin-speech").clips("speech")
        if c.meta.get("sentence_id") == "harvard-06" and c.meta.get("voice") == "piper:joe"
    ]  # fmt: skip
    item = load_tier("speech").item("harvard-06")
    a = analyse(clips[0].path, "speech", item)
    assert a.transcript and a.transcript_wer is not None and a.transcript_wer <= 0.2, a.transcript
    assert judge("speech", a.facts("ok", 16000)).value is True
    assert f'heard: "{a.transcript}"' in analysis_lines(a)


def test_a_failing_measurement_is_a_note_not_the_end_of_the_trial(tmp_path, monkeypatch):
    import audioprobe.scoring.pitch as pitch

    def broken(*_args, **_kwargs):
        raise RuntimeError("pyin gave up")

    monkeypatch.setattr(pitch, "estimate_f0", broken)
    t = np.arange(SR) / SR
    wav = write(tmp_path / "p.wav", 0.5 * np.sin(2 * np.pi * 440 * t))
    a = analyse(wav, "notes", load_tier("notes").item("sine-a4"))
    assert a.f0_hz is None and a.peak == pytest.approx(0.5, abs=1e-3)
    assert "no f0: RuntimeError: pyin gave up" in a.notes
    assert "- note: no f0: RuntimeError: pyin gave up" in analysis_lines(a)
    assert judge("notes", a.facts("ok", 16000)).value is False
