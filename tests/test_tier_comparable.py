"""The tier-comparable measures: normalised FAD (references ≈ 0, white noise ≈ 1, at one declared
n) and task success (a rate in [0, 1] by each tier's declared criterion)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from audioprobe.results.tables import clip_values, set_values
from audioprobe.scoring.config import load_config
from audioprobe.scoring.metrics.task_success import knn_vote
from audioprobe.scoring.run import score_run
from audioprobe.tiers import load_tier
from tests.score_helpers import FakeEmbedding, make_refs, make_run, patch_models, tone

N = 8


def _like_refs(f0: float, k: int) -> np.ndarray:
    """A clip drawn the way make_refs draws its clips (another seed): a real-reference stand-in."""
    return tone(f0 * (1 + 0.01 * (k % 12)), 1.0, noise=0.05, seed=5000 + k)


def _noise(k: int) -> np.ndarray:
    return np.random.default_rng(900 + k).normal(0, 0.25, 16000).clip(-1, 1).astype(np.float32)


@pytest.mark.parametrize(
    ("tier", "embedding_rate"),
    [("notes", 16000), ("environmental", 16000), ("speech", 16000), ("notes", 44100)],
)
def test_references_score_near_zero_and_noise_near_one(
    tier: str, embedding_rate: int, tmp_path: Path, isolated_cache: Path, monkeypatch
) -> None:
    """Also where the embedding's rate is above the tier's (aisfx reads 44.1 kHz, the tiers are
    16 kHz): the noise anchor has the tier's band, so a noise system still scores about 1."""
    items = [i.id for i in load_tier(tier).items][:N]
    classes = sorted({load_tier(tier).item(i).class_key for i in items})
    f0s = {c: 180.0 + 70.0 * k for k, c in enumerate(classes)}
    refs = make_refs(tmp_path / "refs", f0s, per_class=max(24, 2 * N))
    embedding = FakeEmbedding("aisfx", sample_rate=embedding_rate)
    patch_models(monkeypatch, {"aisfx": embedding}, {tier: refs})
    item_class = [load_tier(tier).item(i).class_key for i in items]
    clips = {
        "refs": [_like_refs(f0s[c], k) for k, c in enumerate(item_class)],
        "noise": [_noise(k) for k in range(len(items))],
    }
    store = make_run(tmp_path / "run", tier, items, clips)
    over = {
        "sets": {"per_class": False},
        "tiers": {tier: {"embeddings": ["aisfx"]}},
        "fad_norm": {"n": N},
    }
    score_run(store, ["fad_norm"], config=load_config(over))
    got = {v.model: v for v in set_values(store) if v.column == "fad_norm"}
    n = {v.extra["matched_n"] for v in got.values()}
    assert n == {len(items)}  # the same n for both systems
    assert abs(got["refs"].value) < 0.25, got["refs"]
    assert abs(got["noise"].value - 1.0) < 0.1, got["noise"]
    for v in got.values():
        assert v.ci_low <= v.value <= v.ci_high


def test_knn_recognises_the_class_of_the_nearest_references() -> None:
    ref = np.array([[1, 0], [0.9, 0.1], [0.8, 0.2], [0, 1], [0.1, 0.9]], dtype=float)
    labels = ["dog", "dog", "dog", "cat", "cat"]
    assert knn_vote(np.array([[1, 0.05], [0.05, 1]]), ref, labels, 3)[0] == ["dog", "cat"]
    assert knn_vote(np.array([[0.05, 1]]), ref, labels, 1)[0] == ["cat"]


def test_task_success_of_notes_counts_failed_renders_as_failures(
    tmp_path: Path, isolated_cache: Path, monkeypatch
) -> None:
    patch_models(monkeypatch, {}, {})
    notes = load_tier("notes")
    items = ["keyboard-a4", "sine-a4", "guitar-a3", "keyboard-c4"]
    f0 = [notes.item(i).note.f0_hz for i in items]
    clips = {
        "good": [tone(f) for f in f0],
        "half": [tone(f0[0]), tone(f0[1] * 2 ** (3 / 12)), None, tone(f0[3] * 2.0)],
    }
    store = make_run(tmp_path / "run", "notes", items, clips)
    score_run(store, ["pitch", "task_success"], config=load_config({}))
    got = {v.model: v for v in set_values(store) if v.column == "task_success"}
    assert got["good"].value == 1.0 and got["good"].n_generated == 4
    # in tune; 3 semitones off; not rendered; an octave up (in tune by pitch class, but not
    # what the item asked: task success is octave-exact)
    assert got["half"].value == 0.25
    assert got["half"].extra["outcomes"] == {
        "half/notes/keyboard-a4/0": 1.0,
        "half/notes/sine-a4/0": 0.0,
        "half/notes/guitar-a3/0": 0.0,
        "half/notes/keyboard-c4/0": 0.0,
    }
    octave = got["half"].extra["trials"]["half/notes/keyboard-c4/0"]
    assert octave["facts"]["octaves"] == 1 and "+1 octave" in octave["reason"]
    in_tune = {v.trial_id: v.value for v in clip_values(store) if v.column == "in_tune"}
    assert in_tune["half/notes/keyboard-c4/0"] == 1.0  # the pitch-class measure keeps it
    assert got["half"].ci_low is None and "too few items for a verdict (n=4)" in got["half"].flags


def test_environmental_task_success_is_recognition_by_nearest_references(
    tmp_path: Path, isolated_cache: Path, monkeypatch
) -> None:
    f0s = {"dog": 200.0, "rooster": 900.0, "pig": 420.0}
    refs = make_refs(tmp_path / "refs", f0s, per_class=8)
    patch_models(monkeypatch, {"aisfx": FakeEmbedding("aisfx")}, {"environmental": refs})
    items = ["dog", "rooster", "pig"]
    clips = {
        "right": [tone(f0s[i], noise=0.05, seed=k) for k, i in enumerate(items)],
        "swapped": [tone(f0s["rooster"], noise=0.05), tone(f0s["rooster"], noise=0.05), None],
    }
    store = make_run(tmp_path / "run", "environmental", items, clips)
    over = {"tiers": {"environmental": {"embeddings": ["aisfx"], "clap": "clap-general"}}}
    score_run(store, ["task_success"], config=load_config(over))
    got = {v.model: v for v in set_values(store) if v.column == "task_success"}
    assert got["right"].value == 1.0
    # a rooster for the dog (wrong), a rooster for the rooster (right), no pig rendered
    assert got["swapped"].value == pytest.approx(1 / 3)
    cards = json.loads((store.root / "cards.json").read_text())["cards"].values()
    card = next(c["card"] for c in cards if c["metric"] == "task_success")
    assert card["classes"] == ["dog", "pig", "rooster"] and "kNN alone" in card["clap"]


class _Transcriber:
    """Hears every clip as the first Harvard sentence."""

    version = "fake"
    checkpoint_sha256 = None

    def available(self) -> tuple[bool, str]:
        return True, ""

    def transcribe(self, audio, rate) -> str:
        return "The birch canoe slid on the smooth planks."


def test_speech_task_success_is_wer_within_the_declared_threshold(
    tmp_path: Path, isolated_cache: Path, monkeypatch
) -> None:
    import audioprobe.scoring.asr as asr

    patch_models(monkeypatch, {}, {})
    monkeypatch.setattr(asr, "get_transcriber", lambda name, device="cpu": _Transcriber())
    items = ["harvard-01", "harvard-02", "harvard-03"]
    store = make_run(tmp_path / "run", "speech", items, {"m": [tone(200.0), tone(210.0), None]})
    score_run(store, ["wer", "task_success"], config=load_config({}))
    got = next(v for v in set_values(store) if v.column == "task_success")
    assert got.value == pytest.approx(1 / 3)  # right sentence; wrong sentence; not rendered
    assert got.extra["outcomes"]["m/speech/harvard-01/0"] == 1.0


def test_task_success_without_its_clip_metric_says_what_to_score(
    tmp_path: Path, isolated_cache: Path, monkeypatch
) -> None:
    patch_models(monkeypatch, {}, {})
    store = make_run(tmp_path / "run", "notes", ["keyboard-a4"], {"m": [tone(440.0)]})
    score_run(store, ["task_success"], config=load_config({}))
    got = next(v for v in set_values(store) if v.column == "task_success")
    assert got.status.value == "unavailable" and "-m pitch,task_success" in got.reason
