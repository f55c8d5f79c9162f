"""Reference clips ranked by closeness to a trial's clip, from the embeddings scoring cached.

Scoring has already embedded every rendered clip and the reference clips it compared them with;
reusing those vectors (same card, same cache) makes "nearest" mean the same space FAD measured,
and costs no model load. Where a vector is missing (the run is not scored, or the clip was not
embedded), the caller falls back to the first clips of the class and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from audioprobe.results.run import Run
from audioprobe.results.tables import current_cards
from audioprobe.scoring.config import load_config
from audioprobe.scoring.embed_cache import EmbeddingCache
from audioprobe.store import RunStore, TrialRecord


@dataclass(frozen=True)
class Ranked:
    clips: list[Any]  # reference clips, nearest first
    total: int
    embedding: str


class NearestFinder:
    """Per tier, the embeddings scoring used (in the order scoring/metrics.toml lists them)."""

    def __init__(self, store: RunStore, cache: EmbeddingCache | None = None):
        self.cache = cache or EmbeddingCache()
        self.cards = {
            row["embedding"]: digest
            for digest, row in current_cards(store).items()
            if row.get("metric") == "embedding"
        }
        self.config = load_config(Run(store).spec.scoring)

    def rank(self, trial: TrialRecord, clips: list[Any], count: int) -> Ranked | None:
        sha = trial.record.audio.sha256 if trial.record.audio else None
        if not sha or not clips:
            return None
        for name in self.config.tier(trial.tier).embeddings:
            card = self.cards.get(name)
            query = self.cache.get(card, sha) if card else None
            if card is None or query is None:
                continue
            looked_up = [(c, self.cache.get(card, c.sha256)) for c in clips]
            pairs = [(c, v) for c, v in looked_up if v is not None]
            if not pairs:
                continue
            refs = np.stack([v for _, v in pairs])
            sims = _unit(refs) @ _unit(query[None, :])[0]
            order = np.argsort(-sims, kind="stable")[:count]
            return Ranked([pairs[i][0] for i in order], total=len(pairs), embedding=name)
        return None


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)
