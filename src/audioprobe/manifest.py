"""A run's manifest (`run.json`) as one typed model: the only way audioprobe reads it.

run.json is written once, when a run is planned, and read by every later command (resume,
score, show, export, report, merge, publish, the viewer). Each reads the fields it needs from
`Manifest`, so a key misspelt in one of them is an AttributeError under test rather than a
silently empty value. Every part keeps keys it does not name (`extra="allow"`) and `stored()`
gives back exactly the keys it was read with, so a run.json written by another version of
audioprobe round-trips unchanged; every field has a default, so an older run.json that lacks
one still opens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from audioprobe.errors import stored_record
from audioprobe.languages import DEFAULT_LANGUAGE

BUILTIN = "builtin"


class _Lenient(BaseModel):
    # run.json also holds what other parts of audioprobe wrote (models, sandbox, versions)
    model_config = ConfigDict(extra="allow")

    def stored(self) -> dict[str, Any]:
        """The part as run.json holds it: the keys it was given, no others."""
        return self.model_dump(mode="json", exclude_unset=True)


class TierChoice(_Lenient):
    name: str
    references: str = BUILTIN
    language: str | None = None  # the tier's own language (spec.TierSelection)


class SpecView(_Lenient):
    """The parts of the experiment spec that results depend on (spec.ExperimentSpec has all)."""

    name: str = ""
    tiers: list[TierChoice] = Field(default_factory=list)
    scoring: dict[str, Any] = Field(default_factory=dict)
    samples: int = 1
    system_prompt: str = ""
    # the language answers were asked in; a run.json written before languages was Python's
    language: str = DEFAULT_LANGUAGE
    feedback: dict[str, Any] | None = None


class TierInfo(_Lenient):
    title: str = ""
    level: int | float | None = None
    sample_rate: int | None = None


class ModelEntry(_Lenient):
    """A model as the run recorded it (spec.ModelSpec has all its fields)."""

    name: str
    kind: str = "openai"
    model: str = ""
    language: str | None = None  # the model's own language, `--language` included
    price_in: float | None = None  # USD per million tokens
    price_out: float | None = None


class ItemEntry(_Lenient):
    """An item as the run snapshotted it (tiers.Item reads the rest)."""

    id: str


class PlanInfo(_Lenient):
    tiers: list[str] = Field(default_factory=list)
    limit: int | None = None
    trials: int | None = None


class Manifest(_Lenient):
    run_id: str = ""
    created: str | None = None
    spec_path: str | None = None
    spec: SpecView = Field(default_factory=SpecView)
    models: list[ModelEntry] = Field(default_factory=list)
    versions: dict[str, Any] = Field(default_factory=dict)
    git_commit: str | None = None
    # the hash of the sandbox runtime every script of the run ran in (sandbox/runtime.toml)
    sandbox_runtime: str | None = None
    tiers: dict[str, TierInfo] = Field(default_factory=dict)
    items: dict[str, list[ItemEntry]] = Field(default_factory=dict)
    plan: PlanInfo | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)
    # a shard's run (`run --shard`): {"index", "count", "trials"} (shard.Shard reads it)
    shard: dict[str, Any] | None = None
    # `audioprobe reproduce`: the publication's source run; `merge`: the shards joined
    reproduces: str | None = None
    merged_from: list[dict[str, Any]] | None = None

    @classmethod
    def read(cls, raw: dict[str, Any], path: Path) -> Manifest:
        """run.json's parsed content as a Manifest; an AudioprobeError naming the field when a
        value does not fit."""
        return stored_record(cls, raw, path)

    def field_value(self, name: str) -> Any:
        """One top-level field as run.json holds it (None when absent), for comparing runs."""
        return self.stored().get(name)

    def item_ids(self) -> dict[str, list[str]]:
        """The planned item ids per tier, in plan order."""
        return {tier: [i.id for i in items] for tier, items in self.items.items()}

    def merged(self, run_id: str, created: str, merged_from: list[dict[str, Any]]) -> Manifest:
        """The manifest of the run that joins this plan's shards: this one without its shard."""
        raw = {k: v for k, v in self.stored().items() if k != "shard"}
        raw.update(run_id=run_id, created=created, merged_from=merged_from)
        return Manifest.model_validate(raw)
