"""`audioprobe view`: two runs listed with their facts, each report opened, a clean stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from report_helpers import CHROMIUM, REPO, assembled_run, chromium_page

from audioprobe.store import RunStore, TrialKey

pytest.importorskip("playwright", reason="browser tests need scripts/install_browser.sh")
pytest.importorskip("uvicorn", reason="the viewer needs the report extra (pip install .[report])")
if not CHROMIUM.is_file():
    pytest.skip(
        "browser tests need Debian chromium (scripts/install_browser.sh)", allow_module_level=True
    )


ARTEFACTS = REPO / "runs" / "artifacts"


def _runs(folder: Path) -> None:
    """A finished run of two models and a run with trials still pending (in progress)."""
    done = assembled_run(
        folder / "2026-11-01-done",
        {("alpha", "notes"): ["ok", "ok", "syntax_error"], ("beta", "notes"): ["ok", "no_code"]},
    )
    live = assembled_run(folder / "nested" / "2026-11-02-live", {("gamma", "speech"): ["ok"]})
    live.register([TrialKey("gamma", "replay", "speech", f"later-{n}", 0) for n in range(3)])
    for store, models, created in (
        (done, ["alpha", "beta"], "2026-11-01T10:00:00+00:00"),
        (live, ["gamma"], "2026-11-02T09:30:00+00:00"),
    ):
        manifest = json.loads((store.root / "run.json").read_text())
        manifest.update(created=created, models=[{"name": m} for m in models])
        (store.root / "run.json").write_text(json.dumps(manifest))


def _children(pid: int) -> set[int]:
    """Processes whose parent is `pid` (what a server could leave behind)."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


def _start(folder: Path, tmp_path: Path) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1", AUDIOPROBE_CACHE=str(tmp_path / "cache"),
               PYTHONPATH=str(REPO / "src"))  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "audioprobe", "view", str(folder), "--port", "0",
         "--refs-per-trial", "0", "--refresh", "120"],  # the test reloads by itself
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    line = proc.stdout.readline()
    assert "http://127.0.0.1:" in line, line + proc.stderr.read()
    url = line[line.index("http://") :].split()[0]
    return proc, url


def _stop(proc: subprocess.Popen, sig: int, url: str) -> None:
    children = _children(proc.pid)
    proc.send_signal(sig)
    code = proc.wait(timeout=20)
    errors = proc.stderr.read()
    # uvicorn shuts down, then lets the signal end the process as it would have: 128 + n
    assert code in (0, 128 + sig, -sig), errors
    assert "Traceback" not in errors
    assert all(not Path(f"/proc/{c}").exists() for c in children)
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)


def test_view_lists_two_runs_and_opens_each(tmp_path):
    folder = tmp_path / "runs"
    _runs(folder)
    proc, url = _start(folder, tmp_path)
    try:
        console: list[str] = []
        with chromium_page(console) as page:
            page.goto(url)
            rows = page.locator("#runs tr.run-row")
            assert rows.count() == 2
            texts = rows.all_inner_texts()
            assert texts[0].startswith("nested/2026-11-02-live")  # newest first
            assert "gamma" in texts[0] and "running" in texts[0] and "pending 3" in texts[0]
            assert "alpha, beta" in texts[1] and "finished" in texts[1]
            assert "2026-11-01 10:00" in texts[1] and "missing" in texts[1]

            ARTEFACTS.mkdir(parents=True, exist_ok=True)  # docs/img/viewer.png is one of these
            page.set_viewport_size({"width": 1100, "height": 260})
            page.screenshot(path=str(ARTEFACTS / "viewer-test.png"))
            page.click("tr[data-key='2026-11-01-done'] a.open")
            page.wait_for_selector("#trial-list tr.trial-row")
            assert page.locator("#trial-list tr.trial-row").count() == 5
            assert page.locator("#live").count() == 0
            assert "/runs/2026-11-01-done/report/index.html" in page.url

            page.goto(url)
            assert "current" in page.locator("tr[data-key='2026-11-01-done']").inner_text()
            page.click("tr[data-key='nested/2026-11-02-live'] a.open")
            page.wait_for_selector("#trial-list tr.trial-row")
            assert page.locator("#trial-list tr.trial-row").count() == 4
            banner = page.locator("#live").inner_text()
            assert "3 of 4 trials pending" in banner and "reloads every 120 s" in banner
            page.click("#trial-list tr.trial-row >> nth=0")
            page.wait_for_function(
                "(() => { const a = document.querySelector('#trial-audio');"
                " return a && a.readyState >= 1 && a.duration > 0; })()"
            )
            # The run goes on: one more trial finishes; the reloaded page shows it.
            live = RunStore.open(folder / "nested" / "2026-11-02-live")
            key = TrialKey("gamma", "replay", "speech", "later-0", 0)
            live.save_trial(key, {"trial_id": key.trial_id, "model": "gamma", "tier": "speech",
                                  "item": "later-0", "sample": 0, "status": "no_code",
                                  "error": "no code in the answer"})  # fmt: skip
            opened = page.url
            page.reload()
            page.wait_for_selector("#detail .detail-head")  # the open trial stays open
            assert page.url == opened
            assert "2 of 4 trials pending" in page.locator("#live").inner_text()
            page.select_option("#f-status", "no_code")
            assert page.locator("#trial-list tr.trial-row").count() == 1
        assert console == []
        missing = httpx.get(url + "runs/nope/", timeout=10)
        assert missing.status_code == 404 and "no run 'nope'" in missing.text
        escape = httpx.get(url + "runs/2026-11-01-done/report/..%2F..%2Frun.json", timeout=10)
        assert escape.status_code == 404
    finally:
        if proc.poll() is None:
            _stop(proc, signal.SIGINT, url)


def test_view_stops_on_sigterm_and_names_a_taken_port(tmp_path):
    folder = tmp_path / "runs"
    _runs(folder)
    proc, url = _start(folder, tmp_path)
    port = url.rsplit(":", 1)[1].strip("/")
    try:
        assert httpx.get(url, timeout=10).status_code == 200
        taken = subprocess.run(
            [sys.executable, "-m", "audioprobe", "view", str(folder), "--port", port],
            capture_output=True, text=True, timeout=60,
            env=dict(os.environ, PYTHONPATH=str(REPO / "src")),
        )  # fmt: skip
        assert taken.returncode == 2
        assert f"cannot listen on 127.0.0.1:{port}" in taken.stderr
        assert "Traceback" not in taken.stderr
    finally:
        _stop(proc, signal.SIGTERM, url)
    time.sleep(0.1)
