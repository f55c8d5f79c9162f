"""Note F1 on onset, offset and pitch (mir_eval's `precision_recall_f1_overlap`): as note_f1,
and a matched note's offset must also lie within `offset_ratio` (20 %, MIREX's) of the requested
note's duration, or `offset_min_tolerance_s` (50 ms) when that is larger. Items that ask for
notes (`Item.target_notes()`), any tier."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from audioprobe.scoring.contract import Column, Measured
from audioprobe.scoring.metrics.transcription import NoteMetric
from audioprobe.scoring.note_match import note_prf
from audioprobe.scoring.transcription import Note
from audioprobe.tiers import TargetNote

UNIT = (0.0, 1.0)


class NoteOnOffF1Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    onset_tolerance_s: float = Field(0.05, gt=0, description="|onset difference| that matches")
    pitch_tolerance_cents: float = Field(50.0, gt=0, description="|pitch difference| that matches")
    offset_ratio: float = Field(
        0.2, gt=0, description="|offset difference| / duration that matches"
    )
    offset_min_tolerance_s: float = Field(0.05, gt=0, description="the offset tolerance's floor")


class NoteOnOffF1(NoteMetric):
    name = "note_onoff_f1"
    neural = True
    version = 1
    rank = 24
    description = "note F1 on onset (50 ms), offset (20 % of the note) and pitch (50 cents)"
    Settings = NoteOnOffF1Settings
    columns = (
        Column(
            "note_onoff_f1", label="onset-offset F1", direction="higher", range=UNIT, quality=True
        ),
    )

    def compare(self, target: list[TargetNote], played: list[Note], settings: Any) -> Measured:
        _, _, f = note_prf(
            target,
            played,
            settings.onset_tolerance_s,
            settings.pitch_tolerance_cents,
            settings.offset_ratio,
            settings.offset_min_tolerance_s,
        )
        return {"note_onoff_f1": f}


METRIC = NoteOnOffF1()
