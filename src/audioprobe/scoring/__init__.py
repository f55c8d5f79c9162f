"""Scoring: metrics of rendered clips (pitch, WER, CLAP score, duration) and of sets (FAD, FAD∞,
KAD, CLAP zero-shot), each stored with the metric card it was computed under.

    from audioprobe.scoring import score_run, summary_rows, export_columns
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audioprobe.store import RunStore

__all__ = ["export_columns", "score_run", "set_results", "summary_rows"]


def score_run(store: RunStore, metrics: list[str] | None = None, **kwargs: Any) -> Any:
    """Add metrics to a run, idempotently (see audioprobe.scoring.run.score_run)."""
    from audioprobe.scoring.run import score_run as _score_run

    return _score_run(store, metrics, **kwargs)


def summary_rows(store: RunStore) -> list[dict[str, Any]]:
    """Model x tier rows for `show`: render rate, FAD/KAD with intervals and counts, clip means."""
    from audioprobe.scoring.results import summary_rows as _summary_rows

    return _summary_rows(store)


def export_columns(store: RunStore) -> dict[str, dict[str, Any]]:
    """Per trial id: metric columns and their card hashes, for `export`."""
    from audioprobe.scoring.results import export_columns as _export_columns

    return _export_columns(store)


def set_results(store: RunStore, class_level: bool = False) -> list[dict[str, Any]]:
    """The current set-metric rows (numbers, intervals, counts, reasons) as dicts."""
    from audioprobe.scoring.results import set_results as _set_results

    return _set_results(store, class_level)
