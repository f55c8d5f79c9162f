"""A run's manifest (`run.json`) as typed records, read once.

Scoring, the report and exports ask the run the same questions (which items a tier asked for,
which reference set a tier is compared with); they are answered here, not by reading the raw
manifest dict in each of them.
"""

from __future__ import annotations

from collections import Counter
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from audioprobe.manifest import BUILTIN, Manifest, SpecView, TierInfo
from audioprobe.store import RunStore, TrialRecord
from audioprobe.tiers import Item

if TYPE_CHECKING:
    from audioprobe.spec import ExperimentSpec, ModelSpec


class Run:
    """A run folder read through typed records: `Run(store).items("notes")`. The bottom of the
    results layer, so it reaches no further up than the store; the API's Run (audioprobe.api)
    adds the exports as DataFrames and what a scoring did."""

    def __init__(self, store: RunStore):
        self.store = store
        self.manifest: Manifest = store.manifest

    @property
    def run_id(self) -> str:
        return self.manifest.run_id or self.store.root.name

    @property
    def spec(self) -> SpecView:
        return self.manifest.spec

    @property
    def tiers(self) -> dict[str, TierInfo]:
        return self.manifest.tiers

    @cached_property
    def _items(self) -> dict[str, list[Item]]:
        out: dict[str, list[Item]] = {}
        for tier in self.manifest.items:
            out[tier] = [self.store.item(tier, entry.id) for entry in self.manifest.items[tier]]
        return out

    def items(self, tier: str) -> list[Item]:
        """The items the run asked for in `tier`, as snapshotted when it started."""
        return self._items.get(tier, [])

    def classes(self, tier: str) -> set[str]:
        return {item.class_key for item in self.items(tier)}

    def reference_choice(self, tier: str) -> str:
        """What the spec names for `tier`'s references ("builtin" unless it names a set)."""
        for choice in self.spec.tiers:
            if choice.name == tier:
                return choice.references or BUILTIN
        return BUILTIN

    def trials(self) -> list[TrialRecord]:
        return self.store.trials()

    def outcomes(self) -> Counter[str]:
        """How many trials ended in each outcome (ok, runtime_error, llm_error, ...)."""
        return Counter(t.status for t in self.store.trials())

    @property
    def root(self) -> Path:
        return self.store.root

    @cached_property
    def experiment(self) -> ExperimentSpec:
        """The experiment spec the run was made from, typed (with any overrides in)."""
        return self.store.spec()

    @cached_property
    def models(self) -> list[ModelSpec]:
        """The models that ran, as run.json recorded them (overrides and machine defaults in)."""
        return self.store.model_specs()

    def __repr__(self) -> str:
        return f"<audioprobe Run {self.run_id!r} at {str(self.root)!r}>"
