"""A run's manifest (`run.json`) as typed records, read once.

Scoring, the report and exports ask the run the same questions (which items a tier asked for,
which reference set a tier is compared with); they are answered here, not by reading the raw
manifest dict in each of them.
"""

from __future__ import annotations

from collections import Counter
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from audioprobe.errors import stored_record
from audioprobe.store import RunStore, TrialRecord
from audioprobe.tiers import Item

if TYPE_CHECKING:
    from audioprobe.spec import ExperimentSpec, ModelSpec

BUILTIN = "builtin"


class _Lenient(BaseModel):
    # run.json also holds what other parts of audioprobe wrote (models, sandbox, versions)
    model_config = ConfigDict(extra="allow")


class TierChoice(_Lenient):
    name: str
    references: str = BUILTIN


class SpecView(_Lenient):
    """The parts of the experiment spec that results depend on."""

    name: str = ""
    tiers: list[TierChoice] = Field(default_factory=list)
    scoring: dict[str, Any] = Field(default_factory=dict)


class TierInfo(_Lenient):
    title: str = ""
    level: int | None = None
    sample_rate: int | None = None


class Manifest(_Lenient):
    run_id: str = ""
    spec: SpecView = Field(default_factory=SpecView)
    tiers: dict[str, TierInfo] = Field(default_factory=dict)
    items: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    # the hash of the sandbox runtime every script of the run ran in (sandbox/runtime.toml)
    sandbox_runtime: str | None = None


class Run:
    """A run folder read through typed records: `Run(store).items("notes")`. The bottom of the
    results layer, so it reaches no further up than the store; the API's Run (audioprobe.api)
    adds the exports as DataFrames and what a scoring did."""

    def __init__(self, store: RunStore):
        self.store = store
        self.manifest = stored_record(Manifest, store.manifest, store.root / "run.json")

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
        for tier, raws in self.manifest.items.items():
            items = [
                stored_record(Item, raw, self.root / "run.json", f"items.{tier}[{n}]")
                for n, raw in enumerate(raws)
            ]
            for item in items:
                item.tier = tier
            out[tier] = items
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
