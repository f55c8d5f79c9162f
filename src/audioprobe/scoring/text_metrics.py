"""Word and character error rates of a transcript against the requested sentence.

Both sides go through Whisper's English text normaliser first (Radford et al., 2022, appendix
C: the standard normalisation of ASR word error rates), so that "It's" vs "it is", "Mr." vs
"mister", "colour" vs "color" or "seven" vs "7" are not counted as errors of the *speech*: the
metric is about intelligibility, not about the recogniser's punctuation or number style.

The normaliser is not rewritten here: its code is transformers' port
(`transformers.models.whisper.english_normalizer.EnglishTextNormalizer`) and its spelling table
is the `english.json` that openai-whisper ships (openai-whisper is installed without its
dependencies; only that file is read, so torch-side parts of it are never imported). Its name
and both versions are recorded in the metric card; change either and every cache key changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import metadata
from typing import Any

import jiwer

from audioprobe.errors import Unavailable

SPELLINGS = "whisper/normalizers/english.json"


def normaliser_card() -> dict[str, str]:
    """What decides the normalised text: recorded in the WER metric's card."""
    versions = {}
    for dist in ("transformers", "openai-whisper"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return {"name": "whisper-english", **versions}


@cache
def _normaliser() -> Callable[[str], str]:
    try:
        from transformers.models.whisper.english_normalizer import EnglishTextNormalizer

        spellings: Any = metadata.distribution("openai-whisper").locate_file(SPELLINGS)
        table = json.loads(spellings.read_text(encoding="utf-8"))
    except (ImportError, metadata.PackageNotFoundError, OSError) as exc:
        raise Unavailable(
            f"Whisper's English normaliser is not installed ({exc}): pip install transformers"
            " and pip install --no-deps openai-whisper (requirements/nodeps.txt)"
        ) from exc
    return EnglishTextNormalizer(table)


def normalise(text: str) -> str:
    """Whisper's English normalisation: lower case, contractions and titles expanded,
    British spellings made American, numbers written as digits, punctuation removed."""
    return " ".join(_normaliser()(text).split())


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
