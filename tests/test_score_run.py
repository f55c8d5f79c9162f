"""score_run end to end on a small fake run: idempotence, cards, cache keys, failed renders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from score_helpers import FakeEmbedding, make_refs, make_run, patch_models, tone
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.scoring import export_columns, score_run, set_results, summary_rows
from audioprobe.scoring.config import load_config
from audioprobe.tiers import load_tier

ITEMS = [
    "keyboard-c4", "keyboard-a4", "keyboard-e5", "organ-c3", "organ-c4", "organ-g4",
    "guitar-e3", "guitar-a3", "guitar-e4", "sine-a4", "sine-c4", "string-a5",
]  # fmt: skip


def _clips(detune: float, failed: set[int] = frozenset()) -> list[np.ndarray | None]:
    notes = load_tier("notes")
    return [
        None if i in failed else tone(notes.item(it).note.f0_hz * detune, noise=0.02, seed=i)
        for i, it in enumerate(ITEMS)
    ]


@pytest.fixture
def scored(tmp_path: Path, isolated_cache: Path, monkeypatch: pytest.MonkeyPatch):
    refs = make_refs(
        tmp_path / "refs", {"keyboard": 440.0, "organ": 261.63, "guitar": 196.0, "tone_sine": 440.0}
    )
    embs = {
        "aisfx": FakeEmbedding("aisfx"),
        "clap-music": FakeEmbedding("clap-music", ok=False),
    }
    patch_models(monkeypatch, embs, {"notes": refs})
    store = make_run(
        tmp_path / "run",
        "notes",
        ITEMS,
        {"llm": _clips(1.0, {11}), "baseline": _clips(1.03, {0, 1, 2, 3, 4, 5, 6, 7, 8})},
    )
    return store, embs


def _config(**over):
    base = {"bootstrap": {"n": 30}, "fad_inf": {"steps": 4, "repeats": 2}}
    base.update(over)
    return load_config(base)


def _numbers(store) -> list[tuple]:
    return [
        (r["model"], r["class_key"], r["metric"], r["embedding"], r["value"], r["ci_low"],
         r["ci_high"], r["status"])
        for r in set_results(store, class_level=True)
    ]  # fmt: skip


def test_scoring_twice_gives_identical_numbers_and_reuses_work(scored) -> None:
    store, embs = scored
    metrics = ["duration", "fad", "kad", "clap_score"]
    first = score_run(store, metrics, config=_config())
    numbers = _numbers(store)
    fad_inf = [n for n in numbers if n[2] == "fad_inf" and n[0] == "llm" and n[1] == ""]
    assert fad_inf and fad_inf[0][-1] == "ok" and np.isfinite(fad_inf[0][4])
    fad = next(n for n in numbers if n[2] == "fad" and n[0] == "llm" and n[1] == "")
    assert fad[5] <= fad[4] <= fad[6]
    calls = embs["aisfx"].calls
    second = score_run(store, metrics, config=_config())
    assert _numbers(store) == numbers
    assert embs["aisfx"].calls == calls, "second scoring must come from the embedding cache"
    assert first.clip_values > 0 and second.clip_values == 0 and second.clip_skipped > 0


def test_render_rate_too_few_clips_and_unavailable_clap(scored) -> None:
    store, _ = scored
    score_run(store, ["duration", "fad", "kad", "clap_score"], config=_config())
    rows = {r["model"]: r for r in summary_rows(store)}
    assert rows["llm"]["render rate"] == "11/12 (92%)"
    assert rows["baseline"]["render rate"] == "3/12 (25%)"
    assert rows["llm"]["FAD[aisfx]"].split()[0].replace(".", "").isdigit()
    assert "n 11/48" in rows["llm"]["FAD[aisfx]"]
    assert rows["baseline"]["FAD∞[aisfx]"].startswith("too few clips: 3 generated clips < 10")
    clap = rows["llm"]["CLAP[clap-music]"]
    assert clap.startswith("unavailable:") and "audioprobe models pull clap-music" in clap
    assert rows["llm"]["FAD[vggish]"].startswith("unavailable:")


def test_silence_rule_fills_failed_trials_for_every_system(scored) -> None:
    store, _ = scored
    score_run(store, ["fad"], config=_config(failed_renders="silence"))
    tier_rows = {
        r["model"]: r for r in set_results(store) if r["metric"] == "fad"
        and r["embedding"] == "aisfx"
    }  # fmt: skip
    assert tier_rows["baseline"]["n_gen"] == 12 and tier_rows["llm"]["n_gen"] == 12
    assert tier_rows["baseline"]["n_rendered"] == 3
    assert "9 silent stand-ins" in tier_rows["baseline"]["extra"]["flags"]
    score_run(store, ["fad"], config=_config(failed_renders="exclude"))
    tier_rows = {
        r["model"]: r for r in set_results(store) if r["metric"] == "fad"
        and r["embedding"] == "aisfx"
    }  # fmt: skip
    assert tier_rows["baseline"]["n_gen"] == 3 and tier_rows["llm"]["n_gen"] == 11


def test_changing_the_resampler_changes_the_card_and_misses_the_cache(scored) -> None:
    store, embs = scored
    score_run(store, ["fad"], config=_config())
    cards_before = json.loads((store.root / "cards.json").read_text())
    calls = embs["aisfx"].calls
    score_run(store, ["fad"], config=_config(analysis={"resampler": "scipy-poly"}))
    cards_after = json.loads((store.root / "cards.json").read_text())
    assert set(cards_before["current"]) != set(cards_after["current"])
    assert embs["aisfx"].calls == calls + (11 + 3 + 48), "every clip is embedded again"
    fad_cards = [
        c["card"]
        for c in cards_after["cards"].values()
        if c["metric"] == "fad" and c["current"] and c["embedding"] == "aisfx"
    ]
    assert fad_cards[0]["embedding"]["analysis"]["resampler"] == "scipy-poly"
    # The old values stay stored under their own card; views show only the current card.
    assert {r["card_hash"] for r in set_results(store)} <= set(cards_after["current"])


def test_export_rows_carry_card_hash_and_cards_file_is_written_once(scored) -> None:
    store, _ = scored
    score_run(store, ["duration", "fad"], config=_config())
    cards = json.loads((store.root / "cards.json").read_text())
    assert list(store.root.glob("**/cards.json")) == [store.root / "cards.json"]
    cols = export_columns(store)
    ok = cols["llm/notes/keyboard-a4/0"]
    failed = cols["llm/notes/string-a5/0"]
    assert ok["duration_s"] == pytest.approx(1.0)
    assert ok["duration_card"] in cards["current"]
    assert failed["duration_s"] == "not rendered"
    card = cards["cards"][ok["duration_card"]]["card"]
    assert card["metric"] == "duration" and "numpy" in card["packages"]


def test_score_command_prints_the_tier_table(scored) -> None:
    store, _ = scored
    result = CliRunner().invoke(app, ["score", str(store.root), "-m", "duration,fad", "-q"])
    assert result.exit_code == 0, result.output
    text = "".join(result.output.split())
    assert "scored:" in result.output and "tier1:notes" in text
    # reasons are footnotes naming the columns, the [emb] kept literally
    assert "FAD[vggish],FAD∞[vggish]unavailable" in text
    bad = CliRunner().invoke(app, ["score", str(store.root), "-m", "loudness"])
    assert bad.exit_code == 2 and "unknown metric" in bad.output


def test_pitch_of_rendered_notes(tmp_path: Path, isolated_cache: Path, monkeypatch) -> None:
    patch_models(monkeypatch, {}, {})
    store = make_run(
        tmp_path / "run", "notes", ["keyboard-a4", "organ-c4"], {"m": [tone(440.0, 1.0), None]}
    )
    score_run(store, ["pitch"], config=_config())
    cols = export_columns(store)
    assert abs(cols["m/notes/keyboard-a4/0"]["cents_error"]) < 5
    assert cols["m/notes/organ-c4/0"]["cents_error"] == "not rendered"
    assert summary_rows(store)[0]["mean |cents|"].endswith("(n 1)")
