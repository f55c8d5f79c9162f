"""Scoring: the registered metrics (scoring/metrics/, one module each) computed for a run, each
value stored with the metric card it was computed under. Results are read back as typed records
through `audioprobe.results`.

    from audioprobe.scoring import score_run
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audioprobe.store import RunStore

__all__ = ["score_run"]


def score_run(store: RunStore, metrics: list[str] | None = None, **kwargs: Any) -> Any:
    """Add metrics to a run, idempotently (see audioprobe.scoring.run.score_run)."""
    from audioprobe.scoring.run import score_run as _score_run

    return _score_run(store, metrics, **kwargs)
