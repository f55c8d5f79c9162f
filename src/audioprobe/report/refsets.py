"""The reference set each tier of a run was scored against, for the clips offered beside trials.

A run's spec names a set per tier ("builtin" = the tier's built-in set); the report offers clips
from that same set, so what a researcher hears beside a trial is what FAD compared it with.
"""

from __future__ import annotations

from typing import Any

from audioprobe.errors import AudioprobeError
from audioprobe.references import ReferenceSet, load_reference_set, resolve_reference_name
from audioprobe.store import RunStore


def run_reference_sets(store: RunStore, tiers: list[str]) -> dict[str, ReferenceSet | str]:
    """Per tier: its loaded set (a built-in one is built offline on first use), or the reason
    it cannot be had, which the page shows as "unavailable"."""
    spec_tiers: dict[str, Any] = {
        t.get("name"): t for t in store.manifest.get("spec", {}).get("tiers", [])
    }
    out: dict[str, ReferenceSet | str] = {}
    for tier in tiers:
        choice = spec_tiers.get(tier, {}).get("references", "builtin")
        try:
            out[tier] = load_reference_set(resolve_reference_name(tier, choice))
        except AudioprobeError as exc:
            out[tier] = f"reference set {choice!r} of tier {tier}: {exc}"
    return out
