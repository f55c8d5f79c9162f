"""Tier 3, speech: a named sentence, spoken.

Success is Whisper's transcript within `wer_threshold` word error rate of the sentence; the
built-in references are the Harvard sentences spoken by offline TTS voices
(references/build_speech.py). Silence around the sentence is trimmed before embedding, so padding
to the requested duration costs nothing."""

from __future__ import annotations

from typing import Any

from audioprobe.references import build_speech
from audioprobe.scoring.metrics.dnsmos import METRIC as DNSMOS
from audioprobe.scoring.metrics.wer import METRIC as WER
from audioprobe.tier_kinds import TierKind, tier_kinds
from audioprobe.tier_kinds.notes import builtin_recipe
from audioprobe.tier_kinds.verdict import Facts, SuccessSettings, TaskSuccess
from audioprobe.tiers import Item, Tier


@tier_kinds.register("speech")
class Speech(TierKind):
    name = "speech"
    criterion = "rendered and Whisper's transcript has WER <= wer_threshold"
    embeddings = ("vggish", "clap-general", "whisper-base")
    clap = "clap-general"
    trim_silence_db = 40.0
    metrics = (WER.name, DNSMOS.name)

    def check_item(self, item: Item) -> str | None:
        return None if item.speech else "speech items need a [items.speech] table"

    def rule(self, settings: SuccessSettings) -> str:
        return (
            "it renders, and a speech recogniser's transcript of it has a word error rate"
            f" of at most {settings.wer_threshold:g} against the sentence"
        )

    def facts(self, ctx: Any, group: Any, settings: SuccessSettings) -> tuple[Any, dict]:
        from audioprobe.scoring.metrics.task_success import wer_facts

        return wer_facts(ctx, group)

    def judge(self, facts: Facts, settings: SuccessSettings) -> TaskSuccess:
        if facts.word_error is None:
            return TaskSuccess(None, f"unknown: {facts.missing or 'no transcript'}")
        ok = facts.word_error <= settings.wer_threshold + 1e-12
        return TaskSuccess(ok, f"WER {facts.word_error:.2f}")

    def reference_recipe(self, tier: Tier) -> Any:
        return builtin_recipe(self.name)

    def fingerprint_extra(self, recipe: dict[str, Any]) -> dict[str, Any]:
        return build_speech.fingerprint_extra(recipe)

    def build_references(self, recipe: dict[str, Any], tier: Tier, writer: Any) -> dict[str, Any]:
        return build_speech.build(recipe, writer)
