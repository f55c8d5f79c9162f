"""Requested notes against transcribed ones, through mir_eval (the MIREX note-tracking measures),
so note F1 here is the number the transcription literature reports, not a re-implementation."""

from __future__ import annotations

import warnings

import numpy as np

from audioprobe.scoring.transcription import Note
from audioprobe.tiers import TargetNote


def _hz(midi: np.ndarray) -> np.ndarray:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def note_prf(
    target: list[TargetNote],
    played: list[Note],
    onset_tolerance_s: float,
    pitch_tolerance_cents: float,
    offset_ratio: float | None,
    offset_min_tolerance_s: float = 0.05,
) -> tuple[float, float, float]:
    """(precision, recall, F1) of `played` against `target`; offsets ignored when
    `offset_ratio` is None. No note played is precision, recall and F1 of 0."""
    import mir_eval

    if not target:
        raise ValueError("no requested notes to match against")
    if not played:
        return 0.0, 0.0, 0.0
    ref_iv = np.array([[n.onset_s, n.onset_s + n.duration_s] for n in target])
    ref_hz = _hz(np.array([n.midi for n in target], dtype=float))
    est_iv = np.array([[n.onset_s, max(n.offset_s, n.onset_s + 1e-3)] for n in played])
    est_hz = _hz(np.array([n.midi for n in played], dtype=float))
    with warnings.catch_warnings():  # mir_eval warns of what the caller already handles
        warnings.simplefilter("ignore")
        p, r, f, _ = mir_eval.transcription.precision_recall_f1_overlap(
            ref_iv,
            ref_hz,
            est_iv,
            est_hz,
            onset_tolerance=onset_tolerance_s,
            pitch_tolerance=pitch_tolerance_cents,
            offset_ratio=offset_ratio,
            offset_min_tolerance=offset_min_tolerance_s,
        )
    return float(p), float(r), float(f)
