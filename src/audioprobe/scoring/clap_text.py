"""CLAP scores from a CLAP embedding: clip-caption cosine, and zero-shot classification.

The one implementation both `audioprobe score` (metrics clap_score and clap_zeroshot, which
embed through the embedding cache) and Python callers use. It follows the seed study's use of
CLAP: audio and text embeddings are L2-normalised, so the CLAP score of a clip is the dot
product with its caption's embedding; zero-shot accuracy asks whether a clip is closest to the
prompt of its own class among all the classes (prompt: `ZERO_SHOT_TEMPLATE` of the class name).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from audioprobe.scoring.embeddings.clap import ClapEmbedding

ZERO_SHOT_TEMPLATE = "This is a sound of {}."


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def class_prompts(classes: Sequence[str], template: str = ZERO_SHOT_TEMPLATE) -> list[str]:
    """The text each class is matched by: "dog_bark" -> "This is a sound of dog bark."."""
    return [template.format(c.replace("_", " ")) for c in classes]


def caption_cosines(audio: np.ndarray, text: np.ndarray) -> np.ndarray:
    """(N,) cosine of each audio embedding with the text embedding in the same row."""
    return np.sum(_unit(audio) * _unit(text), axis=1)


def classify(
    audio: np.ndarray, prompts: np.ndarray, labels: Sequence[str], classes: Sequence[str]
) -> tuple[list[str], float]:
    """(predicted class per clip, accuracy against `labels`) from embeddings of the clips and
    of the classes' prompts (one row per class, in `classes` order)."""
    unknown = sorted(set(labels) - set(classes))
    if unknown:
        raise ValueError(f"labels not among the classes: {unknown}")
    predicted = [classes[i] for i in np.argmax(_unit(audio) @ _unit(prompts).T, axis=1)]
    accuracy = float(np.mean([p == t for p, t in zip(predicted, labels, strict=True)]))
    return predicted, accuracy


def clap_scores(
    clap: ClapEmbedding, clips: Sequence[np.ndarray], captions: Sequence[str]
) -> np.ndarray:
    """(N,) cosine between each clip and its own caption (clips at clap.sample_rate)."""
    if len(clips) != len(captions):
        raise ValueError(f"{len(clips)} clips but {len(captions)} captions")
    return caption_cosines(clap.embed(clips), clap.embed_text(list(captions)))


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
    prompts = clap.embed_text(class_prompts(classes, template))
    return classify(clap.embed(clips), prompts, labels, classes)
