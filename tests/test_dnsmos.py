"""DNSMOS, the speech-quality metric: real ONNX models shipped by speechmos, rating a Piper
voice above the same voice in noise, and that above noise alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audioprobe.results.measures import RunResults
from audioprobe.results.records import Status
from audioprobe.results.tables import clip_values
from audioprobe.scoring.config import load_config
from audioprobe.scoring.run import score_run
from tests.score_helpers import make_run, patch_models

pytest.importorskip("speechmos", reason="speechmos is not installed")
pytest.importorskip("piper", reason="piper-tts is not installed")


@pytest.fixture(scope="module")
def piper_clip(tmp_path_factory) -> np.ndarray:
    from audioprobe.baselines import get_baseline
    from audioprobe.tiers import load_tier

    tier = load_tier("speech")
    path = tmp_path_factory.mktemp("piper") / "piper.wav"
    get_baseline("piper", name="piper", options={}).generate(tier, tier.item("harvard-01"), 1, path)
    audio, rate = sf.read(str(path), dtype="float32")
    assert rate == 16000
    return audio


def test_dnsmos_orders_a_voice_above_noise(
    piper_clip, tmp_path: Path, isolated_cache: Path, monkeypatch
) -> None:
    patch_models(monkeypatch, {}, {})
    noise = np.random.default_rng(0).normal(0, 0.1, piper_clip.size).astype(np.float32)
    clips = {
        "piper": [piper_clip, np.zeros(16000, np.float32)],
        "noisy": [np.clip(piper_clip + 0.05 * noise, -1, 1), noise],
    }
    store = make_run(tmp_path / "run", "speech", ["harvard-01", "harvard-02"], clips)
    score_run(store, ["dnsmos"], config=load_config({}))
    by = {(v.trial_id, v.column): v for v in clip_values(store)}
    voice = by[("piper/speech/harvard-01/0", "dnsmos_ovrl")].value
    in_noise = by[("noisy/speech/harvard-01/0", "dnsmos_ovrl")].value
    pure_noise = by[("noisy/speech/harvard-02/0", "dnsmos_ovrl")].value
    assert 1.0 <= pure_noise < in_noise < voice <= 5.0
    assert voice > 2.5 and pure_noise < 1.6
    silent = by[("piper/speech/harvard-02/0", "dnsmos_ovrl")]
    assert silent.status == Status.NOT_APPLICABLE and "silent" in silent.reason
    summary = {(m.model, m.column): m for m in RunResults.of(store).measures}
    assert summary[("piper", "dnsmos_ovrl")].in_summary
    cards = json.loads((store.root / "cards.json").read_text())
    card = next(c["card"] for c in cards["cards"].values() if c["metric"] == "dnsmos")
    assert card["packages"]["speechmos"] != "not installed" and card["window_s"] == 9.01
