"""Tier files: the three levels of the study as data a researcher edits.

Items carry their own targets (pitch, sentence, reference class) so that scoring never has to
guess what was asked for; a run snapshots the items it used, so later edits cannot change
its meaning.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from audioprobe.errors import ConfigError, load_toml_model
from audioprobe.paths import data_dir

TIER_ORDER = ("notes", "environmental", "speech")


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
        return out


class Tier(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    title: str
    level: int = Field(ge=1, description="rising complexity: 1 notes, 2 environment, 3 speech")
    description: str = ""
    sample_rate: int = Field(16000, ge=8000, le=192000)
    prompt: str = Field(description="template file under prompts/ for this tier")
    items: list[Item] = Field(min_length=1)

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
        for item in self.items:
            item.tier = self.name
            if self.name == "notes" and item.note is None:
                raise ValueError(f"item {item.id!r}: notes items need a [items.note] table")
            if self.name == "speech" and item.speech is None:
                raise ValueError(f"item {item.id!r}: speech items need a [items.speech] table")
        return self

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        known = ", ".join(i.id for i in self.items)
        raise ConfigError(f"tier {self.name!r} has no item {item_id!r}; known: {known}")


def load_tier(name_or_path: str | Path) -> Tier:
    """A tier by name (from the tiers folder) or by path to a TOML file."""
    path = Path(name_or_path)
    if not path.suffix:
        path = data_dir("tiers") / f"{name_or_path}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in data_dir("tiers").glob("*.toml")))
        raise ConfigError(f"no tier file {path}; known tiers: {known}")
    return load_toml_model(path, Tier)


def load_all_tiers() -> dict[str, Tier]:
    return {name: load_tier(name) for name in TIER_ORDER}
