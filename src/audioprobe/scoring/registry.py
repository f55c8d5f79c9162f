"""Where metrics are found: `metrics`, the extension point (audioprobe.registry.Registry) every
metric registers with; `score` iterates it. What a metric is lives in scoring/contract.py.

- the built-in metrics are the modules of `audioprobe.scoring.metrics`;
- more are found in the folders named by $AUDIOPROBE_METRICS_PATH (os.pathsep-separated, every
  `*.py` file in them) or $AUDIOPROBE_PLUGINS, and in installed packages' `audioprobe.metrics`
  (or `audioprobe.plugins`) entry points.
A metric module declares its metric as the module-level `METRIC` (a ClipMetric or SetMetric
instance). A module in a metric folder may instead define an embedding (an `Embedding` subclass
with a `name`), which `[tiers.<tier>] embeddings` can then name (scoring/embeddings).

The contract's names are importable from here too (`from audioprobe.scoring.registry import
ClipMetric, Column`), as metric modules written for earlier versions do.
"""

from __future__ import annotations

import os
import pkgutil
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from audioprobe.errors import ConfigError
from audioprobe.registry import Registry
from audioprobe.results.columns import MetricInfo
from audioprobe.scoring import metrics as _package
from audioprobe.scoring.contract import (
    ClipMetric,
    Column,
    Measured,
    Metric,
    Missing,
    NoSettings,
    SetMetric,
    Setup,
)

__all__ = [
    "ENTRY_POINTS",
    "PATH_ENV",
    "ClipMetric",
    "Column",
    "Measured",
    "Metric",
    "Missing",
    "NoSettings",
    "SetMetric",
    "Setup",
    "describe",
    "get_metric",
    "metrics",
    "registry",
]

PATH_ENV = "AUDIOPROBE_METRICS_PATH"
ENTRY_POINTS = "audioprobe.metrics"
BUILTIN = tuple(f"{_package.__name__}.{m.name}" for m in pkgutil.iter_modules(_package.__path__))


def _in_metric_folder(module: ModuleType) -> bool:
    file = getattr(module, "__file__", None)
    folders = [
        Path(f).resolve() for f in filter(None, os.environ.get(PATH_ENV, "").split(os.pathsep))
    ]
    return file is not None and Path(file).resolve().parent in folders


def _declared(module: ModuleType) -> Iterable[tuple[str, Metric]]:
    """A module's `METRIC`. A file in a metric folder or a built-in metric module must declare
    one (or, in a folder, an embedding): a misspelt `METRIC` is named, not silently skipped."""
    metric = getattr(module, "METRIC", None)
    if isinstance(metric, ClipMetric | SetMetric):
        return [(metric.name, metric)]
    builtin = module.__name__ in BUILTIN
    if metric is not None or builtin or (_in_metric_folder(module) and not _has_embedding(module)):
        where = getattr(module, "__file__", None) or module.__name__
        raise ConfigError(f"metric module {where} defines no METRIC (a ClipMetric or SetMetric)")
    return []


def _has_embedding(module: ModuleType) -> bool:
    from audioprobe.scoring.embeddings.base import Embedding

    return any(
        isinstance(v, type) and issubclass(v, Embedding) and v.__module__ == module.__name__
        for v in vars(module).values()
    )


#: Every metric by name.
metrics: Registry[Metric] = Registry(
    "metric", BUILTIN, folders_env=PATH_ENV, entry_points=ENTRY_POINTS, declared=_declared
)


def registry() -> dict[str, Metric]:
    """Every registered metric by name, in table order (rank, then name)."""
    found = metrics.loaded().values()  # metrics have no lazy entries: every one is loaded
    return {m.name: m for m in sorted(found, key=lambda m: (m.rank, m.name))}


def get_metric(name: str) -> Metric:
    known = registry()
    if name not in known:
        raise ConfigError(f"unknown metric {name!r}; known: {', '.join(known)}")
    return known[name]


def describe(name: str) -> MetricInfo | None:
    """The registered metric's description, for values stored before descriptions were stored
    with their cards (results/columns.py): what views pass as `describe`."""
    found = metrics.loaded().get(name)
    return found.info() if found else None
