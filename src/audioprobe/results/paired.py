"""Paired statistics over a scored run: model against model on the same items, tier against
tier for one model (the study's claim), and rank agreement between embeddings.

Two systems are compared only on the trials both have a number for (same tier, item and
sample), so a difference is never one of item mix. Each difference comes with a percentile
bootstrap interval over items and the p-value of that same bootstrap (twice the share of
replicates on the far side of zero), so the two never disagree in method; where replicates
are few they can part at the boundary, and a tier step's verdict then needs both (interval clear
of 0 and p < 0.05). Tier steps are not paired by item (the tiers ask different things) but
by model and resample: each tier's statistic is bootstrapped over its own items (or its own
reference draws, for normalised FAD), and the step's interval is the percentile interval of the
replicate differences, its p-value that same bootstrap's. "Falls at every step" is an
intersection-union test (each step must reject on its own), so it needs no multiplicity
correction: its level is the steps' level.

No verdict without evidence: over fewer than intervals.MIN_ITEMS items (either tier of a step,
or the shared items of a pair), or when every item differs by the same amount, there is no
interval, no p-value and no verdict, and views print "too few items for a verdict (n=…)".
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from scipy.stats import kendalltau

from audioprobe.results.measures import RunResults, tier_rank
from audioprobe.results.records import Direction, Status
from audioprobe.scoring.intervals import (
    CLIP_BOOTSTRAP,
    MIN_ITEMS,
    set_rng,
    too_few_items,
    too_little_evidence,
)

ALPHA = 0.05  # the level of every test here: 95 % intervals, p < 0.05


@dataclass(frozen=True)
class PairedDifference:
    """`a` − `b` on the items both have, for one tier and measure."""

    tier: str
    measure: str
    a: str
    b: str
    n: int
    mean_a: float
    mean_b: float
    diff: float
    low: float | None
    high: float | None
    p_value: float | None
    direction: str | None  # "higher" / "lower" is better, where the column says
    note: str | None = None  # why there is no interval and p-value (too few items)


Values = dict[tuple[str, str, str], dict[tuple[str, int], float]]  # (model, tier, measure) -> ...


def per_item_values(results: RunResults) -> tuple[Values, dict[str, str | None]]:
    """Every quality clip column, and every set measure that records a per-trial outcome
    (task success), per trial, keyed by (item, sample)."""
    trials = {t.trial_id: t for t in results.trials}
    out: Values = defaultdict(dict)
    direction: dict[str, str | None] = {}
    quality = {(m.metric, m.column, m.embedding): m for m in results.measures if m.level == "clip"}
    for v in results.clips:
        m = quality.get((v.metric, v.column, v.embedding))
        t = trials.get(v.trial_id)
        if m is None or not m.quality or t is None or v.status != Status.OK or v.value is None:
            continue
        out[(t.model, t.tier, m.heading)][(t.item, t.sample)] = v.value
        direction[m.heading] = m.direction
    set_measures = {
        (m.metric, m.column, m.embedding): m for m in results.measures if m.level == "set"
    }
    for s in results.sets:
        m = set_measures.get((s.metric, s.column, s.embedding))
        if m is None or s.class_key or s.status != Status.OK or "outcomes" not in s.extra:
            continue
        for trial_id, ok in s.extra["outcomes"].items():
            t = trials.get(trial_id)
            if t is not None:
                out[(t.model, t.tier, m.heading)][(t.item, t.sample)] = float(ok)
        direction[m.heading] = m.direction
    return out, direction


def paired(
    a: str, b: str, tier: str, measure: str, va: dict, vb: dict, direction: str | None
) -> PairedDifference | None:
    shared = sorted(set(va) & set(vb))
    if not shared:
        return None
    x = np.array([va[k] for k in shared])
    y = np.array([vb[k] for k in shared])
    d = x - y
    items = sorted({k[0] for k in shared})
    common = (tier, measure, a, b, len(shared), float(x.mean()), float(y.mean()), float(d.mean()))
    note = too_little_evidence(len(items), int(np.unique(d).size))
    if note:
        return PairedDifference(*common, None, None, None, direction, note)
    reps = _item_bootstrap(d, [k[0] for k in shared], ("paired", a, b, tier, measure))
    low, high = (float(v) for v in np.percentile(reps, [2.5, 97.5]))
    return PairedDifference(*common, low, high, bootstrap_p(reps), direction)


def _item_bootstrap(values: np.ndarray, items: list[str], key: tuple[str, ...]) -> np.ndarray:
    """Replicates of the mean over items drawn with replacement (each with its samples)."""
    groups: dict[str, list[float]] = defaultdict(list)
    for v, item in zip(values, items, strict=True):
        groups[item].append(float(v))
    sums = np.array([sum(v) for _, v in sorted(groups.items())])
    sizes = np.array([len(v) for _, v in sorted(groups.items())])
    pick = set_rng(0, *key).integers(0, len(sums), (CLIP_BOOTSTRAP, len(sums)))
    return sums[pick].sum(1) / sizes[pick].sum(1)


def bootstrap_p(reps: np.ndarray) -> float:
    """Two-sided p-value of "no difference" from bootstrap replicates: twice the smaller share
    on either side of zero (with the +1 of a resampling test), at most 1."""
    below = (np.sum(reps <= 0) + 1) / (reps.size + 1)
    above = (np.sum(reps >= 0) + 1) / (reps.size + 1)
    return float(min(1.0, 2 * min(below, above)))


def model_pairs(results: RunResults) -> list[PairedDifference]:
    """Every pair of models of the run, per tier and measure, on their shared items."""
    values, direction = per_item_values(results)
    models = sorted({m for m, _, _ in values})
    out = []
    for a, b in itertools.combinations(models, 2):
        for (model, tier, measure), va in sorted(values.items(), key=_order):
            if model != a or (b, tier, measure) not in values:
                continue
            got = paired(a, b, tier, measure, va, values[(b, tier, measure)], direction[measure])
            if got is not None:
                out.append(got)
    return out


def run_pairs(ours: RunResults, theirs: RunResults) -> list[PairedDifference]:
    """Each model of one run against the same-named model of another, on shared items."""
    va, direction = per_item_values(ours)
    vb, _ = per_item_values(theirs)
    out = []
    for (model, tier, measure), values in sorted(va.items(), key=_order):
        other = vb.get((model, tier, measure))
        if other is not None:
            got = paired(
                f"{model} (ours)", f"{model} (theirs)", tier, measure, values, other,
                direction[measure],
            )  # fmt: skip
            if got is not None:
                out.append(got)
    return out


def _order(kv: tuple) -> tuple:
    (model, tier, measure), _ = kv
    return (tier_rank(tier), measure, model)


@dataclass(frozen=True)
class RankAgreement:
    tier: str
    column: str
    embeddings: tuple[str, str]
    models: int
    tau: float
    p_value: float | None


def rank_agreement(results: RunResults) -> list[RankAgreement]:
    """Kendall τ between two embeddings' rankings of the run's models, per tier and set column
    (FAD, KAD, normalised FAD); needs two or more models with a number in both."""
    by: dict[tuple[str, str], dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for m in results.measures:
        if m.level == "set" and m.embedding and m.status == Status.OK and m.value is not None:
            by[(m.tier, m.column)][m.embedding][m.model] = m.value
    out = []
    for (tier, column), per_emb in sorted(by.items(), key=lambda kv: tier_rank(kv[0][0])):
        for e1, e2 in itertools.combinations(sorted(per_emb), 2):
            shared = sorted(set(per_emb[e1]) & set(per_emb[e2]))
            if len(shared) < 2:
                continue
            res = kendalltau([per_emb[e1][m] for m in shared], [per_emb[e2][m] for m in shared])
            tau = float(res.statistic)
            if math.isnan(tau):
                continue
            p = float(res.pvalue) if not math.isnan(res.pvalue) else None
            out.append(RankAgreement(tier, column, (e1, e2), len(shared), tau, p))
    return out


@dataclass(frozen=True)
class Step:
    """One model's change of one tier-comparable measure from one tier to the next."""

    model: str
    measure: str
    before: str
    after: str
    value_before: float | None  # None: the tier has no value of the measure (see `missing`)
    value_after: float | None
    diff: float | None  # after − before
    low: float | None
    high: float | None
    direction: Direction | None  # which way is better, as the column declares
    items: int = 0  # the fewer items of the two tiers (clips, for normalised FAD's matched n)
    p_value: float | None = None  # two-sided bootstrap p of "no change" (bootstrap_p)
    missing: str = ""  # why the step could not be measured ("" when it was)

    @property
    def verdict(self) -> str:
        """Performance "falls" when the measure moves the worse way with its interval clear
        of zero and its p-value below 0.05, "rises" when the better way; no verdict over fewer
        than MIN_ITEMS items, and none for a step one of whose tiers has no value. Both tests
        are asked because they come from the same replicates but can part where replicates are
        few: 20 normalised-FAD draws gave a percentile interval clear of zero while the
        smallest p those draws allow is 2/21 = 0.095, and the table said "falls" beside it."""
        if self.missing:
            return f"not measured: {self.missing}"
        if self.low is None or self.high is None:
            return too_few_items(self.items)
        if self.p_value is not None and self.p_value >= ALPHA:
            return "no clear change"
        down, up = self.high < 0, self.low > 0
        worse, better = (down, up) if self.direction == "higher" else (up, down)
        return "falls" if worse else "rises" if better else "no clear change"


def _replicates(results: RunResults, model: str, tier: str, measure: str):
    """(the tier's value, its bootstrap replicates, its items) or None; items are the tier's
    items with an outcome (task success) or the matched clips (normalised FAD)."""
    rows = [
        s for s in results.sets
        if (s.model, s.tier, s.column) == (model, tier, measure)
        and not s.class_key and s.status == Status.OK and s.value is not None
    ]  # fmt: skip
    if not rows:
        return None
    if "outcomes" in rows[0].extra:  # per-trial outcomes: resample the tier's items
        outcomes = rows[0].extra["outcomes"]
        items = {t.trial_id: t.item for t in results.trials}
        groups: dict[str, list[float]] = defaultdict(list)
        for trial_id, ok in outcomes.items():
            groups[items.get(trial_id, trial_id)].append(float(ok))
        if not groups:
            return None
        means = np.array([np.mean(v) for _, v in sorted(groups.items())])
        sizes = np.array([len(v) for _, v in sorted(groups.items())])
        rng = set_rng(0, "claim", model, tier, measure)
        pick = rng.integers(0, len(means), (CLIP_BOOTSTRAP, len(means)))
        reps = (means[pick] * sizes[pick]).sum(1) / sizes[pick].sum(1)
        return rows[0].value, reps, len(groups)
    # per-draw values (normalised FAD), averaged over the tier's embeddings
    draws = [np.asarray(r.extra.get("draws") or [], dtype=float) for r in rows]
    draws = [d for d in draws if d.size]
    if not draws or len({d.size for d in draws}) != 1:
        return None
    n = min(int(r.extra.get("matched_n") or r.n_generated or 0) for r in rows)
    return float(np.mean([r.value for r in rows])), np.mean(draws, axis=0), n


def claim_steps(results: RunResults) -> list[Step]:
    """Per model: task success and normalised FAD from each tier of the run to the next in
    rising level (notes, environmental, speech; each tier's normalised FAD averaged over its
    embeddings with a value). The ladder is every tier the model answered, so a tier without
    the measure is a step "not measured" rather than a step skipped: a claim over two of three
    tiers must not read as a claim over all three. A measure no tier has gives no steps."""
    models = sorted({t.model for t in results.trials})
    measures = results.catalog.comparable_columns()
    out = []
    for model, (measure, direction) in itertools.product(models, measures.items()):
        ladder = _ladder(results, model)
        found = {tier: _replicates(results, model, tier, measure) for tier in ladder}
        if not any(found.values()):
            continue
        for before, after in itertools.pairwise(ladder):
            a, b = found[before], found[after]
            if a is None or b is None:
                why = "; ".join(
                    _missing(results, model, tier, measure)
                    for tier, got in ((before, a), (after, b))
                    if got is None
                )
                out.append(
                    Step(model, measure, before, after, None if a is None else a[0],
                         None if b is None else b[0], None, None, None, direction, missing=why)
                )  # fmt: skip
                continue
            out.append(_step(model, measure, direction, (before, a), (after, b)))
    return out


def _ladder(results: RunResults, model: str) -> list[str]:
    """The tiers `model` answered (a tier it cannot answer, every trial `unavailable`, is
    not a rung of its ladder), in rising level."""
    answered = {t.tier for t in results.trials if t.model == model and t.status != "unavailable"}
    return sorted(answered, key=tier_rank)


def _missing(results: RunResults, model: str, tier: str, measure: str) -> str:
    """Why `tier` has no value of `measure` for `model`, in the set row's own words."""
    rows = [
        s for s in results.sets
        if (s.model, s.tier, s.column) == (model, tier, measure) and not s.class_key
    ]  # fmt: skip
    reasons = sorted({r.reason for r in rows if r.reason})
    if reasons:
        return f"{tier}: {reasons[0]}"
    return f"{tier} has no {measure} (not scored)"


def _step(model: str, measure: str, direction: Direction | None, a, b) -> Step:
    """One measured step from tier a to tier b, each (tier, (value, replicates, items))."""
    (before, (va, reps_a, items_a)), (after, (vb, reps_b, items_b)) = a, b
    diff = float(vb - va)
    items = min(items_a, items_b)
    if items < MIN_ITEMS:
        return Step(model, measure, before, after, va, vb, diff, None, None, direction, items)
    n = min(reps_a.size, reps_b.size)
    diffs = reps_b[:n] - reps_a[:n]
    low, high = (float(v) for v in np.percentile(diffs, [2.5, 97.5]))
    return Step(
        model, measure, before, after, va, vb, diff, min(low, diff), max(high, diff),
        direction, items, bootstrap_p(diffs),
    )  # fmt: skip


def claim_summary(steps: list[Step]) -> dict[tuple[str, str], str]:
    """(model, measure) -> whether performance falls at every step of the ladder, in words.
    "The claim holds" needs every step of the model's ladder measured and falling."""
    out = {}
    by: dict[tuple[str, str], list[Step]] = defaultdict(list)
    for s in steps:
        by[(s.model, s.measure)].append(s)
    for key, found in by.items():
        verdicts = [s.verdict for s in found]
        if all(v == "falls" for v in verdicts):
            out[key] = "falls at every step: the claim holds"
        elif any(v == "rises" for v in verdicts):
            out[key] = "rises at a step: the claim does not hold"
        else:
            out[key] = "not shown: " + ", ".join(f"{s.before}→{s.after} {s.verdict}" for s in found)
    return out
