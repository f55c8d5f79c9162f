"""What a metric's values are (their columns: label, unit, direction, range), as stored with the
metric's card when a run is scored, so every view of the run reads the run alone.

A metric declares its columns (scoring/contract.py); scoring writes that declaration beside
each card it uses (results/tables.py), and `show`, the exports and the report take headings,
units, directions and table order from it. A run scored with a plugin metric therefore keeps
showing that metric after the plugin folder is gone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from audioprobe.results.records import Direction


@dataclass(frozen=True)
class Column:
    """One value a metric writes. `quality`: a measure of how good a clip is (averaged per
    model × tier, plotted); the other columns are facts about a clip (its f0, its transcript)."""

    name: str
    label: str = ""  # the heading in `show`
    unit: str = ""
    direction: Direction | None = None
    range: tuple[float | None, float | None] = (None, None)
    kind: Literal["number", "text"] = "number"
    quality: bool = False
    # How a clip column is summarised per model × tier: "mean", "median" (a measure where one
    # wild clip should not decide the summary) or "rate" (the mean of a 0/1 flag).
    summary: Literal["mean", "median", "rate"] = "mean"

    def out_of_range(self, value: float) -> str | None:
        """Why `value` cannot be this column's (not finite, outside `range`), or None."""
        low, high = self.range
        if not math.isfinite(value):
            return f"{self.name} is {value!r}, not a finite number"
        slack = 1e-6  # float32 rounding (a cosine of 1.0000001) is not a bug
        if (low is not None and value < low - slack) or (high is not None and value > high + slack):
            return f"{self.name} = {value!r} is outside its declared range {self.range}"
        return None


@dataclass(frozen=True)
class MetricInfo:
    """A metric as its stored values need it described: its columns and where it stands in
    tables (`rank`, then name), and whether it means the same in every tier (`comparable`)."""

    name: str
    level: Literal["clip", "set"]
    columns: tuple[Column, ...]
    rank: int = 100
    comparable: bool = False

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> MetricInfo:
        columns = tuple(
            Column(**{**c, "range": tuple(c.get("range") or (None, None))})
            for c in raw.get("columns") or ()
        )
        return cls(
            name=raw["name"],
            level=raw["level"],
            columns=columns,
            rank=int(raw.get("rank", 100)),
            comparable=bool(raw.get("comparable", False)),
        )


#: The description of a metric by name, or None: how the views describe values stored before
#: descriptions were (the caller passes the metric registry's; results/ never imports it).
Describe = Callable[[str], MetricInfo | None]


@dataclass(frozen=True)
class Catalog:
    """The descriptions of the metrics a run's current values were computed by."""

    metrics: dict[str, MetricInfo] = field(default_factory=dict)

    @classmethod
    def of(cls, infos: Iterable[MetricInfo]) -> Catalog:
        ranked = sorted(infos, key=lambda m: (m.rank, m.name))
        return cls({m.name: m for m in ranked})

    def column(self, metric: str, name: str) -> Column:
        """The column's description (a bare one named `name` where the metric has none)."""
        found = self.metrics.get(metric)
        return (found.column(name) if found else None) or Column(name)

    @property
    def order(self) -> dict[str, int]:
        """Each metric's place in tables (rank, then name)."""
        return {name: k for k, name in enumerate(self.metrics)}

    def comparable_columns(self) -> dict[str, Direction | None]:
        """The columns of metrics that mean the same in every tier, with their direction."""
        return {
            c.name: c.direction for m in self.metrics.values() if m.comparable for c in m.columns
        }
