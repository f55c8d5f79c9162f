"""The `audioprobe` command line: one module per command group, wired together here."""

from __future__ import annotations

import typer

from audioprobe import __version__, threads
from audioprobe.cli import doctor as _doctor
from audioprobe.cli import experiment as _experiment
from audioprobe.cli import export as _export
from audioprobe.cli import listen as _listen
from audioprobe.cli import merge as _merge
from audioprobe.cli import models as _models
from audioprobe.cli import models_local as _local
from audioprobe.cli import refs as _refs
from audioprobe.cli import report as _report
from audioprobe.cli import runs as _runs
from audioprobe.cli import sandbox as _sandbox
from audioprobe.cli import score as _score
from audioprobe.cli import study as _study
from audioprobe.cli import view as _view

# Before any command imports torch or ctranslate2 (their OpenMP reads it once, at load); the
# command modules import them lazily.
threads.prepare_process()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"audioprobe {__version__}")
        raise typer.Exit()


app = typer.Typer(
    name="audioprobe",
    help="Ask language models to write code that makes sound; run it in a sandbox; score it.",
    epilog="Start with: audioprobe doctor; audioprobe run quick --limit 1; audioprobe show RUN_DIR",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="print the version and exit"
    ),
) -> None:
    """Ask language models to write code that makes sound; run it in a sandbox; score it."""


_experiment.register(app)
_runs.register(app)
_export.register(app)
_score.register(app)
_report.register(app)
_doctor.register(app)
_view.register(app)
_merge.register(app)
_study.register(app)
app.add_typer(_refs.app, name="refs")
app.add_typer(_models.app, name="models")
app.add_typer(_local.app, name="local")
app.add_typer(_sandbox.app, name="sandbox")
app.add_typer(_listen.app, name="listen")
