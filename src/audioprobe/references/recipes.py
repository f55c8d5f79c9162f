"""The recipes of the built-in sets: `builtin-<tier>` for every tier whose kind has one.

Audioprobe's own tiers keep theirs as TOML files under scoring/references/; a researcher's tier
keeps its recipe in its tier file's [references] table. Either is data a researcher edits. A
recipe's fingerprint (its file's bytes, the tier file it draws on, and the versions of the tools
that render it) is stored in the built manifest; when any of them changes, the set is rebuilt on
next use.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audioprobe.errors import ConfigError
from audioprobe.tier_kinds import TierKind, kind_of
from audioprobe.tiers import Tier, load_tier, tier_files

PREFIX = "builtin-"
# Bump when a builder changes what it writes for the same recipe.
BUILDER_VERSION = 1


@dataclass(frozen=True)
class Recipe:
    """A built-in set's recipe with the tier it serves and the kind that builds it."""

    name: str
    data: dict[str, Any]
    path: Path  # the file the recipe was read from; checksums sit beside it
    tier: Tier
    kind: TierKind


def read_recipe(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"no recipe {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def builtin_names() -> tuple[str, ...]:
    """`builtin-<tier>` of every known tier whose kind has a recipe, in tier-file order."""
    return tuple(
        f"{PREFIX}{name}" for name in tier_files() if _recipe_of(load_tier(name)) is not None
    )


def _recipe_of(tier: Tier) -> tuple[dict[str, Any], Path] | None:
    return kind_of(tier.name).reference_recipe(tier)


def recipe(name: str) -> Recipe:
    """The recipe of the built-in set `name`; ConfigError naming the built-in sets if none."""
    tier_name = name.removeprefix(PREFIX)
    found = None
    if name.startswith(PREFIX) and tier_name in tier_files():
        tier = load_tier(tier_name)
        found = _recipe_of(tier)
    if found is None:
        raise ConfigError(
            f"no built-in reference set {name!r}; built-in: {', '.join(builtin_names())}"
        )
    data, path = found
    return Recipe(name, data, path, tier, kind_of(tier_name))


def load_recipe(name: str) -> dict[str, Any]:
    return recipe(name).data


def checksums_path(name: str) -> Path:
    return recipe(name).path.parent / f"{name}.checksums.json"


def package_version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def fingerprint(name: str, extra: dict[str, Any]) -> str:
    """Hash of everything a build of `name` depends on that can change between two builds."""
    found = recipe(name)
    parts = {
        "builder": BUILDER_VERSION,
        "recipe": found.path.read_text(),
        "tier": found.tier.source.read_text() if found.tier.source else "",
        **extra,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def expected_checksums(name: str) -> dict[str, str]:
    """Clip path -> sha256 recorded from a reference build, or {} where none was recorded."""
    path = checksums_path(name)
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text()).get("clips", {}))
