"""Turning a spec into the list of trials: models × selected items × samples, in tier order."""

from __future__ import annotations

from audioprobe.errors import ConfigError
from audioprobe.spec import ExperimentSpec, ModelSpec
from audioprobe.store import TrialKey
from audioprobe.tiers import Item, Tier, load_tier


def select_items(
    spec: ExperimentSpec, tier_filter: list[str] | None, limit: int | None
) -> dict[str, tuple[Tier, list[Item]]]:
    """The tiers and items a run covers; `limit` caps items per tier (for a quick look)."""
    chosen: dict[str, tuple[Tier, list[Item]]] = {}
    known = [t.name for t in spec.tiers]
    for name in tier_filter or []:
        if name not in known:
            raise ConfigError(f"tier {name!r}: spec {spec.name!r} covers only {', '.join(known)}")
    for selection in spec.tiers:
        if tier_filter and selection.name not in tier_filter:
            continue
        tier = load_tier(selection.name)
        items = (
            [tier.item(i) for i in selection.items]
            if selection.items is not None
            else list(tier.items)
        )
        cap = min(x for x in (selection.limit, limit, len(items)) if x is not None)
        chosen[selection.name] = (tier, items[:cap])
    return chosen


def plan_trials(
    models: list[ModelSpec], selected: dict[str, tuple[Tier, list[Item]]], samples: int
) -> list[TrialKey]:
    return [
        TrialKey(model=m.name, model_kind=m.kind, tier=tier_name, item=item.id, sample=s)
        for m in models
        for tier_name, (_, items) in selected.items()
        for item in items
        for s in range(samples)
    ]
