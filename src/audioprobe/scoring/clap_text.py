"""CLAP scores from a CLAP embedding: clip-caption cosine, and zero-shot classification.

Both follow the seed study's use of CLAP: the audio and text embeddings are L2-normalised, so the
CLAP score of a clip is the dot product with its caption's embedding; zero-shot accuracy asks
whether a clip is closest to the prompt of its own class among all the tier's classes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from audioprobe.scoring.embeddings.clap import ClapEmbedding

ZERO_SHOT_TEMPLATE = "This is a sound of {}."


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def clap_scores(
    clap: ClapEmbedding, clips: Sequence[np.ndarray], captions: Sequence[str]
) -> np.ndarray:
    """(N,) cosine between each clip and its own caption (clips at clap.sample_rate)."""
    if len(clips) != len(captions):
        raise ValueError(f"{len(clips)} clips but {len(captions)} captions")
    audio = _unit(clap.embed(clips))
    text = _unit(clap.embed_text(list(captions)))
    return np.sum(audio * text, axis=1)


def zero_shot(
    clap: ClapEmbedding,
    clips: Sequence[np.ndarray],
    labels: Sequence[str],
    classes: Sequence[str],
    template: str = ZERO_SHOT_TEMPLATE,
) -> tuple[list[str], float]:
    """(predicted class per clip, accuracy against `labels`) among `classes`."""
    unknown = sorted(set(labels) - set(classes))
    if unknown:
        raise ValueError(f"labels not among the classes: {unknown}")
    audio = _unit(clap.embed(clips))
    text = _unit(clap.embed_text([template.format(c) for c in classes]))
    predicted = [classes[i] for i in np.argmax(audio @ text.T, axis=1)]
    accuracy = float(np.mean([p == t for p, t in zip(predicted, labels, strict=True)]))
    return predicted, accuracy
