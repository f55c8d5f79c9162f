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


def kernel_audio_distance(
    generated: np.ndarray,
    reference: np.ndarray,
    bandwidth: float | None = None,
    scale: float = DEFAULT_SCALE,
) -> KADValue:
    """Unbiased MMD^2 x scale between (N, D) generated and (M, D) reference embeddings."""
    x = _as_matrix(generated, "generated")
    y = _as_matrix(reference, "reference")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"dimensions differ: {x.shape[1]} vs {y.shape[1]}")
    sigma = median_pairwise_distance(y) if bandwidth is None else float(bandwidth)
    if not sigma > 0:
        raise ValueError("kernel bandwidth is zero: the reference clips are all identical")
    gamma = 1.0 / (2.0 * sigma * sigma)
    m, n = x.shape[0], y.shape[0]
    k_xx = np.exp(-gamma * _sq_dists(x, x))
    k_yy = np.exp(-gamma * _sq_dists(y, y))
    k_xy = np.exp(-gamma * _sq_dists(x, y))
    # Diagonals are exp(0) = 1 exactly; drop them for the unbiased within-set means.
    xx = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    yy = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    mmd2 = xx + yy - 2.0 * k_xy.mean()
    return KADValue(value=float(mmd2 * scale), bandwidth=sigma)
