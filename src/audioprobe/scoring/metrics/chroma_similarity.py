"""Pitch-class (chroma) similarity: the cosine between the requested and the transcribed notes'
12-bin pitch-class profiles, each note weighted by its duration. Octave-blind and timing-blind
by design: it says whether the right notes sound, in any octave and order, where note F1 says
whether they sound at the right time. Items that ask for notes (`Item.target_notes()`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from audioprobe.scoring.contract import Column, Measured
from audioprobe.scoring.metrics.transcription import NoteMetric
from audioprobe.scoring.transcription import Note
from audioprobe.tiers import TargetNote


def pitch_class_profile(notes: list[tuple[int, float]]) -> np.ndarray:
    """Seconds of sound per pitch class (C = 0) of (midi, duration_s) pairs."""
    profile = np.zeros(12)
    for midi, duration in notes:
        profile[midi % 12] += max(duration, 0.0)
    return profile


class ChromaSimilarity(NoteMetric):
    name = "chroma_similarity"
    neural = True
    version = 1
    rank = 25
    description = "cosine of duration-weighted pitch-class profiles, requested vs transcribed"
    columns = (
        Column(
            "chroma_similarity",
            label="chroma similarity",
            direction="higher",
            range=(0.0, 1.0),
            quality=True,
        ),
    )

    def compare(self, target: list[TargetNote], played: list[Note], settings: Any) -> Measured:
        want = pitch_class_profile([(n.midi, n.duration_s) for n in target])
        got = pitch_class_profile([(n.midi, n.duration_s) for n in played])
        norm = float(np.linalg.norm(want) * np.linalg.norm(got))
        return {"chroma_similarity": float(want @ got) / norm if norm > 0 else 0.0}


METRIC = ChromaSimilarity()
