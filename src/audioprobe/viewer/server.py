"""`audioprobe view`: a local web server over a folder of runs.

Starlette routes and uvicorn serves (both well kept, small, and uvicorn stops cleanly on SIGINT
and SIGTERM, which a hand-rolled http.server loop would have to get right by itself). Pages:

  /                          the runs, newest first, with their status; reloads while one runs
  /runs/<key>/               the run's report, written first when missing or stale
  /runs/<key>/report/<file>  the report folder's files, served as they are on disk

A report of a run still in progress is rewritten whenever its trials changed since it was last
written, and its page reloads itself every `refresh_s` seconds until the run finishes.
"""

from __future__ import annotations

import socket
import threading
from collections import defaultdict
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from audioprobe.errors import AudioprobeError
from audioprobe.store import RunStore
from audioprobe.viewer.runs import RunSummary, find_runs, report_state

REFRESH_S = 10
TEMPLATES = Path(__file__).parent / "templates"


class Viewer:
    """The runs folder and the reports written for it (one writer per run at a time)."""

    def __init__(self, folder: Path, refs_per_trial: int = 3, refresh_s: int = REFRESH_S):
        self.folder = folder.resolve()
        self.refs_per_trial = refs_per_trial
        self.refresh_s = refresh_s
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._templates = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"])
        )

    def runs(self) -> list[RunSummary]:
        return find_runs(self.folder)

    def run(self, key: str) -> RunSummary | None:
        return next((r for r in self.runs() if r.key == key), None)

    def fresh_report(self, run: RunSummary) -> Path:
        """The run's report folder, written now if missing or stale."""
        from audioprobe.report.write import write_run_report

        with self._locks[run.key]:
            if report_state(run.root) != "current":
                write_run_report(RunStore.open(run.root), refs_per_trial=self.refs_per_trial)
        return run.root / "report"

    def _report_or_error(self, run: RunSummary) -> Path | Response:
        """The fresh report folder, or a page saying why it cannot be written (a damaged run
        is the run's problem, shown as a sentence, not a server error)."""
        try:
            return self.fresh_report(run)
        except AudioprobeError as exc:
            return Response(f"cannot write the report of {run.key}: {exc}", status_code=500)

    # -- pages ---------------------------------------------------------------------------------
    def index(self, request: Request) -> Response:
        runs = self.runs()
        html = self._templates.get_template("runs.html").render(
            folder=self.folder,
            runs=runs,
            refresh=self.refresh_s if any(r.status == "running" for r in runs) else None,
        )
        return HTMLResponse(html)

    def open_run(self, request: Request) -> Response:
        run = self.run(request.path_params["key"])
        if run is None:
            return self._not_found(request.path_params["key"])
        written = self._report_or_error(run)
        if isinstance(written, Response):
            return written
        return RedirectResponse(f"/runs/{run.key}/report/index.html", status_code=303)

    def report_file(self, request: Request) -> Response:
        key, name = request.path_params["key"], request.path_params["name"]
        run = self.run(key)
        if run is None:
            return self._not_found(key)
        written = self._report_or_error(run) if name == "index.html" else run.root / "report"
        if isinstance(written, Response):
            return written
        folder = written.resolve()
        path = (folder / name).resolve()
        if not path.is_relative_to(folder) or not path.is_file():
            return Response(f"no {name} in the report of {key}", status_code=404)
        if name != "index.html" or run.status != "running":
            return FileResponse(path)
        # A run in progress: say so on the page, and reload it (location.reload keeps the
        # address's #trial=..., so the open trial stays open).
        banner = (
            f'<p class="notice" id="live">This run is in progress ({run.pending} of {run.trials}'
            f" trials pending); the page reloads every {self.refresh_s} s.</p>"
            f"<script>setTimeout(() => location.reload(), {self.refresh_s * 1000});</script>"
        )
        html = path.read_text().replace("<body>", "<body>" + banner, 1)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    def _not_found(self, key: str) -> Response:
        return Response(f"no run {key!r} under {self.folder}", status_code=404)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/", self.index),
                Route("/runs/{key:path}/report/{name:path}", self.report_file),
                Route("/runs/{key:path}/", self.open_run),
            ]
        )


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before serving so port 0 (any free port) can be reported;
    listening from here, so a browser opened on the printed address waits rather than fails."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def serve(viewer: Viewer, sock: socket.socket) -> None:
    """Serve until SIGINT or SIGTERM (uvicorn's own handlers), then return."""
    import uvicorn

    config = uvicorn.Config(viewer.app(), log_level="warning", lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
