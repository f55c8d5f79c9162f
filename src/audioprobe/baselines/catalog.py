"""The list of baselines and their checkpoints, read from catalog.toml (data, not code).

Adding a checkpoint of a known generator (another MusicGen size, another Piper voice) is an edit
of the TOML file; only a new kind of generator needs code.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from audioprobe.errors import ConfigError, format_validation_error

CATALOG_PATH = Path(__file__).with_name("catalog.toml")
PromptField = Literal["caption", "request", "sentence"]


class BaselineEntry(BaseModel):
    """One baseline: which generator runs which weights, for which tiers."""

    model_config = ConfigDict(extra="forbid")

    key: str
    generator: str = Field(description="a registered generator (baselines.generator.generators)")
    description: str
    tiers: list[str] = Field(min_length=1, description="tier names this system can answer")
    prompt: PromptField
    license: str
    packages: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    checkpoint: str | None = Field(None, description="Hugging Face repo id of the weights")
    weights: str | None = Field(None, description="their entry in scoring/models.toml")
    vocoder: str | None = None
    vocoder_weights: str | None = None
    defaults: dict[str, Any] = Field(default_factory=dict)

    @field_validator("generator")
    @classmethod
    def _registered(cls, name: str) -> str:
        from audioprobe.baselines.generator import generators

        return generators.check(name)


@cache
def load_catalog(path: Path = CATALOG_PATH) -> dict[str, BaselineEntry]:
    """Every baseline by key; aliases are resolved by `find_entry`."""
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    entries: dict[str, BaselineEntry] = {}
    for key, table in raw.items():
        try:
            entries[key] = BaselineEntry.model_validate({"key": key, **table})
        except ValidationError as exc:
            raise ConfigError(format_validation_error(path, exc, {key: table})) from exc
    return entries


def all_entries() -> dict[str, BaselineEntry]:
    """catalog.toml's entries, then those registered generators bring (CATALOG)."""
    from audioprobe.baselines.generator import generators

    entries = dict(load_catalog())
    for name in generators.names():
        for key, table in generators.get(name).CATALOG.items():
            raw = {"key": key, **table, "generator": name}
            try:
                entries[key] = BaselineEntry.model_validate(raw)
            except ValidationError as exc:
                raise ConfigError(f"baseline {key!r} of generator {name!r}: {exc}") from exc
    return entries


def find_entry(name: str) -> BaselineEntry:
    catalog = all_entries()
    if name in catalog:
        return catalog[name]
    for entry in catalog.values():
        if name in entry.aliases:
            return entry
    known = ", ".join(
        key + (f" (alias {', '.join(e.aliases)})" if e.aliases else "")
        for key, e in catalog.items()
    )
    raise ConfigError(f"unknown baseline {name!r}; known baselines: {known}")
