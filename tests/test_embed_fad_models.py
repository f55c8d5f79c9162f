"""VGGish through its real loader on random weights of the real shape, placed in the torch hub
cache where frechet-audio-distance's torch.hub download would have put them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from embed_helpers import noise, tone

from audioprobe.errors import Unavailable
from audioprobe.scoring.embeddings.fad_models import Encodec, Pann, Vggish


@pytest.fixture(scope="module")
def torch_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from torchvggish.torchvggish import VGG, make_layers

    home = tmp_path_factory.mktemp("torch")
    checkpoints = home / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    torch.manual_seed(0)
    state = {k: v.half() for k, v in VGG(make_layers(), postprocess=False).state_dict().items()}
    torch.save(state, checkpoints / "vggish-10086976.pth")  # half precision keeps the file small
    return home


def test_vggish_loads_from_the_torch_hub_cache_and_embeds(
    torch_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(torch_home))
    monkeypatch.setenv("AUDIOPROBE_MODELS", str(tmp_path / "models"))
    vggish = Vggish()
    ok, reason = vggish.available()
    assert ok and str(torch_home) in reason, reason
    clips = [tone(440, 2.0, 16_000), noise(3.0, 16_000)]
    out = vggish.embed(clips)
    assert out.shape == (2, 128) and out.dtype == np.float32
    assert not np.allclose(out[0], out[1])
    frames = vggish.embed_frames(clips)
    assert [f.shape for f in frames] == [(2, 128), (3, 128)]  # one per 0.96 s
    assert (out < 0).any()  # the final ReLU is removed, as frechet-audio-distance does
    assert np.array_equal(out, vggish.embed(clips))


@pytest.mark.parametrize("cls", [Vggish, Pann, Encodec])
def test_missing_checkpoints_or_libraries_are_unavailable_with_the_fix(
    cls: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("AUDIOPROBE_MODELS", str(tmp_path / "models"))
    emb = cls()
    ok, reason = emb.available()
    assert not ok
    # absent weights name the pull command; a library that fails to import names the pip line
    assert f"audioprobe models pull {emb.name}" in reason or "pip install" in reason, reason
    with pytest.raises(Unavailable):
        emb.embed([tone(440, 2.0, emb.sample_rate)])


def test_equal_length_batches_give_each_clip_the_value_it_gets_alone() -> None:
    """PANN runs equal-length clips as one batch (the GPU path's point); mixed lengths are
    grouped, results come back in the clips' order, and match one-clip-at-a-time runs."""
    import torch

    from audioprobe.scoring.embeddings.fad_models import _fad_pann_module

    torch.manual_seed(0)
    pann = Pann()
    model = _fad_pann_module().Cnn14_16k(
        sample_rate=16000, window_size=512, hop_size=160, mel_bins=64, fmin=50, fmax=8000,
        classes_num=527,
    ).eval()  # fmt: skip
    pann._model = model  # the real network, random weights: this test is about batching
    clips = [noise(1.0, 16000, seed=0), noise(1.5, 16000, seed=1), noise(1.0, 16000, seed=2)]
    assert pann._batches([len(c) for c in clips]) == [[0, 2], [1]]
    batched = pann.embed_frames(clips)
    alone = [pann._embed_frames(model, [c])[0] for c in clips]
    for got, want in zip(batched, alone, strict=True):
        assert got.shape == (1, 2048)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
