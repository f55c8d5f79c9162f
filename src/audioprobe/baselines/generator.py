"""What every baseline shares: option checking, tier applicability, seeding, the WAV it writes.

Subclasses load their pipeline once (on the first trial, not when the run opens, so a missing
checkpoint makes trials `unavailable` instead of stopping the run) and synthesize one item.
"""

from __future__ import annotations

import threading
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from audioprobe.baselines import weights
from audioprobe.baselines.audio_out import write_mono_wav
from audioprobe.baselines.weights import Weights
from audioprobe.devices import parse_device, resolve_device
from audioprobe.errors import ConfigError, Unavailable
from audioprobe.registry import Registry
from audioprobe.tiers import Item, Tier

if TYPE_CHECKING:  # the catalog validates generator names against this module's registry
    from audioprobe.baselines.catalog import BaselineEntry

# Torch's and onnxruntime's seeds are process-wide: two generations at once would draw from one
# another's random streams. One lock keeps every trial reproducible from its seed alone.
GENERATION_LOCK = threading.Lock()

OptionType = type | tuple[type, ...]
COMMON_OPTIONS: dict[str, OptionType] = {
    "device": str,
    "prompt": str,
}


class Synthesis:
    """One generated clip before it is written: samples, their rate, and what made them."""

    def __init__(self, audio: np.ndarray, sample_rate: int, params: dict[str, Any]):
        self.audio = audio
        self.sample_rate = sample_rate
        self.params = params


class Baseline:
    """A catalog entry made runnable. Subclasses set OPTIONS and implement _load/_synthesize,
    and register with `@generators.register("name")`; catalog.toml entries name the generator.
    A generator from a plugin file may bring its own entries in CATALOG ({key: table}, the
    fields of a catalog.toml table without `generator`), so a new generator is one file."""

    OPTIONS: ClassVar[dict[str, OptionType]] = {}
    CATALOG: ClassVar[dict[str, dict[str, Any]]] = {}
    TORCH_OPTIONS: ClassVar[dict[str, OptionType]] = {}
    # True where the generator is told the length (MusicGen, AudioLDM 2); TTS length is natural.
    CONTROLS_DURATION: ClassVar[bool] = False
    PACKAGES: ClassVar[tuple[str, ...]] = ()

    def __init__(self, entry: BaselineEntry, name: str, options: dict[str, Any]):
        self.entry = entry
        self.name = name
        self.options = self._checked({**entry.defaults, **options})
        device = parse_device(str(self.options.get("device", "cpu")))
        # auto settles here; a named GPU that is absent makes the baseline unavailable later
        self.device = resolve_device(device) if device == "auto" else device
        self.prompt_field = self.options.get("prompt", entry.prompt)
        if self.prompt_field not in ("caption", "request", "sentence"):
            raise ConfigError(
                f"baseline {name}: option prompt={self.prompt_field!r}: expected caption, request"
                " or sentence"
            )
        self._loaded = False
        self._load_error: Unavailable | None = None

    def _checked(self, options: dict[str, Any]) -> dict[str, Any]:
        allowed = {**COMMON_OPTIONS, **self.TORCH_OPTIONS, **self.OPTIONS}
        for key, value in options.items():
            if key not in allowed:
                raise ConfigError(
                    f"baseline {self.name} ({self.entry.key}): unknown option {key!r}; known:"
                    f" {', '.join(sorted(allowed))}"
                )
            want = allowed[key]
            types = want if isinstance(want, tuple) else (want,)
            # TOML true/false are ints to isinstance; a number option must not take them
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                names = "/".join(t.__name__ for t in types)
                raise ConfigError(f"baseline {self.name}: option {key}={value!r}: expected {names}")
        return options

    @property
    def checkpoint(self) -> str | None:
        return self.options.get("checkpoint", self.entry.checkpoint)

    def resolve_weights(self, repo_id: str, weights_name: str | None, option: str) -> Weights:
        """The checkpoint folder: the spec option if given, else the catalog's weights."""
        what = f"baseline {self.entry.key}"
        if option in self.options:
            return weights.from_option(self.options[option], what=what)
        if weights_name:
            return weights.from_catalog(weights_name, repo_id, what=what)
        return weights.from_repo(repo_id, what=what)

    def describe(self) -> dict[str, Any]:
        """Cheap (no loading): who generated the audio, with what settings and licence."""
        versions: dict[str, str | None] = {}
        for package in (*self.entry.packages, *self.PACKAGES):
            try:
                versions[package] = metadata.version(package)
            except metadata.PackageNotFoundError:
                versions[package] = None
        return {
            "baseline": self.entry.key,
            "generator": self.entry.generator,
            "checkpoint": self.checkpoint,
            "vocoder": self.entry.vocoder,
            "license": self.entry.license,
            "device": self.device,
            "tiers": list(self.entry.tiers),
            "prompt_field": self.prompt_field,
            "options": {k: v for k, v in self.options.items() if k not in ("device",)},
            "versions": versions,
        }

    def prompt_text(self, item: Item) -> str:
        if self.prompt_field == "sentence":
            if item.speech is None:
                raise Unavailable(f"{self.entry.key}: item {item.id} has no sentence to speak")
            return item.speech.sentence
        return item.caption if self.prompt_field == "caption" else item.request

    def generate(self, tier: Tier, item: Item, seed: int, out_path: Path) -> dict[str, Any]:
        if tier.name not in self.entry.tiers:
            raise Unavailable(
                f"{self.entry.key} is a {'/'.join(self.entry.tiers)} model; not applicable to tier"
                f" {tier.name}"
            )
        text = self.prompt_text(item)
        with GENERATION_LOCK:
            self._ensure_loaded()
            synthesis = self._synthesize(text, item, seed)
        target = item.duration_s if self.CONTROLS_DURATION else None
        written = write_mono_wav(
            out_path, synthesis.audio, synthesis.sample_rate, tier.sample_rate, duration_s=target
        )
        return {
            "seed": seed,
            "text": text,
            "device": self.device,
            "duration_control": "requested" if self.CONTROLS_DURATION else "natural",
            **synthesis.params,
            "output": written,
        }

    def _ensure_loaded(self) -> None:
        """Load once; a failure is remembered so later trials fail fast with the same reason."""
        if self._load_error is not None:
            raise self._load_error
        if self._loaded:
            return
        try:
            self._load()
        except Unavailable as exc:
            self._load_error = exc
            raise
        self._loaded = True

    def _load(self) -> None:
        raise NotImplementedError

    def _synthesize(self, text: str, item: Item, seed: int) -> Synthesis:
        raise NotImplementedError


#: Generators by name; audioprobe's own are imported on first lookup (torch only when used).
generators: Registry[type[Baseline]] = Registry(
    "baseline generator",
    (
        "audioprobe.baselines.piper",
        "audioprobe.baselines.musicgen",
        "audioprobe.baselines.audioldm2",
        "audioprobe.baselines.speecht5",
        "audioprobe.baselines.espeak",
        "audioprobe.baselines.null",
    ),
)


def require(module: str, *, what: str, install: str) -> Any:
    """Import `module` or say which pip line brings it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise Unavailable(f"{what}: {exc}; fix: pip install {install}") from exc
