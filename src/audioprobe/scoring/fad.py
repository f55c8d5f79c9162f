"""Fréchet Audio Distance between two sets of clip embeddings.

FAD fits a Gaussian to each set and measures
    ||mu_a - mu_b||^2 + tr(S_a) + tr(S_b) - 2 tr(sqrt(S_a S_b)).
The usual code computes sqrt(S_a S_b) with `scipy.linalg.sqrtm` on a product that is singular
whenever a set has fewer clips than dimensions, which is the normal case here (a handful of
generated clips, 128-2048-d embeddings); that route can return NaN or a complex matrix. Only the
trace of the root is needed, and for S = F^T F it equals the sum of the singular values of
F_a F_b^T. With F the centred data itself (N x D) when N <= D, that matrix is N_a x N_b: exact,
stable and fast, and no D x D matrix is formed at all.
A second, independent route (the eigenvalues of the non-symmetric product) checks each reported
value; a disagreement is reported as a warning beside the number instead of being hidden.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

DEFAULT_CHECK_RTOL = 1e-3


@dataclass(frozen=True)
class GaussianStats:
    """Mean of a set and factors F with F^T F = its covariance (ddof=1).

    `data_factor` is the centred data / sqrt(N-1) (N x D); `factor` is the smaller of that and
    the D-row factor from the covariance's eigendecomposition. The covariance itself is made
    only when asked for (the check route needs it).
    """

    mean: np.ndarray
    data_factor: np.ndarray | None
    n: int
    given_factor: np.ndarray | None = None

    @cached_property
    def factor(self) -> np.ndarray:
        if self.given_factor is not None:
            return self.given_factor
        assert self.data_factor is not None
        if self.n - 1 <= self.mean.shape[0]:
            return self.data_factor
        return _factor_from_cov(self.data_factor.T @ self.data_factor)

    @cached_property
    def cov(self) -> np.ndarray:
        return self.factor.T @ self.factor

    @cached_property
    def trace(self) -> float:
        f = self.data_factor if self.data_factor is not None else self.factor
        return float(np.square(f).sum())


@dataclass(frozen=True)
class SqrtCheck:
    """The trace of sqrt(S_a S_b) by two routes; `agree` is False when they differ."""

    svd: float
    general: float
    rel_diff: float
    agree: bool


@dataclass(frozen=True)
class FADValue:
    value: float
    check: SqrtCheck
    warnings: list[str] = field(default_factory=list)


def _as_matrix(x: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected an (N, D) array, got shape {arr.shape}")
    if arr.shape[0] < 2:
        raise ValueError(f"{name}: a covariance needs at least 2 clips, got {arr.shape[0]}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: embeddings contain NaN or infinite values")
    return arr


def _factor_from_cov(cov: np.ndarray) -> np.ndarray:
    """A with A^T A = cov, from the symmetric eigendecomposition (negative rounding clipped)."""
    w, v = np.linalg.eigh((cov + cov.T) / 2)
    w = np.clip(w, 0.0, None)
    keep = w > 0
    return np.sqrt(w[keep])[:, None] * v[:, keep].T


def gaussian_stats(x: np.ndarray) -> GaussianStats:
    """Sample mean and unbiased covariance (ddof=1, as numpy.cov) of an (N, D) set."""
    arr = _as_matrix(x, "embeddings")
    n = arr.shape[0]
    mean = arr.mean(axis=0)
    return GaussianStats(mean=mean, data_factor=(arr - mean) / math.sqrt(n - 1), n=n)


def trace_sqrt_product(factor_a: np.ndarray, factor_b: np.ndarray) -> float:
    """tr(sqrt(S_a S_b)) for S = F^T F: the nuclear norm of F_a F_b^T.

    The non-zero eigenvalues of S_a S_b = F_a^T F_a F_b^T F_b are those of
    (F_a F_b^T)(F_a F_b^T)^T, i.e. the squared singular values of F_a F_b^T; an SVD of that
    small matrix gives their roots directly, without squaring the condition number.
    """
    return float(np.linalg.svd(factor_a @ factor_b.T, compute_uv=False).sum())


def trace_sqrt_general(cov_a: np.ndarray, cov_b: np.ndarray) -> float:
    """The same trace from the eigenvalues of the non-symmetric product (the check route)."""
    eig = np.linalg.eigvals(cov_a @ cov_b)
    return float(np.sqrt(np.clip(eig.real, 0.0, None)).sum())


def check_trace_sqrt(
    cov_a: np.ndarray, cov_b: np.ndarray, svd: float, rtol: float = DEFAULT_CHECK_RTOL
) -> SqrtCheck:
    """Compare the SVD route with the general one, relative to the size of the traces."""
    general = trace_sqrt_general(cov_a, cov_b)
    scale = max(float(np.trace(cov_a) + np.trace(cov_b)), np.finfo(float).tiny)
    rel = abs(svd - general) / scale
    return SqrtCheck(svd=svd, general=general, rel_diff=rel, agree=rel <= rtol)


def _factors(sa: GaussianStats, sb: GaussianStats) -> tuple[np.ndarray, np.ndarray]:
    """Factors making F_a F_b^T smallest: when one set has at most D clips, both sets' centred
    data (an N_a x N_b product, no D x D work at all); else the D-row eigen factors."""
    d = sa.mean.shape[0]
    small = min(sa.n, sb.n) - 1 <= d
    if small and sa.data_factor is not None and sb.data_factor is not None:
        return sa.data_factor, sb.data_factor
    return sa.factor, sb.factor


def _distance(sa: GaussianStats, sb: GaussianStats) -> tuple[float, float]:
    diff = sa.mean - sb.mean
    tr_sqrt = trace_sqrt_product(*_factors(sa, sb))
    value = float(diff @ diff + sa.trace + sb.trace - 2.0 * tr_sqrt)
    # A squared distance: only rounding can take it below zero.
    return max(value, 0.0), tr_sqrt


def _stats_from_moments(mu: np.ndarray, cov: np.ndarray) -> GaussianStats:
    return GaussianStats(mean=mu, data_factor=None, n=0, given_factor=_factor_from_cov(cov))


def frechet_distance_from_stats(
    mu_a: np.ndarray, cov_a: np.ndarray, mu_b: np.ndarray, cov_b: np.ndarray
) -> float:
    """FAD from precomputed means and covariances (what other FAD tools exchange)."""
    mu_a, mu_b = np.atleast_1d(mu_a).astype(np.float64), np.atleast_1d(mu_b).astype(np.float64)
    cov_a, cov_b = np.atleast_2d(cov_a).astype(np.float64), np.atleast_2d(cov_b).astype(np.float64)
    if mu_a.shape != mu_b.shape or cov_a.shape != cov_b.shape:
        raise ValueError(f"shapes differ: {mu_a.shape}/{cov_a.shape} vs {mu_b.shape}/{cov_b.shape}")
    return _distance(_stats_from_moments(mu_a, cov_a), _stats_from_moments(mu_b, cov_b))[0]


def _pair(a: np.ndarray, b: np.ndarray) -> tuple[GaussianStats, GaussianStats]:
    sa, sb = gaussian_stats(a), gaussian_stats(b)
    if sa.mean.shape != sb.mean.shape:
        raise ValueError(f"dimensions differ: {sa.mean.shape[0]} vs {sb.mean.shape[0]}")
    return sa, sb


def fad_between(sa: GaussianStats, sb: GaussianStats) -> float:
    return _distance(sa, sb)[0]


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """FAD between two (N, D) embedding sets; finite for any N >= 2, including N < D."""
    return fad_between(*_pair(a, b))


def checked_frechet_distance(
    a: np.ndarray, b: np.ndarray, rtol: float = DEFAULT_CHECK_RTOL
) -> FADValue:
    """FAD with the matrix-root trace checked two ways; a disagreement becomes a warning."""
    sa, sb = _pair(a, b)
    value, tr_sqrt = _distance(sa, sb)
    check = check_trace_sqrt(sa.cov, sb.cov, tr_sqrt, rtol)
    warnings = []
    if not check.agree:
        warnings.append(
            f"matrix square root: the two routes disagree (trace {check.svd:.6g} vs"
            f" {check.general:.6g}, relative difference {check.rel_diff:.2e} > {rtol:g});"
            " the covariances are badly conditioned"
        )
    return FADValue(value=value, check=check, warnings=warnings)
