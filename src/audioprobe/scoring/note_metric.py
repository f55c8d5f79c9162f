"""What every note-level metric shares: it applies to items that ask for notes
(`Item.target_notes()` non-empty, whatever the tier), and it reads the clip's transcription
(scoring/transcription.py) through the one cache, so a clip is transcribed once for them all.

The transcription's thresholds are the `transcription` metric's settings ([scoring.transcription]);
every note metric's card carries the transcription card (model file sha256 and thresholds), so a
changed threshold changes each of their cards and their stored values are recomputed.
"""

from __future__ import annotations

from typing import Any

from audioprobe.scoring.card import card_hash
from audioprobe.scoring.context import ClipInput, ScoreContext, wav_sha256
from audioprobe.scoring.registry import ClipMetric, Measured, Setup
from audioprobe.scoring.transcription import (
    SAMPLE_RATE,
    Note,
    Transcriber,
    TranscriptionCache,
    TranscriptionSettings,
)
from audioprobe.tiers import Item, TargetNote


def transcriber(ctx: ScoreContext) -> tuple[Transcriber | None, str]:
    """The scoring's transcriber under [scoring.transcription], loaded once, or why not."""
    from audioprobe.scoring.metrics.transcription import METRIC  # its settings: the thresholds

    settings = ctx.metric_settings(METRIC.name, TranscriptionSettings)
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
