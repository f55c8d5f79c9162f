"""The notes a clip plays, as Basic Pitch transcribes them (scoring/transcription.py), stored
per trial as a clip fact: `[[onset_s, offset_s, midi, velocity], ...]` and their count. Every
item that asks for notes (`Item.target_notes()` non-empty) in any tier. Its settings,
[scoring.transcription], are the thresholds every note-level metric's transcription uses."""

from __future__ import annotations

from typing import Any

from audioprobe.scoring.note_metric import NoteMetric
from audioprobe.scoring.registry import Column, Measured
from audioprobe.scoring.transcription import Note, TranscriptionSettings, notes_to_json
from audioprobe.tiers import TargetNote


class Transcription(NoteMetric):
    name = "transcription"
    neural = True
    version = 1
    rank = 22
    description = (
        "transcribed notes [onset_s, offset_s, midi, velocity] and their count"
        " (Basic Pitch ONNX; items that ask for notes)"
    )
    Settings = TranscriptionSettings
    columns = (
        Column("notes_played", label="notes played", kind="text"),
        Column("n_notes", label="notes transcribed", range=(0.0, None)),
    )

    def compare(self, target: list[TargetNote], played: list[Note], settings: Any) -> Measured:
        return {"notes_played": notes_to_json(played), "n_notes": float(len(played))}


METRIC = Transcription()
