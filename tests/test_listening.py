"""A MUSHRA test exported from a scored run, answered in Chromium by the test, imported back,
and each metric's agreement with the ratings printed by `listen import` and `listen show`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from report_helpers import CHROMIUM, REF_SET, REPO, chromium_page, cli, reference_set
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.results.records import ClipValue, Status
from audioprobe.results.tables import ensure_tables, record_cards, write_clip_values
from audioprobe.store import RunStore, TrialKey

pytest.importorskip("playwright", reason="browser tests need scripts/install_browser.sh")
if not CHROMIUM.is_file():
    pytest.skip(
        "browser tests need Debian chromium (scripts/install_browser.sh)", allow_module_level=True
    )

ARTEFACTS = REPO / "runs" / "artifacts"
MODELS = ("alpha", "beta", "gamma")
ITEMS = {"organ-a": "organ", "tone-b": "tone_sine"}
# Per clip a known "quality": the metric clap_score rises with it, wer falls with it, and the
# test's raters rate by it, so their agreement is +1 and -1 in rank.
QUALITY = {(m, i): 0.1 + 0.13 * k for k, (m, i) in enumerate((m, i) for m in MODELS for i in ITEMS)}


def _scored_run(tmp_path: Path) -> RunStore:
    reference_set(tmp_path)
    items = [
        {"id": i, "request": f"Play {c} sound {i}.", "caption": c, "class": c, "duration_s": 1.0}
        for i, c in ITEMS.items()
    ]
    manifest = {
        "run_id": "listen", "items": {"notes": items},
        "spec": {"name": "listen", "tiers": [{"name": "notes", "references": REF_SET}]},
        "tiers": {"notes": {"title": "notes", "level": 1, "sample_rate": 16000}},
    }  # fmt: skip
    store = RunStore.create(tmp_path / "run", manifest)
    sr = 16000
    t = np.arange(sr) / sr
    card = {"metric": "test"}
    ensure_tables(store)
    record_cards(
        store, "listen", {"c1": (card, "clap_score", "", "notes"), "c2": (card, "wer", "", "notes")}
    )
    values = []
    for (model, item), q in QUALITY.items():
        key = TrialKey(model, "replay", "notes", item, 0)
        folder = store.trial_dir(key)
        folder.mkdir(parents=True)
        noise = np.random.default_rng(len(values)).standard_normal(sr) * (1 - q) * 0.2
        sf.write(folder / "output.wav", 0.3 * np.sin(2 * np.pi * 330 * t) + noise, sr)
        record = {
            "trial_id": key.trial_id, "model": model, "model_kind": "replay", "tier": "notes",
            "item": item, "sample": 0, "class_key": ITEMS[item], "status": "ok", "error": None,
            "wav": f"{key.rel_dir}/output.wav",
        }  # fmt: skip
        store.save_trial(key, record)
        values.append(
            ClipValue(key.trial_id, "clap_score", "clap_score", "", Status.OK, "c1", 0.2 + q * 0.5)
        )
        values.append(ClipValue(key.trial_id, "wer", "wer", "", Status.OK, "c2", 1.0 - q))
    write_clip_values(store, values, wav={})
    return store


def _answer(page, key: dict, rater: int) -> None:
    """Rate every screen as a listener who hears the known quality would."""
    stimuli = key["stimuli"]
    while True:
        page.wait_for_selector(".row")
        ref = page.locator("#reference")
        page.wait_for_function("document.querySelector('#reference').readyState >= 2")
        assert ref.get_attribute("src").startswith("audio/ref-")
        rows = page.locator(".row")
        assert rows.count() == len(MODELS) + 2  # the systems, hidden reference, anchor
        for n in range(rows.count()):
            row = rows.nth(n)
            sid = Path(row.locator("audio").get_attribute("src")).stem
            info = stimuli[sid]
            if info["kind"] == "hidden_reference":
                score = 100 if rater == 1 else 95
            elif info["kind"] == "anchor":
                score = 10
            else:
                score = round(20 + 70 * QUALITY[(info["model"], info["item"].split("/")[1])])
                score += rater  # a second rater with a shifted scale: same order
            row.locator("input[type=range]").fill(str(score))
        if page.locator("#done").is_visible():
            return
        page.click("#next")


def _exported(store: RunStore, output: str) -> tuple[Path, dict]:
    folder = next((store.root / "listening").iterdir())
    assert folder.name in output
    return folder, json.loads((folder / "key.json").read_text())


def test_mushra_answered_in_the_browser_imports_and_agrees(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIOPROBE_CACHE", str(tmp_path / "cache"))
    store = _scored_run(tmp_path)
    out = cli("listen", "export", str(store.root), "--design", "mushra", "--raters", "3")
    folder, key = _exported(store, out)
    kinds = sorted(s["kind"] for s in key["stimuli"].values())
    assert kinds.count("hidden_reference") == kinds.count("anchor") == len(ITEMS)
    assert kinds.count("system") == len(MODELS) * len(ITEMS)

    # The anchor is the reference low-passed at 3.5 kHz: nothing left above 4 kHz.
    anchor = next(s for s in key["stimuli"].values() if s["kind"] == "anchor")
    data, rate = sf.read(str(folder / "page" / "audio" / f"{anchor['id']}.flac"))
    spectrum = np.abs(np.fft.rfft(data)) ** 2
    freqs = np.fft.rfftfreq(len(data), 1 / rate)
    assert spectrum[freqs > 4000].sum() < 1e-4 * spectrum.sum()

    downloads = []
    console: list[str] = []
    with chromium_page(console) as page:
        for rater in (1, 2):
            html = folder / "page" / f"rater-{rater:02d}.html"
            source = html.read_text()
            assert not any(m in source for m in MODELS), "the page must not name the systems"
            page.goto(html.as_uri())
            if rater == 1:  # docs/img/listening-mushra.png is one of these
                page.wait_for_selector(".row")
                page.set_viewport_size({"width": 1000, "height": 560})
                ARTEFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTEFACTS / "listening-mushra-test.png"))
            _answer(page, key, rater)
            with page.expect_download() as info:
                page.click("#download")
            target = tmp_path / f"answers-{rater}.csv"
            info.value.save_as(target)
            downloads.append(target)
    assert console == []
    first = downloads[0].read_text().splitlines()
    assert first[0] == "test_id,design,rater,screen,stimulus,score"
    assert len(first) == 1 + len(key["stimuli"])

    shown = cli("listen", "import", str(store.root), str(downloads[0]))
    assert "stored answers of rater-01" in shown
    shown = cli("listen", "import", str(store.root), str(downloads[1]))
    assert "2 raters, 6 rated clips" in shown
    lines = {line.split()[0]: line for line in shown.splitlines() if line.startswith("  ")}
    assert lines["clap_score"].split()[1:3] == ["6", "+1.00"]
    assert lines["wer"].split()[1:3] == ["6", "-1.00"]
    assert "[" in lines["clap_score"] and "hidden reference mean 97.5" in shown

    # A rater who misses the hidden reference is post-screened out (BS.1534), and named.
    careless = tmp_path / "careless.csv"
    ref_ids = {s for s, v in key["stimuli"].items() if v["kind"] == "hidden_reference"}
    rows = [
        line.replace("rater-02", "rater-03")
        if line.split(",")[4] not in ref_ids
        else ",".join([*line.replace("rater-02", "rater-03").split(",")[:5], "40"])
        for line in downloads[1].read_text().splitlines()[1:]
    ]
    careless.write_text("test_id,design,rater,screen,stimulus,score\n" + "\n".join(rows) + "\n")
    cli("listen", "import", str(store.root), str(careless))
    shown = cli("listen", "show", str(store.root))
    assert "3 raters" in shown and "left out rater-03: rated the hidden reference below 90" in shown
    assert "hidden reference mean 97.5" in shown  # the left-out rater's 40s are not in it
    summary = cli("show", str(store.root))  # the run's summary carries the agreement too
    assert "clap_score" in summary and "3 raters" in summary
    assert (folder / "ratings" / "rater-01.csv").is_file()

    # Bad answers files: one clear line, no traceback.
    edited = tmp_path / "edited.csv"
    edited.write_text(downloads[0].read_text().replace(anchor["id"], "sdeadbeef"))
    bad = CliRunner().invoke(app, ["listen", "import", str(store.root), str(edited)])
    assert bad.exit_code == 2 and "stimulus sdeadbeef is not part of test" in bad.output
    assert bad.exception is None or isinstance(bad.exception, SystemExit)
    stranger = tmp_path / "stranger.csv"
    stranger.write_text(downloads[0].read_text().replace("rater-01", "rater-09"))
    bad = CliRunner().invoke(app, ["listen", "import", str(store.root), str(stranger)])
    assert bad.exit_code == 2, bad.output
    said = " ".join(bad.output.split())
    assert (
        "rater 'rater-09' was never given a page" in said and "rater-01, rater-02, rater-03" in said
    )
    assert not (folder / "ratings" / "rater-09.csv").exists()


def test_ab_export_pairs_every_two_systems(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIOPROBE_CACHE", str(tmp_path / "cache"))
    store = _scored_run(tmp_path)
    out = cli("listen", "export", str(store.root), "--design", "ab", "--items", "organ-a")
    folder, key = _exported(store, out)
    console: list[str] = []
    with chromium_page(console) as page:
        page.goto((folder / "page" / "rater-01.html").as_uri())
        screens = page.evaluate("TEST.screens.map(s => s.stimuli)")
        assert len(screens) == 3  # 3 systems: 3 pairs
        pairs = {frozenset(key["stimuli"][s]["model"] for s in pair) for pair in screens}
        assert len(pairs) == 3
        for _ in screens:
            page.check("#choose-A")
            if page.locator("#done").is_visible():
                break
            page.click("#next")
        with page.expect_download() as info:
            page.click("#download")
        answers = tmp_path / "ab.csv"
        info.value.save_as(answers)
    assert console == []
    shown = cli("listen", "import", str(store.root), str(answers))
    assert "(ab): 1 rater, 3 rated clips" in shown
    assert "3 rated clips with a value; need 4" in shown


def test_mushra_export_skips_an_item_without_a_reference_clip_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIOPROBE_CACHE", str(tmp_path / "cache"))
    store = _scored_run(tmp_path)
    manifest = json.loads((store.root / "run.json").read_text())
    manifest["items"]["notes"][1]["class"] = "no-such-class"  # tone-b: no clip of its class
    (store.root / "run.json").write_text(json.dumps(manifest))
    out = cli("listen", "export", str(store.root))
    assert "skipped item notes/tone-b: no reference clip for MUSHRA" in out
    _, key = _exported(store, out)
    assert key["items"] == ["notes/organ-a"]


def test_export_names_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIOPROBE_CACHE", str(tmp_path / "cache"))
    store = _scored_run(tmp_path)
    manifest = json.loads((store.root / "run.json").read_text())
    manifest["spec"]["tiers"][0]["references"] = "no-such-set"
    (store.root / "run.json").write_text(json.dumps(manifest))
    runner = CliRunner()
    mushra = runner.invoke(app, ["listen", "export", str(store.root)])
    assert mushra.exit_code == 2
    said = " ".join(mushra.output.split())
    assert "nothing to listen to: item notes/organ-a: no reference clip for MUSHRA" in said
    assert "--design ab" in said
    unknown = runner.invoke(app, ["listen", "export", str(store.root), "--items", "nope"])
    assert unknown.exit_code == 2 and "item 'nope': no ok clip of that item" in unknown.output
    design = runner.invoke(app, ["listen", "export", str(store.root), "--design", "abx"])
    assert design.exit_code == 2 and "choose one of mushra, ab" in design.output
    assert not (store.root / "listening").exists()
