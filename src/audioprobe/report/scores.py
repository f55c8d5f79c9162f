"""The numbers the plots and `compare` use: every measure of a scored run by (model, tier, key).

Set metrics come with their interval and clip count as scoring computed them; clip metrics as
means over the clips with a value (see audioprobe.results.measures). Only the columns a metric
declares as quality measures are plotted; `compare` keeps the facts of a clip too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from audioprobe.report.cell import Cell
from audioprobe.report.overview import comparable
from audioprobe.results.measures import RunResults

Key = tuple[str, str, str]  # model, tier, measure key (column[embedding])


@dataclass
class Series:
    cells: dict[Key, Cell] = field(default_factory=dict)
    clip_means: set[str] = field(default_factory=set)  # keys averaged over clips
    quality: set[str] = field(default_factory=set)  # keys a metric declares a quality measure
    comparable: set[str] = field(default_factory=set)  # keys comparable across tiers

    def metrics(self) -> list[str]:
        return list(dict.fromkeys(k for _, _, k in self.cells))

    def plotted(self) -> list[str]:
        return [m for m in self.metrics() if m in self.quality]


def numeric_series(results: RunResults) -> Series:
    series = Series()
    for m in results.measures:
        series.cells[(m.model, m.tier, m.key)] = Cell.of(m)
        if m.level == "clip":
            series.clip_means.add(m.key)
        if m.quality:
            series.quality.add(m.key)
        if comparable(results, m.metric):
            series.comparable.add(m.key)
    return series
