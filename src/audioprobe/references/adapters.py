"""Readers for reference corpora in their published layouts, and `add_corpus` that caches them.

Each reader walks the corpus's own index (NSynth examples.json, ESC-50 meta/esc50.csv,
LibriSpeech *.trans.txt, LJSpeech metadata.csv, or one folder per class) and yields the clips it
names; a malformed index raises CorpusError naming the file and line, so a researcher can fix it.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audioprobe.errors import ConfigError
from audioprobe.references import store
from audioprobe.references.audio import ANALYSIS_RATE, DecodeError, decode, prepare
from audioprobe.references.model import ReferenceSet
from audioprobe.tiers import load_all_tiers

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".oga", ".aiff", ".aif")


class CorpusError(ConfigError):
    """A corpus whose index or audio cannot be read as its format says; names file and line."""


@dataclass
class CorpusClip:
    path: Path
    class_key: str
    where: str  # "file:line" of the index entry that named this clip, for error messages
    meta: dict[str, Any] = field(default_factory=dict)


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        raise CorpusError(f"{path}: not found ({what})")
    return path


def read_nsynth(root: Path) -> list[CorpusClip]:
    """NSynth: examples.json maps note_str -> fields; audio/<note_str>.wav; class: the family."""
    index = _require(root / "examples.json", "NSynth's index examples.json")
    text = index.read_text()
    try:
        examples = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{index}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    if not isinstance(examples, dict):
        raise CorpusError(f"{index}:1: expected an object of note_str -> example fields")
    lines = text.splitlines()

    def line_of(key: str) -> int:
        needle = json.dumps(key)
        return next((n for n, line in enumerate(lines, 1) if needle in line), 1)

    clips = []
    for note_str, fields in examples.items():
        where = f"{index}:{line_of(note_str)}"
        if not isinstance(fields, dict) or "instrument_family_str" not in fields:
            raise CorpusError(f"{where}: example {note_str!r} has no instrument_family_str")
        wav = root / "audio" / f"{note_str}.wav"
        if not wav.is_file():
            raise CorpusError(f"{where}: example {note_str!r}: audio file {wav} not found")
        meta = {"note_str": note_str}
        for key in ("pitch", "velocity", "instrument_str", "instrument_source_str"):
            if key in fields:
                meta["midi" if key == "pitch" else key] = fields[key]
        clips.append(CorpusClip(wav, str(fields["instrument_family_str"]), where, meta))
    return clips


def read_esc50(root: Path) -> list[CorpusClip]:
    """ESC-50: meta/esc50.csv (filename, fold, target, category, ...); audio/<filename>."""
    index = _require(root / "meta" / "esc50.csv", "ESC-50's index meta/esc50.csv")
    clips = []
    with index.open(newline="") as fh:
        reader = csv.DictReader(fh)
        need = {"filename", "category"}
        if not reader.fieldnames or not need <= set(reader.fieldnames):
            raise CorpusError(f"{index}:1: header must name columns {sorted(need)}")
        for row in reader:
            where = f"{index}:{reader.line_num}"
            if None in row or not row.get("filename") or not row.get("category"):
                raise CorpusError(f"{where}: expected {len(reader.fieldnames)} columns: {row}")
            wav = root / "audio" / row["filename"]
            if not wav.is_file():
                raise CorpusError(f"{where}: audio file {wav} not found")
            meta = {k: row[k] for k in ("fold", "target", "src_file", "take") if k in row}
            clips.append(CorpusClip(wav, row["category"], where, meta))
    return clips


def read_librispeech(root: Path) -> list[CorpusClip]:
    """LibriSpeech: <speaker>/<chapter>/<speaker>-<chapter>.trans.txt lines 'ID TEXT'; ID.flac."""
    indexes = sorted(root.rglob("*.trans.txt"))
    if not indexes:
        raise CorpusError(f"{root}: no *.trans.txt transcript files (LibriSpeech layout)")
    clips = []
    for index in indexes:
        for n, line in enumerate(index.read_text().splitlines(), 1):
            if not line.strip():
                continue
            where = f"{index}:{n}"
            utt, _, text = line.partition(" ")
            if not text.strip() or not re.fullmatch(r"\d+-\d+-\d+", utt):
                raise CorpusError(
                    f"{where}: expected 'SPEAKER-CHAPTER-UTTERANCE TEXT', got {line!r}"
                )
            flac = index.parent / f"{utt}.flac"
            if not flac.is_file():
                raise CorpusError(f"{where}: audio file {flac} not found")
            speaker, chapter, _ = utt.split("-")
            meta = {"text": text.strip(), "utterance": utt, "speaker": speaker, "chapter": chapter}
            clips.append(CorpusClip(flac, "speech", where, meta))
    return clips


def read_ljspeech(root: Path) -> list[CorpusClip]:
    """LJSpeech: metadata.csv lines 'ID|transcription|normalized' (no quoting); wavs/ID.wav."""
    index = _require(root / "metadata.csv", "LJSpeech's index metadata.csv")
    clips = []
    for n, line in enumerate(index.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{index}:{n}"
        parts = line.split("|")
        if len(parts) != 3 or not parts[0]:
            raise CorpusError(f"{where}: expected 'ID|transcription|normalized', got {line!r}")
        wav = root / "wavs" / f"{parts[0]}.wav"
        if not wav.is_file():
            raise CorpusError(f"{where}: audio file {wav} not found")
        text = parts[2] or parts[1]
        clips.append(CorpusClip(wav, "speech", where, {"text": text, "utterance": parts[0]}))
    return clips


def read_folder(root: Path) -> list[CorpusClip]:
    """Generic: one subfolder per class key, audio files inside (any depth)."""
    if not root.is_dir():
        raise CorpusError(f"{root}: not a folder")
    clips = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in sorted(sub.rglob("*")):
            if path.suffix.lower() in AUDIO_SUFFIXES and path.is_file():
                clips.append(CorpusClip(path, sub.name, str(path)))
    if not clips:
        raise CorpusError(
            f"{root}: no audio files in class subfolders ({', '.join(AUDIO_SUFFIXES)})"
        )
    return clips


READERS: dict[str, Callable[[Path], list[CorpusClip]]] = {
    "nsynth": read_nsynth,
    "esc50": read_esc50,
    "librispeech": read_librispeech,
    "ljspeech": read_ljspeech,
    "folder": read_folder,
}
DEFAULT_TIER = {
    "nsynth": "notes",
    "esc50": "environmental",
    "librispeech": "speech",
    "ljspeech": "speech",
}


def guess_tier(classes: set[str]) -> str | None:
    """The tier whose class keys overlap the corpus's classes most (None if none overlap)."""
    best, best_overlap = None, 0
    for name, tier in load_all_tiers().items():
        overlap = len(classes & {i.class_key for i in tier.items})
        if overlap > best_overlap:
            best, best_overlap = name, overlap
    return best


def add_corpus(
    root: Path,
    fmt: str,
    name: str,
    *,
    tier: str | None = None,
    license: str = "unknown (not recorded by the corpus)",
    log: Callable[[str], None] = lambda _m: None,
) -> ReferenceSet:
    """Read a corpus, convert every clip to 16 kHz mono WAV in the cache, and write its manifest."""
    if fmt not in READERS:
        raise ConfigError(f"unknown corpus format {fmt!r}; expected one of {', '.join(READERS)}")
    if name.startswith("builtin"):
        raise ConfigError(f"set name {name!r}: names starting with 'builtin' are reserved")
    store.check_name(name)
    root = root.resolve()
    clips = READERS[fmt](root)
    classes = {c.class_key for c in clips}
    tier = tier or DEFAULT_TIER.get(fmt) or guess_tier(classes)
    tiers = load_all_tiers()
    if tier is not None and tier not in tiers:
        raise ConfigError(f"unknown tier {tier!r}; expected one of {', '.join(tiers)}")
    with store.build_lock(name), store.writing(name) as writer:
        for n, clip in enumerate(clips):
            try:
                data, rate = decode(clip.path)
            except DecodeError as exc:
                raise CorpusError(f"{clip.where}: {exc}") from exc
            rel = clip.path.relative_to(root).with_suffix("").as_posix()
            writer.add(
                rel,
                prepare(data, rate, ANALYSIS_RATE),
                class_key=clip.class_key,
                source=f"{fmt}:{clip.path.relative_to(root).as_posix()}",
                license=license,
                original_sample_rate=rate,
                meta=clip.meta,
            )
            if (n + 1) % 500 == 0:
                log(f"{n + 1}/{len(clips)} clips")
        wanted = {i.class_key for i in tiers[tier].items} if tier else set()
        writer.commit(
            tier=tier,
            description=f"{fmt} corpus at {root}",
            sources=[{"source": str(root), "format": fmt, "license": license, "clips": len(clips)}],
            missing={
                k: f"the {fmt} corpus at {root} has no clip of this class" for k in wanted - classes
            },
        )
    return ReferenceSet.read(store.set_dir(name))
