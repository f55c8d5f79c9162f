"""The metric registry: every metric is one module that declares itself; `score` iterates them.

A metric module defines `METRIC`, an instance of `ClipMetric` (a value per rendered clip) or
`SetMetric` (a value per model × tier set). It declares its name, version, the tiers it applies
to, its columns (unit, direction, range) and its settings; the scorer, the exports and every
view take all of that from here, so adding a metric is writing one module:

- the built-in metrics are the modules of `audioprobe.scoring.metrics`;
- more are found in the folders named by $AUDIOPROBE_METRICS_PATH (os.pathsep-separated,
  every `*.py` file in them), and in installed packages' `audioprobe.metrics` entry points.
  A module in such a folder may instead define an embedding (an `Embedding` subclass with a
  `name`), which registers itself for `[tiers.<tier>] embeddings` to name.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from audioprobe.errors import ConfigError
from audioprobe.results.records import Direction
from audioprobe.tier_kinds import kind_of

if TYPE_CHECKING:
    from audioprobe.results.records import SetValue
    from audioprobe.scoring.context import ClipInput, ScoreContext, SetGroup
    from audioprobe.tiers import Item

PATH_ENV = "AUDIOPROBE_METRICS_PATH"
ENTRY_POINTS = "audioprobe.metrics"


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


def _module_metric(module: ModuleType, origin: str) -> Metric:
    metric = getattr(module, "METRIC", None)
    if not isinstance(metric, ClipMetric | SetMetric):
        raise ConfigError(f"metric module {origin} defines no METRIC (a ClipMetric or SetMetric)")
    return metric


def _from_folder(folder: Path) -> list[Metric]:
    found = []
    for path in sorted(folder.glob("*.py")):
        name = f"audioprobe_metric_plugin_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # a plugin's own bug: say which file, never a traceback
            raise ConfigError(f"metric module {path} failed to load: {exc!r}") from exc
        if hasattr(module, "METRIC") or not _defines_embedding(module):
            found.append(_module_metric(module, str(path)))
    return found


def _defines_embedding(module: ModuleType) -> bool:
    """A plugin module may define only an embedding (it registers itself on import)."""
    from audioprobe.scoring.embeddings.base import Embedding

    return any(
        isinstance(v, type) and issubclass(v, Embedding) and v.__module__ == module.__name__
        for v in vars(module).values()
    )


@cache
def _load(path_env: str) -> dict[str, Metric]:
    from audioprobe.scoring import metrics as package

    found: list[Metric] = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        found.append(_module_metric(module, module.__name__))
    for folder in filter(None, path_env.split(os.pathsep)):
        found.extend(_from_folder(Path(folder)))
    for ep in metadata.entry_points(group=ENTRY_POINTS):
        found.append(_module_metric(ep.load(), f"entry point {ep.name}"))
    out: dict[str, Metric] = {}
    for metric in sorted(found, key=lambda m: (m.rank, m.name)):
        if metric.name in out:
            raise ConfigError(f"two metrics are named {metric.name!r}")
        out[metric.name] = metric
    return out


def registry() -> dict[str, Metric]:
    """Every registered metric by name, in table order."""
    return _load(os.environ.get(PATH_ENV, ""))


def get_metric(name: str) -> Metric:
    found = registry().get(name)
    if found is None:
        raise ConfigError(f"unknown metric {name!r}; known: {', '.join(registry())}")
    return found
