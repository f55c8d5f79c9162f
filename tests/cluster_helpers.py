"""A replayed experiment over every tier, run and scored through the CLI, and the per-trial facts
two ways of running it must agree on: for shard/merge and executor tests.

The replayed answers are numpy scripts (fast in any sandbox) whose output differs by sample, and
one sample of three fails, so outcomes other than `ok` are compared too.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from score_helpers import FakeEmbedding, FakeRefClip, FakeRefSet, make_refs, patch_models
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.results import tables
from audioprobe.store import RunStore
from audioprobe.tiers import load_all_tiers

_TONE = """```python
import time
import numpy as np
from scipy.io import wavfile
sr = 16000
t = np.arange(int(sr * {seconds})) / sr
rng = np.random.default_rng({seed})
x = 0.4 * np.sin(2 * np.pi * {f0} * t) + 0.05 * rng.standard_normal(t.size)
time.sleep({sleep})
wavfile.write("output.wav", sr, x.astype(np.float32))
```"""
_FAIL = """```python
raise SystemExit("this sample fails on purpose")
```"""


def write_replay(path: Path, sleep_s: float = 0.0) -> Path:
    """Answers for any item: sample 0 and 1 render tones (after `sleep_s`), sample 2 fails
    (runtime_error)."""
    answers = [
        _TONE.format(seconds=1.5, seed=1, f0=330.0, sleep=sleep_s),
        _TONE.format(seconds=1.0, seed=2, f0=523.25, sleep=sleep_s),
        _FAIL,
    ]
    path.write_text("".join(json.dumps({"item": "*", "completion": a}) + "\n" for a in answers))
    return path


def write_spec(
    folder: Path, *, per_tier: int = 2, samples: int = 3, parallel: int = 2, sleep_s: float = 0.0
) -> Path:
    """An experiment over all three tiers: `per_tier` items each, a replayed model."""
    replay = write_replay(folder / "answers.jsonl", sleep_s)
    spec = folder / "spread.toml"
    spec.write_text(
        f"""
name = "spread"
seed = 7
samples = {samples}
output_dir = "{folder / "runs"}"

[[tiers]]
name = "notes"
limit = {per_tier}

[[tiers]]
name = "environmental"
limit = {per_tier}

[[tiers]]
name = "speech"
limit = {per_tier}

[[models]]
name = "replayed"
kind = "replay"
model = "{replay}"

[sandbox]
backend = "auto"
parallel = {parallel}

[sandbox.limits]
wall_s = 30

[scoring]
metrics = ["duration", "pitch", "fad", "kad"]

[scoring.sets]
reference_classes = "all"
min_clips = 2
min_ref_clips = 3
"""
    )
    return spec


def cli(*args: str, code: int = 0) -> str:
    """The command's output with its lines joined (the console wraps long paths)."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return " ".join(result.output.split())


def patch_references(refs_root: Path) -> None:
    """Every tier's references are tones (for a process with no monkeypatch fixture), written
    once: libsndfile stamps the time into a float WAV, so tones written again are other files
    (other sha256s, another order of the reference set)."""
    import audioprobe.references as references

    if not refs_root.is_dir():
        make_refs(refs_root, {"a": 330.0, "b": 523.25}, per_class=4)
    clips = [
        FakeRefClip(path, path.parent.name, hashlib.sha256(path.read_bytes()).hexdigest())
        for path in sorted(refs_root.glob("*/*.wav"))
    ]
    refs = FakeRefSet("fake-refs", _clips=clips)
    references.load_reference_set = lambda name, log=None: refs
    references.resolve_reference_name = lambda tier, name: tier


def fake_scoring(monkeypatch, refs_root: Path) -> None:
    """Every embedding the tiers name is a FakeEmbedding; every tier's references are tones."""
    names = ["vggish", "clap-music", "clap-general", "aisfx", "whisper-base"]
    # every item's class has reference clips, else scoring leaves the item out of its tier
    tiers = load_all_tiers()
    classes = sorted({i.class_key for t in tiers.values() for i in t.items})
    refs = make_refs(
        refs_root, {c: 220.0 * 2 ** (k / 12) for k, c in enumerate(classes)}, per_class=4
    )
    patch_models(
        monkeypatch,
        {n: FakeEmbedding(n) for n in names},
        {t: refs for t in tiers},
    )


def wav_hashes(run: Path) -> dict[str, str | None]:
    """trial id -> sha256 of its WAV (None without one)."""
    return {
        t.trial_id: hashlib.sha256(t.wav_path.read_bytes()).hexdigest() if t.wav_path else None
        for t in RunStore.open(run).trials()
    }


def outcomes(run: Path) -> dict[str, tuple[str, str | None]]:
    return {t.trial_id: (t.status, t.error) for t in RunStore.open(run).trials()}


def metric_values(run: Path) -> dict[tuple[str, ...], Any]:
    """Every clip and set value scoring stored: (trial or set, metric, column, embedding) ->
    (status, value, interval)."""
    store = RunStore.open(run)
    found: dict[tuple[str, ...], Any] = {}
    for v in tables.clip_values(store):
        found[(v.trial_id, v.metric, v.column, v.embedding)] = (v.status, v.value, v.text)
    for s in tables.set_values(store, class_level=True):
        key = (f"{s.model}/{s.tier}/{s.class_key}", s.metric, s.column, s.embedding)
        found[key] = (s.status, s.value, s.ci_low, s.ci_high, s.reason)
    return found
