"""Disk cache of clip embeddings, keyed by the clip's sha256 and the embedding card's hash.

The card covers the model (name, version, checkpoint sha256) and every analysis choice
(sample rate, resampler, channel mix, normalisation, short-clip policy), so changing any of
them misses the cache instead of silently reusing vectors computed another way. Writes are
atomic, so concurrent scorings of different runs can share the cache.

An entry is checked when read: one that is empty, unreadable, not a finite 1-D float vector, or
of another length than the other vectors of the same card is recomputed (and logged with its
path), so a damaged cache file costs one embedding, never a tier's set metrics.
"""

from __future__ import annotations

import io
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from audioprobe import atomic
from audioprobe.paths import cache_dir

#: Seconds between "n/N clips embedded" lines while a long embedding runs.
PROGRESS_EVERY_S = 5.0
#: embeds several batches (lists of clips), returning one (n, D) array per batch, in order
BatchMap = Callable[[list[list[np.ndarray]]], list[np.ndarray]]
LOG = logging.getLogger(__name__)


class EmbeddingCache:
    def __init__(self, root: Path | None = None):
        self.root = root if root is not None else cache_dir("embeddings")
        self.hits = 0
        self.misses = 0
        #: (path, why) of each damaged entry found, recomputed since
        self.damaged: list[tuple[Path, str]] = []

    def path(self, card: str, clip_sha256: str) -> Path:
        return self.root / card / clip_sha256[:2] / f"{clip_sha256}.npy"

    def get(self, card: str, clip_sha256: str) -> np.ndarray | None:
        """The cached vector, or None when absent or damaged (see `damaged`)."""
        path = self.path(card, clip_sha256)
        if not path.is_file():
            return None
        try:
            vector = np.load(path, allow_pickle=False)
        except Exception as exc:  # empty (EOFError), truncated, not .npy: all mean recompute
            self._damaged(path, f"unreadable ({type(exc).__name__}: {exc})")
            return None
        if vector.ndim != 1 or vector.size == 0 or vector.dtype.kind != "f":
            self._damaged(path, f"not a float vector (shape {vector.shape}, {vector.dtype})")
            return None
        if not np.isfinite(vector).all():
            self._damaged(path, "holds NaN or infinite values")
            return None
        return vector

    def _damaged(self, path: Path, why: str) -> None:
        self.damaged.append((path, why))
        LOG.warning("embedding cache entry %s is %s; it is recomputed", path, why)

    def put(self, card: str, clip_sha256: str, vector: np.ndarray) -> None:
        buf = io.BytesIO()
        np.save(buf, np.asarray(vector, dtype=np.float32), allow_pickle=False)
        atomic.write_bytes(self.path(card, clip_sha256), buf.getvalue())

    def embed(
        self,
        card: str,
        keys: Sequence[str],
        load: Callable[[int], np.ndarray],
        embed_batch: Callable[[list[np.ndarray]], np.ndarray],
        batch_size: int = 16,
        map_batches: BatchMap | None = None,
        wave: int = 1,
        progress: Callable[[str], None] | None = None,
        label: str = "",
    ) -> np.ndarray:
        """(N, D) embeddings for clips `keys` (sha256s); `load(i)` gives clip i's audio.

        Missing vectors are computed `wave` batches at a time by `map_batches` (by default one
        `embed_batch` call after another): an executor may embed a wave's batches on several
        machines at once, while at most a wave of clips is held in memory. `progress` hears
        `label`, how many clips are computed, and every PROGRESS_EVERY_S how far it has got.
        """
        found: dict[int, np.ndarray] = {}
        for i, key in enumerate(keys):
            vec = self.get(card, key)
            if vec is not None:
                found[i] = vec
        mapper = map_batches or (lambda batches: [embed_batch(b) for b in batches])
        todo = [i for i in range(len(keys)) if i not in found]
        self.hits += len(found)
        self.misses += len(todo)
        say = progress or (lambda _m: None)
        self._compute(card, keys, todo, found, load, mapper, batch_size, wave, say, label)
        # A cached vector of another length than the rest (computed now, or else most of the
        # cache) was written by something else: recompute it rather than fail the whole set.
        usual = _usual_shape(found, todo)
        odd = [i for i, v in found.items() if v.shape != usual]
        for i in odd:
            self._damaged(self.path(card, keys[i]), f"of shape {found[i].shape}, not {usual}")
        self.hits -= len(odd)
        self.misses += len(odd)
        self._compute(card, keys, odd, found, load, mapper, batch_size, wave, say, label)
        return np.stack([found[i] for i in range(len(keys))]) if keys else np.zeros((0, 0))

    def _compute(
        self,
        card: str,
        keys: Sequence[str],
        todo: list[int],
        found: dict[int, np.ndarray],
        load: Callable[[int], np.ndarray],
        mapper: BatchMap,
        batch_size: int,
        wave: int,
        say: Callable[[str], None],
        label: str,
    ) -> None:
        """Embed clips `todo`, `wave` batches at a time; store each vector and cache it."""
        step = batch_size * max(1, wave)
        if todo:
            say(f"{label}: embedding {len(todo)} clips ({len(found)} cached)")
        said = time.monotonic()
        for start in range(0, len(todo), step):
            if start and time.monotonic() - said >= PROGRESS_EVERY_S:
                said = time.monotonic()
                say(f"{label}: {start}/{len(todo)} clips embedded")
            group = todo[start : start + step]
            chunks = [group[i : i + batch_size] for i in range(0, len(group), batch_size)]
            results = mapper([[load(i) for i in chunk] for chunk in chunks])
            for chunk, result in zip(chunks, results, strict=True):
                vectors = np.asarray(result, dtype=np.float32)
                if vectors.shape[0] != len(chunk):
                    raise RuntimeError(
                        f"embedding returned {vectors.shape[0]} vectors for {len(chunk)} clips"
                    )
                for i, vec in zip(chunk, vectors, strict=True):
                    self.put(card, keys[i], vec)
                    found[i] = vec


def _usual_shape(found: dict[int, np.ndarray], computed: list[int]) -> tuple[int, ...] | None:
    """The vector shape of this card: that of the vectors just computed, else the commonest."""
    if computed:
        return found[computed[0]].shape
    shapes = Counter(v.shape for v in found.values()).most_common(1)
    return shapes[0][0] if shapes else None
