"""The item view (two replayed systems' clips of one item side by side, scripts diffed) and the
trial browser's sort, metric range, deep links and keys, in headless Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
from report_helpers import CHROMIUM, DATA, REF_SET, REPO, chromium_page, cli, reference_set

from audioprobe.report import build_report
from audioprobe.store import RunStore, TrialKey

pytest.importorskip("playwright", reason="browser tests need scripts/install_browser.sh")
if not CHROMIUM.is_file():
    pytest.skip(
        "browser tests need Debian chromium (scripts/install_browser.sh)", allow_module_level=True
    )


ARTEFACTS = REPO / "runs" / "artifacts"


def _two_systems(tmp_path: Path) -> RunStore:
    """Two replayed models on the rain item: the test data's script, and a variant of it that
    is shorter and writes a float64 WAV (as scipy does for a float64 array)."""
    reference_set(tmp_path)
    rain = next(
        json.loads(line)
        for line in (DATA / "answers_ok.jsonl").read_text().splitlines()
        if json.loads(line)["item"] == "rain"
    )
    variant = (
        rain["completion"]
        .replace("duration = 5.0", "duration = 2.5")
        .replace("(signal * 0.8 * 32767).astype(np.int16)", "signal * 0.8")
    )
    assert variant != rain["completion"]
    answers = tmp_path / "variant.jsonl"
    answers.write_text(json.dumps({"item": "rain", "completion": variant}) + "\n")
    spec = tmp_path / "two.toml"
    spec.write_text(
        f"""
name = "item-view-test"
seed = 0
samples = 1
[[tiers]]
name = "environmental"
items = ["rain"]
references = "{REF_SET}"
[[models]]
name = "first"
kind = "replay"
model = "{DATA / "answers_ok.jsonl"}"
[[models]]
name = "second"
kind = "replay"
model = "{answers}"
[sandbox]
backend = "auto"
parallel = 2
[sandbox.limits]
wall_s = 20
"""
    )
    cli("run", str(spec), "--out", str(tmp_path / "run"))
    return RunStore.open(tmp_path / "run")


def test_two_systems_side_by_side_on_one_item_page(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIOPROBE_CACHE", str(tmp_path / "cache"))
    store = _two_systems(tmp_path)
    trials = store.trials()
    assert [t.status for t in trials] == ["ok", "ok"], [(t.trial_id, t.error) for t in trials]
    cli("report", str(store.root))
    index = store.root / "report" / "index.html"
    console: list[str] = []
    with chromium_page(console) as page:
        page.goto(index.as_uri() + "#trial=" + trials[1].trial_id)
        page.wait_for_selector("#detail .detail-head")
        page.click("#detail a.item-link")  # from a trial to its item
        page.wait_for_selector("#item-section .diff-table")
        assert page.url.endswith("#item=environmental%2Frain")
        cards = page.locator("#item-section .item-card")
        assert cards.count() == 2
        assert {c.get_attribute("data-trial") for c in cards.element_handles()} == {
            t.trial_id for t in trials
        }
        durations = page.evaluate(
            """() => Promise.all([...document.querySelectorAll('#item-section audio')]
              .map(a => new Promise(done => {
                if (a.readyState >= 1) return done(a.duration);
                a.onloadedmetadata = () => done(a.duration);
                a.onerror = () => done('error ' + a.error.code);
                if (a.preload === 'none') a.load();  // reference players wait for a press
              })))"""
        )
        expected = [sf.info(str(t.wav_path)).duration for t in trials]
        expected += [1.0] * (len(durations) - 2)  # the reference tones beside them
        assert durations == pytest.approx(expected, abs=0.02)
        assert page.locator("#item-section img.spec-small").count() == 2
        diff = page.locator("#item-section .diff-table").inner_text().replace("\xa0", " ")
        assert "duration = 5.0" in diff and "duration = 2.5" in diff
        marks = "#item-section .diff-table :is(.diff_chg, .diff_add, .diff_sub)"
        assert page.locator(marks).count() >= 2  # the changed lines are marked
        assert page.locator("#item-section .refs audio").count() >= 1
        ARTEFACTS.mkdir(parents=True, exist_ok=True)  # docs/img/item-view.png is one of these
        page.locator("#item-section").screenshot(path=str(ARTEFACTS / "item-view-test.png"))
    # A player with preload=metadata may stop its download once it has the metadata; Chromium
    # reports that as an aborted request, which is no fault of the page.
    assert [c for c in console if not (c.endswith("net::ERR_ABORTED") and ".flac" in c)] == []


def _many(root: Path) -> RunStore:
    """130 ok trials of one model (more than a list page) with a made-up per-trial metric."""
    store = RunStore.create(root, {"run_id": root.name, "spec": {"name": "many"}, "items": {}})
    for n in range(130):
        key = TrialKey("m", "replay", "notes", f"item-{n:03d}", 0)
        folder = store.trial_dir(key)
        folder.mkdir(parents=True)
        (folder / "script.py").write_text(f"print({n})\n")
        sf.write(
            folder / "output.wav", [0.1, -0.1] * 24000, 16000
        )  # 3 s: still playing when checked
        store.save_trial(
            key,
            {"trial_id": key.trial_id, "model": "m", "model_kind": "replay", "tier": "notes",
             "item": key.item, "sample": 0, "status": "ok", "error": None,
             "wav": f"{key.rel_dir}/output.wav"},
        )  # fmt: skip
    return store


def test_sort_by_a_metric_range_filter_deep_link_scroll_and_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIOPROBE_CACHE", str(tmp_path / "cache"))
    from score_helpers import registered_catalog

    from audioprobe.results.measures import RunResults
    from audioprobe.results.records import ClipValue, Status
    from audioprobe.results.run import Run

    store = _many(tmp_path / "run")
    score = {f"m/notes/item-{n:03d}/0": {"wer": str((n * 37) % 130 / 100)} for n in range(130)}
    clips = [
        ClipValue(tid, "wer", "wer", "", Status.OK, "card", float(v["wer"]))
        for tid, v in score.items()
    ]
    results = RunResults(
        run=Run(store), trials=store.trials(), clips=clips, catalog=registered_catalog()
    )
    result = build_report(store, results=results)
    console: list[str] = []
    with chromium_page(console) as page:
        target = "m/notes/item-120/0"  # on the second list page in run order
        page.goto(result.index.as_uri() + "#trial=" + target)
        page.wait_for_selector(f"#detail h3:has-text('{target}')")
        row = page.locator("#trial-list tr.selected")
        assert row.inner_text().startswith(target)
        assert page.evaluate("window.scrollY") > 0
        assert row.is_visible() and page.locator("#page-info").inner_text() == "page 2 of 2"
        box = row.bounding_box()
        assert 0 <= box["y"] < page.viewport_size["height"]

        page.select_option("#f-sort", "m:wer")
        page.click("#f-dir")  # descending
        first = page.locator("#trial-list tr.trial-row").first
        assert first.locator("td.tid").inner_text() == max(
            score, key=lambda k: float(score[k]["wer"])
        )
        assert page.locator("#trial-list thead th:nth-child(3)").inner_text() == "wer"
        values = [float(v) for v in page.locator("#trial-list td.num").all_inner_texts()]
        assert values == sorted(values, reverse=True) and len(values) == 100
        page.fill("#f-min", "0.5")
        page.fill("#f-max", "0.6")
        page.wait_for_function("document.querySelectorAll('#trial-list tr.trial-row').length < 100")
        kept = sorted(k for k, v in score.items() if 0.5 <= float(v["wer"]) <= 0.6)
        shown = page.locator("#trial-list td.tid").all_inner_texts()
        assert sorted(shown) == kept

        page.click("#trial-list tr.trial-row >> nth=0")
        page.wait_for_selector(f"#detail h3:has-text('{shown[0]}')")
        page.keyboard.press("j")
        page.wait_for_selector(f"#detail h3:has-text('{shown[1]}')")
        page.keyboard.press("ArrowDown")
        page.wait_for_selector(f"#detail h3:has-text('{shown[2]}')")
        page.keyboard.press("k")
        page.wait_for_selector(f"#detail h3:has-text('{shown[1]}')")
        assert page.url.endswith("#trial=" + shown[1].replace("/", "%2F"))
        page.wait_for_function("document.querySelector('#trial-audio').readyState >= 1")
        page.evaluate("document.querySelector('#trial-audio').muted = true")
        page.keyboard.press("p")
        page.wait_for_function("!document.querySelector('#trial-audio').paused")
        page.keyboard.press("p")
        page.wait_for_function("document.querySelector('#trial-audio').paused")
    assert console == []
