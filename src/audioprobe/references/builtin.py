"""The built-in sets: built offline from their recipes by their tier's kind on first use,
rebuilt when stale."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from audioprobe.atomic import write_json
from audioprobe.paths import data_dir
from audioprobe.references import store
from audioprobe.references.model import ReferenceSet
from audioprobe.references.recipes import (
    Recipe,
    checksums_path,
    expected_checksums,
    fingerprint,
    recipe,
)
from audioprobe.references.self_check import check_pitch


def current_fingerprint(name: str) -> str:
    found = recipe(name)
    return fingerprint(name, found.kind.fingerprint_extra(found.data))


def is_fresh(name: str) -> bool:
    """Built, and built from the recipe, tier and tools that are here now."""
    if not store.is_built(name):
        return False
    manifest = json.loads((store.set_dir(name) / "manifest.json").read_text())
    return manifest.get("info", {}).get("fingerprint") == current_fingerprint(name)


def build(
    name: str, *, force: bool = True, log: Callable[[str], None] = lambda _m: None
) -> ReferenceSet:
    """Build `name` from its recipe into the cache (offline) and return it.

    With force=False an up-to-date build (perhaps just finished by another process) is kept.
    """
    found = recipe(name)
    started = time.monotonic()
    with store.build_lock(name):
        if not force and is_fresh(name):
            return ReferenceSet.read(store.set_dir(name))
        return _build_locked(found, started, log)


def _build_locked(found: Recipe, started: float, log: Callable[[str], None]) -> ReferenceSet:
    name, tier = found.name, found.tier
    log(f"{name}: building from its recipe (first use; later runs reuse it) ...")
    with store.writing(name, log=log) as writer:
        fingerprint_now = fingerprint(name, found.kind.fingerprint_extra(found.data))
        result = found.kind.build_references(found.data, tier, writer)
        rules = found.data.get("self_check", {}).get("octave_rules", {})
        log(f"{name}: checking the clips' pitch against their labels ...")
        checked = check_pitch(writer.clips, rules)
        have = {c.class_key for c in writer.clips}
        missing = {
            key: result["reasons"].get(key, "no clip of this class could be made")
            for key in sorted({i.class_key for i in tier.items})
            if key not in have
        }
        expected = expected_checksums(name)
        rel = {c.path.relative_to(writer.tmp).as_posix(): c.sha256 for c in writer.clips}
        differing = sorted(k for k, v in rel.items() if k in expected and expected[k] != v)
        info = {
            "fingerprint": fingerprint_now,
            "recipe": _shown_path(found.path),
            "build_seconds": round(time.monotonic() - started, 1),
            "checksums": {
                "recorded": len(expected),
                "matching": sum(1 for k, v in rel.items() if expected.get(k) == v),
                "differing": len(differing),
                "differing_examples": differing[:20],
                "not_recorded": sum(1 for k in rel if k not in expected),
            },
        }
        if checked is not None:
            info["self_check"] = checked
        writer.commit(
            tier=tier.name,
            description=" ".join(found.data["description"].split()),
            sources=result["sources"],
            missing=missing,
            info=info,
        )
    log(f"{name}: {len(rel)} clips in {info['build_seconds']} s")
    return ReferenceSet.read(store.set_dir(name))


def _shown_path(path: Path) -> str:
    """The recipe's path as the manifest records it: relative to the data root where it is
    audioprobe's own (scoring/references/...), else as given (a plugin folder's tier file)."""
    try:
        return path.resolve().relative_to(data_dir("scoring").parent.resolve()).as_posix()
    except ValueError:
        return str(path)


def write_checksums(name: str) -> None:
    """Record the built set's per-clip checksums next to its recipe (to commit with it)."""
    rs = ReferenceSet.read(store.set_dir(name))
    clips = {c.path.relative_to(rs.root).as_posix(): c.sha256 for c in rs.clips()}
    write_json(
        checksums_path(name),
        {
            "set": name,
            "note": "sha256 of each clip's 16 kHz WAV bytes from a build with the tools recorded "
            "in tools; a build elsewhere reports matches and differences in refs show",
            "tools": {s["source"]: s.get("version") or s.get("renderer") for s in rs.sources},
            "clips": dict(sorted(clips.items())),
        },
    )


def ensure(name: str, *, log: Callable[[str], None] = lambda _m: None) -> ReferenceSet:
    """The built set, building it first where it is absent or stale."""
    if is_fresh(name):
        return ReferenceSet.read(store.set_dir(name))
    return build(name, force=False, log=log)
