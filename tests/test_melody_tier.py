"""The melody tier ships as a researcher's own tier would (plugins/melody/: a TOML and one
module), with no special case in audioprobe: its items, its rule, its rendered references, and
a replayed run of it scored end to end by the note-level metrics and its own rule."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.errors import ConfigError
from audioprobe.feedback.success import Facts, judge
from audioprobe.prompts import render_prompt
from audioprobe.references import load_reference_set
from audioprobe.registry import PLUGINS_ENV
from audioprobe.scoring.pitch import PitchSettings, estimate_f0
from audioprobe.spec import load_spec
from audioprobe.tiers import load_all_tiers, load_tier
from tests.note_helpers import answers_file

REPO = Path(__file__).resolve().parents[1]
FOLDER = REPO / "plugins" / "melody"
KINDS = ("scale", "arpeggio", "interval", "chord", "rhythm", "tune")


@pytest.fixture
def melody(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PLUGINS_ENV, str(FOLDER))


def test_the_melody_tier_is_a_toml_and_one_module_and_src_never_names_it() -> None:
    assert sorted(p.name for p in FOLDER.iterdir() if p.suffix in (".toml", ".py")) == [
        "melody.py",
        "melody.toml",
    ]
    found = subprocess.run(
        ["git", "grep", "-il", "melody", "--", "src/"], cwd=REPO, capture_output=True, text=True
    )
    assert found.returncode == 1 and not found.stdout, found.stdout


def test_melody_items_span_the_phrase_kinds_with_notes_tempo_and_instrument(melody) -> None:
    tier = load_tier("melody")
    assert list(load_all_tiers()) == ["notes", "melody", "environmental", "speech"]
    assert len(tier.items) >= 20
    assert {i.id.split("-")[0] for i in tier.items} == set(KINDS)
    for item in tier.items:
        assert item.notes and item.instrument and item.instrument.gm_program is not None
        assert item.class_key == item.instrument.family
        if item.id.startswith(("scale", "arpeggio", "rhythm", "tune")):
            assert item.tempo_bpm, item.id
    chord = tier.item("chord-c-major-piano")
    assert {n.onset_s for n in chord.target_notes()} == {0.0}
    assert [n.midi for n in chord.target_notes()] == [60, 64, 67]
    prompt = render_prompt(tier, tier.item("scale-c-major-piano")).user
    assert "C4 (60) at 0 s for 0.5 s" in prompt and "exactly these notes" in prompt


def test_the_experiment_needs_the_plugin_folder_and_loads_with_it(monkeypatch) -> None:
    monkeypatch.delenv(PLUGINS_ENV, raising=False)
    with pytest.raises(ConfigError, match="unknown tier 'melody'"):
        load_spec(REPO / "experiments" / "melody.toml")
    monkeypatch.setenv(PLUGINS_ENV, str(FOLDER))
    spec, _ = load_spec(REPO / "experiments" / "melody.toml")
    assert [t.name for t in spec.tiers] == ["melody"]


def test_melody_success_is_note_f1_at_the_declared_threshold(melody) -> None:
    def verdict(f1):
        return judge("melody", Facts(status="ok", measured={"note_f1": f1})).value

    assert load_tier("melody")  # registers the kind
    assert verdict(0.95) is True and verdict(0.7) is True
    assert verdict(0.69) is False and verdict(0.3) is False
    assert verdict(None) is None  # no transcription: unknown, never a guess
    assert judge("melody", Facts(status="runtime_error")).value is False


def test_builtin_melody_renders_each_items_notes_from_the_soundfont(melody, isolated_cache) -> None:
    rs = load_reference_set("builtin-melody")
    tier = load_tier("melody")
    assert len(rs.clips()) == 15 * len(tier.items)  # 5 transpositions x 3 velocities
    assert set(rs.classes()) == {i.class_key for i in tier.items}
    clip = next(
        c
        for c in rs.clips("keyboard")
        if c.meta["item"] == "interval-fifth-piano" and c.meta["transpose"] == 0
    )
    audio, rate = sf.read(str(clip.path))
    assert abs(len(audio) / rate - 2.5) < 0.01  # two 1 s notes, then 0.5 s of release
    settings = PitchSettings(sample_rate=rate)
    first = estimate_f0(audio[int(0.1 * rate) : int(0.9 * rate)], settings).f0_hz
    second = estimate_f0(audio[int(1.2 * rate) : int(1.9 * rate)], settings).f0_hz
    assert first == pytest.approx(261.63, rel=0.01)  # C4
    assert second == pytest.approx(392.0, rel=0.01)  # G4, one second later
    assert np.max(np.abs(audio)) > 0.01


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False, terminal_width=250)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_replayed_melody_run_is_scored_by_note_f1_and_the_tiers_rule(
    melody, tmp_path: Path, isolated_cache: Path
) -> None:
    tier = load_tier("melody")
    exact, sharp = tier.items[:2]  # the run's --limit 2: two eight-note scales at 120 BPM
    assert exact.duration_s == sharp.duration_s and exact.tempo_bpm == 120
    played = {
        exact.id: [[n.onset_s, n.duration_s, n.midi] for n in exact.target_notes()],
        sharp.id: [[n.onset_s, n.duration_s, n.midi + 1] for n in sharp.target_notes()],
    }
    answers = answers_file(tmp_path / "answers.jsonl", played, exact.duration_s)
    out = tmp_path / "run"
    spec = REPO / "experiments" / "melody.toml"
    _cli("run", str(spec), "--model", f"replay:{answers}", "--limit", "2", "--out", str(out))
    _cli("score", str(out), "-q", "-m", "note_f1,tempo_error,task_success")

    rows = {
        r["item"]: r
        for r in csv.DictReader(io.StringIO(_cli("export", str(out), "--format", "csv")))
    }
    assert set(rows) == {exact.id, sharp.id}
    assert all(r["tier"] == "melody" and r["status"] == "ok" for r in rows.values())
    f1 = {item: float(r["metric.note_f1"]) for item, r in rows.items()}
    assert f1[exact.id] >= 0.9 and f1[sharp.id] <= 0.3, f1
    success = {item: r["task_success"] for item, r in rows.items()}
    assert success == {exact.id: "1", sharp.id: "0"}, success
    assert rows[exact.id]["task_success_reason"] == f"note F1 {f1[exact.id]:.2f}"
    # in time at the item's stated beat, whatever the pitch
    for r in rows.values():
        assert float(r["metric.tempo_error"]) <= 0.1
        assert float(r["metric.played_bpm"]) == pytest.approx(120, rel=0.07)

    table = _cli("export", str(out), "--table", "sets", "--format", "csv")
    rate = next(r for r in csv.DictReader(io.StringIO(table)) if r["column"] == "task_success")
    assert rate["tier"] == "melody" and rate["status"] == "ok"
    assert float(rate["value"]) == pytest.approx(0.5)
    shown = " ".join(_cli("show", str(out)).split())
    assert "tier 1.5: melody" in shown and "note F1" in shown, shown
    assert "task success" in shown and "0.5 (n 2" in shown, shown
