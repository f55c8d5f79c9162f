"""The reference systems that frame a study's numbers: eSpeak NG (rule-based speech) and the null
systems, silence and white noise, each a function of its trial's seed, beside the models."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from audioprobe.baselines import get_baseline
from audioprobe.cli import app
from audioprobe.errors import Unavailable
from audioprobe.store import RunStore
from audioprobe.tiers import load_tier

REPO = Path(__file__).resolve().parents[1]
needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="Debian's espeak-ng is not installed (make install)"
)


def _generate(name: str, tier_name: str, item_id: str, seed: int, path: Path) -> np.ndarray:
    tier = load_tier(tier_name)
    get_baseline(name, name=name, options={}).generate(tier, tier.item(item_id), seed, path)
    audio, rate = sf.read(str(path))
    assert rate == tier.sample_rate and audio.ndim == 1
    return audio


@pytest.mark.parametrize("tier,item", [("notes", "sine-a4"), ("environmental", "rain")])
def test_noise_is_white_of_the_items_length_and_its_seed_decides_it(tmp_path, tier, item):
    a = _generate("noise", tier, item, 7, tmp_path / "a.wav")
    b = _generate("noise", tier, item, 7, tmp_path / "b.wav")
    c = _generate("noise", tier, item, 8, tmp_path / "c.wav")
    target = load_tier(tier).item(item)
    assert a.shape[0] == round(target.duration_s * 16000)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert abs(np.std(a) - 0.25) < 0.01 and abs(np.mean(a)) < 0.01
    # white: the spectrum is flat, the top band holds a quarter of the power as the bottom one does
    power = np.abs(np.fft.rfft(a)) ** 2
    quarters = [q.mean() for q in np.array_split(power[1:], 4)]
    assert max(quarters) / min(quarters) < 1.2


def test_silence_is_recorded_invalid_audio_on_every_tier_and_noise_ok(tmp_path, isolated_cache):
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        ["run", str(REPO / "experiments/smoke.toml"), "-m", "baseline:silence",
         "-m", "baseline:noise", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    trials = {(t.model, t.tier): t for t in RunStore.open(out).trials()}
    assert len(trials) == 6
    for tier in ("notes", "environmental", "speech"):
        silent, noise = trials[("silence", tier)], trials[("noise", tier)]
        assert silent.status == "invalid_audio" and "silent" in silent.error
        assert noise.status == "ok", noise.error
        assert noise.record.generator["baseline"] == "noise"
        assert noise.record.generator_params["seed"] == noise.record.seed
        assert noise.record.generator_params["text"] == ""  # no prompt is read


@needs_espeak
def test_espeak_speaks_the_sentence_deterministically_and_records_its_version(tmp_path):
    a = _generate("espeak-ng", "speech", "harvard-01", 1, tmp_path / "a.wav")
    b = _generate("espeak-ng", "speech", "harvard-02", 1, tmp_path / "b.wav")
    again = _generate("espeak-ng", "speech", "harvard-01", 99, tmp_path / "again.wav")
    assert np.array_equal(a, again)  # rule-based: neither seed nor run changes a clip
    assert not np.array_equal(a[: b.size], b[: a.size])
    assert 1.0 < a.size / 16000 < 6.0 and np.max(np.abs(a)) > 0.1
    described = get_baseline("espeak-ng", name="espeak", options={}).describe()
    version = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout
    assert described["program"]["version"] and described["program"]["version"] in version
    assert described["baseline"] == "espeak-ng"


@needs_espeak
def test_espeak_is_not_applicable_to_notes_and_unavailable_without_the_program(
    tmp_path, monkeypatch
):
    tier = load_tier("notes")
    with pytest.raises(Unavailable, match="not applicable to tier notes"):
        get_baseline("espeak-ng", name="e", options={}).generate(
            tier, tier.items[0], 0, tmp_path / "x.wav"
        )
    monkeypatch.setenv("PATH", str(tmp_path))
    speech = load_tier("speech")
    with pytest.raises(Unavailable, match="apt-get install espeak-ng"):
        get_baseline("espeak-ng", name="e", options={}).generate(
            speech, speech.items[0], 0, tmp_path / "y.wav"
        )


def test_an_unknown_option_of_a_null_system_names_the_known_ones():
    from audioprobe.errors import ConfigError

    with pytest.raises(ConfigError, match=r"unknown option 'level'.*std"):
        get_baseline("noise", name="noise", options={"level": 2})
    assert json.dumps(get_baseline("silence", name="s", options={}).describe())
