"""Uncertainty for set metrics: bootstrap intervals and FAD∞, both repeatable run to run.

Every random draw comes from a generator seeded by the configured seed *and* the set's own key
(model, tier, class, embedding), so a value does not change when other sets are added to a run
or scored in another order, and two scorings of one run give identical numbers.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from audioprobe.scoring.fad import fad_between, gaussian_stats

Bounds = tuple[float | None, float | None]  # a column's declared range


def set_rng(seed: int, *key: str) -> np.random.Generator:
    """A generator fixed by the seed and the set's key (crc32 is stable across processes)."""
    return np.random.default_rng([int(seed), *(zlib.crc32(k.encode()) for k in key)])


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    se: float
    confidence: float
    n_boot: int
    seed: int


def bootstrap_interval(
    statistic: Callable[[np.ndarray, np.ndarray], float],
    estimate: float,
    generated: np.ndarray,
    reference: np.ndarray,
    *,
    n_boot: int,
    seed: int,
    key: tuple[str, ...],
    confidence: float = 0.95,
    bounds: Bounds = (None, None),
) -> Interval:
    """estimate ± z·SE, with SE the standard deviation of `statistic` over resamples.

    Both sets are resampled (with replacement, same sizes) because both are samples. A
    percentile interval would be wrong here: a resample repeats clips, which shrinks the
    covariance and pushes FAD up, so the percentiles of small sets can lie entirely above the
    estimate. The bootstrap is used for the spread only; FAD's small-set bias is what FAD∞
    addresses. The interval is clipped to `bounds`, the column's declared range.
    """
    return bootstrap_interval_on_indices(
        lambda gi, ri: statistic(generated[gi], reference[ri]),
        estimate,
        len(generated),
        len(reference),
        n_boot=n_boot,
        seed=seed,
        key=key,
        confidence=confidence,
        bounds=bounds,
    )


def bootstrap_interval_on_indices(
    statistic: Callable[[np.ndarray, np.ndarray], float],
    estimate: float,
    n_gen: int,
    n_ref: int,
    *,
    n_boot: int,
    seed: int,
    key: tuple[str, ...],
    confidence: float = 0.95,
    bounds: Bounds = (None, None),
) -> Interval:
    """bootstrap_interval for a statistic given the resampled *indices* of both sets.

    Lets a statistic keep what does not change between resamples (KAD's kernel matrices) and
    only index it; the draws are the same as bootstrap_interval's, so the values agree.
    """
    rng = set_rng(seed, "bootstrap", *key)
    values = np.empty(n_boot)
    for i in range(n_boot):
        gi = rng.integers(0, n_gen, n_gen)
        ri = rng.integers(0, n_ref, n_ref)
        values[i] = statistic(gi, ri)
    se = float(values.std(ddof=1))
    from scipy.stats import norm  # here: scipy.stats costs seconds at every CLI start

    z = float(norm.ppf(0.5 + confidence / 2.0))
    low, high = clip_to_range(estimate - z * se, estimate + z * se, estimate, bounds)
    return Interval(low, high, se, confidence, n_boot, seed)


def clip_to_range(low: float, high: float, estimate: float, bounds: Bounds) -> tuple[float, float]:
    """An interval kept inside the measure's declared range, and around its own estimate.

    A distance cannot be negative, a rate cannot pass 1: an interval that says so describes
    the approximation, not the measure. An unbiased estimate (KAD) may itself lie just outside
    the range; the interval then reaches it rather than excluding the reported value.
    """
    lo_bound, hi_bound = bounds
    if lo_bound is not None:
        low = max(low, min(lo_bound, estimate))
    if hi_bound is not None:
        high = min(high, max(hi_bound, estimate))
    return low, high


@dataclass(frozen=True)
class FadInf:
    """FAD extrapolated to an infinite generated set: the intercept of FAD against 1/n."""

    value: float
    slope: float
    r2: float
    points: list[tuple[int, float]]


def fad_infinity(
    generated: np.ndarray,
    reference: np.ndarray,
    *,
    steps: int,
    min_fraction: float,
    repeats: int,
    seed: int,
    key: tuple[str, ...],
) -> FadInf:
    """FAD∞ (Chung et al., 2020, as fadtk applies it to audio).

    FAD is biased upward by roughly slope/n for n generated clips. Draw n clips with
    replacement for `steps` sizes between `min_fraction` of the set and all of it (averaging
    `repeats` draws per size), fit FAD = intercept + slope/n by least squares, and report the
    intercept. The reference statistics are computed once from the whole reference set.
    """
    rng = set_rng(seed, "fad_inf", *key)
    n_total = len(generated)
    low = max(2, int(np.ceil(min_fraction * n_total)))
    sizes = sorted({round(v) for v in np.linspace(low, n_total, steps)})
    if len(sizes) < 2:
        raise ValueError(f"FAD∞ needs at least two set sizes; {n_total} clips give {sizes}")
    ref_stats = gaussian_stats(reference)
    points: list[tuple[int, float]] = []
    for n in sizes:
        draws = [
            fad_between(gaussian_stats(generated[rng.integers(0, n_total, n)]), ref_stats)
            for _ in range(repeats)
        ]
        points.append((n, float(np.mean(draws))))
    xs = 1.0 / np.array([p[0] for p in points], dtype=float)
    ys = np.array([p[1] for p in points])
    slope, intercept = np.polyfit(xs, ys, 1)
    resid = ys - (slope * xs + intercept)
    total = float(((ys - ys.mean()) ** 2).sum())
    r2 = 1.0 - float((resid**2).sum()) / total if total > 0 else 1.0
    return FadInf(value=float(intercept), slope=float(slope), r2=r2, points=points)


CLIP_BOOTSTRAP = 2000  # resamples for a clip summary; deterministic, so cheap to repeat
CLIP_SEED = 0
CLIP_INTERVAL = (
    f"95% percentile bootstrap, {CLIP_BOOTSTRAP} resamples of items and of samples within"
    " items, clipped to the column's range"
)


#: The declared evidence floor: a summary over fewer items has no interval, and a comparison
#: (paired difference, tier step) over fewer has no verdict, no interval and no p-value; views
#: print `too_few_items(n)` instead.
MIN_ITEMS = 5


def too_few_items(n: int) -> str:
    return f"too few items for a verdict (n={n})"


def too_little_evidence(items: int, distinct: int) -> str | None:
    """Why `items` items whose values take `distinct` distinct values give no interval: fewer
    than MIN_ITEMS items, or all values equal (a percentile interval of one value has zero
    width and says nothing of the spread); None when they suffice."""
    if items < MIN_ITEMS:
        return too_few_items(items)
    if distinct < 2:
        return f"every item has the same value: no interval (n={items})"
    return None


@dataclass(frozen=True)
class ClipSummary:
    """A clip column summarised over a model × tier: the statistic and its percentile interval,
    with the median and quartiles beside it (one wild clip moves a mean, not a median)."""

    statistic: str  # "mean", "median" or "rate" (the mean of a 0/1 flag): what `value` is
    value: float
    low: float | None
    high: float | None
    n: int
    median: float
    q1: float
    q3: float
    note: str | None = None  # why there is no interval (too_little_evidence)


def summarise_clips(
    values: list[float],
    items: list[str],
    *,
    statistic: str = "mean",
    bounds: Bounds = (None, None),
    key: tuple[str, ...] = (),
    confidence: float = 0.95,
    n_boot: int = CLIP_BOOTSTRAP,
) -> ClipSummary:
    """The statistic of a column's values with a two-level percentile bootstrap interval.

    Items are the sampling unit (a run draws items, and samples within each): a resample draws
    items with replacement and, within each drawn item, its samples with replacement. A
    percentile interval of a mean or median of values inside a range stays inside it, and is
    clipped to `bounds` besides; a normal interval (mean ± 1.96 SE) of a skewed, bounded measure
    crosses its bounds (|cents| below 0). Over fewer than MIN_ITEMS items, or values all equal,
    there is no interval, and `note` says why.
    """
    x = np.asarray(values, dtype=float)
    stat = np.median if statistic == "median" else np.mean
    q1, median, q3 = (float(v) for v in np.percentile(x, [25, 50, 75]))
    estimate = float(stat(x))
    groups: dict[str, list[float]] = {}
    for value, item in zip(x, items, strict=True):
        groups.setdefault(item, []).append(float(value))
    note = too_little_evidence(len(groups), int(np.unique(x).size))
    if note:
        return ClipSummary(statistic, estimate, None, None, int(x.size), median, q1, q3, note)
    members = [np.array(v) for _, v in sorted(groups.items())]
    rng = set_rng(CLIP_SEED, "clip-summary", *key)
    chosen = rng.integers(0, len(members), (n_boot, len(members)))
    if all(m.size == 1 for m in members):  # one sample per item: one vectorised draw
        boots = stat(np.concatenate(members)[chosen], axis=1)
    else:
        boots = np.array(
            [
                stat(np.concatenate([rng.choice(members[i], members[i].size) for i in row]))
                for row in chosen
            ]
        )
    tail = (1.0 - confidence) / 2.0
    low, high = (float(v) for v in np.quantile(boots, [tail, 1.0 - tail]))
    low, high = clip_to_range(low, high, estimate, bounds)
    return ClipSummary(statistic, estimate, low, high, int(x.size), median, q1, q3)
