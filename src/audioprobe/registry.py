"""Named extension points (metrics, embeddings, model kinds, sandbox backends, baseline
generators), each filled by the modules that define implementations, so a new one is one file.

One mechanism serves them all. An implementation is registered
- with the decorator, `@model_kinds.register("mykind")` on the class, or
- by what its module declares, for extension points that say how to read that (`declared`): a
  metric module's module-level `METRIC`, an embedding module's `Embedding` subclasses.
Audioprobe's own implementations are named by module path and imported on first lookup, so
nothing heavy (torch, docker) loads before it is used. Other modules are found in the folders of
$AUDIOPROBE_PLUGINS (separated by the path separator; every `*.py` there is imported) and in
installed packages' `audioprobe.plugins` entry points; an extension point may add its own folder
variable and entry-point group (the metrics' $AUDIOPROBE_METRICS_PATH and `audioprobe.metrics`).
Each plugin file is imported once per process whichever registry finds it, and what a folder
registered is listed only while the folder is named. Spec fields that name an implementation
(`kind`, `backend`, `generator`, a metric) are validated against `names()`.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Generic, TypeVar

from audioprobe.errors import ConfigError

PLUGINS_ENV = "AUDIOPROBE_PLUGINS"
ENTRY_POINTS = "audioprobe.plugins"
T = TypeVar("T")

#: How a module declares implementations without the decorator: (name, implementation) pairs.
Declared = Callable[[ModuleType], Iterable[tuple[str, T]]]

_imported: dict[str, ModuleType] = {}  # plugin file or entry point -> its module (once each)
_plugin_modules: set[str] = set()  # names of every plugin module imported so far


def folder_modules(env: str) -> list[ModuleType]:
    """The modules of the `*.py` files in the folders `env` names, imported once each."""
    found = []
    for folder in filter(None, os.environ.get(env, "").split(os.pathsep)):
        path = Path(folder)
        if not path.is_dir():
            raise ConfigError(f"{env}: {folder} is not a folder")
        for file in sorted(path.glob("*.py")):
            origin = str(file.resolve())
            if origin not in _imported:
                _imported[origin] = _import_file(file)
            found.append(_imported[origin])
    return found


@functools.cache
def _entry_points(group: str) -> tuple[metadata.EntryPoint, ...]:
    """Entry points of `group` (read once per process: a scan of every installed package's
    metadata costs tens of milliseconds, and registries are asked many times)."""
    return tuple(metadata.entry_points(group=group))


def entry_point_modules(group: str) -> list[ModuleType]:
    """The modules installed packages name in entry-point `group`, imported once each."""
    found = []
    for ep in _entry_points(group):
        key = f"ep:{ep.value}"
        if key not in _imported:
            ep.load()
            _imported[key] = importlib.import_module(ep.module)
            _plugin_modules.add(ep.module)
        found.append(_imported[key])
    return found


def load_plugins() -> None:
    """Import the plugin modules not imported yet ($AUDIOPROBE_PLUGINS, then entry points)."""
    folder_modules(PLUGINS_ENV)
    entry_point_modules(ENTRY_POINTS)


def _import_file(file: Path) -> ModuleType:
    name = f"audioprobe_plugin_{file.stem}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ConfigError(f"plugin {file} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a plugin's own bug: say which file, never a traceback
        del sys.modules[name]
        raise ConfigError(f"plugin {file} failed to load: {type(exc).__name__}: {exc}") from exc
    _plugin_modules.add(name)
    return module


def _module_of(obj: object) -> str:
    return getattr(obj, "__module__", None) or type(obj).__module__


class Registry(Generic[T]):
    """Implementations of one extension point by name."""

    def __init__(
        self,
        what: str,
        builtin: tuple[str, ...] = (),
        lazy: dict[str, str] | None = None,
        *,
        folders_env: str | None = None,
        entry_points: str | None = None,
        declared: Declared[T] | None = None,
    ):
        self.what = what  # "model kind", "sandbox backend", ...
        self._builtin = builtin  # modules that register audioprobe's own implementations
        # name -> "module:attribute", imported only when that name is asked for (an optional
        # dependency that is absent then fails that lookup alone, with ImportError)
        self._lazy = dict(lazy or {})
        self._folders_env = folders_env
        self._entry_points = entry_points
        self._declared = declared
        self._entries: dict[str, tuple[str, T]] = {}  # name -> (defining module, implementation)
        self._read: set[int] = set()  # ids of the modules whose declarations were read
        self._active: set[str] = set()  # the plugin modules found on this lookup

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: `@registry.register("name")` on the implementation (a class)."""

        def add(obj: T) -> T:
            self.add(name, obj)
            return obj

        return add

    def add(self, name: str, obj: T, module: str | None = None) -> None:
        """Register `obj` as `name`, defined in `module` (default: where `obj` was defined).
        A second implementation of one name from another module is a ConfigError: which one
        a run used must never depend on import order."""
        module = module or _module_of(obj)
        had = self._entries.get(name)
        if had is not None and had[0] != module and had[1] is not obj:
            raise ConfigError(f"two {self.what}s are named {name!r}: in {had[0]} and in {module}")
        self._entries[name] = (module, obj)

    def _read_declarations(self, module: ModuleType) -> None:
        if self._declared is None or id(module) in self._read:
            return
        self._read.add(id(module))
        for name, obj in self._declared(module):
            self.add(name, obj, module.__name__)

    def _ensure(self) -> None:
        for name in self._builtin:
            self._read_declarations(importlib.import_module(name))
        plugins = folder_modules(PLUGINS_ENV) + entry_point_modules(ENTRY_POINTS)
        if self._folders_env:
            plugins += folder_modules(self._folders_env)
        if self._entry_points:
            plugins += entry_point_modules(self._entry_points)
        for module in plugins:
            self._read_declarations(module)
        self._active = {m.__name__ for m in plugins}

    def _visible(self, module: str) -> bool:
        """Listed now: not a plugin module, or one whose folder or package is still named."""
        return module not in _plugin_modules or module in self._active

    def names(self) -> list[str]:
        """Every registered name, sorted: the order modules happened to be imported in (which
        differs between a CLI call and a long test session) must not change a message."""
        self._ensure()
        return sorted({*self._lazy, *self._shown()})

    def loaded(self) -> dict[str, T]:
        """Every registered implementation already imported, by name, sorted (those of `lazy`
        not asked for yet are left out: this imports nothing optional)."""
        self._ensure()
        return dict(sorted(self._shown().items()))

    def _shown(self) -> dict[str, T]:
        return {n: obj for n, (module, obj) in self._entries.items() if self._visible(module)}

    def get(self, name: str) -> T:
        """The implementation named `name`; ConfigError naming the registered ones if none."""
        self._ensure()
        if name not in self._entries and name in self._lazy:
            module, _, attribute = self._lazy[name].partition(":")
            self.add(name, getattr(importlib.import_module(module), attribute), module)
        found = self._entries.get(name)
        if found is None or not self._visible(found[0]):
            known = ", ".join(self.names())
            raise ConfigError(f"unknown {self.what} {name!r}; registered: {known}")
        return found[1]

    def check(self, name: str) -> str:
        """`name` if registered, else ValueError (for pydantic validators)."""
        if name not in self.names():
            raise ValueError(f"unknown {self.what} {name!r}; registered: {', '.join(self.names())}")
        return name
