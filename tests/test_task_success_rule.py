"""One task-success rule: the feedback loop's verdict on a round's clip (feedback/rounds.py's
_judge, from its audio analysis) and the scored `task_success` verdict on the same clip agree,
on notes an octave low, a few cents off and in tune, and on real speech transcribed by Whisper."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf

from audioprobe.feedback.rounds import _judge
from audioprobe.feedback.success import success_settings
from audioprobe.results.tables import set_values
from audioprobe.scoring.config import load_config
from audioprobe.scoring.run import score_run
from audioprobe.tiers import load_tier
from audioprobe.trial_record import TrialResult
from tests.score_helpers import make_run, patch_models

SR = 16000


def _note(f0: float, seconds: float = 2.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    tone = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 7)) * np.exp(-2 * t)
    return (0.5 * tone / np.abs(tone).max()).astype(np.float32)


def _feedback_verdicts(store, tier_name: str) -> dict[str, bool | None]:
    """Each trial's clip judged as the feedback loop judges a round."""
    tier = load_tier(tier_name)
    ctx = SimpleNamespace(exec_slots=asyncio.Semaphore(1))
    rules = success_settings({})
    out = {}
    for trial in store.trials():
        record = TrialResult(status=trial.status)
        stage = trial.dir
        asyncio.run(_judge(ctx, record, stage, tier, tier.item(trial.item), rules))
        out[trial.trial_id] = record.round_success
    return out


def _scored_verdicts(store) -> dict[str, bool | None]:
    (value,) = [v for v in set_values(store) if v.metric == "task_success" and not v.class_key]
    return {k: v["success"] for k, v in value.extra["trials"].items()}


def test_notes_feedback_and_scoring_agree_clip_for_clip(
    tmp_path: Path, isolated_cache: Path, monkeypatch
) -> None:
    patch_models(monkeypatch, {}, {})
    notes = load_tier("notes")
    items = ["keyboard-a4", "keyboard-c4", "organ-c4", "guitar-a3", "keyboard-e5"]
    f0 = [notes.item(i).note.f0_hz for i in items]
    cents = [0.0, -1200.0, 30.0, 70.0, 1200.0]  # right, octave low, near, off, octave high
    clips = [_note(f * 2 ** (c / 1200)) for f, c in zip(f0, cents, strict=True)]
    store = make_run(tmp_path / "run", "notes", items, {"m": clips})
    score_run(store, ["pitch", "task_success"], config=load_config({}))
    scored, fed_back = _scored_verdicts(store), _feedback_verdicts(store, "notes")
    assert scored == fed_back
    assert [scored[f"m/notes/{i}/0"] for i in items] == [True, False, True, False, False]


@pytest.mark.slow  # Whisper is loaded twice (scoring, then the feedback analysis): minutes here
def test_speech_feedback_and_scoring_agree_on_real_speech(
    tmp_path: Path, isolated_cache: Path, monkeypatch
) -> None:
    patch_models(monkeypatch, {}, {})
    speech = load_tier("speech")
    items = ["harvard-01", "harvard-02"]
    clips = []
    for k in range(len(items)):
        wav = tmp_path / f"say{k}.wav"
        # harvard-02's clip says harvard-01's sentence: a wrong sentence, a failure
        sentence = speech.item(items[0]).speech.sentence
        subprocess.run(["espeak-ng", "-s", "150", "-w", str(wav), sentence], check=True)
        audio, rate = sf.read(wav, dtype="float32")
        import soxr

        clips.append(soxr.resample(audio, rate, SR).astype(np.float32))
    store = make_run(tmp_path / "run", "speech", items, {"m": clips})
    score_run(store, ["wer", "task_success"], config=load_config({}))
    scored, fed_back = _scored_verdicts(store), _feedback_verdicts(store, "speech")
    assert scored == fed_back
    assert scored["m/speech/harvard-02/0"] is False  # another sentence
    (value,) = [v for v in set_values(store) if v.metric == "task_success" and not v.class_key]
    heard = value.extra["trials"]["m/speech/harvard-01/0"]
    assert heard["facts"]["word_error"] is not None  # espeak-ng's voice: judged on Whisper's WER
    assert heard["success"] == (heard["facts"]["word_error"] <= 0.25)


def test_environmental_rounds_never_contradict_the_scored_class(tmp_path: Path) -> None:
    """The loop has no embeddings: its verdict on an environmental clip is unknown, not the
    old "rendered, so a success" that scoring then contradicted."""
    tier = load_tier("environmental")
    wav = tmp_path / "output.wav"
    sf.write(wav, _note(440.0, 5.0), SR)
    record = TrialResult(status="ok")
    ctx = SimpleNamespace(exec_slots=asyncio.Semaphore(1))
    asyncio.run(_judge(ctx, record, tmp_path, tier, tier.item("dog"), success_settings({})))
    assert record.round_success is None
    assert "audioprobe score" in (record.round_success_reason or "")
