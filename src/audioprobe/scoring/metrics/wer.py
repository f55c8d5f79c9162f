"""Word and character error rate of an ASR transcript against the requested sentence
(jiwer, after Whisper's English normaliser; see scoring/text_metrics.py). Speech only."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from audioprobe.scoring.context import ClipInput, ScoreContext
from audioprobe.scoring.contract import ClipMetric, Column, Measured, Missing, Setup
from audioprobe.scoring.text_metrics import char_error_rate, normaliser_card, word_error_rate

ASR_RATE = 16000


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    asr: str = "whisper-base"


class Wer(ClipMetric):
    name = "wer"
    neural = True
    version = 2
    rank = 30
    tiers = ()  # the tiers whose kind lists it
    description = "transcript, WER and CER against the requested sentence (speech)"
    Settings = Settings
    columns = (
        Column("transcript", kind="text"),
        Column("wer", label="WER", direction="lower", range=(0.0, None), quality=True),
        Column("cer", label="CER", direction="lower", range=(0.0, None), quality=True),
    )

    def setup(self, ctx: ScoreContext, tier: str) -> Setup:
        from audioprobe.scoring.asr import get_transcriber

        settings = ctx.metric_settings(self.name, Settings)
        asr, reason = ctx.model(
            f"asr:{settings.asr}", lambda: get_transcriber(settings.asr, device=ctx.device)
        )
        card = {
            "packages": ("jiwer",),
            "normaliser": normaliser_card(),
            "asr": settings.asr,
            "asr_version": asr.version if asr else "unavailable",
            "asr_checkpoint_sha256": asr.checkpoint_sha256 if asr else None,
            "analysis": ctx.settings.describe(),
        }
        return Setup(card=card, model=asr, unavailable=reason or None)

    def measure(self, ctx: ScoreContext, setup: Setup, clip: ClipInput) -> Measured:
        target = clip.item.speech
        if target is None:
            return {c.name: Missing("the item names no sentence") for c in self.columns}
        audio = ctx.load(clip, ASR_RATE)
        text = setup.model.transcribe(audio.audio, audio.sample_rate)
        return {
            "transcript": text,
            "wer": word_error_rate(target.sentence, text),
            "cer": char_error_rate(target.sentence, text),
        }


METRIC = Wer()
