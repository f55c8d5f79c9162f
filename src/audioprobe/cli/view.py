"""`view`: browse the runs of a folder and their reports in a local web server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from audioprobe.cli.common import console, on_interrupt, user_errors
from audioprobe.errors import AudioprobeError


@user_errors
def view(
    runs_dir: Annotated[
        Path, typer.Argument(help="a folder of runs, or one run (default: ./runs)")
    ] = Path("runs"),
    host: Annotated[
        str, typer.Option(help="address to listen on; 127.0.0.1 keeps it to this machine")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="port (0: any free one)")] = 7575,
    refs_per_trial: Annotated[
        int, typer.Option(min=0, help="reference clips offered beside each trial (0: none)")
    ] = 3,
    refresh: Annotated[
        int, typer.Option(min=1, help="seconds between reloads of pages of a running run")
    ] = 10,
) -> None:
    """Serve a page listing the runs (spec, date, models, trials, status); opening one shows
    its report, written first when missing or older than the run, and reloading while the run
    is in progress. Stop with Ctrl-C."""
    from audioprobe.viewer.runs import find_runs
    from audioprobe.viewer.server import HostRule, Viewer, bind, serve

    if not runs_dir.is_dir():
        raise AudioprobeError(f"{runs_dir} is not a folder; pass the folder that holds your runs")
    try:
        sock = bind(host, port)
    except OSError as exc:
        raise AudioprobeError(
            f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port"
        ) from exc
    bound_host, bound_port = sock.getsockname()[:2]
    viewer = Viewer(
        runs_dir,
        refs_per_trial=refs_per_trial,
        refresh_s=refresh,
        hosts=HostRule(host, bound_host),
    )
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    console.print(
        f"{len(find_runs(viewer.folder))} runs under {viewer.folder}: "
        f"[cyan]http://{shown}:{bound_port}/[/] (Ctrl-C stops)",
        highlight=False,
        soft_wrap=True,  # the address stays on one line in a narrow or piped terminal
    )
    on_interrupt(f"viewer stopped; `audioprobe view {runs_dir}` serves it again")
    serve(viewer, sock)


def register(app: typer.Typer) -> None:
    app.command()(view)
