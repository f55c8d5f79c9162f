"""Render rate and ok %: one definition for every view, built on `audioprobe.outcomes`.

Both are the trials that rendered valid audio over the trials the model answered; trials that
failed for infrastructure reasons (`llm_error`, `sandbox_error`) or were not run are left out
of the denominator, which the returned `Rate` states.
"""

from __future__ import annotations

from collections.abc import Mapping

from audioprobe.outcomes import Rate, render_rate


def rate_of_counts(counts: Mapping[str, int]) -> Rate:
    """The render rate of a cell given as {outcome: count}."""
    return render_rate(s for s, n in counts.items() for _ in range(n))


__all__ = ["Rate", "rate_of_counts", "render_rate"]
