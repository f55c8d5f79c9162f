"""The metric contract: what a metric is, apart from how metrics are found (scoring/registry.py).

A metric module defines `METRIC`, an instance of `ClipMetric` (a value per rendered clip) or
`SetMetric` (a value per model × tier set). It declares its name, version, the tiers it applies
to, its columns (unit, direction, range; results/columns.py) and its settings; the scorer takes
all of that from here and stores the columns with every card it writes, so the exports and every
view describe a run's values from the run itself. Adding a metric is writing one module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from audioprobe.results.columns import Column, MetricInfo
from audioprobe.tier_kinds import kind_of

if TYPE_CHECKING:
    from audioprobe.results.records import SetValue
    from audioprobe.scoring.context import ClipInput, ScoreContext, SetGroup
    from audioprobe.tiers import Item

__all__ = [
    "ClipMetric",
    "Column",
    "Measured",
    "Metric",
    "Missing",
    "NoSettings",
    "SetMetric",
    "Setup",
]


class NoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Setup:
    """A clip metric ready for one tier: its card, and its model or why it is unavailable."""

    card: dict[str, Any]
    model: Any = None
    unavailable: str | None = None
    embedding: str = ""


@dataclass(frozen=True)
class Missing:
    """A column with no value for this clip, and why (e.g. "no pitched frame")."""

    reason: str


Measured = Mapping[str, float | str | Missing]


class Metric:
    name: ClassVar[str]
    version: ClassVar[int]
    level: ClassVar[Literal["clip", "set"]]
    columns: ClassVar[tuple[Column, ...]]
    description: ClassVar[str] = ""
    # None: every tier; otherwise these tiers and those whose kind lists the metric by name
    # (tier_kinds/: `metrics = ("pitch",)`), so a new tier picks its metrics, not the reverse
    tiers: ClassVar[tuple[str, ...] | None] = None
    rank: ClassVar[int] = 100  # where its columns come in tables (smaller first)
    # Means the same in every tier, so may be compared and plotted across tiers
    # (docs/science.md); such metrics come first in every table.
    comparable: ClassVar[bool] = False
    # Its numbers pass through a neural network (an embedding, an ASR or a MOS model), so
    # another CPU may move their last digits (a reproduction compares them with a tolerance).
    neural: ClassVar[bool] = False
    # Its [scoring.<name>] settings; the card records them.
    Settings: ClassVar[type[BaseModel]] = NoSettings

    def applies_to(self, tier: str) -> bool:
        return self.tiers is None or tier in self.tiers or self.name in kind_of(tier).metrics

    def applies_to_item(self, item: Item) -> bool:
        """Whether the metric measures clips of `item`, within a tier it applies to: a metric
        that reads a kind of target (the notes an item asks for) says so here, by the item's
        content rather than its tier's name, so a researcher's own tier gets it too."""
        return True

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def info(self) -> MetricInfo:
        """What its stored values need to be shown: written beside each card it uses."""
        return MetricInfo(
            name=self.name,
            level=self.level,
            columns=tuple(self.columns),
            rank=self.rank,
            comparable=self.comparable,
        )


class ClipMetric(Metric):
    level: ClassVar[Literal["clip", "set"]] = "clip"

    def setup(self, ctx: ScoreContext, tier: str) -> Setup:
        """The card (and model) for `tier`; called once per tier before any clip."""
        return Setup(card={})

    def measure(self, ctx: ScoreContext, setup: Setup, clip: ClipInput) -> Measured:
        """The columns' values for one rendered clip. Any exception is recorded as this
        clip's error and scoring goes on."""
        raise NotImplementedError


class SetMetric(Metric):
    level: ClassVar[Literal["clip", "set"]] = "set"

    def compute(self, ctx: ScoreContext, group: SetGroup) -> list[SetValue]:
        """The values of one model × tier set (use `group.value(...)` to build them)."""
        raise NotImplementedError
