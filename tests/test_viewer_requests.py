"""The viewer answers only to the address it is bound to (a page that points its own name at
127.0.0.1, DNS rebinding, gets nothing), answers bad paths with 400/404, sends a Content-Type
and `nosniff` on every answer, and logs no traceback for any request: tested through the real
server (`audioprobe view` in a subprocess) with raw requests, and through its ASGI app."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from report_helpers import REPO, assembled_run
from starlette.testclient import TestClient

from audioprobe.viewer.server import HostRule, Viewer

pytest.importorskip("uvicorn", reason="the viewer needs the report extra (pip install .[report])")

BAD_PATHS = [
    "/runs/run/report/%00",
    "/runs/run/report/index.html%00.png",
    "/runs/%00/",
    "/runs/run/report/..%2f..%2frun.json",
    "/runs/run/report/" + "a" * 5000,
    "/runs/run/report/%ff%fe",
    "/runs/<script>alert(1)</script>/",
    "/runs/run/report/data/%2e%2e/%2e%2e/%2e%2e/run.json",
    "/nowhere",
]


@pytest.fixture
def runs(tmp_path: Path, isolated_cache: Path) -> Path:
    assembled_run(tmp_path / "runs" / "run", {("alpha", "notes"): ["ok", "syntax_error"]})
    return tmp_path / "runs"


def _raw(port: int, path: str, host: str) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 request with exactly this path and Host (no client normalises them)."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def test_the_server_refuses_foreign_hosts_and_logs_no_traceback(runs: Path, tmp_path) -> None:
    env = dict(os.environ, PYTHONUNBUFFERED="1", AUDIOPROBE_CACHE=str(tmp_path / "cache"),
               PYTHONPATH=str(REPO / "src"))  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "audioprobe", "view", str(runs), "--port", "0",
         "--refs-per-trial", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        line = proc.stdout.readline()
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        own = f"127.0.0.1:{port}"
        for host in (own, f"localhost:{port}"):
            status, headers, _ = _raw(port, "/runs/run/", host)
            assert status == 303, (host, status)
        status, headers, body = _raw(port, "/runs/run/report/index.html", own)
        assert status == 200 and headers["content-type"].startswith("text/html")
        assert headers["x-content-type-options"] == "nosniff"
        for host in (
            f"evil.example:{port}",
            "evil.example",
            "127.0.0.1.evil.example",
            "",
            "[::1",
        ):
            for path in ("/", "/runs/run/", "/runs/run/report/index.html"):
                status, headers, body = _raw(port, path, host)
                assert status in (400, 421), (host, path, status)
                assert b"alpha" not in body and b"<html" not in body.lower()
        for path in BAD_PATHS:
            status, headers, body = _raw(port, path, own)
            assert status in (400, 404), (path, status, body[:200])
            assert headers.get("x-content-type-options") == "nosniff", path
            # an echoed name is inert: plain text the browser may not sniff as HTML
            assert headers.get("content-type", "").startswith("text/plain"), path
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    log = proc.stderr.read()
    assert "Traceback" not in log, log
    assert "refused a request for Host 'evil.example" in log


def test_every_answer_has_a_type_and_nosniff(runs: Path) -> None:
    client = TestClient(Viewer(runs, refs_per_trial=0).app(), base_url="http://127.0.0.1:7575")
    assert client.get("/runs/run/").status_code == 200  # follows the redirect to the report
    for path in ("/", "/runs/run/report/index.html", "/runs/run/report/app.js",
                 "/runs/run/report/data/trials.js", "/runs/nope/", "/runs/run/report/nope.js",
                 "/favicon.ico"):  # fmt: skip
        answer = client.get(path)
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["content-type"], path
    missing = client.get("/runs/run/report/%3Cimg%20src=x%3E")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/plain")


def test_host_rules_follow_the_bound_address() -> None:
    loop = HostRule("127.0.0.1")
    assert loop.allows("127.0.0.1:7575") and loop.allows("LOCALHOST:7575")
    assert not loop.allows("attacker.example:7575") and not loop.allows("10.0.0.1:7575")
    six = HostRule("::1")
    assert six.allows("[::1]:7575") and six.allows("localhost") and not six.allows("[::2]:1")
    every = HostRule("0.0.0.0")
    assert every.allows("192.168.1.20:7575") and every.allows(f"{socket.gethostname()}:1")
    assert not every.allows("rebind.attacker.example:7575")
    named = HostRule("localhost", "127.0.0.1")
    assert named.allows("localhost:80") and named.allows("127.0.0.1")
    for malformed in ("", ":80", "host:port", "[::1]x", "a b"):
        assert not loop.allows(malformed), malformed


def test_a_failing_page_is_one_line_not_a_traceback(runs: Path, caplog) -> None:
    (runs / "run" / "index.sqlite").write_bytes(b"")  # rebuilt on open: still works
    viewer = Viewer(runs, refs_per_trial=0)

    def broken(run):
        raise RuntimeError("disk on fire")

    viewer.fresh_report = broken
    client = TestClient(viewer.app(), base_url="http://127.0.0.1", raise_server_exceptions=False)
    answer = client.get("/runs/run/")
    assert answer.status_code == 500 and answer.text == "error: RuntimeError"
    assert "disk on fire" in caplog.text and "Traceback" not in caplog.text
