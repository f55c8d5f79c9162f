"""score_run end to end on a small fake run: idempotence, cards, cache keys, failed renders,
typed values, and a clip that no metric can process."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from score_helpers import FakeEmbedding, make_refs, make_run, patch_models, tone
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.hashing import sha256_file
from audioprobe.results import RunResults, Status
from audioprobe.results.export import trials_table
from audioprobe.results.tables import clip_values, set_values
from audioprobe.scoring import score_run
from audioprobe.scoring.config import load_config
from audioprobe.store import TrialKey
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
    # every item's class has reference clips (an item without any is left out of the sets:
    # tests/test_study_judgments.py)
    classes = {"keyboard": 440.0, "organ": 261.63, "guitar": 196.0, "tone_sine": 440.0}
    refs = make_refs(tmp_path / "refs", classes | {"string": 880.0})
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
    base = {"bootstrap": {"n": 30}, "fad": {"infinity": {"steps": 4, "repeats": 2}}}
    base.update(over)
    return load_config(base)


def _numbers(store) -> list[tuple]:
    return [
        (v.model, v.class_key, v.column, v.embedding, v.value, v.ci_low, v.ci_high, v.status)
        for v in set_values(store, class_level=True)
    ]


def _sets(store, column: str, embedding: str = "aisfx") -> dict:
    return {
        v.model: v for v in set_values(store) if v.column == column and v.embedding == embedding
    }


def test_scoring_twice_gives_identical_numbers_and_reuses_work(scored) -> None:
    store, embs = scored
    metrics = ["duration", "fad", "kad", "clap_score"]
    first = score_run(store, metrics, config=_config())
    numbers = _numbers(store)
    fad_inf = [n for n in numbers if n[2] == "fad_inf" and n[0] == "llm" and n[1] == ""]
    assert fad_inf and fad_inf[0][-1] == Status.OK and np.isfinite(fad_inf[0][4])
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
    results = RunResults.of(store)
    assert str(results.rate("llm", "notes")) == "92% (11/12)"
    assert str(results.rate("baseline", "notes")) == "25% (3/12)"
    cells = {(m.model, m.key): m for m in results.measures}
    fad = cells[("llm", "fad[aisfx]")]
    assert fad.status == Status.OK and isinstance(fad.value, float)
    assert (fad.n, fad.n_reference) == (11, 60) and fad.low <= fad.value <= fad.high
    fad_inf = cells[("baseline", "fad_inf[aisfx]")]
    assert fad_inf.status == Status.TOO_FEW and fad_inf.value is None
    assert fad_inf.reason.startswith("3 generated clips < 10")
    clap = cells[("llm", "clap_score[clap-music]")]
    assert clap.status == Status.UNAVAILABLE and "audioprobe models pull clap-music" in clap.reason
    assert cells[("llm", "fad[vggish]")].status == Status.UNAVAILABLE
    duration = cells[("baseline", "duration_error_s")]  # mean over the 3 rendered 1 s clips
    expected = np.mean([1.0 - load_tier("notes").item(i).duration_s for i in ITEMS[9:]])
    assert duration.n == 3 and duration.value == pytest.approx(expected)
    assert dict(duration.other) == {Status.NOT_APPLICABLE: 9}


def test_infrastructure_failures_are_not_in_the_render_rate_or_the_silence_rule(
    tmp_path, isolated_cache, monkeypatch
) -> None:
    refs = make_refs(tmp_path / "refs", {"keyboard": 440.0, "organ": 261.63})
    patch_models(monkeypatch, {"aisfx": FakeEmbedding("aisfx")}, {"notes": refs})
    items = ITEMS[:6]
    store = make_run(
        tmp_path / "run", "notes", items, {"m": _clips(1.0)[:3] + [None] * 3},
        failure="llm_error",
    )  # fmt: skip
    score_run(store, ["fad"], config=_config(failed_renders="silence"))
    fad = _sets(store, "fad")["m"]
    assert (fad.n_trials, fad.n_rendered, fad.n_generated) == (3, 3, 3)
    assert str(RunResults.of(store).rate("m", "notes")) == "100% (3/3)"


def test_silence_rule_fills_failed_trials_for_every_system(scored) -> None:
    store, _ = scored
    score_run(store, ["fad"], config=_config(failed_renders="silence"))
    tier_rows = _sets(store, "fad")
    assert tier_rows["baseline"].n_generated == 12 and tier_rows["llm"].n_generated == 12
    assert tier_rows["baseline"].n_rendered == 3 and tier_rows["baseline"].rule == "silence"
    assert "9 silent stand-ins" in tier_rows["baseline"].flags
    score_run(store, ["fad"], config=_config(failed_renders="exclude"))
    tier_rows = _sets(store, "fad")
    assert tier_rows["baseline"].n_generated == 3 and tier_rows["llm"].n_generated == 11


def test_changing_the_resampler_changes_the_card_and_misses_the_cache(scored) -> None:
    store, embs = scored
    score_run(store, ["fad"], config=_config())
    cards_before = json.loads((store.root / "cards.json").read_text())
    calls = embs["aisfx"].calls
    score_run(store, ["fad"], config=_config(analysis={"resampler": "scipy-poly"}))
    cards_after = json.loads((store.root / "cards.json").read_text())
    assert set(cards_before["current"]) != set(cards_after["current"])
    assert embs["aisfx"].calls == calls + (11 + 3 + 60), "every clip is embedded again"
    fad_cards = [
        c["card"]
        for c in cards_after["cards"].values()
        if c["metric"] == "fad" and c["current"] and c["embedding"] == "aisfx"
    ]
    assert fad_cards[0]["embedding"]["analysis"]["resampler"] == "scipy-poly"
    # The old values stay stored under their own card; views show only the current card.
    assert {v.card_hash for v in set_values(store)} <= set(cards_after["current"])


def test_clip_values_are_typed_and_carry_their_card(scored) -> None:
    store, _ = scored
    score_run(store, ["duration", "fad"], config=_config())
    cards = json.loads((store.root / "cards.json").read_text())
    assert list(store.root.glob("**/cards.json")) == [store.root / "cards.json"]
    by = {(v.trial_id, v.column): v for v in clip_values(store)}
    ok = by[("llm/notes/keyboard-a4/0", "duration_s")]
    assert ok.status == Status.OK and ok.value == pytest.approx(1.0) and ok.unit == "s"
    assert ok.card_hash in cards["current"]
    failed = by[("llm/notes/string-a5/0", "duration_s")]
    assert failed.status == Status.NOT_APPLICABLE and failed.value is None
    assert "runtime_error" in failed.reason
    card = cards["cards"][ok.card_hash]["card"]
    assert card["metric"] == "duration" and "numpy" in card["packages"]


def test_score_command_prints_the_tier_table(scored) -> None:
    store, _ = scored
    result = CliRunner().invoke(
        app, ["score", str(store.root), "-m", "duration,fad", "-q"], terminal_width=250
    )
    assert result.exit_code == 0, result.output
    text = "".join(result.output.split())
    assert "scored:" in result.output and "tier1:notes" in text
    assert "92%(11/12)" in text  # render rate with its denominator
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
    by = {(v.trial_id, v.column): v for v in clip_values(store)}
    assert abs(by[("m/notes/keyboard-a4/0", "cents_error")].value) < 5
    assert by[("m/notes/organ-c4/0", "cents_error")].status == Status.NOT_APPLICABLE
    median = next(m for m in RunResults.of(store).measures if m.column == "abs_pitch_class_error")
    assert median.n == 1 and median.direction == "lower" and median.statistic == "median"


def test_a_clip_no_metric_can_process_gets_its_error_and_scoring_goes_on(
    tmp_path: Path, isolated_cache: Path, monkeypatch
) -> None:
    """A damaged WAV fails every metric: each records `error` with the reason in that trial's
    row, the other clips are scored, the set metrics go on without it, `score` exits 0."""
    refs = make_refs(tmp_path / "refs", {"keyboard": 440.0, "organ": 261.63})
    patch_models(monkeypatch, {"aisfx": FakeEmbedding("aisfx")}, {"notes": refs})
    items = ["keyboard-c4", "keyboard-a4", "keyboard-e5", "organ-c3", "organ-c4"]
    store = make_run(tmp_path / "run", "notes", items, {"m": _clips(1.0)[:5]})
    broken = next(t for t in store.trials() if t.item == "organ-c4")
    broken.wav_path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(64))
    # as the script wrote it: the run recorded these bytes' sha256 (else: changed after the run)
    broken.record.audio.sha256 = sha256_file(broken.wav_path)
    store.save_trial(TrialKey("m", "replay", "notes", "organ-c4", 0), broken.record)
    result = CliRunner().invoke(
        app, ["score", str(store.root), "-m", "duration,pitch,clap_score,fad", "-q"],
        terminal_width=250,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "clip values failed" in result.output
    values = [v for v in clip_values(store) if v.trial_id == broken.trial_id]
    by_metric = {v.metric: v for v in values}
    for metric in ("duration", "pitch"):
        assert by_metric[metric].status == Status.ERROR, by_metric[metric]
        assert "Error" in by_metric[metric].reason
    assert (broken.dir / "score-pitch.traceback.txt").is_file()
    _, rows = trials_table(RunResults.of(store))
    row = next(r for r in rows if r["trial_id"] == broken.trial_id)  # the export's row
    assert row["status.duration_s"] == "error" and row["metric.duration_s"] is None
    assert row["status.f0_hz"] == "error" and row["reason.f0_hz"]
    others = [v for v in clip_values(store) if v.trial_id != broken.trial_id]
    assert {v.status for v in others if v.metric == "duration"} == {Status.OK}
    fad = _sets(store, "fad")["m"]  # the unreadable clip is left out of the set, as unrendered
    assert fad.status == Status.OK and fad.n_generated == 4 and fad.n_rendered == 5


def test_memory_error_in_one_clip_is_that_clips_error(
    tmp_path: Path, isolated_cache: Path, monkeypatch
) -> None:
    import audioprobe.scoring.metrics.pitch as pitch_module

    patch_models(monkeypatch, {}, {})
    real = pitch_module.estimate_f0
    seen: list[int] = []

    def estimate(audio, settings):
        seen.append(audio.size)
        if len(seen) == 1:
            raise MemoryError("pyin needs 40 GB")
        return real(audio, settings)

    monkeypatch.setattr(pitch_module, "estimate_f0", estimate)
    store = make_run(
        tmp_path / "run", "notes", ["keyboard-a4", "organ-c4"], {"m": [tone(440.0, 3.0)] * 2}
    )
    score_run(store, ["pitch"], config=_config(analysis={"max_duration_s": 1.5}))
    by = {(v.trial_id, v.column): v for v in clip_values(store)}
    first = by[("m/notes/keyboard-a4/0", "f0_hz")]
    assert first.status == Status.ERROR and first.reason == "MemoryError: pyin needs 40 GB"
    assert by[("m/notes/organ-c4/0", "f0_hz")].status == Status.OK
    assert max(seen) == 24000, "analysis reads at most max_duration_s (1.5 s at 16 kHz)"
    # a failed value is tried again by the next scoring (not kept as done)
    score_run(store, ["pitch"], config=_config())
    again = {(v.trial_id, v.column): v for v in clip_values(store)}
    assert again[("m/notes/keyboard-a4/0", "f0_hz")].status == Status.OK


def test_scoring_settings_for_no_metric_are_refused(scored) -> None:
    from audioprobe.errors import ConfigError

    store, _ = scored
    with pytest.raises(ConfigError, match=r"\[fad_inf\]"):
        score_run(store, ["duration"], config=_config(fad_inf={"steps": 3}))


def test_values_stored_by_older_versions_read_as_todays(scored) -> None:
    """Old statuses (not_rendered, failed) map to today's; the render_rate set rows older
    versions stored are not shown (the render rate is computed from the trials now)."""
    store, _ = scored
    score_run(store, ["duration"], config=_config())
    with store.connect() as db:
        db.execute("UPDATE score_clip SET status='failed' WHERE trial_id='llm/notes/sine-a4/0'")
        db.execute("INSERT INTO score_card VALUES ('old', 'render_rate', '', '', '{}', 1, 0)")
        db.execute(
            "INSERT INTO score_set VALUES ('llm','notes','','render_rate','',0.9,NULL,NULL,"
            "11,NULL,12,11,'ok',NULL,'{}','old')"
        )
    statuses = {v.status for v in clip_values(store) if v.trial_id == "llm/notes/sine-a4/0"}
    assert statuses == {Status.ERROR}
    assert not [v for v in set_values(store) if v.column == "render_rate"]


def test_a_value_that_is_not_finite_or_out_of_range_is_an_error(
    tmp_path: Path, isolated_cache: Path, monkeypatch
) -> None:
    import audioprobe.scoring.metrics.pitch as pitch_module
    from audioprobe.scoring.pitch import PitchEstimate

    patch_models(monkeypatch, {}, {})
    monkeypatch.setattr(pitch_module, "estimate_f0", lambda a, s: PitchEstimate(math.nan, 1.5, 10))
    store = make_run(tmp_path / "run", "notes", ["keyboard-a4"], {"m": [tone(440.0)]})
    score_run(store, ["pitch"], config=_config())
    by = {v.column: v for v in clip_values(store)}
    assert by["f0_hz"].status == Status.ERROR and "not a finite" in by["f0_hz"].reason
    assert by["cents_error"].status == Status.ERROR and "not a finite" in by["cents_error"].reason
    voiced = by["voiced_fraction"]
    assert voiced.status == Status.ERROR and "outside its declared range" in voiced.reason
