"""Word and character error rates of a transcript against the requested sentence.

Both sides go through one normaliser first, so that "It's" vs "its", "blue," vs "blue" or
"7" vs "seven" are not counted as errors of the *speech*: the metric is about intelligibility,
not about the recogniser's punctuation or number style. The normaliser's name is recorded in
the metric card; change it and the card (and every cache key) changes with it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import jiwer

NORMALISER = "basic-en-v1"

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    """English words for 0 <= n < 1,000,000 (what a recogniser may write as digits)."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("" if ones == 0 else " " + _ONES[ones])
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return _ONES[hundreds] + " hundred" + ("" if rest == 0 else " " + number_words(rest))
    thousands, rest = divmod(n, 1000)
    return number_words(thousands) + " thousand" + ("" if rest == 0 else " " + number_words(rest))


def normalise(text: str) -> str:
    """Lower case, accents and punctuation removed, apostrophes dropped, digits spelled out."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"['\u2019\u2018`]", "", text)  # it's -> its on both sides
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)  # 1,000 -> 1000
    text = re.sub(r"\d+", lambda m: f" {_spell(m.group())} ", text)
    text = re.sub(r"[^a-z0-9\s]", " ", text)
    return " ".join(text.split())


def _spell(digits: str) -> str:
    n = int(digits)
    return number_words(n) if n < 1_000_000 else " ".join(_ONES[int(d)] for d in digits)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER after normalisation; an empty transcript of a non-empty sentence is 1.0."""
    return _error_rate(jiwer.wer, reference, hypothesis)


def char_error_rate(reference: str, hypothesis: str) -> float:
    """CER after normalisation (spaces count as characters, as in jiwer)."""
    return _error_rate(jiwer.cer, reference, hypothesis)


def _error_rate(measure: Callable[[str, str], float], reference: str, hypothesis: str) -> float:
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        raise ValueError("the reference sentence is empty after normalisation")
    if not hyp:
        return 1.0
    return float(measure(ref, hyp))
