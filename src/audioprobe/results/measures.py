"""A scored run's numbers per model × tier: what `show`, the report and `compare` display.

Set metrics come as scoring computed them (value, interval, clip counts); clip metrics are
summarised here over the clips that have a value (the mean, or the median where the column
declares it), with a 95% percentile bootstrap interval over items that stays inside the
column's range, and the median and quartiles beside it. A cell with no number keeps the status
and reason of its values, so no view shows it as a number.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

from audioprobe.results import tables
from audioprobe.results.columns import Catalog, Describe
from audioprobe.results.rates import Rate, rate_of_counts
from audioprobe.results.records import ClipValue, Direction, SetValue, Status, column_key
from audioprobe.results.run import Run
from audioprobe.scoring.intervals import summarise_clips
from audioprobe.store import RunStore, TrialRecord
from audioprobe.tiers import tier_rank


@dataclass(frozen=True)
class Measure:
    """One metric column of one model × tier: a number with its interval and count, or the
    status and reason there is none."""

    model: str
    tier: str
    metric: str
    column: str
    embedding: str
    level: Literal["clip", "set"]
    status: Status
    value: float | None = None
    low: float | None = None
    high: float | None = None
    n: int | None = None  # generated clips (set) or clips with a value (clip mean)
    n_reference: int | None = None
    reason: str | None = None
    flags: tuple[str, ...] = ()
    label: str = ""  # the column's heading
    unit: str = ""
    direction: Direction | None = None
    quality: bool = True
    other: tuple[tuple[Status, int], ...] = ()  # clip means: values without a number, by status
    statistic: str = ""  # clip summaries: "mean" or "median", what `value` is
    median: float | None = None  # clip summaries: median and quartiles of the clips' values
    q1: float | None = None
    q3: float | None = None

    @property
    def key(self) -> str:
        return column_key(self.column, self.embedding)

    @property
    def heading(self) -> str:
        return column_key(self.label or self.column, self.embedding)

    @property
    def in_summary(self) -> bool:
        """Shown in the per model × tier tables (`show`, the report's overview): set metrics
        and quality measures; facts of a clip (its f0, its length) are in exports and `compare`."""
        return self.level == "set" or self.quality


def set_measure(v: SetValue, catalog: Catalog) -> Measure:
    c = catalog.column(v.metric, v.column)
    return Measure(
        model=v.model,
        tier=v.tier,
        metric=v.metric,
        column=v.column,
        embedding=v.embedding,
        level="set",
        status=v.status,
        value=v.value,
        low=v.ci_low,
        high=v.ci_high,
        n=v.n_generated,
        n_reference=v.n_reference,
        reason=v.reason,
        flags=tuple(v.flags),
        label=c.label,
        unit=c.unit,
        direction=c.direction,
        quality=c.quality,
    )


def clip_mean(
    model: str,
    tier: str,
    values: list[ClipValue],
    catalog: Catalog,
    items: dict[str, str] | None = None,
) -> Measure:
    """The column's summary over the ok values (see summarise_clips; `items` maps a trial to
    its item, the bootstrap's unit); with none, the first reason (a clip that was not rendered
    only where nothing else explains it)."""
    first = values[0]
    c = catalog.column(first.metric, first.column)
    ok = [(v.trial_id, v.value) for v in values if v.status == Status.OK and v.value is not None]
    counts: dict[Status, int] = defaultdict(int)
    for v in values:
        if v.status != Status.OK:
            counts[v.status] += 1
    cell = Measure(
        model=model,
        tier=tier,
        metric=first.metric,
        column=first.column,
        embedding=first.embedding,
        level="clip",
        status=Status.OK,
        label=c.label,
        unit=c.unit,
        direction=c.direction,
        quality=c.quality,
        other=tuple(sorted(counts.items(), key=lambda kv: kv[0].value)),
    )
    if ok:
        s = summarise_clips(
            [float(value) for _, value in ok],
            [(items or {}).get(trial, trial) for trial, _ in ok],
            statistic=c.summary,
            bounds=c.range,
            key=(model, tier, first.metric, first.column, first.embedding),
        )
        return replace(
            cell,
            value=s.value,
            low=s.low,
            high=s.high,
            n=s.n,
            flags=(s.note,) if s.note else (),
            statistic=s.statistic,
            median=s.median,
            q1=s.q1,
            q3=s.q3,
        )
    ranked = sorted(
        (v for v in values if v.status != Status.OK),
        key=lambda v: v.status == Status.NOT_APPLICABLE,
    )
    why = ranked[0] if ranked else first
    return replace(cell, status=why.status, reason=why.reason, n=0)


def _column_rank(m: Measure, order: dict[str, int]) -> tuple:
    return (m.level == "clip", order.get(m.metric, len(order)), m.metric, m.embedding, m.column)


@dataclass
class RunResults:
    """Everything scored about a run, as typed records (empty lists when not scored)."""

    run: Run
    trials: list[TrialRecord]
    clips: list[ClipValue] = field(default_factory=list)
    sets: list[SetValue] = field(default_factory=list)
    #: What the values are (their metrics' columns), as stored with their cards.
    catalog: Catalog = field(default_factory=Catalog)

    @classmethod
    def of(cls, store: RunStore, describe: Describe | None = None) -> RunResults:
        """The run's records, trials and set values in model then tier order (notes,
        environmental, speech: the study's order of complexity), as every export shows them.
        Values are described by what was stored with their cards; `describe` (the metric
        registry's, from the layer above) describes those scored before that was stored."""
        trials = sorted(
            store.trials(), key=lambda t: (t.model, tier_rank(t.tier), t.item, t.sample)
        )
        sets = sorted(
            tables.set_values(store, class_level=True, describe=describe),
            key=lambda v: (v.model, tier_rank(v.tier)),
        )
        return cls(
            run=Run(store),
            trials=trials,
            clips=tables.clip_values(store, describe),
            sets=sets,
            catalog=tables.catalog(store, describe),
        )

    def is_text(self, v: ClipValue) -> bool:
        """A text result (a transcript), not a number."""
        return self.catalog.column(v.metric, v.column).kind == "text"

    @property
    def scored(self) -> bool:
        return bool(self.clips or self.sets)

    @cached_property
    def cells(self) -> list[tuple[str, str]]:
        """(model, tier) of every cell with trials, in model then tier order."""
        found = {(t.model, t.tier) for t in self.trials}
        return sorted(found, key=lambda mt: (mt[0], tier_rank(mt[1])))

    def rate(self, model: str, tier: str) -> Rate:
        """The render rate (= ok %) of a cell: ok trials over trials the model answered."""
        counts: dict[str, int] = defaultdict(int)
        for t in self.trials:
            if (t.model, t.tier) == (model, tier):
                counts[t.status] += 1
        return rate_of_counts(counts)

    @cached_property
    def measures(self) -> list[Measure]:
        """Per model × tier: the tier-level set values, then the clip-column means, each in
        registry order."""
        order = self.catalog.order
        cell_of = {t.trial_id: (t.model, t.tier) for t in self.trials}
        by_clip: dict[tuple, list[ClipValue]] = defaultdict(list)
        for v in self.clips:
            if v.trial_id in cell_of and not self.is_text(v):
                by_clip[(*cell_of[v.trial_id], v.metric, v.column, v.embedding)].append(v)
        out = [set_measure(v, self.catalog) for v in self.sets if not v.class_key]
        item_of = {t.trial_id: t.item for t in self.trials}
        out += [clip_mean(k[0], k[1], vs, self.catalog, item_of) for k, vs in by_clip.items()]

        return sorted(out, key=lambda m: (m.model, tier_rank(m.tier), *_column_rank(m, order)))

    def headings(self) -> list[str]:
        """Every summary measure's heading once, set metrics first, then clip metrics, each in
        registry order: the columns of a table with a row per model × tier."""
        order = self.catalog.order
        ranked = sorted(
            (m for m in self.measures if m.in_summary), key=lambda m: _column_rank(m, order)
        )
        return list(dict.fromkeys(m.heading for m in ranked))

    def measures_of(self, model: str, tier: str) -> list[Measure]:
        return [m for m in self.measures if (m.model, m.tier) == (model, tier)]

    def clip_values_of(self, trial_id: str) -> list[ClipValue]:
        return self._clips_by_trial.get(trial_id, [])

    @cached_property
    def _clips_by_trial(self) -> dict[str, list[ClipValue]]:
        out: dict[str, list[ClipValue]] = defaultdict(list)
        for v in self.clips:
            out[v.trial_id].append(v)
        return out
