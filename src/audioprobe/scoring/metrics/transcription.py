"""The notes a clip plays, as Basic Pitch transcribes them (scoring/transcription.py), stored
per trial as a clip fact: `[[onset_s, offset_s, midi, velocity], ...]` and their count. Every
item that asks for notes (`Item.target_notes()` non-empty) in any tier. Its settings,
[scoring.transcription], are the thresholds every note-level metric's transcription uses.

It is also what every note-level metric shares (`NoteMetric`): it applies to items that ask for
notes, whatever the tier, and it reads the clip's transcription through the one cache, so a clip
is transcribed once for them all. Every note metric's card carries the transcription card (model
file sha256 and thresholds), so a changed threshold changes each of their cards and their stored
values are recomputed. The base lives beside the metric that owns the thresholds, so reading
them needs no import back from this module's users.
"""

from __future__ import annotations

from typing import Any

from audioprobe.scoring.card import card_hash
from audioprobe.scoring.context import ClipInput, ScoreContext, wav_sha256
from audioprobe.scoring.contract import ClipMetric, Column, Measured, Setup
from audioprobe.scoring.transcription import (
    SAMPLE_RATE,
    Note,
    Transcriber,
    TranscriptionCache,
    TranscriptionSettings,
    notes_to_json,
)
from audioprobe.tiers import Item, TargetNote


def transcriber(ctx: ScoreContext) -> tuple[Transcriber | None, str]:
    """The scoring's transcriber under [scoring.transcription] (the `Transcription` metric's
    settings: the thresholds), loaded once, or why not."""
    settings = ctx.metric_settings(Transcription.name, TranscriptionSettings)
    key = f"transcriber:{card_hash(settings.model_dump())}"
    return ctx.model(key, lambda: Transcriber(settings))


def clip_notes(ctx: ScoreContext, model: Transcriber, clip: ClipInput) -> list[Note]:
    """The clip's transcribed notes, from the cache when this clip and card were done before."""
    card = card_hash(model.card())
    sha = wav_sha256(clip.trial)
    cache = TranscriptionCache()
    found = cache.get(card, sha)
    if found is None:
        found = cache.put(card, sha, model.transcribe(ctx.load(clip, SAMPLE_RATE).audio))
    return found


class NoteMetric(ClipMetric):
    """A clip metric over the transcription, for items whose `target_notes()` is non-empty."""

    def applies_to_item(self, item: Item) -> bool:
        return bool(item.target_notes())

    def setup(self, ctx: ScoreContext, tier: str) -> Setup:
        model, reason = transcriber(ctx)
        card: dict[str, Any] = {
            "packages": ("basic-pitch", "onnxruntime", "mir_eval", "librosa"),
            "transcriber": model.card() if model else {"unavailable": reason},
            "settings": ctx.metric_settings(self.name, self.Settings).model_dump(),
            "analysis": ctx.settings.describe(),
        }
        return Setup(card=card, model=model, unavailable=reason or None)

    def measure(self, ctx: ScoreContext, setup: Setup, clip: ClipInput) -> Measured:
        notes = clip_notes(ctx, setup.model, clip)
        settings = ctx.metric_settings(self.name, self.Settings)
        return self.compare(clip.item.target_notes(), notes, settings)

    def compare(self, target: list[TargetNote], played: list[Note], settings: Any) -> Measured:
        """The columns' values for the notes asked for and the notes transcribed."""
        raise NotImplementedError


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
