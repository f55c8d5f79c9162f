"""pass@k over samples: the chance that at least one of k samples of an item succeeds.

The unbiased estimator of Chen et al. (2021, "Evaluating Large Language Models Trained on
Code"): with n samples of which c succeeded, pass@k = 1 - C(n-c, k) / C(n, k), averaged over
items. Unlike 1 - (1 - c/n)^k it is unbiased for k < n; it needs k <= n.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

#: The k reported by default, as far as the samples allow.
DEFAULT_KS = (1, 2, 5, 10, 20, 50, 100)


def pass_at_k(n: int, c: int, k: int) -> float:
    """pass@k of one item with `c` successes among `n` samples."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def mean_pass_at_k(items: Iterable[tuple[int, int]], k: int) -> tuple[float | None, int]:
    """(mean pass@k over the items with at least k samples, how many items that is)."""
    values = [pass_at_k(n, c, k) for n, c in items if n >= k]
    return (math.fsum(values) / len(values) if values else None), len(values)


def ks_for(samples: int) -> list[int]:
    return [k for k in DEFAULT_KS if k <= samples] or [1]
