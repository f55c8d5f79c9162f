"""`audioprobe sandbox ...`: build the docker image, see which backends work, run one script."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from audioprobe.cli.common import console, err_console, user_errors
from audioprobe.errors import AudioprobeError

app = typer.Typer(help="The sandbox that runs model-written code.", no_args_is_help=True)


@app.command()
@user_errors
def build(
    base: str = typer.Option(
        "local",
        help="'local' (offline: a base made from this machine's Python and libraries) "
        "or a registry image such as python:3.11-slim (needs internet; pip installs the libs)",
    ),
    force: bool = typer.Option(False, help="rebuild even if the tag exists"),
) -> None:
    """Build the docker sandbox image from sandbox/Dockerfile, tagged by its context hash."""
    from audioprobe.sandbox.engine import connect
    from audioprobe.sandbox.image import ensure_image

    client, why = connect(timeout=600)
    if client is None:
        raise AudioprobeError(f"{why}. Start one with: sudo sandbox/dockerd.sh")
    tag = ensure_image(
        client, base, log=lambda line: err_console.print(line, highlight=False), force=force
    )
    console.print(tag)


@app.command()
@user_errors
def info(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Which backends can run here, what 'auto' picks, and the docker image tag."""
    from audioprobe.sandbox import SandboxUnavailable, backend_names, get_backend
    from audioprobe.sandbox.bwrap import BwrapBackend, find_bwrap
    from audioprobe.sandbox.engine import engine_status
    from audioprobe.sandbox.image import image_tag

    bwrap_ok, bwrap_why = BwrapBackend().available()
    engine_ok, engine_why = engine_status()
    try:
        auto = get_backend("auto").name
    except SandboxUnavailable as exc:
        auto = f"none ({exc})"
    report = {
        "backends": backend_names(),
        "auto": auto,
        "bwrap": {"available": bwrap_ok, "why_not": bwrap_why, "binary": str(find_bwrap()[0])},
        "docker": {"available": engine_ok, "why_not": engine_why, "image": image_tag()},
        "subprocess": {"available": True, "why_not": "UNSAFE: only when named explicitly"},
    }
    if as_json:
        console.print_json(json.dumps(report))
        return
    for key, value in report.items():
        console.print(f"[bold]{key}[/]: {value}", highlight=False)


@app.command()
@user_errors
def run(
    script: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a Python file")],
    backend: Annotated[str, typer.Option(help="auto, bwrap, docker or subprocess")] = "auto",
    workdir: Annotated[
        Path | None, typer.Option(help="trial folder (default: a new temporary one)")
    ] = None,
    wall_s: Annotated[float, typer.Option(help="wall-clock limit, seconds")] = 60.0,
) -> None:
    """Run one script in the sandbox, print the ExecResult as JSON, keep the folder."""
    import shutil
    import tempfile

    from audioprobe.sandbox import Limits, get_backend

    work = workdir or Path(tempfile.mkdtemp(prefix="audioprobe-sandbox-"))
    work.mkdir(parents=True, exist_ok=True)
    target = work / "script.py"
    if script.resolve() != target.resolve():
        shutil.copyfile(script, target)
    result = get_backend(backend).run(target, work, Limits(wall_s=wall_s))
    console.print_json(json.dumps(result.to_dict()))
    err_console.print(f"trial folder: {work}", highlight=False)
