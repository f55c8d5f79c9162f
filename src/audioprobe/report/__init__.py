"""The report: a static folder to listen to trials, read their code and see the tier trend.

`build_report(RunStore.open(run_dir))` writes run_dir/report/index.html and what it uses.
matplotlib, jinja2 and pygments load only when a report is built, so importing this package
(as `compare` and the CLI do) stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ReportResult", "build_report"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from audioprobe.report import build

        return getattr(build, name)
    raise AttributeError(f"module 'audioprobe.report' has no attribute {name!r}")
