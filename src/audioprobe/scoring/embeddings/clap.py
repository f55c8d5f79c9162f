"""LAION CLAP (music and general checkpoints): audio and text in one space, via transformers.

The checkpoints are LAION's own transformers conversions (laion/larger_clap_music,
laion/larger_clap_general) of the laion-clap models, loaded with `ClapModel.from_pretrained`. The
laion-clap package itself cannot be imported here: it needs torchvision (no CPU build for torch
2.13 on this machine) and downloads three tokenizers at import. Outputs are the projected,
L2-normalised embeddings, so a dot product is the CLAP cosine.

A tokenizer with almost no vocabulary (what transformers returns offline when a tokenizer's files
are missing: every word becomes <unk>) is refused: text embeddings from it would be meaningless.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from audioprobe.errors import Unavailable
from audioprobe.scoring.embeddings.base import Embedding
from audioprobe.weights import Location

CLAP_SR = 48_000
MAX_SECONDS = 10  # the processor's window; longer clips are cut to their first 10 s
MIN_VOCAB = 256  # a byte-level BPE has at least 256 tokens; the offline trap gives 5


def _pooled(out: Any) -> Any:
    """transformers 5 gives a ModelOutput (pooler_output: normalised projection); 4.x a tensor."""
    return getattr(out, "pooler_output", out)


class ClapEmbedding(Embedding):
    sample_rate = CLAP_SR
    dim = 512
    pooling = "the model's own (HTSAT over the first 10 s, repeat-padded): one vector per clip"
    min_samples = 480
    batch_size = 8

    def _import_check(self) -> str | None:
        try:
            import torch  # noqa: F401
            import transformers  # noqa: F401
        except ImportError as exc:
            return f"{exc.name} is not installed: pip install transformers torch"
        return None

    def _load(self, found: Location) -> Any:
        from transformers import ClapModel, ClapProcessor

        try:
            processor = ClapProcessor.from_pretrained(str(found.folder), local_files_only=True)
            model: Any = ClapModel.from_pretrained(str(found.folder), local_files_only=True)
        except (OSError, ValueError) as exc:
            raise Unavailable(f"{self.name}: cannot load CLAP from {found.folder}: {exc}") from exc
        vocab = len(processor.tokenizer)
        if vocab < MIN_VOCAB:
            raise Unavailable(
                f"{self.name}: the tokenizer in {found.folder} has only {vocab} tokens (its files "
                f"are missing or unreadable, so every word would be <unk>); run "
                f"`audioprobe models pull {self.name}`"
            )
        self.dim = int(model.config.projection_dim)
        return processor, model.to(self.device).eval()

    def _embed_frames(self, model: Any, clips: list[np.ndarray]) -> list[np.ndarray]:
        import torch

        processor, net = model
        clips = [c[: MAX_SECONDS * CLAP_SR] for c in clips]
        inputs = processor(audio=clips, sampling_rate=CLAP_SR, return_tensors="pt")
        with torch.no_grad():
            out = _pooled(net.get_audio_features(**inputs.to(self.device)))
        return [row[None, :] for row in out.cpu().numpy()]

    def embed_text(self, texts: Sequence[str]) -> np.ndarray:
        """(N, dim) float32 normalised text embeddings, comparable with `embed` by dot product."""
        import torch

        processor, net = self._ensure_loaded()
        inputs = processor(text=list(texts), padding=True, truncation=True, return_tensors="pt")
        with torch.no_grad():
            out = _pooled(net.get_text_features(**inputs.to(self.device)))
        return out.cpu().numpy().astype(np.float32)


class ClapMusic(ClapEmbedding):
    name = "clap-music"
    weights = "clap-music"


class ClapGeneral(ClapEmbedding):
    name = "clap-general"
    weights = "clap-general"
