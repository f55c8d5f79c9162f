"""Tier files: the levels of the study as data a researcher edits.

Items carry their own targets (pitch, notes, sentence, reference class) so that scoring never
has to guess what was asked for; a run snapshots the items it used, so later edits cannot change
its meaning. A tier is found by name in the tiers folder or, for a researcher's own tier, as
`<name>.toml` in a folder of $AUDIOPROBE_PLUGINS beside the module that registers its kind
(tier_kinds/); tiers are ordered by their `level`.
"""

from __future__ import annotations

import functools
import math
import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from audioprobe.errors import ConfigError, load_toml_model
from audioprobe.paths import data_dir
from audioprobe.registry import PLUGINS_ENV
from audioprobe.tier_kinds import kind_of, tier_kinds


class NoteTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    f0_hz: float = Field(gt=0)
    midi: int = Field(ge=0, le=127)
    family: str
    gm_program: int | None = Field(None, ge=0, le=127, description="General MIDI program, 0-based")


class TargetNote(BaseModel):
    """One note a clip must play: when it starts, how long it lasts, which MIDI pitch.

    A chord is several notes with the same onset. Written in a tier file as
    `notes = [[onset_s, duration_s, midi], ...]`."""

    model_config = ConfigDict(extra="forbid")

    onset_s: float = Field(ge=0)
    duration_s: float = Field(gt=0)
    midi: int = Field(ge=0, le=127)

    @model_validator(mode="before")
    @classmethod
    def _from_triple(cls, value: object) -> object:
        if isinstance(value, (list, tuple)):
            if len(value) != 3:
                raise ValueError("a note is [onset_s, duration_s, midi]")
            return {"onset_s": value[0], "duration_s": value[1], "midi": value[2]}
        return value


class Instrument(BaseModel):
    """The instrument an item asks for: its family (the reference class, as a rule) and the
    General MIDI program that renders its reference clips."""

    model_config = ConfigDict(extra="forbid")

    family: str
    gm_program: int | None = Field(None, ge=0, le=127, description="General MIDI program, 0-based")


class SpeechTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sentence: str = Field(min_length=1)


class Item(BaseModel):
    """One request of a tier."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    tier: str = ""
    request: str = Field(min_length=1, description="what the model is asked for, in words")
    caption: str = Field(min_length=1, description="short description used as CLAP text")
    class_key: str = Field(alias="class", description="reference class key")
    duration_s: float = Field(gt=0, le=60)
    note: NoteTarget | None = None
    speech: SpeechTarget | None = None
    notes: list[TargetNote] | None = Field(
        None, min_length=1, description="the notes a clip must play, for note-level scoring"
    )
    tempo_bpm: float | None = Field(
        None, gt=0, le=400, description="the beat the notes are written at, where rhythm matters"
    )
    instrument: Instrument | None = None

    def target_notes(self) -> list[TargetNote]:
        """The notes this item asks for: its explicit `notes`, else its one `note` held from 0
        for the item's duration, else none (the item bears no notes)."""
        if self.notes:
            return list(self.notes)
        if self.note:
            return [TargetNote(onset_s=0.0, duration_s=self.duration_s, midi=self.note.midi)]
        return []

    def targets(self) -> dict:
        """Flat view of the tier targets, for prompts and exports."""
        out: dict = {}
        if self.note:
            out.update(self.note.model_dump())
        if self.speech:
            out.update(self.speech.model_dump())
        if self.instrument:
            out.update(self.instrument.model_dump())
        if self.tempo_bpm is not None:
            out["tempo_bpm"] = self.tempo_bpm
        return out


class Tier(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    title: str
    level: int | float = Field(
        ge=1,
        description="rising complexity, orders the tiers: 1 notes, 2 environment, 3 speech"
        " (a tier between two takes a fraction: 1.5)",
    )
    description: str = ""
    sample_rate: int = Field(16000, ge=8000, le=192000)
    prompt: str = Field(description="template file under prompts/ for this tier")
    items: list[Item] = Field(min_length=1)
    references: dict[str, Any] | None = Field(
        None, description="recipe of the tier's built-in reference set, read by its kind"
    )
    _source: Path | None = PrivateAttr(None)

    @property
    def source(self) -> Path | None:
        """The tier file this tier was read from (None: built in memory or from a snapshot)."""
        return self._source

    @field_validator("items")
    @classmethod
    def _unique_ids(cls, items: list[Item]) -> list[Item]:
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                raise ValueError(f"duplicate item id {item.id!r}")
            seen.add(item.id)
        return items

    @model_validator(mode="after")
    def _targets_match_tier(self) -> Tier:
        kind = kind_of(self.name)
        for item in self.items:
            item.tier = self.name
            problem = kind.check_item(item)
            if problem:
                raise ValueError(f"item {item.id!r}: {problem}")
        return self

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        known = ", ".join(i.id for i in self.items)
        raise ConfigError(f"tier {self.name!r} has no item {item_id!r}; known: {known}")


def tier_files() -> dict[str, Path]:
    """Every tier file by name: the tiers folder's, then `<name>.toml` beside a registered tier
    kind in a plugin folder (other TOML files there are not tiers)."""
    files = {p.stem: p for p in sorted(data_dir("tiers").glob("*.toml"))}
    kinds = set(tier_kinds.names())
    for folder in filter(None, os.environ.get(PLUGINS_ENV, "").split(os.pathsep)):
        for path in sorted(Path(folder).glob("*.toml")):
            if path.stem in kinds:
                files.setdefault(path.stem, path)
    return files


def load_tier(name_or_path: str | Path) -> Tier:
    """A tier by name (the tiers folder, then the plugin folders) or by path to a TOML file.

    A tier file outside the tiers folder may keep its prompt template beside it."""
    path = Path(name_or_path)
    if not path.suffix:
        files = tier_files()
        if str(name_or_path) not in files:
            raise ConfigError(
                f"no tier {name_or_path!r}; known tiers: {', '.join(sorted(files))} (a tier of "
                f"your own is <name>.toml plus its kind module in a folder of ${PLUGINS_ENV})"
            )
        path = files[str(name_or_path)]
    if not path.is_file():
        known = ", ".join(sorted(tier_files()))
        raise ConfigError(f"no tier file {path}; known tiers: {known}")
    tier = load_toml_model(path, Tier)
    beside = path.parent / tier.prompt
    if path.parent.resolve() != data_dir("tiers").resolve() and beside.is_file():
        tier.prompt = str(beside.resolve())
    tier._source = path
    return tier


def load_all_tiers() -> dict[str, Tier]:
    """Every known tier, in rising level."""
    tiers = [load_tier(name) for name in tier_files()]
    return {t.name: t for t in sorted(tiers, key=lambda t: (t.level, t.name))}


def tier_rank(tier: str) -> tuple[float, str]:
    """Sort key over tier names: by level, a tier not known here (an old run's) last, then by
    name, so every table and figure lists tiers in rising complexity."""
    return (_levels(os.environ.get(PLUGINS_ENV, "")).get(tier, math.inf), tier)


@functools.cache
def _levels(plugins: str) -> dict[str, float]:
    """name -> level read from every tier file (for the plugin folders `plugins` names); a
    file without a readable level sorts last rather than breaking a view."""
    out: dict[str, float] = {}
    for name, path in tier_files().items():
        try:
            out[name] = float(tomllib.loads(path.read_text())["level"])
        except (OSError, KeyError, TypeError, ValueError, tomllib.TOMLDecodeError):
            continue
    return out
