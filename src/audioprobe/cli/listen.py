"""`listen`: listening tests of a run's clips, and their agreement with the automatic metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from audioprobe.cli.common import console, safe, user_errors
from audioprobe.output_path import writing
from audioprobe.store import RunStore

app = typer.Typer(
    help="Listening tests (MUSHRA, A/B) of a run's clips, and how the metrics agree with them.",
    no_args_is_help=True,
)


@app.command("export")
@user_errors
def export_cmd(
    run_dir: Annotated[Path, typer.Argument(help="a run folder")],
    design: Annotated[
        str, typer.Option(help="mushra (0-100 against a reference, BS.1534) or ab (pairs)")
    ] = "mushra",
    items: Annotated[
        list[str] | None,
        typer.Option(
            "--items", help="tier/item or item id; repeat or comma-separate (default: all)"
        ),
    ] = None,
    raters: Annotated[int, typer.Option(min=1, help="pages to write, one order per rater")] = 1,
    out: Annotated[
        Path | None, typer.Option(help="test folder (default RUN_DIR/listening/<test id>)")
    ] = None,
) -> None:
    """Write a blind, shuffled test page per rater that saves the answers as a CSV to send back."""
    from audioprobe.listening.export import export_test

    store = RunStore.open(run_dir)
    wanted = [i.strip() for arg in items for i in arg.split(",") if i.strip()] if items else None
    target = out or store.root / "listening"
    with writing(target, folder=True), console.status("writing the listening test"):
        result = export_test(store, design, wanted, raters, out)
    for why in result.skipped:
        console.print(f"[yellow]skipped[/] {safe(why)}", highlight=False, soft_wrap=True)
    console.print(
        f"listening test {result.test_id}: {result.screens} items, {result.stimuli} clips,"
        f" {len(result.pages)} rater pages in [cyan]{result.folder / 'page'}[/]\n"
        f"hand the page folder to raters (each opens their rater-NN.html); keep"
        f" {result.folder / 'key.json'}; then: audioprobe listen import {run_dir} ANSWERS.csv",
        highlight=False,
        soft_wrap=True,
    )


@app.command("import")
@user_errors
def import_cmd(
    run_dir: Annotated[Path, typer.Argument(help="the run the test was exported from")],
    answers: Annotated[Path, typer.Argument(help="a CSV a test page downloaded")],
) -> None:
    """Store a rater's answers in the run and print each metric's agreement with the ratings."""
    from audioprobe.listening.agreement import agreement_text
    from audioprobe.listening.ratings import store_ratings

    store = RunStore.open(run_dir)
    stored = store_ratings(store, answers)
    for test_id, names in stored.items():
        console.print(f"stored answers of {', '.join(names)} for test {test_id}", highlight=False)
    typer.echo(agreement_text(store))


@app.command("show")
@user_errors
def show_cmd(run_dir: Annotated[Path, typer.Argument(help="a run folder")]) -> None:
    """Print each listening test's raters and each metric's agreement with the ratings."""
    from audioprobe.listening.agreement import agreement_text

    typer.echo(agreement_text(RunStore.open(run_dir)))
