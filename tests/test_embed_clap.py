"""CLAP through its real loader (transformers ClapModel/ClapProcessor.from_pretrained) on a tiny
random-weight model the test builds and saves where audioprobe looks ($AUDIOPROBE_MODELS)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from embed_helpers import noise, tone

from audioprobe.errors import Unavailable
from audioprobe.scoring.embeddings.clap import ClapMusic

CAPTIONS = ["a dog barking", "a cat meowing", "a piano note", "rain on a roof", "a siren wailing"]


def _tokenizer(vocab_size: int):
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaTokenizer

    bpe = ByteLevelBPETokenizer()
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    bpe.train_from_iterator(CAPTIONS * 5, vocab_size=vocab_size, special_tokens=specials)
    vocab = bpe.get_vocab()
    merges = [tuple(m) for m in json.loads(bpe.to_str())["model"]["merges"]]
    return RobertaTokenizer(vocab=vocab, merges=merges)


def _save_tiny_clap(folder: Path, tokenizer) -> None:
    import torch
    from transformers import (
        ClapAudioConfig,
        ClapConfig,
        ClapFeatureExtractor,
        ClapModel,
        ClapProcessor,
        ClapTextConfig,
    )

    torch.manual_seed(0)
    text = ClapTextConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=37, max_position_embeddings=80, projection_dim=16,
    )  # fmt: skip
    audio = ClapAudioConfig(
        hidden_size=32, depths=[1, 1], num_attention_heads=[1, 1], patch_embeds_hidden_size=16,
        projection_dim=16, spec_size=256, window_size=8, num_mel_bins=64,
    )  # fmt: skip
    config = ClapConfig(text_config=text.to_dict(), audio_config=audio.to_dict(), projection_dim=16)
    ClapModel(config).save_pretrained(folder)
    features = ClapFeatureExtractor(truncation="rand_trunc")
    ClapProcessor(feature_extractor=features, tokenizer=tokenizer).save_pretrained(folder)


@pytest.fixture(scope="module")
def tiny_clap_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models")
    _save_tiny_clap(root / "clap-music", _tokenizer(300))
    return root


def test_tiny_clap_loads_through_the_real_loader_and_embeds(
    tiny_clap_models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDIOPROBE_MODELS", str(tiny_clap_models))
    clap = ClapMusic()
    ok, reason = clap.available()
    assert ok, reason
    sr = clap.sample_rate
    clips = [tone(440, 2.0, sr), noise(2.0, sr), tone(440, 12.0, sr)]
    audio = clap.embed(clips)
    assert audio.shape == (3, 16) and clap.dim == 16
    assert not np.allclose(audio[0], audio[1])
    assert np.allclose(np.linalg.norm(audio, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(audio, clap.embed(clips))  # >10 s clips are cut, not randomly cropped
    text = clap.embed_text(CAPTIONS[:2])
    assert text.shape == (2, 16) and not np.allclose(text[0], text[1])
    cosine = audio @ text.T
    assert cosine.shape == (3, 2) and np.all(np.abs(cosine) <= 1.0 + 1e-5)
    assert clap.checkpoint_sha256 and clap.version.endswith(clap.checkpoint_sha256[:12])


def test_degenerate_tokenizer_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from transformers import RobertaTokenizer

    _save_tiny_clap(tmp_path / "clap-music", RobertaTokenizer())  # 5 tokens, as offline
    monkeypatch.setenv("AUDIOPROBE_MODELS", str(tmp_path))
    with pytest.raises(Unavailable, match="only 5 tokens"):
        ClapMusic().embed_text(["a dog barking"])


def test_missing_clap_weights_give_unavailable_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDIOPROBE_MODELS", str(tmp_path))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    clap = ClapMusic()
    ok, reason = clap.available()
    assert not ok
    assert "audioprobe models pull clap-music" in reason and str(tmp_path) in reason
    with pytest.raises(Unavailable, match="models pull clap-music"):
        clap.embed([tone(440, 1.0, clap.sample_rate)])
    assert clap.version.endswith("unavailable")


def test_clap_scores_and_zero_shot_use_the_audio_text_cosine(
    tiny_clap_models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from audioprobe.scoring.clap_text import clap_scores, zero_shot

    monkeypatch.setenv("AUDIOPROBE_MODELS", str(tiny_clap_models))
    clap = ClapMusic()
    clips = [tone(440, 2.0, clap.sample_rate), noise(2.0, clap.sample_rate)]
    scores = clap_scores(clap, clips, CAPTIONS[:2])
    expected = np.sum(clap.embed(clips) * clap.embed_text(CAPTIONS[:2]), axis=1)
    assert scores.shape == (2,) and np.allclose(scores, expected, atol=1e-5)
    classes = ["dog", "cat", "rain"]
    predicted, _ = zero_shot(clap, clips, ["dog", "cat"], classes)
    assert set(predicted) <= set(classes)
    _, accuracy = zero_shot(clap, clips, predicted, classes)
    assert accuracy == 1.0
    with pytest.raises(ValueError, match="not among the classes"):
        zero_shot(clap, clips, ["dog", "siren"], classes)


def test_score_and_the_python_helper_give_the_same_zero_shot_accuracy(
    tiny_clap_models: Path, tmp_path: Path, isolated_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`audioprobe score` (metric clap_zeroshot, embeddings through the cache) and
    clap_text.zero_shot are one implementation: same clips, same accuracy and CLAP scores."""
    from score_helpers import make_run
    from typer.testing import CliRunner

    from audioprobe.cli import app
    from audioprobe.results.tables import clip_values, set_values
    from audioprobe.scoring.clap_text import clap_scores, zero_shot
    from audioprobe.scoring.embeddings import get_embedding

    monkeypatch.setenv("AUDIOPROBE_MODELS", str(tiny_clap_models))
    get_embedding.cache_clear()
    clap = ClapMusic()
    sr = clap.sample_rate
    items = ["dog", "rooster", "pig", "cow", "frog", "cat"]
    clips = [tone(220.0 * (k + 1), 1.5, sr) if k % 2 else noise(1.5, sr, seed=k) for k in range(6)]
    scoring = {"tiers": {"environmental": {"clap": "clap-music", "embeddings": []}}}
    store = make_run(tmp_path / "run", "environmental", items, {"m": clips}, scoring, sr=sr)
    result = CliRunner().invoke(
        app, ["score", str(store.root), "-q", "-m", "clap_zeroshot,clap_score"]
    )
    assert result.exit_code == 0, result.output

    (value,) = [v for v in set_values(store) if v.column == "clap_zeroshot"]
    _, accuracy = zero_shot(clap, clips, items, sorted(items))  # each item is its own class
    assert value.value == accuracy and value.n_generated == 6
    captions = [store.item("environmental", i).caption for i in items]
    expected = dict(zip(items, clap_scores(clap, clips, captions), strict=True))
    scored = {v.trial_id.split("/")[2]: v.value for v in clip_values(store)}
    assert scored == pytest.approx(expected, abs=1e-5)
    get_embedding.cache_clear()
