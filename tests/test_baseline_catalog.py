"""The baseline catalog and its errors: names, options and missing weights said plainly."""

from __future__ import annotations

from pathlib import Path

import pytest

from audioprobe.baselines import get_baseline, list_baselines
from audioprobe.errors import ConfigError, Unavailable
from audioprobe.tiers import load_tier


def test_every_catalog_entry_opens_without_loading_weights():
    entries = list_baselines()
    assert {"piper", "musicgen-small", "audioldm2", "speecht5"} <= {e.key for e in entries}
    for entry in entries:
        gen = get_baseline(entry.key, name=f"b-{entry.key}", options={"device": "cpu"})
        described = gen.describe()
        assert described["baseline"] == entry.key and described["license"]
        assert described["tiers"] == entry.tiers


def test_unknown_baseline_lists_the_known_ones():
    with pytest.raises(ConfigError, match="known baselines: piper") as caught:
        get_baseline("wavenet", name="w", options={})
    assert "musicgen-small (alias musicgen)" in str(caught.value)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"step": 10}, "unknown option 'step'; known: .*steps"),
        ({"steps": "ten"}, "steps='ten': expected int"),
        ({"guidance_scale": True}, "guidance_scale=True: expected int/float"),
        ({"device": "gpu"}, "expected cpu, cuda, cuda:N or auto"),
        ({"prompt": "title"}, "expected caption, request or sentence"),
    ],
)
def test_bad_options_fail_before_the_run(options, expected):
    with pytest.raises(ConfigError, match=expected):
        get_baseline("audioldm2", name="ldm", options=options)


def test_missing_diffusers_checkpoint_says_how_to_get_it(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("AUDIOPROBE_MODELS", str(tmp_path / "models"))
    tier = load_tier("environmental")
    gen = get_baseline("audioldm2", name="ldm", options={})
    with pytest.raises(Unavailable, match="huggingface-cli download cvssp/audioldm2"):
        gen.generate(tier, tier.items[0], 0, tmp_path / "x.wav")


def test_a_checkpoint_option_that_is_not_a_checkpoint_is_unavailable(tmp_path: Path):
    tier = load_tier("speech")
    gen = get_baseline("speecht5", name="t5", options={"checkpoint": str(tmp_path)})
    with pytest.raises(Unavailable, match="no checkpoint at"):
        gen.generate(tier, tier.items[0], 0, tmp_path / "x.wav")
