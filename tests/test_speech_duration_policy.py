"""The speech duration policy: a sentence padded with silence to the requested duration is
embedded as the sentence it is, for systems and references alike, and the card says so."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from audioprobe.results.tables import set_values
from audioprobe.scoring.audio import AnalysisSettings, prepare
from audioprobe.scoring.config import load_config
from audioprobe.scoring.run import score_run
from tests.score_helpers import FakeEmbedding, make_refs, make_run, patch_models, tone

ITEMS = ["harvard-01", "harvard-02", "harvard-03", "harvard-04"]


def _padded(clip: np.ndarray, before_s: float, after_s: float) -> np.ndarray:
    return np.concatenate(
        [np.zeros(int(before_s * 16000), np.float32), clip, np.zeros(int(after_s * 16000))]
    ).astype(np.float32)


def test_trimming_cuts_silence_on_both_sides_only() -> None:
    voice = tone(220.0, 1.0, noise=0.02)
    whole = prepare(_padded(voice, 0.8, 1.7), 16000, 16000, AnalysisSettings(), extend=False)
    trimmed = prepare(
        _padded(voice, 0.8, 1.7),
        16000,
        16000,
        AnalysisSettings(trim_silence_db=40.0),
        extend=False,
    )
    assert whole.audio.size == int(3.5 * 16000)
    assert abs(trimmed.audio.size - voice.size) <= 512  # librosa keeps whole frames of 256
    assert trimmed.duration_s == whole.duration_s == 3.5  # the true length is kept


def test_padding_to_the_contract_costs_nothing_in_speech_fad(
    tmp_path: Path, isolated_cache: Path, monkeypatch
) -> None:
    refs = make_refs(tmp_path / "refs", {"speech": 180.0})
    patch_models(monkeypatch, {"aisfx": FakeEmbedding("aisfx")}, {"speech": refs})
    bare = [tone(200.0 + 15 * k, 1.2, noise=0.05, seed=k) for k in range(len(ITEMS))]
    clips = {"bare": bare, "padded": [_padded(c, 1.0, 1.3) for c in bare]}
    store = make_run(tmp_path / "run", "speech", ITEMS, clips)
    over = {
        "bootstrap": {"n": 0},
        "sets": {"per_class": False},
        "tiers": {"speech": {"embeddings": ["aisfx"]}},
    }
    score_run(store, ["fad"], config=load_config(over))
    fad = {v.model: v.value for v in set_values(store) if v.column == "fad"}
    assert fad["bare"] > 0 and abs(fad["padded"] - fad["bare"]) < 0.2 * fad["bare"]
    cards = json.loads((store.root / "cards.json").read_text())["cards"].values()
    card = next(c["card"] for c in cards if c["metric"] == "fad")
    assert card["embedding"]["analysis"]["trim_silence_db"] == 40.0

    # without the policy (0 turns the speech kind's trim off) the padded set is measured as a
    # different sound
    whole = {**over, "tiers": {"speech": {"embeddings": ["aisfx"], "trim_silence_db": 0}}}
    untrimmed = make_run(tmp_path / "run2", "speech", ITEMS, clips)
    score_run(untrimmed, ["fad"], config=load_config(whole))
    fad = {v.model: v.value for v in set_values(untrimmed) if v.column == "fad"}
    assert fad["padded"] > 5 * fad["bare"]
