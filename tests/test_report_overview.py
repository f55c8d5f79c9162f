"""The overview of a scored run in headless Chromium: one table per tier with the
tier-comparable measures first, each heading one click from its metric card, plots only of
those measures, and the paired comparison of the two systems."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from report_helpers import CHROMIUM, REPO, chromium_page

from audioprobe.report import build_report
from audioprobe.scoring.config import load_config
from audioprobe.scoring.run import score_run
from audioprobe.tiers import load_tier
from tests.score_helpers import FakeEmbedding, make_refs, make_run, patch_models, tone

pytest.importorskip("playwright", reason="browser tests need scripts/install_browser.sh")
if not CHROMIUM.is_file():
    pytest.skip("browser tests need Debian chromium", allow_module_level=True)

ARTEFACTS = REPO / "runs" / "artifacts"
ITEMS = ["keyboard-a4", "keyboard-c4", "keyboard-e5", "organ-c3", "organ-c4", "organ-g4"]


@pytest.fixture
def scored_report(tmp_path: Path, isolated_cache: Path, monkeypatch) -> Path:
    notes = load_tier("notes")
    f0 = [notes.item(i).note.f0_hz for i in ITEMS]
    refs = make_refs(tmp_path / "refs", {"keyboard": 440.0, "organ": 261.63}, per_class=16)
    embeddings = {"aisfx": FakeEmbedding("aisfx"), "vggish": FakeEmbedding("vggish")}
    patch_models(monkeypatch, embeddings, {"notes": refs})
    clips = {
        "in-tune": [tone(f, noise=0.02, seed=k) for k, f in enumerate(f0)],
        "detuned": [tone(f * 2 ** ((-1) ** k * 90 / 1200), noise=0.02, seed=k)
                    for k, f in enumerate(f0)],
    }  # fmt: skip
    store = make_run(tmp_path / "run", "notes", ITEMS, clips)
    config = load_config(
        {
            "bootstrap": {"n": 20},
            "tiers": {"notes": {"embeddings": ["aisfx", "vggish"]}},
            "fad_norm": {"n": len(ITEMS)},
        }
    )
    score_run(store, ["pitch", "task_success", "fad_norm", "fad"], config=config)
    return build_report(store, refs_per_trial=0).index


def test_overview_tables_cards_plots_and_paired_comparison(scored_report: Path) -> None:
    console: list[str] = []
    with chromium_page(console) as page:
        page.set_viewport_size({"width": 1100, "height": 900})
        page.goto(scored_report.as_uri())
        table = page.locator("#overview-notes table.overview")
        heads = table.locator("th.metric-col").all_inner_texts()
        assert heads[:2] == ["task success", "normalised FAD[aisfx]"]  # comparable first
        assert table.locator("th.comparable").count() == 3  # and normalised FAD[vggish]
        assert "FAD[aisfx]" in heads and "median |pitch-class cents|" in heads
        rows = table.locator("tr.overview-row")
        assert rows.count() == 2
        in_tune = rows.filter(has_text="in-tune").locator("td").nth(4).inner_text()
        # task success 1: every note at its pitch; all six equal, so no (zero-width) interval
        assert in_tune.startswith("1 (n 6") and "no interval" in in_tune

        card = page.locator("#card-task_success-x-notes")
        assert card.get_attribute("open") is None
        table.locator("th.metric-col a", has_text="task success").click()  # one click
        page.wait_for_function("document.querySelector('#card-task_success-x-notes').open")
        assert "rendered and |cents error| <= note_cents" in card.locator("pre").inner_text()

        plots = page.locator("#plots img")
        alts = [plots.nth(k).get_attribute("alt").split(" (")[0] for k in range(plots.count())]
        # task success and normalised FAD (per embedding), nothing else
        assert alts == ["task_success", "fad_norm[aisfx]", "fad_norm[vggish]"]
        page.wait_for_function(
            "[...document.querySelectorAll('#plots img')].every(i => i.naturalWidth > 0)"
        )
        agreement = page.locator("#agreement tbody tr", has_text="fad_norm").inner_text()
        assert "aisfx vs vggish" in agreement and "+1.00" in agreement  # the same fake twice
        paired = page.locator("#paired tbody tr", has_text="task success").inner_text()
        # the detuned system fails all six: one value, so no interval and no p (not "[-1, -1]")
        assert "detuned" in paired and "in-tune" in paired and "no interval (n=6)" in paired
        spread = page.locator("#paired tbody tr", has_text="pitch-class").inner_text()
        assert "[" in spread  # differences that vary get their bootstrap interval

        page.evaluate("window.scrollTo(0, 0)")
        shot = scored_report.parent / "overview.png"
        page.locator("#overview-section").screenshot(path=str(shot))
    ARTEFACTS.mkdir(parents=True, exist_ok=True)  # docs/img/overview.png is one of these
    shutil.copyfile(shot, ARTEFACTS / "overview-test.png")
    assert console == []
    docs = (REPO / "docs" / "report.md").read_text()
    assert "](img/overview.png)" in docs and (REPO / "docs" / "img" / "overview.png").is_file()
