"""Tempo: how fast the transcribed notes follow each other against the request. Onsets closer
than `chord_window_s` are one onset (a chord); the tempo ratio is the median requested
inter-onset interval over the median played one (1 = the asked tempo, 2 = twice as fast), and
the error is |log2| of it (1.0 = twice or half as fast; symmetric, so neither direction is
favoured). Where the item states the beat its notes are written at (`Item.tempo_bpm`), the
played tempo is also given in beats per minute (`played_bpm` = the ratio times that beat), the
number a musician reads; an item with no stated beat has none. Items that ask for 3 or more
onsets (two intervals); a clip with fewer than two played onsets has no tempo, recorded with
that reason."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from audioprobe.scoring.context import ClipInput, ScoreContext
from audioprobe.scoring.contract import Column, Measured, Missing, Setup
from audioprobe.scoring.metrics.transcription import NoteMetric
from audioprobe.scoring.transcription import Note
from audioprobe.tiers import Item, TargetNote

MIN_ONSETS = 3


class TempoErrorSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chord_window_s: float = Field(0.05, gt=0, description="onsets this close are one onset")


def distinct_onsets(onsets: list[float], window_s: float) -> list[float]:
    """The onsets, sorted, with each run closer than `window_s` to its first kept as one."""
    kept: list[float] = []
    for t in sorted(onsets):
        if not kept or t - kept[-1] >= window_s:
            kept.append(t)
    return kept


class TempoError(NoteMetric):
    name = "tempo_error"
    neural = True
    version = 2
    rank = 26
    description = "|log2| of the played over the requested tempo (median inter-onset intervals)"
    Settings = TempoErrorSettings
    columns = (
        Column("tempo_ratio", label="tempo ratio", range=(0.0, None)),
        Column(
            "tempo_error",
            label="tempo error (log2)",
            direction="lower",
            range=(0.0, None),
            quality=True,
            summary="median",
        ),
        Column("played_bpm", label="played tempo (BPM)", range=(0.0, None)),
    )

    def applies_to_item(self, item: Item) -> bool:
        onsets = distinct_onsets(
            [n.onset_s for n in item.target_notes()], TempoErrorSettings().chord_window_s
        )
        return len(onsets) >= MIN_ONSETS

    def compare(self, target: list[TargetNote], played: list[Note], settings: Any) -> Measured:
        want = distinct_onsets([n.onset_s for n in target], settings.chord_window_s)
        got = distinct_onsets([n.onset_s for n in played], settings.chord_window_s)
        if len(want) < MIN_ONSETS:
            why = Missing(f"the item asks for {len(want)} onset(s); a tempo needs {MIN_ONSETS}")
            return {"tempo_ratio": why, "tempo_error": why}
        if len(got) < 2:
            why = Missing(f"{len(got)} onset(s) transcribed; a tempo needs 2")
            return {"tempo_ratio": why, "tempo_error": why}
        ratio = float(np.median(np.diff(want)) / np.median(np.diff(got)))
        return {"tempo_ratio": ratio, "tempo_error": abs(math.log2(ratio))}

    def measure(self, ctx: ScoreContext, setup: Setup, clip: ClipInput) -> Measured:
        values = super().measure(ctx, setup, clip)
        return {**values, "played_bpm": played_bpm(clip.item, values["tempo_ratio"])}


def played_bpm(item: Item, ratio: float | str | Missing) -> float | Missing:
    """The played tempo in beats per minute: the item's stated beat times the tempo ratio."""
    if isinstance(ratio, Missing):
        return ratio
    if item.tempo_bpm is None:
        return Missing("the item states no tempo_bpm")
    return float(ratio) * item.tempo_bpm


METRIC = TempoError()
