"""The `audioprobe` command line: one module per command group, wired together here."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="audioprobe",
    help="Ask language models to write code that makes sound; run it in a sandbox; score it.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

# Command groups register themselves below, one line each.
# -- registrations --
from audioprobe.cli import models as _models; app.add_typer(_models.app, name="models")  # noqa: E402, E702, I001
from audioprobe.cli import experiment as _experiment  # noqa: E402
from audioprobe.cli import refs as _refs  # noqa: E402
from audioprobe.cli import report as _report  # noqa: E402
from audioprobe.cli import score as _score  # noqa: E402

app.add_typer(_refs.app, name="refs")
from audioprobe.cli import sandbox as _sandbox; app.add_typer(_sandbox.app, name="sandbox")  # noqa: E402, E702, I001
from audioprobe.cli import models_local as _local; app.add_typer(_local.app, name="local")  # noqa: E402, E702, I001

_experiment.register(app)
_report.register(app)
_score.register(app)
