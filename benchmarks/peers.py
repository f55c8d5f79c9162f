"""audioprobe against frechet-audio-distance, end to end, on the same clips and the same weights.

Both compute FAD between two folders of WAV files (44.1 kHz, so both resample) with VGGish
(frame-level, as the package does) and PANN Cnn14 16 kHz (one embedding per clip), on the same
random weights of the real networks (real weights cannot be downloaded here; the arithmetic is
the same). Each side does everything from reading the files to the distance:

- frechet-audio-distance 0.3.4, installed `--no-deps`: its own `FrechetAudioDistance` methods
  (threaded file loading with resampy, its per-clip embedding loop, its statistics and its
  sqrtm distance). Two things are supplied from outside, and said here: its module imports
  `laion_clap` and `encodec` at the top, which cannot be imported beside this torch (no
  torchvision, no torchaudio), so empty modules stand in for them (those paths are never
  called); and its VGGish comes from
  `torch.hub.load('harritaylor/torchvggish')`, which needs GitHub, so the same network from
  the torchvggish package is wrapped in the hub model's `forward(waveform, sample_rate)`
  (waveform_to_examples, then the network). Its PANN path returns a flat vector per clip and
  then fails in its statistics (upstream issue 37); the benchmark reshapes those embeddings to
  (clips, 2048) before calling its own statistics, as the fix would.
- audioprobe: scoring.audio.load (soundfile + soxr), the Vggish/Pann embeddings (batched) and
  frechet_distance.

    python benchmarks/peers.py [--clips 40] [--seconds 5] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from audioprobe import threads

FILE_SR = 44_100


def write_clips(folder: Path, count: int, seconds: float, seed: int) -> None:
    """Harmonic tones with noise and a decay: different clips, the same kind in both sets."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    t = np.arange(int(seconds * FILE_SR)) / FILE_SR
    for i in range(count):
        f0 = rng.uniform(80, 900)
        tone = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6))
        clip = 0.2 * tone * np.exp(-t * rng.uniform(0.2, 2)) + 0.02 * rng.standard_normal(t.size)
        sf.write(folder / f"clip{i:03d}.wav", clip.astype(np.float32), FILE_SR, subtype="PCM_16")


def place_weights(models: Path, ckpt_dir: Path) -> None:
    """Random weights of the true shapes where each side looks for them."""
    import torch
    from torchvggish.torchvggish import VGG, make_layers

    from audioprobe.scoring.embeddings.fad_models import _fad_pann_module

    torch.manual_seed(0)
    (models / "vggish").mkdir(parents=True)
    torch.save(
        VGG(make_layers(), postprocess=False).state_dict(),
        models / "vggish" / "vggish-10086976.pth",
    )
    pann = _fad_pann_module().Cnn14_16k(
        sample_rate=16000, window_size=512, hop_size=160, mel_bins=64, fmin=50, fmax=8000,
        classes_num=527,
    )  # fmt: skip
    (models / "pann").mkdir(parents=True)
    checkpoint = {"model": pann.state_dict()}
    torch.save(checkpoint, models / "pann" / "Cnn14_16k_mAP%3D0.438.pth")
    ckpt_dir.mkdir(parents=True)
    torch.save(checkpoint, ckpt_dir / "Cnn14_16k_mAP%3D0.438.pth")


def _their_module() -> Any:
    """frechet_audio_distance, with empty stand-ins for the imports it makes at the top for its
    CLAP and EnCodec paths when those libraries cannot be imported here."""
    for name, attrs in (("laion_clap", {}), ("encodec", {"EncodecModel": None})):
        try:
            __import__(name)
        except ImportError:
            stand_in = types.ModuleType(name)
            stand_in.__dict__.update(attrs)
            sys.modules[name] = stand_in
    import frechet_audio_distance

    return frechet_audio_distance


def _hub_style_vggish(models: Path) -> Any:
    """torchvggish's VGG with the hub model's forward(waveform, fs), as the package calls it."""
    import torch
    from torch import nn
    from torchvggish.torchvggish import VGG, make_layers
    from torchvggish.vggish_input import waveform_to_examples

    class HubVggish(VGG):
        def forward(self, x: Any, fs: int) -> Any:  # the hub model's preprocess=True path
            examples = waveform_to_examples(np.asarray(x, dtype=np.float64), fs)
            return super().forward(examples.to(next(self.parameters()).device))

    model = HubVggish(make_layers(), postprocess=False)
    model.load_state_dict(torch.load(models / "vggish" / "vggish-10086976.pth"))
    model.embeddings = nn.Sequential(*list(model.embeddings.children())[:-1])  # no last ReLU
    return model.eval()


def theirs(
    model_name: str, gen: Path, ref: Path, models: Path, ckpt_dir: Path, device: str
) -> float:
    """The package picks the GPU itself when torch sees one (its own rule); `device` is what
    that rule gives, passed only to the VGGish set up by hand."""
    import torch

    fad_module = _their_module()
    cls = fad_module.FrechetAudioDistance
    if model_name == "pann":
        fad = cls(ckpt_dir=str(ckpt_dir), model_name="pann", sample_rate=16000, verbose=False)
    else:
        fad = cls.__new__(cls)  # everything its __init__ sets, except the hub download
        fad.model_name, fad.sample_rate, fad.channels = "vggish", 16000, 1
        fad.verbose, fad.audio_load_worker = False, 8
        fad.device = torch.device(device)
        fad.model = _hub_style_vggish(models).to(fad.device)
    stats = []
    for folder in (ref, gen):
        audio = fad._FrechetAudioDistance__load_audio_files(str(folder))
        embeddings = fad.get_embeddings(audio, sr=fad.sample_rate)
        if model_name == "pann":
            embeddings = embeddings.reshape(len(audio), -1)  # upstream issue 37
        stats.append(fad.calculate_embd_statistics(embeddings))
    (mu_r, sigma_r), (mu_g, sigma_g) = stats
    return float(fad.calculate_frechet_distance(mu_r, sigma_r, mu_g, sigma_g))


def ours(model_name: str, gen: Path, ref: Path, device: str) -> float:
    from audioprobe.scoring.audio import AnalysisSettings, load
    from audioprobe.scoring.embeddings import get_embedding
    from audioprobe.scoring.fad import frechet_distance

    emb = get_embedding(model_name, device=device)
    settings = AnalysisSettings()
    sets = []
    for folder in (ref, gen):
        clips = [
            load(p, emb.sample_rate, settings, min_samples=emb.min_samples).audio
            for p in sorted(folder.glob("*.wav"))
        ]
        if model_name == "vggish":  # frame-level, as the package computes it
            sets.append(np.concatenate(emb.embed_frames(clips)))
        else:
            sets.append(emb.embed(clips))
    return frechet_distance(sets[1], sets[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    threads.prepare_process()
    threads.configure_torch()
    from audioprobe.devices import resolve_device

    device = resolve_device("auto")  # the package's own rule: the GPU when there is one
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        models, ckpt = root / "models", root / "fad_ckpt"
        os.environ["AUDIOPROBE_MODELS"] = str(models)
        place_weights(models, ckpt)
        gen, ref = root / "gen", root / "ref"
        write_clips(gen, args.clips, args.seconds, seed=1)
        write_clips(ref, args.clips, args.seconds, seed=2)
        for name in ("vggish", "pann"):
            ours(name, gen, ref, device)  # load the model and warm up outside the timing
            started = time.perf_counter()
            value_ours = ours(name, gen, ref, device)
            t_ours = time.perf_counter() - started
            theirs(name, gen, ref, models, ckpt, device)
            started = time.perf_counter()
            value_theirs = theirs(name, gen, ref, models, ckpt, device)
            t_theirs = time.perf_counter() - started
            rows.append(
                {
                    "model": name,
                    "audioprobe_s": t_ours,
                    "fad_package_s": t_theirs,
                    "ratio": t_theirs / t_ours,
                    "fad_audioprobe": value_ours,
                    "fad_package": value_theirs,
                }
            )
    print(
        f"{args.clips} + {args.clips} clips of {args.seconds} s at {FILE_SR} Hz; device {device};"
        f" {threads.threads_per_worker()} torch threads"
    )
    print(f"{'model':<8} {'audioprobe s':>12} {'package s':>10} {'ratio':>6} {'FAD ours':>11}"
          f" {'FAD theirs':>11} {'rel. diff':>9}")  # fmt: skip
    for r in rows:
        diff = abs(r["fad_audioprobe"] - r["fad_package"]) / abs(r["fad_package"])
        print(
            f"{r['model']:<8} {r['audioprobe_s']:>12.2f} {r['fad_package_s']:>10.2f}"
            f" {r['ratio']:>6.1f} {r['fad_audioprobe']:>11.4g} {r['fad_package']:>11.4g}"
            f" {diff:>9.2%}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
