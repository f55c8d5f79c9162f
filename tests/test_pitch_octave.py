"""Octave-aware pitch: one clip an octave off must not decide a set's tuning summary, and every
interval stays inside its measure's range."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from audioprobe.results.measures import RunResults
from audioprobe.results.records import Status
from audioprobe.results.tables import clip_values
from audioprobe.scoring.config import load_config
from audioprobe.scoring.intervals import summarise_clips
from audioprobe.scoring.pitch import pitch_error
from audioprobe.scoring.registry import get_metric
from audioprobe.scoring.run import score_run
from audioprobe.tiers import load_tier
from tests.score_helpers import make_run, patch_models, tone

ITEMS = ["keyboard-a4", "sine-a4", "guitar-a3", "keyboard-c4", "sine-c4", "organ-c4"]


def test_pitch_error_is_taken_to_the_nearest_octave() -> None:
    assert pitch_error(880.0, 440.0).octaves == 1
    assert abs(pitch_error(880.0, 440.0).pitch_class) < 1e-9
    low = pitch_error(440.0 * 2 ** (-1197 / 1200), 440.0)  # the organ case
    assert low.octaves == -1 and abs(low.pitch_class - 3.0) < 1e-6 and low.in_tune
    assert pitch_error(440.0 * 2 ** (49 / 1200), 440.0).in_tune
    assert not pitch_error(440.0 * 2 ** (51 / 1200), 440.0).in_tune
    assert pitch_error(440.0 * 2 ** (700 / 1200), 440.0).pitch_class == -500.0


def test_one_octave_error_sets_its_flag_and_leaves_the_summary_right(
    tmp_path: Path, isolated_cache: Path, monkeypatch
) -> None:
    patch_models(monkeypatch, {}, {})
    notes = load_tier("notes")
    f0s = [notes.item(i).note.f0_hz for i in ITEMS]
    clips = [tone(f0 * (2.0 if k == 0 else 1.0), noise=0.01, seed=k) for k, f0 in enumerate(f0s)]
    store = make_run(tmp_path / "run", "notes", ITEMS, {"m": clips})
    score_run(store, ["pitch"], config=load_config({}))
    by = {(v.trial_id, v.column): v for v in clip_values(store)}
    off = "m/notes/keyboard-a4/0"
    assert by[(off, "octave_error")].value == 1.0 and by[(off, "in_tune")].value == 1.0
    assert abs(by[(off, "cents_error")].value - 1200) < 5
    assert abs(by[(off, "pitch_class_error")].value) < 5
    for item in ITEMS[1:]:
        assert by[(f"m/notes/{item}/0", "octave_error")].value == 0.0
        assert by[(f"m/notes/{item}/0", "in_tune")].value == 1.0
    measures = {m.column: m for m in RunResults.of(store).measures}
    rate = measures["in_tune"]
    assert rate.statistic == "rate" and rate.value == 1.0 and rate.n == 6
    assert measures["octave_error"].value == 1 / 6
    median = measures["abs_pitch_class_error"]
    assert median.statistic == "median" and median.value < 5 and median.n == 6
    metric = get_metric("pitch")
    for m in measures.values():
        if m.status != Status.OK or m.low is None:
            continue
        low, high = metric.column(m.column).range
        assert m.low <= m.value <= m.high, m
        assert low is None or m.low >= low, m
        assert high is None or m.high <= high, m
    cards = json.loads((store.root / "cards.json").read_text())["cards"].values()
    card = next(c["card"] for c in cards if c["metric"] == "pitch")
    assert card["summaries"]["columns"]["in_tune"] == "rate"  # the card declares the summary
    assert "percentile bootstrap" in card["summaries"]["interval"]
    assert card["settings"]["in_tune_cents"] == 50.0
    # the plain |cents| mean is what the octave error would wreck: 1200/6 = 200 cents
    assert measures["abs_cents_error"].value > 150 and not measures["abs_cents_error"].in_summary


def test_interval_of_a_skewed_non_negative_measure_stays_non_negative() -> None:
    values = [1.0, 2.0, 0.5, 3.0, 1.5, 1896.0]  # the report's abs-cents case
    s = summarise_clips(values, [str(i) for i in range(6)], bounds=(0.0, None), key=("t",))
    mean, sd = np.mean(values), np.std(values, ddof=1)
    assert mean - 1.96 * sd / np.sqrt(6) < 0  # the old normal interval went below zero
    assert 0.0 <= s.low <= s.value <= s.high
    assert s.median == 1.75 and (s.q1, s.q3) == (1.125, 2.75)
    rate = summarise_clips([1, 1, 1, 0, 1], list("abcde"), statistic="rate", bounds=(0.0, 1.0))
    assert 0.0 <= rate.low <= 0.8 <= rate.high <= 1.0
    few = summarise_clips([1, 1, 1, 0], list("abcd"), statistic="rate", bounds=(0.0, 1.0))
    assert few.low is None and few.note == "too few items for a verdict (n=4)"


def test_samples_within_items_are_resampled_within_their_item() -> None:
    # five items, two samples each: the interval of the mean is wider than if the ten values
    # were independent items (the items differ, the samples of one item agree)
    values = [0.0, 0.1, 10.0, 10.1, 0.0, 0.1, 10.0, 10.1, 5.0, 5.1]
    clustered = summarise_clips(values, list("aabbccddee"), key=("c",))
    independent = summarise_clips(values, list("abcdefghij"), key=("c",))
    assert clustered.high - clustered.low > independent.high - independent.low
    again = summarise_clips(values, list("aabbccddee"), key=("c",))
    assert (again.low, again.high) == (clustered.low, clustered.high)


def test_every_note_item_rendered_by_the_reference_soundfont_reads_at_its_pitch() -> None:
    """The built-in references' soundfont at each note item's program and pitch: the church
    organ's sub-octave rank (as loud as the note) once read an octave low; no item may."""
    from audioprobe.references.build_notes import open_synth, render_note, soundfont_path
    from audioprobe.references.recipes import load_recipe
    from audioprobe.scoring.pitch import PitchSettings, cents, estimate_f0

    synth = open_synth(soundfont_path(load_recipe("builtin-notes")), 16000)
    off = {}
    for item in load_tier("notes").items:
        note = item.note
        if note.gm_program is None:
            continue
        preset = synth.get_preset_index(0, note.gm_program)
        audio = render_note(synth, preset, note.midi, 0.8, 1.5, 0.5, 16000)
        est = estimate_f0(audio.astype(np.float32), PitchSettings())
        error = cents(est.f0_hz, note.f0_hz) if est.f0_hz else float("inf")
        if abs(error) > 50:
            off[item.id] = round(error)
    assert off == {}


def test_a_tone_truly_an_octave_low_stays_low() -> None:
    """Sawtooth, square, sine and a decaying harmonic tone at C3 are C3, not C4: the
    sub-octave check moves only a lone partial under a note's own harmonic series."""
    from scipy.signal import sawtooth, square

    from audioprobe.scoring.pitch import PitchSettings, cents, estimate_f0

    t = np.arange(32000) / 16000
    w = 2 * np.pi * 130.81 * t
    tones = {
        "sawtooth": sawtooth(w),
        "square": square(w),
        "sine": np.sin(w),
        "harmonic": sum(np.sin(k * w) / k**1.5 for k in range(1, 9)) * np.exp(-t),
    }
    for name, signal in tones.items():
        est = estimate_f0((0.5 * signal).astype(np.float32), PitchSettings())
        assert abs(cents(est.f0_hz, 130.81)) < 10, name
    organ_like = 0.5 * np.sin(w) + sum(0.5 / k * np.sin(2 * k * w) for k in range(1, 6))
    est = estimate_f0(organ_like.astype(np.float32), PitchSettings())
    assert abs(cents(est.f0_hz, 261.63)) < 10  # a sub-octave rank under C4 is C4
