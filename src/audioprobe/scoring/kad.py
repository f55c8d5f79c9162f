"""Kernel Audio Distance: the unbiased squared MMD between two embedding sets.

KAD (Chung et al., 2025) replaces FAD's Gaussian assumption with a kernel two-sample statistic:
no covariance to estimate, so it stays unbiased at the small set sizes this harness sees.
    MMD^2 = mean_{i!=j} k(x_i, x_j) + mean_{i!=j} k(y_i, y_j) - 2 mean_{i,j} k(x_i, y_j)
with a Gaussian kernel k(a, b) = exp(-||a - b||^2 / (2 sigma^2)). The bandwidth sigma is the
median pairwise distance within the *reference* set, so every system is measured with the same
kernel; the result is multiplied by `scale` (100, the kadtk convention) to give readable numbers.
Being unbiased, the estimate can be slightly negative when the sets are alike: it is reported
as computed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_SCALE = 100.0


@dataclass(frozen=True)
class KADValue:
    value: float
    bandwidth: float


def _as_matrix(x: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] < 2:
        raise ValueError(f"{name}: expected an (N, D) array with N >= 2, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: embeddings contain NaN or infinite values")
    return arr


def _sq_dists(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return np.clip(d2, 0.0, None)


def median_pairwise_distance(x: np.ndarray) -> float:
    """Median Euclidean distance over distinct pairs of rows."""
    arr = _as_matrix(x, "reference")
    d2 = _sq_dists(arr, arr)
    iu = np.triu_indices(arr.shape[0], k=1)
    return float(np.median(np.sqrt(d2[iu])))


class KernelMatrices:
    """The Gaussian kernels within and between a generated and a reference set, computed once.

    A bootstrap resample of either set only selects rows and columns of these, so its MMD^2
    needs two matrix-vector products instead of new distance matrices (see
    benchmarks/scoring.py for the speed-up; the values agree to rounding).
    """

    def __init__(
        self, generated: np.ndarray, reference: np.ndarray, bandwidth: float, scale: float
    ) -> None:
        x = _as_matrix(generated, "generated")
        y = _as_matrix(reference, "reference")
        if x.shape[1] != y.shape[1]:
            raise ValueError(f"dimensions differ: {x.shape[1]} vs {y.shape[1]}")
        if not bandwidth > 0:
            raise ValueError("kernel bandwidth is zero: the reference clips are all identical")
        gamma = 1.0 / (2.0 * bandwidth * bandwidth)
        self.k_xx = np.exp(-gamma * _sq_dists(x, x))
        self.k_yy = np.exp(-gamma * _sq_dists(y, y))
        self.k_xy = np.exp(-gamma * _sq_dists(x, y))
        self.scale = scale

    def mmd2(self, gi: np.ndarray | None = None, ri: np.ndarray | None = None) -> float:
        """Unbiased MMD^2 x scale of the rows `gi` of the generated and `ri` of the reference
        set (all rows when None); repeated indices behave as repeated clips.

        With w the count of each clip in a resample, the sum over distinct positions is
        w'Kw minus the diagonal (each position meets itself once, and k(a, a) = 1): two
        matrix-vector products instead of copying resampled matrices.
        """
        wx = _counts(gi, self.k_xx.shape[0])
        wy = _counts(ri, self.k_yy.shape[0])
        m, n = wx.sum(), wy.sum()
        xx = (wx @ self.k_xx @ wx - m) / (m * (m - 1))
        yy = (wy @ self.k_yy @ wy - n) / (n * (n - 1))
        xy = (wx @ self.k_xy @ wy) / (m * n)
        return float((xx + yy - 2.0 * xy) * self.scale)


def _counts(indices: np.ndarray | None, size: int) -> np.ndarray:
    if indices is None:
        return np.ones(size)
    return np.bincount(indices, minlength=size).astype(np.float64)


def kernel_audio_distance(
    generated: np.ndarray,
    reference: np.ndarray,
    bandwidth: float | None = None,
    scale: float = DEFAULT_SCALE,
) -> KADValue:
    """Unbiased MMD^2 x scale between (N, D) generated and (M, D) reference embeddings."""
    sigma = median_pairwise_distance(reference) if bandwidth is None else float(bandwidth)
    return KADValue(
        value=KernelMatrices(generated, reference, sigma, scale).mmd2(), bandwidth=sigma
    )
