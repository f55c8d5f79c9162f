"""Joining the shards of one run (`run --shard i/N`, e.g. a Slurm job array) into one run folder.

The shards must be parts of the same plan run the same way: their specs, models, item snapshots
and package versions must be equal, and their trials must have run in the same sandbox backend;
otherwise the joined table would compare trials that were not run alike, so the merge refuses,
naming the first field that differs. Every shard 1..N must be given exactly once. The trial
folders are copied as they are and the index is built from them, so the merged run resumes,
scores and exports like a run made in one piece. Scores of the shards are not copied: set
metrics (FAD, ...) need every clip of a set, so the merged run is scored as a whole.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audioprobe.errors import AudioprobeError
from audioprobe.runlock import hold_run
from audioprobe.shard import Shard
from audioprobe.store import RunStore

#: run.json fields that must be equal in every shard (the plan and how it was run).
MATCHED_FIELDS = ("spec", "models", "items", "tiers", "versions", "git_commit")


@dataclass(frozen=True)
class MergeResult:
    store: RunStore
    counts: Counter[str]
    shards: int


def _difference(a: Any, b: Any, where: str) -> str | None:
    """The path of the first place `a` and `b` differ (dicts and lists walked), or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                return f"{where}.{key}"
            found = _difference(a[key], b[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{where} (length {len(a)} vs {len(b)})"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _difference(x, y, f"{where}[{i}]")
            if found:
                return found
        return None
    return None if a == b else where


def sandbox_backends(store: RunStore) -> set[str]:
    """The sandbox backends the run's scripts ran in (from each trial's `exec` record)."""
    found = set()
    for trial in store.trials():
        if trial.record.execution and trial.record.execution.backend:
            found.add(trial.record.execution.backend)
    return found


def _shard_of(store: RunStore) -> Shard:
    shard = Shard.from_manifest(store.manifest)
    if shard is None:
        raise AudioprobeError(f"{store.root} is not a shard (it was run without --shard)")
    return shard


def _check(stores: list[RunStore]) -> int:
    """The shard count N, after checking the stores are shards 1..N of one plan run alike."""
    shards = [_shard_of(store) for store in stores]
    count = shards[0].count
    for store, shard in zip(stores, shards, strict=True):
        if shard.count != count:
            raise AudioprobeError(
                f"{store.root} is shard {shard} but {stores[0].root} is of {count} shards"
            )
    seen: dict[int, Path] = {}
    for store, shard in zip(stores, shards, strict=True):
        if shard.index in seen:
            raise AudioprobeError(
                f"shard {shard} is given twice ({seen[shard.index]} and {store.root})"
            )
        seen[shard.index] = store.root
    missing = [str(i) for i in range(1, count + 1) if i not in seen]
    if missing:
        raise AudioprobeError(
            f"shard(s) {', '.join(missing)} of {count} missing; give every shard's run folder"
        )
    first = stores[0]
    for store in stores[1:]:
        for name in MATCHED_FIELDS:
            where = _difference(
                first.manifest.field_value(name), store.manifest.field_value(name), name
            )
            if where:
                raise AudioprobeError(
                    f"{store.root} and {first.root} differ in run.json's {where}: shards"
                    " of one run must share the spec, models, items and package versions"
                )
    backends = {store.root: sandbox_backends(store) for store in stores}
    used = set().union(*backends.values())
    if len(used) > 1:
        parts = "; ".join(f"{root}: {', '.join(sorted(b)) or '-'}" for root, b in backends.items())
        raise AudioprobeError(f"the shards ran in different sandbox backends ({parts})")
    return count


def merge_runs(shard_dirs: list[Path], out: Path) -> MergeResult:
    """Join `shard_dirs` (every shard of one run) into a new run folder `out`."""
    if not shard_dirs:
        raise AudioprobeError("name the shards' run folders to merge")
    seen: set[Path] = set()
    for root in shard_dirs:
        if root.resolve() in seen:
            raise AudioprobeError(f"{root} is given twice")
        seen.add(root.resolve())
    with ExitStack() as stack:
        for root in shard_dirs:
            stack.enter_context(hold_run(root, "merge"))
        stores = [RunStore.open(root) for root in shard_dirs]
        count = _check(stores)
        if out.exists() and any(p.name != ".lock" for p in out.iterdir()):
            raise AudioprobeError(f"{out} is not empty; merge into a new folder")
        stack.enter_context(hold_run(out, "merge", create=True))
        stores.sort(key=lambda s: _shard_of(s).index)
        manifest = stores[0].manifest.merged(
            run_id=out.name,
            created=dt.datetime.now(dt.UTC).isoformat(),
            merged_from=[
                {"run_id": s.manifest.run_id, "path": str(s.root), "shard": s.manifest.shard}
                for s in stores
            ],
        )
        merged = RunStore.create(out, manifest)
        for store in stores:
            for key in store.planned_keys():
                source = store.trial_dir(key)
                if source.is_dir():
                    shutil.copytree(source, merged.trial_dir(key), symlinks=True)
        merged.rebuild_index()
    return MergeResult(merged, Counter(t.status for t in merged.trials()), count)
