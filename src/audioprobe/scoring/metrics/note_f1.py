"""Note F1 on onset and pitch (mir_eval's `precision_recall_f1_overlap`, offsets ignored): a
transcribed note matches a requested one when its onset is within `onset_tolerance_s` (50 ms,
MIREX's) and its pitch within `pitch_tolerance_cents` (50, a quarter tone). Items that ask for
notes (`Item.target_notes()`), any tier. Chords are notes with equal onsets, matched one by one."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from audioprobe.scoring.contract import Column, Measured
from audioprobe.scoring.metrics.transcription import NoteMetric
from audioprobe.scoring.note_match import note_prf
from audioprobe.scoring.transcription import Note
from audioprobe.tiers import TargetNote

UNIT = (0.0, 1.0)


class NoteF1Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    onset_tolerance_s: float = Field(0.05, gt=0, description="|onset difference| that matches")
    pitch_tolerance_cents: float = Field(50.0, gt=0, description="|pitch difference| that matches")


class NoteF1(NoteMetric):
    name = "note_f1"
    neural = True
    version = 1
    rank = 23
    description = "note precision, recall and F1 on onset (50 ms) and pitch (50 cents)"
    Settings = NoteF1Settings
    columns = (
        Column("note_f1", label="note F1", direction="higher", range=UNIT, quality=True),
        Column("note_precision", label="note precision", direction="higher", range=UNIT),
        Column("note_recall", label="note recall", direction="higher", range=UNIT),
    )

    def compare(self, target: list[TargetNote], played: list[Note], settings: Any) -> Measured:
        p, r, f = note_prf(
            target, played, settings.onset_tolerance_s, settings.pitch_tolerance_cents, None
        )
        return {"note_f1": f, "note_precision": p, "note_recall": r}


METRIC = NoteF1()
