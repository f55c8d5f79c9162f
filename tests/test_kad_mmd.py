"""KAD against an independent, loop-by-loop NumPy computation of the unbiased MMD^2."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from audioprobe.scoring.kad import kernel_audio_distance, median_pairwise_distance


def _mmd2_loops(x: np.ndarray, y: np.ndarray, sigma: float) -> float:
    def k(a, b):
        return np.exp(-np.sum((a - b) ** 2) / (2 * sigma**2))

    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i, j in itertools.permutations(range(m), 2)) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i, j in itertools.permutations(range(n), 2)) / (n * (n - 1))
    xy = sum(k(a, b) for a in x for b in y) / (m * n)
    return xx + yy - 2 * xy


def test_kad_equals_unbiased_mmd_on_random_data() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(9, 6)) + 0.4
    y = rng.normal(size=(14, 6))
    dists = [np.linalg.norm(y[i] - y[j]) for i, j in itertools.combinations(range(14), 2)]
    sigma = float(np.median(dists))
    assert median_pairwise_distance(y) == pytest.approx(sigma, rel=1e-12)
    result = kernel_audio_distance(x, y)
    assert result.bandwidth == pytest.approx(sigma, rel=1e-12)
    assert result.value == pytest.approx(100 * _mmd2_loops(x, y, sigma), rel=1e-9)
    fixed = kernel_audio_distance(x, y, bandwidth=2.0, scale=1.0)
    assert fixed.value == pytest.approx(_mmd2_loops(x, y, 2.0), rel=1e-9)


def test_kad_is_unbiased_so_same_distribution_can_go_negative() -> None:
    rng = np.random.default_rng(4)
    values = [
        kernel_audio_distance(rng.normal(size=(10, 4)), rng.normal(size=(30, 4))).value
        for _ in range(30)
    ]
    assert min(values) < 0 < max(values)
    assert abs(np.mean(values)) < 0.5 * np.std(values)


def test_a_bootstrap_on_precomputed_kernels_equals_one_that_recomputes_each_resample() -> None:
    """KAD's interval indexes kernels computed once; it must match the per-resample route,
    including repeated clips within a resample, which the loop reference sees as equal rows."""
    from audioprobe.scoring.intervals import bootstrap_interval, bootstrap_interval_on_indices
    from audioprobe.scoring.kad import KernelMatrices

    rng = np.random.default_rng(1)
    gen, ref = rng.normal(size=(12, 5)) + 0.3, rng.normal(size=(15, 5))
    sigma = median_pairwise_distance(ref)
    kernels = KernelMatrices(gen, ref, sigma, 100.0)
    gi, ri = rng.integers(0, 12, 12), rng.integers(0, 15, 15)
    assert kernels.mmd2(gi, ri) == pytest.approx(100 * _mmd2_loops(gen[gi], ref[ri], sigma))
    estimate = kernel_audio_distance(gen, ref, sigma).value
    common = {"n_boot": 50, "seed": 3, "key": ("m", "notes", "emb")}
    recomputed = bootstrap_interval(
        lambda g, r: kernel_audio_distance(g, r, sigma).value, estimate, gen, ref, **common
    )
    indexed = bootstrap_interval_on_indices(kernels.mmd2, estimate, 12, 15, **common)
    assert indexed.se == pytest.approx(recomputed.se, rel=1e-9)
    assert (indexed.low, indexed.high) == pytest.approx((recomputed.low, recomputed.high))
