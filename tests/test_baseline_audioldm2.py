"""AudioLDM 2 baseline: a tiny random AudioLDM 2 pipeline built here (CLAP, T5, GPT-2, UNet,
VAE, HiFi-GAN) runs through diffusers' real loading and generation code."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from baseline_helpers import build_tiny_audioldm2

from audioprobe.baselines import get_baseline
from audioprobe.tiers import load_tier

pytest.importorskip("diffusers", reason="the baselines extra (diffusers) is not installed")


def test_tiny_audioldm2_writes_the_items_duration_and_follows_its_seed(tmp_path):
    checkpoint = build_tiny_audioldm2(tmp_path / "ckpt")
    tier = load_tier("environmental")
    item = tier.item("dog")
    gen = get_baseline(
        "audioldm2",
        name="ldm",
        options={"checkpoint": str(checkpoint), "threads": 1, "steps": 2},
    )
    clips = {}
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        params = gen.generate(tier, item, seed, tmp_path / f"{name}.wav")
        clips[name], rate = sf.read(str(tmp_path / f"{name}.wav"))
    assert rate == tier.sample_rate and clips["a"].ndim == 1
    assert clips["a"].shape[0] == round(item.duration_s * tier.sample_rate)
    assert params["num_inference_steps"] == 2 and params["audio_length_in_s"] == item.duration_s
    assert params["negative_prompt"] == "low quality, average quality"
    assert params["text"] == item.caption
    assert np.array_equal(clips["a"], clips["b"])
    assert not np.array_equal(clips["a"], clips["c"])
