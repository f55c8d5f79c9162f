"""Tier 2, environmental sounds: a named everyday sound (rain, a dog barking, ...).

Success is the clip recognised as its class: the majority class of its `knn_k` nearest
reference clips in the tier's first available embedding; the built-in references are
licensed real recordings named in its recipe (references/build_environmental.py)."""

from __future__ import annotations

from typing import Any

from audioprobe.references import build_environmental
from audioprobe.scoring.metrics.clap_zeroshot import METRIC as CLAP_ZEROSHOT
from audioprobe.tier_kinds import TierKind, tier_kinds
from audioprobe.tier_kinds.notes import builtin_recipe
from audioprobe.tier_kinds.verdict import Facts, SuccessSettings, TaskSuccess
from audioprobe.tiers import Tier


@tier_kinds.register("environmental")
class Environmental(TierKind):
    name = "environmental"
    criterion = (
        "rendered and its class recognised: the majority class of its knn_k nearest"
        " reference clips (cosine, the tier's first available embedding, all reference classes)"
    )
    embeddings = ("vggish", "clap-general", "aisfx")
    clap = "clap-general"
    metrics = (CLAP_ZEROSHOT.name,)
    rule_needs_references = True

    def rule(self, settings: SuccessSettings) -> str:
        return (
            "it renders, and it is recognised as the requested sound by its nearest"
            " reference recordings (judged when the run is scored)"
        )

    def facts(self, ctx: Any, group: Any, settings: SuccessSettings) -> tuple[Any, dict]:
        from audioprobe.scoring.metrics.task_success import recognition_facts

        return recognition_facts(ctx, group, settings)

    def judge(self, facts: Facts, settings: SuccessSettings) -> TaskSuccess:
        if facts.recognised is None:
            return TaskSuccess(None, f"unknown: {facts.missing or 'the class was not recognised'}")
        ok = facts.recognised == facts.target_class
        return TaskSuccess(ok, f"recognised as {facts.recognised} (asked {facts.target_class})")

    def reference_recipe(self, tier: Tier) -> Any:
        return builtin_recipe(self.name)

    def fingerprint_extra(self, recipe: dict[str, Any]) -> dict[str, Any]:
        return build_environmental.fingerprint_extra(recipe)

    def build_references(self, recipe: dict[str, Any], tier: Tier, writer: Any) -> dict[str, Any]:
        return build_environmental.build(recipe, writer)
