"""Reference sets: real or rendered clips, grouped by the class keys tier items name.

Scoring compares a model's sound with the clips of its item's class (FAD and friends). Sets live
in the cache, one folder each, mono at the analysis rate (16 kHz) with a manifest recording every
clip's source, licence, original rate and checksum. The built-in sets (one per tier whose kind has
a recipe: scoring/references/ for audioprobe's tiers) are built offline on first use; corpora on
disk are added with `refs add`.

    rs = load_reference_set("builtin-notes")
    rs.clips("keyboard")[0].path
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from audioprobe.errors import AudioprobeError, ConfigError
from audioprobe.references import builtin, store
from audioprobe.references.model import RefClip, ReferenceSet
from audioprobe.references.recipes import PREFIX, builtin_names
from audioprobe.tiers import tier_files

if TYPE_CHECKING:
    from audioprobe.results.run import Run

__all__ = [
    "RefClip",
    "ReferenceSet",
    "builtin_names",
    "list_reference_sets",
    "load_reference_set",
    "resolve_reference_name",
    "run_reference_set",
]


def resolve_reference_name(tier: str, name: str) -> str:
    """The set a spec means for `tier`: "builtin" is the tier's own built-in set, else a name."""
    known = tier_files()
    if tier not in known:
        raise ConfigError(f"unknown tier {tier!r}; expected one of {', '.join(sorted(known))}")
    if name == "builtin":
        return f"{PREFIX}{tier}"
    store.check_name(name)
    return name


def load_reference_set(name: str, log: Callable[[str], None] | None = None) -> ReferenceSet:
    """A built set by name; a built-in one is built first (offline) where absent or stale,
    telling `log` how the build goes."""
    if name.startswith("builtin"):
        return builtin.ensure(name, log=log or (lambda _m: None))
    if not store.is_built(name):
        known = ", ".join(list_reference_sets())
        raise ConfigError(
            f"no reference set {name!r}; add a corpus with `audioprobe refs add PATH --format ... "
            f"--name {name}` (known: {known})"
        )
    return ReferenceSet.read(store.set_dir(name))


def list_reference_sets() -> list[str]:
    """Built-in names (built or not) and every user set added to the cache."""
    names = builtin_names()
    return [*names, *[n for n in store.built_names() if n not in names]]


def run_reference_set(
    run: Run, tier: str, log: Callable[[str], None] | None = None
) -> ReferenceSet:
    """The reference set a run's `tier` is compared with (what its spec names; a built-in one is
    built on first use, with progress lines to `log`); AudioprobeError with the reason when it
    cannot be had. Scoring and the report both ask here, so a trial is heard beside what FAD
    compared it with."""
    choice = run.reference_choice(tier)
    try:
        return load_reference_set(resolve_reference_name(tier, choice), log)
    except OSError as exc:
        raise AudioprobeError(f"reference set {choice!r} of tier {tier}: {exc}") from exc
