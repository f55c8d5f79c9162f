"""The cache of built sets: one folder per set, complete only once its manifest is in place.

A build writes into a hidden temporary folder and swaps it in with a rename after the manifest is
written, so a killed build leaves the old set (or none), never half a set that looks complete.
A lock file keeps two processes from building the same set at once.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from audioprobe.atomic import write_json
from audioprobe.errors import ConfigError
from audioprobe.paths import cache_dir
from audioprobe.references.audio import ANALYSIS_RATE, write_clip
from audioprobe.references.model import MANIFEST, RefClip

PROGRESS_EVERY_S = 5.0
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def references_root() -> Path:
    return cache_dir("references")


def set_dir(name: str) -> Path:
    check_name(name)
    return references_root() / name


def check_name(name: str) -> None:
    if not NAME_PATTERN.match(name):
        raise ConfigError(
            f"reference set name {name!r}: use letters, digits, '.', '_' or '-' "
            "(and start with a letter or digit)"
        )


def is_built(name: str) -> bool:
    return (set_dir(name) / MANIFEST).is_file()


def built_names() -> list[str]:
    root = references_root()
    return sorted(p.name for p in root.iterdir() if (p / MANIFEST).is_file())


@contextmanager
def build_lock(name: str) -> Iterator[None]:
    """Hold an exclusive lock for building `name` (blocks while another process builds it)."""
    lock_path = references_root() / f".{name}.lock"
    with lock_path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class SetWriter:
    """Collects clips into a temporary folder; `commit` writes the manifest and swaps it in."""

    def __init__(
        self,
        name: str,
        sample_rate: int = ANALYSIS_RATE,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.name = name
        self.sample_rate = sample_rate
        self._log = log
        self._said = time.monotonic()
        self.final = set_dir(name)
        root = references_root()
        for stale in root.glob(f".{name}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        self.tmp = root / f".{name}.tmp-{os.getpid()}"
        self.tmp.mkdir()
        self.clips: list[RefClip] = []
        self._stems: set[str] = set()

    def add(
        self,
        stem: str,
        samples: np.ndarray,
        *,
        class_key: str,
        source: str,
        license: str,
        original_sample_rate: int,
        meta: dict[str, Any] | None = None,
    ) -> RefClip:
        """Write one clip (already mono at the set's rate) under clips/<class>/<stem>.wav."""
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem)
        key = f"{class_key}/{safe}"
        if key in self._stems:
            raise ValueError(f"duplicate clip name {key!r} in set {self.name!r}")
        self._stems.add(key)
        path = self.tmp / "clips" / re.sub(r"[^A-Za-z0-9_.-]+", "_", class_key) / f"{safe}.wav"
        digest, duration = write_clip(path, samples, self.sample_rate)
        clip = RefClip(
            path=path,
            class_key=class_key,
            duration_s=duration,
            sha256=digest,
            source=source,
            license=license,
            original_sample_rate=original_sample_rate,
            meta=dict(meta or {}),
        )
        self.clips.append(clip)
        self._progress()
        return clip

    def _progress(self) -> None:
        """A line every PROGRESS_EVERY_S while clips are made: a first build takes a minute and
        must not look hung (in a terminal, a log or a notebook)."""
        now = time.monotonic()
        if self._log is not None and now - self._said >= PROGRESS_EVERY_S:
            self._said = now
            self._log(f"{self.name}: building, {len(self.clips)} clips so far ...")

    def commit(
        self,
        *,
        tier: str | None,
        description: str,
        sources: list[dict[str, Any]],
        missing: dict[str, str],
        info: dict[str, Any] | None = None,
    ) -> Path:
        manifest = {
            "name": self.name,
            "sample_rate": self.sample_rate,
            "tier": tier,
            "description": description,
            "sources": sources,
            "missing": dict(sorted(missing.items())),
            "info": info or {},
            "clips": [c.to_json(self.tmp) for c in self.clips],
        }
        write_json(self.tmp / MANIFEST, manifest)
        old = None
        if self.final.exists():
            old = self.final.with_name(f".{self.name}.old-{os.getpid()}")
            os.replace(self.final, old)
        os.replace(self.tmp, self.final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.final

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


@contextmanager
def writing(
    name: str, sample_rate: int = ANALYSIS_RATE, log: Callable[[str], None] | None = None
) -> Iterator[SetWriter]:
    """A SetWriter whose temporary folder is removed if the build fails before commit; `log`
    hears how the build goes."""
    writer = SetWriter(name, sample_rate, log)
    try:
        yield writer
    except BaseException:
        writer.abort()
        raise
