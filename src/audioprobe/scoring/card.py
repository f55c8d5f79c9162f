"""Metric cards: everything that decides a metric's value, hashed.

A value is only comparable with another computed under the same card. The card's hash is
stored beside every value, is part of every cache key, and names the columns of an export;
the cards themselves are written once per run to `cards.json`.
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata
from typing import Any

HASH_LENGTH = 16


def package_versions(*names: str) -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("audioprobe", "numpy", "scipy", *names):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def card_hash(card: dict[str, Any]) -> str:
    """Short sha256 of the canonical JSON of the card (64 bits: collisions are not a concern)."""
    return hashlib.sha256(canonical(card).encode()).hexdigest()[:HASH_LENGTH]


def make_card(
    metric: str, metric_version: int, *, packages: tuple[str, ...] = (), **fields: Any
) -> dict:
    """A card for `metric` (implementation `metric_version`), with the package versions."""
    return {
        "metric": metric,
        "metric_version": metric_version,
        **fields,
        "packages": package_versions(*packages),
    }
