"""Typed results, from scoring to every view: a run's manifest and trials, per-clip and
set-level metric values, and the render rate, as records holding numbers.

Views (`show`, `score`, `export`, the report, `compare`) read these and format at the edge;
nothing reads a display string back.
"""

from __future__ import annotations

from audioprobe.results.measures import Measure, RunResults
from audioprobe.results.rates import Rate, rate_of_counts, render_rate
from audioprobe.results.records import ClipValue, SetValue, Status, column_key
from audioprobe.results.run import Run

__all__ = [
    "ClipValue",
    "Measure",
    "Rate",
    "Run",
    "RunResults",
    "SetValue",
    "Status",
    "column_key",
    "rate_of_counts",
    "render_rate",
]
