"""Tier 1, musical notes: one sustained note of a named instrument at a named pitch.

Success is the pitch metric's f0 within `note_cents` of the item's f0_hz, octave-exact; the
built-in references are GM soundfont notes (references/build_notes.py)."""

from __future__ import annotations

from typing import Any

from audioprobe.feedback.success import octaves_of
from audioprobe.paths import data_dir
from audioprobe.references import build_notes
from audioprobe.scoring.metrics.pitch import METRIC as PITCH
from audioprobe.tier_kinds import TierKind, tier_kinds
from audioprobe.tier_kinds.verdict import Facts, SuccessSettings, TaskSuccess
from audioprobe.tiers import Item, Tier


@tier_kinds.register("notes")
class Notes(TierKind):
    name = "notes"
    criterion = "rendered and |cents error| <= note_cents against the item's f0_hz (octave-exact)"
    embeddings = ("vggish", "clap-music", "aisfx")
    clap = "clap-music"
    metrics = (PITCH.name,)

    def check_item(self, item: Item) -> str | None:
        return None if item.note else "notes items need a [items.note] table"

    def rule(self, settings: SuccessSettings) -> str:
        return (
            f"it renders, and its pitch is within {settings.note_cents:g} cents of the requested"
            " frequency (in the requested octave)"
        )

    def facts(self, ctx: Any, group: Any, settings: SuccessSettings) -> tuple[Any, dict]:
        from audioprobe.scoring.metrics.task_success import pitch_facts

        return pitch_facts(ctx, group)

    def judge(self, facts: Facts, settings: SuccessSettings) -> TaskSuccess:
        if facts.cents_error is None:
            return TaskSuccess(False, facts.missing or "no pitch could be measured")
        off = abs(facts.cents_error)
        octaves = octaves_of(facts.cents_error)
        where = f"{off:.0f} cents from the target f0" + (
            f" ({octaves:+d} octave{'s' if abs(octaves) != 1 else ''})" if octaves else ""
        )
        return TaskSuccess(off <= settings.note_cents, where)

    def reference_recipe(self, tier: Tier) -> Any:
        return builtin_recipe(self.name)

    def fingerprint_extra(self, recipe: dict[str, Any]) -> dict[str, Any]:
        return build_notes.fingerprint_extra(recipe)

    def build_references(self, recipe: dict[str, Any], tier: Tier, writer: Any) -> dict[str, Any]:
        return build_notes.build(recipe, writer)


def builtin_recipe(tier: str) -> tuple[dict[str, Any], Any]:
    """A built-in tier's recipe, scoring/references/builtin-<tier>.toml, and its path."""
    from audioprobe.references.recipes import read_recipe

    path = data_dir("scoring") / "references" / f"builtin-{tier}.toml"
    return read_recipe(path), path
