"""`score_run`: add every registered metric (or those asked for) to a run, idempotently.

Clip metrics are computed once per trial and card (a re-score skips values already stored for
the same clip bytes and card); set metrics are recomputed from cached embeddings, and every
random draw in them is seeded, so scoring a run twice gives identical numbers.

No clip can stop a scoring: whatever a metric raises on one clip (a damaged file, MemoryError,
a model's own error) becomes that clip's `error` value with the exception as its reason, and
the next clip is scored; a set metric that fails gives `error` values for its set likewise.
"""

from __future__ import annotations

import traceback
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from audioprobe.errors import ConfigError
from audioprobe.outcomes import FINAL_OUTCOMES
from audioprobe.results import tables
from audioprobe.results.coverage import record_scored
from audioprobe.results.records import ClipValue, SetValue, Status
from audioprobe.results.run import Run
from audioprobe.scoring.config import ScoringConfig, load_config
from audioprobe.scoring.context import (
    ClipInput,
    Progress,
    ScoreContext,
    SetGroup,
    changed_since_run,
    is_rendered,
    not_run,
    set_members,
    wav_sha256,
)
from audioprobe.scoring.contract import ClipMetric, Metric, Missing, SetMetric, Setup
from audioprobe.scoring.embed_cache import EmbeddingCache
from audioprobe.scoring.intervals import CLIP_INTERVAL
from audioprobe.scoring.registry import registry
from audioprobe.store import RunStore, TrialRecord

if TYPE_CHECKING:
    from audioprobe.executors import BatchEmbedder

REASON_CHARS = 500


@dataclass
class ScoreReport:
    """What a scoring did: counts, and the cards it used."""

    clip_values: int = 0
    clip_skipped: int = 0
    clip_errors: int = 0
    set_values: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    notes: list[str] = field(default_factory=list)


def _reason(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1] + "…"


def _card(ctx: ScoreContext, metric: Metric, setup: Setup, tier: str) -> str:
    fields = dict(setup.card)
    packages = tuple(fields.pop("packages", ()))
    # how the views summarise each column per model × tier (results.measures), with its interval
    fields["summaries"] = {
        "columns": {c.name: c.summary for c in metric.columns if c.kind == "number"},
        "interval": CLIP_INTERVAL,
    }
    card = ctx.make_card(metric, packages=packages, **fields)
    return ctx.use_card(card, metric.name, setup.embedding, tier)


class Scorer:
    def __init__(self, ctx: ScoreContext, metrics: list[Metric], report: ScoreReport):
        self.ctx = ctx
        self.metrics = metrics
        self.report = report

    # -- clip metrics -----------------------------------------------------------------------
    def score_clips(self, trials: list[TrialRecord]) -> None:
        by_tier: dict[str, list[TrialRecord]] = defaultdict(list)
        for t in trials:
            by_tier[t.tier].append(t)
        items = {(tier, i.id): i for tier in by_tier for i in self.ctx.run.items(tier)}
        for tier, tier_trials in by_tier.items():
            for metric in self.metrics:
                if not (isinstance(metric, ClipMetric) and metric.applies_to(tier)):
                    continue
                mine = [t for t in tier_trials if metric.applies_to_item(items[(tier, t.item)])]
                if mine:
                    self.ctx.progress(f"{tier}: {metric.name} for {len(mine)} trials")
                    self._clip_metric(metric, tier, mine, items)

    def _clip_metric(
        self, metric: ClipMetric, tier: str, trials: list[TrialRecord], items: dict
    ) -> None:
        ctx = self.ctx
        try:
            setup = metric.setup(ctx, tier)
        except Exception as exc:  # a metric that cannot start is unavailable, not a crash
            setup = Setup(card={"setup_error": _reason(exc)}, unavailable=_reason(exc))
        digest = _card(ctx, metric, setup, tier)
        ctx.clip_cards[(metric.name, tier)] = digest
        done = tables.stored_clips(ctx.run.store, [digest])
        values: list[ClipValue] = []
        wavs: dict[str, str] = {}
        for t in trials:
            sha = wav_sha256(t) if is_rendered(t) else None
            if done.get((t.trial_id, digest)) == (sha or ""):
                self.report.clip_skipped += 1
                continue
            wavs[t.trial_id] = sha or ""
            values.extend(self._clip_values(metric, setup, digest, t, items, sha))
        tables.write_clip_values(ctx.run.store, values, wavs)

    def _clip_values(
        self,
        metric: ClipMetric,
        setup: Setup,
        digest: str,
        trial: TrialRecord,
        items: dict,
        sha: str | None,
    ) -> list[ClipValue]:
        def value(column: str, status: Status, **fields) -> ClipValue:
            return ClipValue(
                trial_id=trial.trial_id,
                metric=metric.name,
                column=column,
                embedding=setup.embedding,
                status=status,
                card_hash=digest,
                **fields,
            )

        if sha is None:
            why = f"the trial ended {trial.status}: no clip to measure"
            return [value(c.name, Status.NOT_APPLICABLE, reason=why) for c in metric.columns]
        if setup.unavailable:
            return [
                value(c.name, Status.UNAVAILABLE, reason=setup.unavailable) for c in metric.columns
            ]
        if changed := changed_since_run(trial):
            self.report.clip_errors += 1
            return [value(c.name, Status.ERROR, reason=changed) for c in metric.columns]
        self.report.clip_values += 1
        try:
            measured = metric.measure(
                self.ctx, setup, ClipInput(trial, items[(trial.tier, trial.item)])
            )
        except Exception as exc:
            self.report.clip_errors += 1
            trial.write(f"score-{metric.name}.traceback.txt", traceback.format_exc())
            return [value(c.name, Status.ERROR, reason=_reason(exc)) for c in metric.columns]
        out = []
        for c in metric.columns:
            got = measured.get(c.name, Missing("the metric gave no value"))
            if isinstance(got, Missing):
                out.append(value(c.name, Status.NOT_APPLICABLE, reason=got.reason))
            elif c.kind == "text":
                out.append(value(c.name, Status.OK, text=str(got)))
            elif bad := c.out_of_range(float(got)):  # a metric's bug, never a number shown
                out.append(value(c.name, Status.ERROR, reason=bad))
            else:
                out.append(value(c.name, Status.OK, value=float(got)))
        return out

    # -- set metrics ------------------------------------------------------------------------
    def score_sets(self, trials: list[TrialRecord]) -> None:
        groups: dict[tuple[str, str], list[TrialRecord]] = defaultdict(list)
        for t in trials:
            groups[(t.model, t.tier)].append(t)
        rule = self.ctx.cfg.failed_renders
        values: list[SetValue] = []
        for (model, tier), group_trials in sorted(groups.items()):
            members = set_members(group_trials, self.ctx.run, rule)
            known = self.ctx.reference_classes(tier)
            excluded = excluded_items(self.ctx.run, tier, group_trials, known)
            kept = [m for m in members if m.item.id not in excluded]
            group = SetGroup(model, tier, group_trials, kept, rule, excluded)
            out = not_run(group_trials)
            for metric in self.metrics:
                if isinstance(metric, SetMetric) and metric.applies_to(tier):
                    got = self._set_metric(metric, group)
                    values.extend(got if out is None else [_out(v, *out) for v in got])
        tables.write_set_values(self.ctx.run.store, values)
        self.report.set_values += len(values)

    def _set_metric(self, metric: SetMetric, group: SetGroup) -> list[SetValue]:
        try:
            return metric.compute(self.ctx, group)
        except Exception as exc:
            card = self.ctx.use_card(
                self.ctx.make_card(metric, error=_reason(exc)), metric.name, "", group.tier
            )
            return [
                group.value(metric.name, c.name, card, status=Status.ERROR, reason=_reason(exc))
                for c in metric.columns
            ]


def excluded_items(run: Run, tier: str, trials: list[TrialRecord], known: set[str]) -> list[str]:
    """The trials' items whose class has no reference clips (none when nothing is known)."""
    classes = {i.id: i.class_key for i in run.items(tier)}
    return sorted({t.item for t in trials if known and classes.get(t.item) not in known})


def _out(v: SetValue, status: Status, why: str) -> SetValue:
    return replace(v, status=status, value=None, ci_low=None, ci_high=None, reason=why)


def chosen_metrics(cfg: ScoringConfig, names: list[str] | None) -> list[Metric]:
    """The metrics to compute, in registry order; ConfigError naming any unknown one."""
    known = registry()
    chosen = names or cfg.metrics or list(known)
    unknown = [m for m in chosen if m not in known]
    if unknown:
        raise ConfigError(f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(known)}")
    stray = sorted(set(cfg.model_extra or {}) - set(known))
    if stray:
        raise ConfigError(
            f"scoring settings name no metric: [{'], ['.join(stray)}]; known: {', '.join(known)}"
        )
    return [m for name, m in known.items() if name in chosen]


def score_run(
    store: RunStore,
    metrics: list[str] | None = None,
    *,
    config: ScoringConfig | None = None,
    cache: EmbeddingCache | None = None,
    device: str = "cpu",
    progress: Progress | None = None,
    embedder: BatchEmbedder | None = None,
) -> ScoreReport:
    """Add metrics to `store`'s run (idempotent); returns what was done. With `embedder`
    (executors.open_embedder), embedding batches are computed there, e.g. on a Ray cluster."""
    from threadpoolctl import threadpool_limits

    run = Run(store)
    cfg = config or load_config(run.spec.scoring)
    chosen = chosen_metrics(cfg, metrics)
    tables.ensure_tables(store)
    trials = [t for t in store.trials() if t.status in FINAL_OUTCOMES]
    ctx = ScoreContext(run, cfg, cache or EmbeddingCache(), device, progress or _quiet, embedder)
    report = ScoreReport()
    scorer = Scorer(ctx, chosen, report)
    # One BLAS thread: the matrices are small and oversubscribed threads are 10x slower here.
    with threadpool_limits(limits=1, user_api="blas"):
        scorer.score_clips(trials)
        scorer.score_sets(trials)
    known = registry()
    infos = {name: known[name].info() for _, name, _, _ in ctx.cards.values() if name in known}
    tables.record_cards(store, run.run_id, ctx.cards, infos=infos)
    record_scored(store, (t.trial_id for t in trials))  # what `show` & co. call covered
    report.cache_hits = ctx.cache.hits
    report.cache_misses = ctx.cache.misses
    pending = len(store.trials()) - len(trials)
    if pending:
        report.notes.append(f"{pending} unfinished trials were not scored")
    if report.clip_errors:
        report.notes.append(
            f"{report.clip_errors} clip values failed; each is recorded as `error` with its"
            " reason (traceback in the trial folder's score-<metric>.traceback.txt)"
        )
    return report


def _quiet(_: str) -> None:
    return None
