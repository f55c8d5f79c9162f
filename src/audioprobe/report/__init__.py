"""The report: a static folder to listen to trials, read their code and see the tier trend.

`build_report(RunStore.open(run_dir))` writes run_dir/report/index.html and what it uses.
"""

from audioprobe.report.build import ReportResult, build_report

__all__ = ["ReportResult", "build_report"]
