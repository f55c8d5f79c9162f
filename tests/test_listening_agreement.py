"""Agreement of a metric with listeners: Spearman rho against an independent rank computation,
its bootstrap interval, and the reasons given instead of a number."""

from __future__ import annotations

import numpy as np
import pytest

from audioprobe.listening.agreement import MIN_CLIPS, metric_agreement


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share the mean of their positions), by hand."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(1, len(x) + 1)
    for value in np.unique(x):
        tied = x == value
        ranks[tied] = ranks[tied].mean()
    return ranks


def test_rho_matches_pearson_of_ranks_and_the_interval_holds_it():
    rng = np.random.default_rng(7)
    quality = rng.uniform(0, 1, 30)
    human = np.round(100 * quality + rng.normal(0, 15, 30))  # integer ratings: ties
    machine = quality + rng.normal(0, 0.3, 30)
    got = metric_agreement("m", list(human), list(machine))
    expected = np.corrcoef(_ranks(human), _ranks(machine))[0, 1]
    assert got.n == 30 and got.rho == pytest.approx(expected, abs=1e-12)
    assert got.low is not None and got.high is not None
    assert got.low < got.rho < got.high and 0.1 < got.high - got.low < 1.0


def test_too_few_or_constant_values_give_reasons():
    few = metric_agreement("m", [1.0, 2.0, 3.0], [3.0, 2.0, 1.0])
    assert few.rho is None and f"need {MIN_CLIPS}" in (few.reason or "")
    flat = metric_agreement("m", [50.0] * 5, [1.0, 2.0, 3.0, 4.0, 5.0])
    assert flat.rho is None and "ratings are all equal" in (flat.reason or "")
