"""Pretrained weights: the catalog (scoring/models.toml), lookup on disk, and download."""

from audioprobe.weights.catalog import ModelEntry, entry, load_catalog
from audioprobe.weights.hashing import cached_sha256
from audioprobe.weights.lookup import Location, locate, missing_reason, searched_places

__all__ = [
    "Location",
    "ModelEntry",
    "cached_sha256",
    "entry",
    "load_catalog",
    "locate",
    "missing_reason",
    "searched_places",
]
