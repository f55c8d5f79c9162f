"""WER/CER after Whisper's English normaliser: style differences are not speech errors."""

from __future__ import annotations

import pytest

from audioprobe.scoring.text_metrics import char_error_rate, normalise, word_error_rate


def test_normalisation_removes_style_not_words() -> None:
    # contractions, titles, British spelling, numbers and ordinals, as Whisper's paper does
    assert normalise("It's easy to tell the depth of a well.") == (
        "it is easy to tell the depth of a well"
    )
    assert normalise("Mr. Smith won't colour the 21st page") == (
        "mister smith will not color the 21st page"
    )
    assert normalise("He paid one thousand two hundred fifty dollars for seven cats") == (
        normalise("He paid $1,250 for 7 cats")
    )
    assert normalise("The  Birch canoe—slid!") == "the birch canoe slid"
    assert normalise("café") == "cafe"


def test_wer_and_cer() -> None:
    sentence = "The birch canoe slid on the smooth planks."
    assert word_error_rate(sentence, "the birch canoe slid on the smooth planks") == 0.0
    assert word_error_rate(sentence, "The birch canoe slid on the smooth banks.") == pytest.approx(
        1 / 8
    )
    assert word_error_rate(sentence, "") == 1.0
    assert word_error_rate("seven cats", "7 cats") == 0.0
    assert word_error_rate("The first of May", "the 1st of may") == 0.0
    assert word_error_rate("It is the doctor's", "it's the doctor's") == 0.0
    assert 0 < char_error_rate(sentence, "the birch canoe slid on the smooth banks") < 0.1
    with pytest.raises(ValueError, match="empty"):
        word_error_rate("?! —", "anything")
