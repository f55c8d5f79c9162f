"""The reference set each tier of a run was scored against, for the clips offered beside trials.

`references.run_reference_set` is what scoring compares with, so what a researcher hears beside a
trial is what FAD compared it with.
"""

from __future__ import annotations

from collections.abc import Callable

from audioprobe.errors import AudioprobeError
from audioprobe.references import ReferenceSet, run_reference_set
from audioprobe.results.run import Run


def run_reference_sets(
    run: Run, tiers: list[str], log: Callable[[str], None] | None = None
) -> dict[str, ReferenceSet | str]:
    """Per tier: its loaded set (a built-in one is built offline on first use, telling `log`),
    or the reason it cannot be had, which the page shows as "unavailable"."""
    out: dict[str, ReferenceSet | str] = {}
    for tier in tiers:
        try:
            out[tier] = run_reference_set(run, tier, log)
        except AudioprobeError as exc:
            out[tier] = f"reference set {run.reference_choice(tier)!r} of tier {tier}: {exc}"
    return out
