"""Disk cache of clip embeddings, keyed by the clip's sha256 and the embedding card's hash.

The card covers the model (name, version, checkpoint sha256) and every analysis choice
(sample rate, resampler, channel mix, normalisation, short-clip policy), so changing any of
them misses the cache instead of silently reusing vectors computed another way. Writes are
atomic, so concurrent scorings of different runs can share the cache.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from audioprobe import atomic
from audioprobe.paths import cache_dir

#: Seconds between "n/N clips embedded" lines while a long embedding runs.
PROGRESS_EVERY_S = 5.0
#: embeds several batches (lists of clips), returning one (n, D) array per batch, in order
BatchMap = Callable[[list[list[np.ndarray]]], list[np.ndarray]]


class EmbeddingCache:
    def __init__(self, root: Path | None = None):
        self.root = root if root is not None else cache_dir("embeddings")
        self.hits = 0
        self.misses = 0

    def path(self, card: str, clip_sha256: str) -> Path:
        return self.root / card / clip_sha256[:2] / f"{clip_sha256}.npy"

    def get(self, card: str, clip_sha256: str) -> np.ndarray | None:
        path = self.path(card, clip_sha256)
        if not path.is_file():
            return None
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return None  # a damaged entry is recomputed

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
        todo: list[int] = []
        for i, key in enumerate(keys):
            vec = self.get(card, key)
            if vec is None:
                todo.append(i)
            else:
                found[i] = vec
        self.hits += len(found)
        self.misses += len(todo)
        mapper = map_batches or (lambda batches: [embed_batch(b) for b in batches])
        step = batch_size * max(1, wave)
        say = progress or (lambda _m: None)
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
        return np.stack([found[i] for i in range(len(keys))]) if keys else np.zeros((0, 0))
