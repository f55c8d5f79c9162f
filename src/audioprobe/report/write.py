"""A run's report as `audioprobe report` writes it: scores and reference sets read from the run.

One function for the `report` command and the viewer, so a report opened in `audioprobe view`
is the same folder `report` writes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from audioprobe import atomic
from audioprobe.report.build import ReportResult, build_report
from audioprobe.report.refsets import run_reference_sets
from audioprobe.report.source import SOURCE_FILE, fingerprint
from audioprobe.results.measures import RunResults
from audioprobe.scoring.registry import describe
from audioprobe.store import RunStore


def write_run_report(
    store: RunStore,
    out: Path | None = None,
    *,
    refs_per_trial: int = 3,
    progress: Callable[[str], None] | None = None,
) -> ReportResult:
    """Write the report; beside it, the fingerprint of the state it shows (taken first, so a
    change while it is written leaves it marked stale)."""
    say = progress or (lambda _msg: None)
    source = fingerprint(store.root)
    results = RunResults.of(store, describe)
    tiers = list(results.run.tiers)
    if refs_per_trial:
        say("loading reference sets")
        references = run_reference_sets(results.run, tiers, say)
    else:
        references = {t: "switched off (--refs-per-trial 0)" for t in tiers}
    result = build_report(
        store,
        out,
        references=references,
        results=results,
        refs_per_trial=refs_per_trial,
        progress=say,
    )
    atomic.write_text(result.index.parent / SOURCE_FILE, source + "\n")
    return result
