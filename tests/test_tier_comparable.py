"""The tier-comparable measures: normalised FAD (references ≈ 0, white noise ≈ 1, at one matched
n) and task success (a rate in [0, 1] by each tier's declared criterion)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audioprobe.results.tables import set_values
from audioprobe.scoring.config import load_config
from audioprobe.scoring.metrics.task_success import knn_classes
from audioprobe.scoring.run import score_run
from audioprobe.tiers import load_tier
from tests.score_helpers import FakeEmbedding, make_refs, make_run, patch_models, tone

N = 8


def _like_refs(f0: float, k: int) -> np.ndarray:
    """A clip drawn the way make_refs draws its clips (another seed): a real-reference stand-in."""
    return tone(f0 * (1 + 0.01 * (k % 12)), 1.0, noise=0.05, seed=5000 + k)


def _noise(k: int) -> np.ndarray:
    return np.random.default_rng(900 + k).normal(0, 0.25, 16000).clip(-1, 1).astype(np.float32)


@pytest.mark.parametrize("tier", ["notes", "environmental", "speech"])
def test_references_score_near_zero_and_noise_near_one(
    tier: str, tmp_path: Path, isolated_cache: Path, monkeypatch
) -> None:
    items = [i.id for i in load_tier(tier).items][:N]
    classes = sorted({load_tier(tier).item(i).class_key for i in items})
    f0s = {c: 180.0 + 70.0 * k for k, c in enumerate(classes)}
    refs = make_refs(tmp_path / "refs", f0s, per_class=max(24, 2 * N))
    patch_models(monkeypatch, {"aisfx": FakeEmbedding("aisfx")}, {tier: refs})
    item_class = [load_tier(tier).item(i).class_key for i in items]
    clips = {
        "refs": [_like_refs(f0s[c], k) for k, c in enumerate(item_class)],
        "noise": [_noise(k) for k in range(len(items))],
    }
    store = make_run(tmp_path / "run", tier, items, clips)
    over = {"sets": {"per_class": False}, "tiers": {tier: {"embeddings": ["aisfx"]}}}
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
    assert knn_classes(np.array([[1, 0.05], [0.05, 1]]), ref, labels, 3) == ["dog", "cat"]
    assert knn_classes(np.array([[0.05, 1]]), ref, labels, 1) == ["cat"]


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
    # in tune; 3 semitones off; not rendered; an octave up (in tune by pitch class)
    assert got["half"].value == 0.5
    assert got["half"].extra["outcomes"] == {
        "half/notes/keyboard-a4/0": 1.0,
        "half/notes/sine-a4/0": 0.0,
        "half/notes/guitar-a3/0": 0.0,
        "half/notes/keyboard-c4/0": 1.0,
    }
    assert 0.0 <= got["half"].ci_low <= 0.5 <= got["half"].ci_high <= 1.0
