"""The report of a small real run, opened in headless Chromium from disk and from a web server."""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import soundfile as sf
from report_helpers import CHROMIUM, REPO, chromium_page, cli, replay_run

from audioprobe.store import RunStore

pytest.importorskip("playwright", reason="browser tests need scripts/install_browser.sh")
if not CHROMIUM.is_file():
    pytest.skip(
        "browser tests need Debian chromium (scripts/install_browser.sh)", allow_module_level=True
    )

ARTEFACTS = REPO / "runs" / "artifacts"


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunStore, Path]:
    base = tmp_path_factory.mktemp("report")
    mp = pytest.MonkeyPatch()
    mp.setenv("AUDIOPROBE_CACHE", str(base / "cache"))
    try:
        store = replay_run(base)
        out = cli("report", str(store.root))
    finally:
        mp.undo()
    index = store.root / "report" / "index.html"
    assert str(index) in out.replace("\n", "")
    runtime = store.manifest.sandbox_runtime  # which sandbox runtime made these clips
    assert f"sandbox runtime <code>{runtime}</code>" in index.read_text()
    return store, index


def _ok_trial(store: RunStore, item: str):
    return next(t for t in store.trials() if t.item == item and t.status == "ok")


def test_page_overview_filters_and_audio_from_file(reported, tmp_path):
    store, index = reported
    trials = store.trials()
    cells = {(t.model, t.tier) for t in trials}
    assert len({t.status for t in trials}) >= 5, "the run should show several outcomes"
    console: list[str] = []
    urls: list[str] = []
    with chromium_page(console) as page:
        page.on("request", lambda r: urls.append(r.url))
        page.goto(index.as_uri())
        page.wait_for_selector("#trial-list tr.trial-row")

        rows = page.locator(".overview tr.overview-row")
        assert rows.count() == len(cells) == 6
        shown = {
            (r.get_attribute("data-model"), r.get_attribute("data-tier"))
            for r in rows.element_handles()
        }
        assert shown == cells

        listed = page.locator("#trial-list tr.trial-row")
        assert listed.count() == len(trials)
        page.select_option("#f-status", "ok")
        ok = [t for t in trials if t.status == "ok"]
        assert listed.count() == len(ok) < len(trials)
        assert set(listed.locator("td:nth-child(2)").all_inner_texts()) == {"ok"}
        page.select_option("#f-tier", "speech")
        assert listed.all_inner_texts()[0].startswith("good/speech/harvard-01")
        assert listed.count() == 1

        speech = _ok_trial(store, "harvard-01")
        page.click("#trial-list tr.trial-row")
        page.wait_for_function(
            "(() => { const a = document.querySelector('#trial-audio');"
            " return a && a.readyState >= 1 && a.duration > 0; })()"
        )
        duration = page.evaluate("document.querySelector('#trial-audio').duration")
        assert duration == pytest.approx(sf.info(str(speech.wav_path)).duration, abs=0.02)
        src = page.evaluate("document.querySelector('#trial-audio').src")
        assert src.startswith((index.parent / "audio").as_uri())
        assert page.locator("#detail .code .hl").count() == 1  # pygments-highlighted script
        assert "import" in page.locator("#detail .code").inner_text()
        page.wait_for_function("document.querySelector('#detail .spec img').naturalWidth > 0")
        prompt = (speech.dir / "prompt.txt").read_text()
        page.click("#detail summary:has-text('Prompt')")
        assert prompt.strip()[:60] in page.locator("#detail").inner_text()

        refs = page.locator("#detail .refs audio")
        assert refs.count() == 2  # the set's 2 clips of class "speech"
        assert refs.first.get_attribute("src").startswith("refs/")
        assert "not ranked by similarity" in page.locator("#detail .refs").inner_text()

        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, ARTEFACTS / "report-test.png")
    print(f"screenshot: {shot} (copied to {ARTEFACTS / 'report-test.png'})")
    assert console == []
    assert all(u.startswith(("file://", "data:")) for u in urls), urls


def test_a_failed_trial_shows_its_error_and_no_player(reported):
    _, index = reported
    console: list[str] = []
    with chromium_page(console) as page:
        page.goto(index.as_uri() + "#trial=bad/notes/organ-g4/0")
        page.wait_for_selector("#detail .detail-head")
        text = page.locator("#detail").inner_text()
        assert "runtime_error" in text and "the model gave up" in text
        assert page.locator("#trial-audio").count() == 0
        page.goto(index.as_uri() + "#trial=bad/notes/keyboard-c4/0")
        page.wait_for_selector("#detail .detail-head h3:has-text('keyboard-c4')")
        refs = page.locator("#detail .refs").inner_text()
        assert "unavailable" in refs and "no reference clips of 'keyboard'" in refs
        page.select_option("#f-status", "syntax_error")
        assert (
            page.locator("#trial-list tr.trial-row")
            .all_inner_texts()[0]
            .startswith("bad/notes/keyboard-c4")
        )
    assert console == []


@pytest.fixture
def served(reported) -> Iterator[str]:
    """The report folder alone behind a static web server (nothing above it is reachable)."""
    _, index = reported
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(index.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_the_report_folder_alone_works_from_a_static_server(reported, served):
    store, _ = reported
    rain = _ok_trial(store, "rain")
    console: list[str] = []
    with chromium_page(console) as page:
        page.goto(served + "index.html#trial=" + rain.trial_id)
        page.wait_for_function(
            "(() => { const a = document.querySelector('#trial-audio');"
            " return a && a.duration > 0; })()"
        )
        duration = page.evaluate("document.querySelector('#trial-audio').duration")
        assert duration == pytest.approx(sf.info(str(rain.wav_path)).duration, abs=0.02)
        # not scored: nothing tier-comparable to plot (test_report_overview draws plots)
        assert page.locator("#plots img").count() == 0
        src = page.locator("#detail .refs audio").first.get_attribute("src")
        ref_duration = page.evaluate(
            "src => new Promise(done => { const a = new Audio(src);"
            " a.onloadedmetadata = () => done(a.duration); })",
            src,
        )
        assert ref_duration == pytest.approx(1.0, abs=0.01)  # the reference tones are 1 s
    assert console == []
