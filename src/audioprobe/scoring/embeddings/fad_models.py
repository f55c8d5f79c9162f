"""The embedding models of the frechet-audio-distance package: VGGish, PANN Cnn14 and EnCodec.

frechet-audio-distance itself cannot be imported here: its top module imports laion_clap, which
needs torchvision and three tokenizers from the Hugging Face hub at import time. So the same
networks are built from the same code it uses, configured as it configures them:

- vggish: torchvggish's VGG (the harritaylor/torchvggish code its torch.hub.load fetches), no PCA
  postprocessing and the last ReLU removed (its defaults use_pca=False, use_activation=False);
  weights read by torch.hub.load_state_dict_from_url from the folder where they were found.
- pann: the Cnn14_16k class from frechet_audio_distance/models/pann.py (loaded from the installed
  file without running the package's __init__), with its 16 kHz settings; checkpoint['model'].
- encodec: EncodecModel.encodec_model_24khz's architecture, encoder output before quantisation.

Unlike the package (which pools all frames of all clips together), embed() returns one mean
vector per clip; embed_frames() gives the frames for frame-level FAD.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np

from audioprobe.errors import Unavailable
from audioprobe.scoring.embeddings.base import Embedding
from audioprobe.weights import Location


def _missing(*modules: str) -> str | None:
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            return f"{module} cannot be imported ({exc})"
        except Exception as exc:  # a broken install (e.g. torchaudio built for another torch)
            return f"{module} fails to import: {type(exc).__name__}: {exc}"
    return None


class Vggish(Embedding):
    name = "vggish"
    weights = "vggish"
    sample_rate = 16_000
    dim = 128
    pooling = "mean over 0.96 s frames (VGGish examples)"
    min_samples = 15_600  # one 0.96 s example plus the STFT window
    batch_size = 16

    def _import_check(self) -> str | None:
        problem = _missing("torch", "torchvggish", "resampy")
        return (
            f"{problem}: pip install --no-deps torchvggish; pip install resampy"
            if problem
            else None
        )

    def _load(self, found: Location) -> Any:
        import torch
        from torch import nn
        from torchvggish.torchvggish import VGG, VGGISH_WEIGHTS, make_layers

        model = VGG(make_layers(), postprocess=False)
        state = torch.hub.load_state_dict_from_url(
            VGGISH_WEIGHTS, model_dir=str(found.main_path.parent), map_location="cpu"
        )
        model.load_state_dict(state)
        model.embeddings = nn.Sequential(*list(model.embeddings.children())[:-1])
        return model.to(self.device).eval()

    def _embed_frames(self, model: Any, clips: list[np.ndarray]) -> list[np.ndarray]:
        import torch
        from torchvggish.vggish_input import waveform_to_examples

        examples = [waveform_to_examples(c.astype(np.float64), self.sample_rate) for c in clips]
        counts = [len(e) for e in examples]
        with torch.no_grad():
            out = model(torch.cat(examples).detach().to(self.device)).cpu().numpy()
        return np.split(out, np.cumsum(counts)[:-1])


def _fad_pann_module() -> Any:
    """frechet_audio_distance/models/pann.py as a module, without the package's __init__."""
    name = "_audioprobe_fad_models"
    if f"{name}.pann" in sys.modules:
        return sys.modules[f"{name}.pann"]
    spec = importlib.util.find_spec("frechet_audio_distance")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("frechet_audio_distance")
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    pkg_spec = importlib.util.spec_from_file_location(
        name, folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    if pkg_spec is None or pkg_spec.loader is None:
        raise Unavailable(f"{folder}: not an importable package")
    package = importlib.util.module_from_spec(pkg_spec)
    sys.modules[name] = package
    pkg_spec.loader.exec_module(package)
    return importlib.import_module(f"{name}.pann")


class Pann(Embedding):
    name = "pann"
    weights = "pann"
    sample_rate = 16_000
    dim = 2048
    pooling = "the model's own (Cnn14: mean over frequency, then max + mean over time)"
    min_samples = 16_000
    batch_size = 8
    equal_length_batches = True

    def _import_check(self) -> str | None:
        problem = _missing("torch", "torchlibrosa")
        if problem is None:
            try:
                _fad_pann_module()
            except Exception as exc:
                problem = f"frechet_audio_distance's pann.py cannot be loaded ({exc})"
        if problem:
            return (
                f"{problem}: pip install --no-deps frechet-audio-distance; pip install torchlibrosa"
            )
        return None

    def _load(self, found: Location) -> Any:
        import torch

        pann = _fad_pann_module()
        model = pann.Cnn14_16k(
            sample_rate=16000, window_size=512, hop_size=160, mel_bins=64, fmin=50, fmax=8000,
            classes_num=527,
        )  # fmt: skip
        # The official checkpoints pickle training state beside the weights: not weights-only.
        checkpoint = torch.load(found.main_path, map_location="cpu", weights_only=False)
        model.load_state_dict(checkpoint["model"])
        return model.to(self.device).eval()

    def _embed_frames(self, model: Any, clips: list[np.ndarray]) -> list[np.ndarray]:
        import torch

        x = torch.as_tensor(np.stack(clips), dtype=torch.float32).to(self.device)
        with torch.no_grad():
            rows = model(x, None)["embedding"].cpu().numpy()
        return [row[None, :] for row in rows]


class Encodec(Embedding):
    name = "encodec"
    weights = "encodec"
    sample_rate = 24_000
    dim = 128
    pooling = "mean over encoder frames (320 samples, 13.3 ms), before quantisation"
    min_samples = 320
    batch_size = 8
    equal_length_batches = True

    def _import_check(self) -> str | None:
        problem = _missing("torch", "encodec")
        if problem:
            return (
                f"{problem}: pip install --no-deps encodec einops, plus a torchaudio built for "
                "the installed torch"
            )
        return None

    def _load(self, found: Location) -> Any:
        import torch
        from encodec import EncodecModel

        model = EncodecModel.encodec_model_24khz(pretrained=False)
        model.load_state_dict(torch.load(found.main_path, map_location="cpu"))
        model.set_target_bandwidth(24.0)
        return model.to(self.device).eval()

    def _embed_frames(self, model: Any, clips: list[np.ndarray]) -> list[np.ndarray]:
        import torch

        x = torch.as_tensor(np.stack(clips), dtype=torch.float32)[:, None].to(self.device)
        with torch.no_grad():
            frames = model.encoder(x).cpu().numpy()
        return [f.T for f in frames]
