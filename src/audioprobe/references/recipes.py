"""The recipes of the built-in sets: TOML files under scoring/references/, edited as data.

A recipe's fingerprint (its bytes, the tier file it draws on, and the versions of the tools that
render it) is stored in the built manifest; when any of them changes, the set is rebuilt on
next use.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import tomllib
from pathlib import Path
from typing import Any

from audioprobe.errors import ConfigError
from audioprobe.paths import data_dir
from audioprobe.tiers import TIER_ORDER

BUILTIN_NAMES = tuple(f"builtin-{tier}" for tier in TIER_ORDER)
# Bump when a builder changes what it writes for the same recipe.
BUILDER_VERSION = 1


def recipe_path(name: str) -> Path:
    return data_dir("scoring") / "references" / f"{name}.toml"


def checksums_path(name: str) -> Path:
    return data_dir("scoring") / "references" / f"{name}.checksums.json"


def load_recipe(name: str) -> dict[str, Any]:
    path = recipe_path(name)
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"no recipe {path} for the built-in set {name!r}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def package_version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def fingerprint(name: str, extra: dict[str, Any]) -> str:
    """Hash of everything a build of `name` depends on that can change between two builds."""
    tier = name.removeprefix("builtin-")
    parts = {
        "builder": BUILDER_VERSION,
        "recipe": recipe_path(name).read_text(),
        "tier": (data_dir("tiers") / f"{tier}.toml").read_text(),
        **extra,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def expected_checksums(name: str) -> dict[str, str]:
    """Clip path -> sha256 recorded from a reference build, or {} where none was recorded."""
    path = checksums_path(name)
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text()).get("clips", {}))
