"""Small fakes for scoring tests: a run store with rendered WAVs, a trivial embedding, a
reference set of generated clips. Real embeddings and sets have their own tests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from audioprobe.store import RunStore, TrialKey
from audioprobe.tiers import load_tier

SR = 16000


def registered_catalog():
    """What scoring stores of today's metrics: the catalog of hand-built RunResults."""
    from audioprobe.results.columns import Catalog
    from audioprobe.scoring.registry import registry

    return Catalog.of(m.info() for m in registry().values())


def tone(f0: float, seconds: float = 1.0, sr: int = SR, noise: float = 0.0, seed: int = 0):
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(seed)
    return (0.5 * np.sin(2 * np.pi * f0 * t) + noise * rng.normal(size=t.size)).astype(np.float32)


def write_wav(path: Path, audio: np.ndarray, sr: int = SR) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), audio, sr, subtype="FLOAT")
    return hashlib.sha256(path.read_bytes()).hexdigest()


class FakeEmbedding:
    """16 log band energies: cheap, deterministic, and different for different sounds."""

    pooling = "mean"
    min_samples = 400

    def __init__(self, name: str = "fake-emb", sample_rate: int = SR, ok: bool = True):
        self.name = name
        self.sample_rate = sample_rate
        self.ok = ok
        self.calls = 0
        self.version = f"{name}/test"
        self.checkpoint_sha256 = "0" * 64

    def available(self) -> tuple[bool, str]:
        if self.ok:
            return True, "test"
        return False, f"{self.name}: weights not found; run `audioprobe models pull {self.name}`"

    def embed(self, batch: list[np.ndarray]) -> np.ndarray:
        self.calls += len(batch)
        out = []
        for clip in batch:
            assert clip.ndim == 1 and clip.size >= self.min_samples
            spec = np.abs(np.fft.rfft(clip[:4096], 4096)) ** 2
            bands = np.array_split(spec, 16)
            out.append(np.log10(np.array([b.sum() for b in bands]) + 1e-6))
        return np.stack(out).astype(np.float32)


@dataclass
class FakeRefClip:
    path: Path
    class_key: str
    sha256: str
    duration_s: float = 1.0


@dataclass
class FakeRefSet:
    name: str
    sample_rate: int = SR
    _clips: list[FakeRefClip] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)

    def classes(self) -> list[str]:
        return sorted({c.class_key for c in self._clips})

    def clips(self, class_key: str | None = None) -> list[FakeRefClip]:
        return [c for c in self._clips if class_key is None or c.class_key == class_key]


def make_refs(root: Path, classes: dict[str, float], per_class: int = 12) -> FakeRefSet:
    """Reference tones per class (class -> f0), slightly detuned and noisy."""
    clips = []
    for k, (cls, f0) in enumerate(classes.items()):
        for i in range(per_class):
            audio = tone(f0 * (1 + 0.01 * i), 1.0, noise=0.05, seed=100 * k + i)
            path = root / cls / f"{i}.wav"
            clips.append(FakeRefClip(path, cls, write_wav(path, audio)))
    return FakeRefSet("fake-refs", _clips=clips)


def make_run(
    root: Path,
    tier: str,
    items: list[str],
    models: dict[str, list[np.ndarray | None]],
    scoring: dict[str, Any] | None = None,
    sr: int = SR,
    failure: str = "runtime_error",
) -> RunStore:
    """A run of one tier: models -> one clip per item (None = a trial that ended `failure`)."""
    t = load_tier(tier)
    chosen = [t.item(i) for i in items]
    manifest = {
        "run_id": root.name,
        "spec": {"name": "test", "tiers": [{"name": tier}], "scoring": scoring or {}},
        "tiers": {tier: {"title": t.title, "level": t.level, "sample_rate": t.sample_rate}},
        "items": {tier: [i.model_dump(by_alias=True) for i in chosen]},
    }
    store = RunStore.create(root, manifest)
    keys = []
    for model, clips in models.items():
        for item, _audio in zip(chosen, clips, strict=True):
            key = TrialKey(model, "replay", tier, item.id, 0)
            keys.append(key)
    store.register(keys)
    for key in keys:
        audio = models[key.model][[i.id for i in chosen].index(key.item)]
        record: dict[str, Any] = {
            "trial_id": key.trial_id,
            "model": key.model,
            "tier": tier,
            "item": key.item,
            "sample": 0,
            "target_duration_s": t.item(key.item).duration_s,
        }
        if audio is None:
            record.update(status=failure, error="boom", wav=None, audio=None)
        else:
            rel = f"{key.rel_dir}/output.wav"
            sha = write_wav(root / rel, audio, sr)
            audio_facts = {"sha256": sha, "duration_s": len(audio) / sr, "sample_rate": sr}
            record.update(status="ok", error=None, wav=rel, audio=audio_facts)
        store.save_trial(key, record)
    return store


def patch_models(monkeypatch, embeddings: dict[str, FakeEmbedding], refs: dict[str, FakeRefSet]):
    """Route get_embedding / load_reference_set to the fakes."""
    import audioprobe.references as references
    import audioprobe.scoring.embeddings as emb_mod
    from audioprobe.errors import Unavailable

    def get_embedding(name: str, device: str = "cpu"):
        if name not in embeddings:
            raise Unavailable(f"{name}: not installed in this test")
        return embeddings[name]

    def load_reference_set(name: str, log=None):
        if name not in refs:  # as a real set that cannot be had: an AudioprobeError
            raise Unavailable(f"no reference set {name} in this test")
        return refs[name]

    monkeypatch.setattr(emb_mod, "get_embedding", get_embedding)
    monkeypatch.setattr(references, "load_reference_set", load_reference_set)
    monkeypatch.setattr(references, "resolve_reference_name", lambda tier, name: tier)
