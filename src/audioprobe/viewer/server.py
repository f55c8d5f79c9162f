"""`audioprobe view`: a local web server over a folder of runs.

Starlette routes and uvicorn serves (both well kept, small, and uvicorn stops cleanly on SIGINT
and SIGTERM, which a hand-rolled http.server loop would have to get right by itself). Pages:

  /                          the runs, newest first, with their status; reloads while one runs
  /runs/<key>/               the run's report, written first when missing or stale
  /runs/<key>/report/<file>  the report folder's files, served as they are on disk

A report of a run still in progress is rewritten whenever its trials changed since it was last
written, and its page reloads itself every `refresh_s` seconds until the run finishes.

Every request passes `RequestGuard` first: a `Host` header that names anything but the address
the viewer is bound to is refused (a web page that points its own name at 127.0.0.1, DNS
rebinding, would otherwise read every prompt, script and report, and trigger report writes);
every answer carries a Content-Type and `X-Content-Type-Options: nosniff`; and a request that
fails is answered with one line and logged with one line, never a traceback. Report files are
served only as regular files reached inside the run without a link (audioprobe.runpath).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

from audioprobe import runpath
from audioprobe.errors import AudioprobeError
from audioprobe.store import RunStore
from audioprobe.viewer.runs import RunSummary, find_runs, report_state

REFRESH_S = 10
TEMPLATES = Path(__file__).parent / "templates"
LOG = logging.getLogger("audioprobe.viewer")
WILDCARD = ("0.0.0.0", "::", "")


class HostRule:
    """Which `Host` headers name this viewer: the address it is bound to, `localhost` when that
    is a loopback address, and, when bound to every address, any IP literal or this machine's
    name. Names are compared without the port, case-insensitively."""

    def __init__(self, *addresses: str) -> None:
        """`addresses`: the --host given and the address the socket got (they differ for a
        name such as `localhost`)."""
        self.any_ip = any(a in WILDCARD for a in addresses)
        names = {a.lower().strip("[]") for a in addresses}
        for address in addresses:
            try:
                if ipaddress.ip_address(address.strip("[]")).is_loopback:
                    names.add("localhost")
            except ValueError:  # a name (--host localhost): allowed as given
                pass
        if self.any_ip:
            names |= {"localhost", socket.gethostname().lower()}
        self.names = frozenset(names)

    def allows(self, header: str) -> bool:
        name = _host_name(header)
        if name is None:
            return False
        if name in self.names:
            return True
        if not self.any_ip:
            return False
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True


def _host_name(header: str) -> str | None:
    """The name part of a Host header (`[::1]:7575` → `::1`), lower-cased; None if malformed."""
    header = header.strip().lower()
    if header.startswith("["):
        name, bracket, rest = header[1:].partition("]")
        if not bracket or (rest and not (rest.startswith(":") and rest[1:].isdigit())):
            return None
        return name
    name, colon, port = header.partition(":")
    if colon and not port.isdigit():
        return None
    return name or None


class RequestGuard:
    """ASGI middleware: the Host check, nosniff on every answer, and failures as one line."""

    def __init__(self, app: Any, hosts: HostRule) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_safe(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                if "content-type" not in headers:
                    headers["Content-Type"] = "application/octet-stream"
            await send(message)

        host = Headers(scope=scope).get("host", "")
        if not self.hosts.allows(host):
            LOG.warning("refused a request for Host %r (not this viewer's address)", host)
            answer = PlainTextResponse(
                f"this viewer answers only to {', '.join(sorted(self.hosts.names))};"
                " open it by the address it printed",
                status_code=421,
            )
            await answer(scope, receive, send_safe)
            return
        if "\x00" in scope.get("path", ""):
            await PlainTextResponse("bad path", status_code=400)(scope, receive, send_safe)
            return
        try:
            await self.app(scope, receive, send_safe)
        except Exception as exc:  # one line in the log and on the page, never a traceback
            LOG.warning("%s %r failed: %s: %s", scope.get("method"), scope.get("path"),
                        type(exc).__name__, exc)  # fmt: skip
            if not started:
                answer = PlainTextResponse(f"error: {type(exc).__name__}", status_code=500)
                await answer(scope, receive, send_safe)


class Viewer:
    """The runs folder and the reports written for it (one writer per run at a time)."""

    def __init__(
        self,
        folder: Path,
        refs_per_trial: int = 3,
        refresh_s: int = REFRESH_S,
        hosts: HostRule | None = None,
    ):
        self.folder = folder.resolve()
        self.hosts = hosts or HostRule("127.0.0.1")
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
        return runpath.inside(run.root, "report")

    def _report_or_error(self, run: RunSummary) -> Path | Response:
        """The fresh report folder, or a page saying why it cannot be written (a damaged run
        is the run's problem, shown as a sentence, not a server error)."""
        try:
            return self.fresh_report(run)
        except AudioprobeError as exc:
            return PlainTextResponse(
                f"cannot write the report of {run.key}: {exc}", status_code=500
            )

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
        if name == "index.html" and isinstance(written := self._report_or_error(run), Response):
            return written
        path = runpath.regular_file(run.root, f"report/{name}")
        if path is None:
            return PlainTextResponse(f"no {name!r} in the report of {key!r}", status_code=404)
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
        return PlainTextResponse(f"no run {key!r} under {self.folder}", status_code=404)

    def app(self) -> Starlette:
        return Starlette(
            middleware=[Middleware(RequestGuard, hosts=self.hosts)],
            routes=[
                Route("/", self.index),
                Route("/runs/{key:path}/report/{name:path}", self.report_file),
                Route("/runs/{key:path}/", self.open_run),
            ],
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
