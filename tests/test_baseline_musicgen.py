"""MusicGen baseline: a tiny random MusicGen built here runs through the real loading and
generation code, and lands in the run store as a WAV of the item's length."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from baseline_helpers import TINY_SAMPLE_RATE, build_tiny_musicgen
from typer.testing import CliRunner

from audioprobe.baselines import get_baseline
from audioprobe.cli import app
from audioprobe.store import RunStore
from audioprobe.tiers import load_tier

pytest.importorskip("transformers", reason="the baselines extra (transformers) is not installed")


@pytest.fixture(scope="module")
def tiny_musicgen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_musicgen(tmp_path_factory.mktemp("tiny-musicgen"))


@pytest.fixture
def offline_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No Hub, an empty Hugging Face cache and an empty models folder."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    models = tmp_path / "models"
    monkeypatch.setenv("AUDIOPROBE_MODELS", str(models))
    return models


def test_tiny_musicgen_writes_the_items_duration_at_the_tier_rate(tiny_musicgen, tmp_path):
    tier = load_tier("environmental")
    item = tier.item("dog")
    gen = get_baseline(
        "musicgen-small", name="mg", options={"checkpoint": str(tiny_musicgen), "threads": 1}
    )
    out = tmp_path / "dog.wav"
    params = gen.generate(tier, item, 7, out)

    audio, rate = sf.read(str(out))
    assert rate == tier.sample_rate and audio.ndim == 1
    assert audio.shape[0] == round(item.duration_s * tier.sample_rate)
    assert np.abs(audio).max() > 0
    assert params["seed"] == 7 and params["text"] == item.caption
    assert params["output"]["source_sample_rate"] == TINY_SAMPLE_RATE
    # 5 s at 50 frames a second, plus one token per extra codebook (delay pattern)
    assert params["max_new_tokens"] == 250 + 1
    assert params["weights"]["source"] == "option (folder)"

    again = tmp_path / "again.wav"
    gen.generate(tier, item, 7, again)
    assert np.array_equal(sf.read(str(again))[0], audio), "same seed, same clip"


def test_run_stores_musicgen_trials_found_in_the_models_folder(
    tiny_musicgen, offline_hub, tmp_path
):
    # `audioprobe models pull musicgen-small` would put the files here
    shutil.copytree(tiny_musicgen, offline_hub / "musicgen-small")
    spec = tmp_path / "mg.toml"
    spec.write_text(
        """
name = "mg"
[[tiers]]
name = "notes"
items = ["keyboard-a4"]
[[tiers]]
name = "speech"
items = ["harvard-01"]
[[models]]
name = "musicgen"
kind = "baseline"
model = "musicgen-small"
extra = { threads = 1, guidance_scale = 2.0 }
"""
    )
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(spec), "--out", str(out)])
    assert result.exit_code == 0, result.output
    trials = {t.tier: t for t in RunStore.open(out).trials()}

    note = trials["notes"]
    assert note.status == "ok", note.error
    info = sf.info(str(note.wav_path))
    assert (info.samplerate, info.channels, info.frames) == (16000, 1, 32000)
    assert not (note.dir / "script.py").exists()
    record = json.loads((note.dir / "trial.json").read_text())
    assert record["generator"]["checkpoint"] == "facebook/musicgen-small"
    assert record["generator_params"]["guidance_scale"] == 2.0
    assert record["generator_params"]["seed"] == record["seed"]
    assert str(offline_hub) in record["generator_params"]["weights"]["source"]

    speech = trials["speech"]
    assert speech.status == "unavailable"
    assert "not applicable to tier speech" in speech.error


def test_missing_weights_make_trials_unavailable_with_the_fix(offline_hub, tmp_path):
    tier = load_tier("notes")
    gen = get_baseline("musicgen", name="mg", options={})
    out = tmp_path / "x.wav"
    for _ in range(2):  # the second trial fails the same way without retrying the load
        with pytest.raises(Exception) as caught:
            gen.generate(tier, tier.items[0], 1, out)
        assert type(caught.value).__name__ == "Unavailable"
        message = str(caught.value)
        assert "audioprobe models pull musicgen-small" in message
        assert "huggingface-cli download facebook/musicgen-small" in message
    assert not out.exists()


def test_device_cuda_without_a_gpu_is_unavailable_not_cpu(
    tiny_musicgen, offline_hub, tmp_path, monkeypatch
):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    shutil.copytree(tiny_musicgen, offline_hub / "musicgen-small")
    out = tmp_path / "run"
    args = ["run", "smoke", "-m", "baseline:musicgen", "--tier", "notes", "--device", "cuda"]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    (trial,) = RunStore.open(out).trials()
    assert trial.status == "unavailable"
    assert "device cuda asked for" in trial.error and "sees no CUDA GPU" in trial.error
    assert trial.record.generator["device"] == "cuda"
