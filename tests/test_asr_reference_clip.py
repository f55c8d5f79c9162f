"""The speech reference set is intelligible to the offline ASR: the acceptance check that WER
measures speech, not noise. Uses the shared cache, so the set is built once per machine."""

from __future__ import annotations

import pytest
import soundfile as sf

from audioprobe.references import load_reference_set
from audioprobe.scoring.asr import get_transcriber
from audioprobe.scoring.text_metrics import word_error_rate


@pytest.mark.slow  # kept out of make test's 15 minutes; make test-all runs it
def test_piper_reference_clip_scores_low_wer_against_its_own_text():
    speech = load_reference_set("builtin-speech")
    clips = [
        c for c in speech.clips("speech")
        if c.meta.get("sentence_id") == "harvard-06" and c.meta.get("voice") == "piper:joe"
    ]  # fmt: skip
    assert clips, "builtin-speech has no Piper clip of harvard-06"
    asr = get_transcriber("whisper-base")
    ok, why = asr.available()
    assert ok, why
    audio, rate = sf.read(str(clips[0].path), dtype="float32")
    heard = asr.transcribe(audio, rate)
    assert word_error_rate(clips[0].meta["text"], heard) <= 0.2, heard
