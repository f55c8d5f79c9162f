"""Named extension points (model kinds, sandbox backends, baseline generators), each filled by
the module that defines an implementation, so a new one is one file.

A module registers with a decorator (`@model_kinds.register("mykind")`). Audioprobe's own
implementations are named by module path and imported on first lookup, so nothing heavy (torch,
docker) loads before it is used. Other modules are found in the folders of $AUDIOPROBE_PLUGINS
(separated by the path separator, every `*.py` there is imported) and in installed packages'
`audioprobe.plugins` entry points. Spec fields that name an implementation (`kind`, `backend`,
`generator`) are validated against `names()`, so a spec can use whatever is registered.
(Metrics have their own registry, scoring/registry.py, with the same plugin folders idea.)
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Generic, TypeVar

from audioprobe.errors import ConfigError

PLUGINS_ENV = "AUDIOPROBE_PLUGINS"
ENTRY_POINTS = "audioprobe.plugins"
T = TypeVar("T")

_loaded: set[str] = set()


def load_plugins() -> None:
    """Import the plugin modules not imported yet ($AUDIOPROBE_PLUGINS, then entry points)."""
    for folder in filter(None, os.environ.get(PLUGINS_ENV, "").split(os.pathsep)):
        path = Path(folder)
        if not path.is_dir():
            raise ConfigError(f"{PLUGINS_ENV}: {folder} is not a folder")
        for file in sorted(path.glob("*.py")):
            origin = str(file.resolve())
            if origin in _loaded:
                continue
            _loaded.add(origin)
            _import_file(file)
    for ep in metadata.entry_points(group=ENTRY_POINTS):
        if f"ep:{ep.value}" not in _loaded:
            _loaded.add(f"ep:{ep.value}")
            ep.load()


def _import_file(file: Path) -> None:
    name = f"audioprobe_plugin_{file.stem}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ConfigError(f"plugin {file} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise ConfigError(f"plugin {file} failed to import: {type(exc).__name__}: {exc}") from exc


class Registry(Generic[T]):
    """Implementations of one extension point by name."""

    def __init__(
        self, what: str, builtin: tuple[str, ...] = (), lazy: dict[str, str] | None = None
    ):
        self.what = what  # "model kind", "sandbox backend", ...
        self._builtin = builtin  # modules that register audioprobe's own implementations
        # name -> "module:attribute", imported only when that name is asked for (an optional
        # dependency that is absent then fails that lookup alone, with ImportError)
        self._lazy = dict(lazy or {})
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: `@registry.register("name")` on the implementation (a class)."""

        def add(obj: T) -> T:
            self._entries[name] = obj
            return obj

        return add

    def _ensure(self) -> None:
        for module in self._builtin:
            importlib.import_module(module)
        load_plugins()

    def names(self) -> list[str]:
        """Every registered name, sorted: the order modules happened to be imported in (which
        differs between a CLI call and a long test session) must not change a message."""
        self._ensure()
        return sorted({*self._lazy, *self._entries})

    def get(self, name: str) -> T:
        """The implementation named `name`; ConfigError naming the registered ones if none."""
        self._ensure()
        if name not in self._entries and name in self._lazy:
            module, _, attribute = self._lazy[name].partition(":")
            self._entries[name] = getattr(importlib.import_module(module), attribute)
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(self.names())
            raise ConfigError(f"unknown {self.what} {name!r}; registered: {known}") from None

    def check(self, name: str) -> str:
        """`name` if registered, else ValueError (for pydantic validators)."""
        if name not in self.names():
            raise ValueError(f"unknown {self.what} {name!r}; registered: {', '.join(self.names())}")
        return name
