"""`audioprobe sandbox ...`: build the runtime, see which backends work, run one script."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from audioprobe.cli.common import console, err_console, user_errors

app = typer.Typer(help="The sandbox that runs model-written code.", no_args_is_help=True)


@app.command()
@user_errors
def build(
    force: bool = typer.Option(False, help="rebuild even if this runtime's tree exists"),
    docker: bool = typer.Option(
        True, help="also import the tree as the docker image when an engine answers"
    ),
) -> None:
    """Build the sandbox runtime (sandbox/runtime.toml) once for every backend; print its hash."""
    from audioprobe.sandbox.engine import connect
    from audioprobe.sandbox.image import ensure_image
    from audioprobe.sandbox.rootfs import ensure_rootfs, runtime_hash

    def log(line: str) -> None:
        err_console.print(line, highlight=False)

    tree = ensure_rootfs(log, force=force)
    err_console.print(f"runtime tree: {tree}", highlight=False)
    if docker:
        client, why = connect(timeout=600)
        if client is None:
            err_console.print(f"docker image not made: {why}", highlight=False)
        else:
            err_console.print(f"docker image: {ensure_image(client, log, force=force)}")
    console.print(runtime_hash())


@app.command()
@user_errors
def info(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """The sandbox runtime (hash, libraries, tree), which backends run here, what 'auto' picks."""
    from audioprobe.sandbox import SandboxUnavailable, backend_names, get_backend
    from audioprobe.sandbox.bwrap import HOST_UID, BwrapBackend, as_root, launchable_bwrap
    from audioprobe.sandbox.engine import engine_status
    from audioprobe.sandbox.image import image_tag
    from audioprobe.sandbox.rootfs import RuntimeSpec, rootfs_dir, runtime_hash

    spec = RuntimeSpec.load()
    bwrap_ok, bwrap_why = BwrapBackend().available()
    bwrap = launchable_bwrap()[0]
    engine_ok, engine_why = engine_status()
    try:
        auto = get_backend("auto").name
    except SandboxUnavailable as exc:
        auto = f"none ({exc})"
    tree = rootfs_dir()
    report = {
        "runtime": {
            "hash": runtime_hash(),
            "libraries": spec.libraries,
            "tools": [t.name for t in spec.tools],
            "tree": str(tree) if tree.is_dir() else f"not built yet ({tree})",
        },
        "backends": backend_names(),
        "auto": auto,
        "bwrap": {
            "available": bwrap_ok,
            "why_not": bwrap_why,
            "binary": str(bwrap.binary) if bwrap else None,
            "host_uid": HOST_UID if as_root() else "the harness's own",
        },
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

    from audioprobe.output_path import writing
    from audioprobe.sandbox import Limits, get_backend

    work = workdir or Path(tempfile.mkdtemp(prefix="audioprobe-sandbox-"))
    target = work / "script.py"
    with writing(work, folder=True):
        work.mkdir(parents=True, exist_ok=True)
        if script.resolve() != target.resolve():
            shutil.copyfile(script, target)
    result = get_backend(backend).run(target, work, Limits(wall_s=wall_s))
    console.print_json(json.dumps(result.to_dict()))
    err_console.print(f"trial folder: {work}", highlight=False)
