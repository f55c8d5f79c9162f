"""Media the report folder carries: clips and reference clips, stored by content hash.

The folder must play from file:// and from any static server, so every clip it plays lives inside
it. Clips are hard-linked where the file system allows (run WAVs are never modified, so a link
costs no space and stays valid if the run is deleted) and copied otherwise. Names are content
hashes, so re-running `report` reuses what is already there and identical clips are stored once.
"""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from audioprobe.hashing import sha256_file
from audioprobe.report.media import playable


def place(source: Path, folder: Path, sub: str, sha256: str | None = None) -> str:
    """Put `source` under `folder/sub/` by its hash; return its path relative to `folder`."""
    sha = sha256 or sha256_file(source)
    name = f"{sha[:24]}{source.suffix.lower()}"
    target = folder / sub / name
    if not _same_size(target, source):  # absent, or left truncated: placed (again)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{name}.{os.getpid()}.{threading.get_ident()}")
        try:
            os.link(source, partial)
        except OSError:  # another file system, or links not allowed: copy
            shutil.copyfile(source, partial)
        partial.replace(target)  # atomic: another worker placing the same hash is harmless
    return f"{sub}/{name}"


def _same_size(target: Path, source: Path) -> bool:
    try:
        return target.is_file() and target.stat().st_size == source.stat().st_size
    except OSError:
        return False


class ReferenceSet(Protocol):
    """What the report needs of `audioprobe.references`: the clips of one class."""

    def clips(self, class_key: str) -> Any: ...


@dataclass(frozen=True)
class ReferencePick:
    src: str  # relative to the report folder
    name: str
    class_key: str


@dataclass(frozen=True)
class ReferenceChoice:
    """The clips shown beside trials of one class, and how they were chosen (said on the page)."""

    picks: list[ReferencePick]
    how: str


def first_references(
    refs: ReferenceSet, class_key: str, folder: Path, count: int
) -> ReferenceChoice:
    """The first `count` reference clips of the trial's class, placed in the report folder.

    Used where no cached embedding ranks them (the run is not scored yet); the page says so.
    """
    try:
        clips = list(refs.clips(class_key))
    except Exception as exc:  # a missing class is something to show, not a reason to stop
        return ReferenceChoice(picks=[], how=f"unavailable: {exc}")
    if not clips:
        why = (getattr(refs, "missing", None) or {}).get(class_key)
        return ReferenceChoice(
            picks=[],
            how=f"unavailable: no reference clips of {class_key!r}" + (f" ({why})" if why else ""),
        )
    picks = place_picks(clips[:count], class_key, folder)
    how = f"the first {len(picks)} of {len(clips)} reference clips of class {class_key!r}"
    return ReferenceChoice(picks=picks, how=how + " (not ranked by similarity)")


def item_clips(clips: list[Any], item: str) -> tuple[list[Any], str]:
    """The clips of `clips` made for `item` where the set labels its clips by item (speech:
    each sentence's recordings carry its `sentence_id`), with how they were chosen; else all."""
    mine = [c for c in clips if (getattr(c, "meta", None) or {}).get("sentence_id") == item]
    if mine:
        return mine, f"of the same sentence ({item})"
    return clips, ""


def place_picks(clips: list[Any], class_key: str, folder: Path) -> list[ReferencePick]:
    """Place reference clips as browser-safe copies (report.media): sets hold any format."""
    return [
        ReferencePick(
            src=place(playable(Path(clip.path)), folder, "refs"),
            name=Path(clip.path).name,
            class_key=str(getattr(clip, "class_key", class_key)),
        )
        for clip in clips
    ]
