"""pass@k against two independent references: counting k-subsets by brute force, and the
numerically stable product form given with the estimator (Chen et al. 2021)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from audioprobe.results.passk import ks_for, mean_pass_at_k, pass_at_k


def by_subsets(n: int, c: int, k: int) -> float:
    outcomes = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    return sum(any(outcomes[i] for i in s) for s in subsets) / len(subsets)


def by_product(n: int, c: int, k: int) -> float:
    if n - c < k:
        return 1.0
    return 1.0 - float(np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_pass_at_k_matches_subset_counting_and_the_product_form(n):
    for c in range(n + 1):
        for k in range(1, n + 1):
            got = pass_at_k(n, c, k)
            assert got == pytest.approx(by_subsets(n, c, k), abs=1e-12)
            assert got == pytest.approx(by_product(n, c, k), abs=1e-12)


def test_pass_at_one_is_the_success_share_and_large_n_stays_finite():
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert pass_at_k(1000, 1, 100) == pytest.approx(by_product(1000, 1, 100))


def test_items_with_fewer_samples_than_k_are_left_out_of_the_mean():
    value, items = mean_pass_at_k([(2, 1), (1, 1), (3, 0)], 2)
    assert items == 2 and value == pytest.approx((1.0 + 0.0) / 2)
    assert mean_pass_at_k([], 1) == (None, 0)


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError, match="1 <= k <= n"):
        pass_at_k(3, 1, 4)
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)
    assert ks_for(1) == [1] and ks_for(12) == [1, 2, 5, 10]
