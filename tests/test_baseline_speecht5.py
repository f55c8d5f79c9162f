"""SpeechT5 baseline: a tiny random SpeechT5 + HiFi-GAN built here runs through the real
loading and generation code; its seed reaches the prenet's dropout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from baseline_helpers import build_tiny_speecht5

from audioprobe.baselines import get_baseline
from audioprobe.errors import Unavailable
from audioprobe.tiers import load_tier

pytest.importorskip("transformers", reason="the baselines extra (transformers) is not installed")
pytest.importorskip("sentencepiece", reason="the baselines extra (sentencepiece) is not installed")


@pytest.fixture(scope="module")
def tiny_speecht5(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_tiny_speecht5(tmp_path_factory.mktemp("tiny-speecht5"))


def test_tiny_speecht5_speaks_with_its_vocoder_and_records_the_voice(tiny_speecht5, tmp_path):
    tts, vocoder = tiny_speecht5
    tier = load_tier("speech")
    item = tier.item("harvard-02")
    # A random model's stop token fires at random; a minimum length makes the clip long enough.
    options = {
        "checkpoint": str(tts),
        "vocoder": str(vocoder),
        "threads": 1,
        "minlenratio": 4.0,
        "maxlenratio": 8.0,
    }
    gen = get_baseline("speecht5", name="t5", options=options)
    clips = {}
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        params = gen.generate(tier, item, seed, tmp_path / f"{name}.wav")
        clips[name], rate = sf.read(str(tmp_path / f"{name}.wav"))
    assert rate == 16000 and clips["a"].ndim == 1 and clips["a"].shape[0] > 2000
    assert np.abs(clips["a"]).max() > 1e-3
    assert params["duration_control"] == "natural"
    assert params["speaker_embedding"] == str(tts / "speaker_embedding.npy")
    assert params["vocoder"]["path"] == str(vocoder.resolve())
    assert np.array_equal(clips["a"], clips["b"])
    assert not np.array_equal(clips["a"], clips["c"])


def test_speecht5_without_a_speaker_vector_is_unavailable(tiny_speecht5, tmp_path):
    tts, vocoder = tiny_speecht5
    tier = load_tier("speech")
    missing = tmp_path / "none.npy"
    gen = get_baseline(
        "speecht5",
        name="t5",
        options={
            "checkpoint": str(tts),
            "vocoder": str(vocoder),
            "speaker_embedding": str(missing),
        },
    )
    with pytest.raises(Unavailable, match="no speaker x-vector"):
        gen.generate(tier, tier.items[0], 0, tmp_path / "x.wav")
    assert not (tmp_path / "x.wav").exists()
