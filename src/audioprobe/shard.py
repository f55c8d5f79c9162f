"""`--shard i/N`: one of N disjoint parts of a run's plan, for batch schedulers without Ray.

A trial belongs to shard `1 + (H mod N)`, where H is the first 8 bytes (big-endian) of the
SHA-256 of its trial id (`model/tier/item/sample`). The rule depends on nothing but the id:
not on plan order, Python's salted `hash`, the machine or the number of models, so each task of
a Slurm job array (`--shard $SLURM_ARRAY_TASK_ID/N` with `--array=1-N`) computes its own part
with no coordination, a shard rerun picks the same trials, and the N parts together are the plan.
Shards are numbered from 1, as job arrays usually are.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from audioprobe.errors import AudioprobeError, ConfigError

if TYPE_CHECKING:
    from audioprobe.manifest import Manifest

_FORM = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    index: int  # 1..count
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, trial_id: str) -> bool:
        return shard_of(trial_id, self.count) == self.index

    def to_dict(self) -> dict[str, int]:
        return {"index": self.index, "count": self.count}

    @classmethod
    def from_manifest(cls, manifest: Manifest) -> Shard | None:
        """The shard a run.json records, or None for a whole run."""
        raw = manifest.shard
        if raw is None:
            return None
        try:
            shard = cls(int(raw["index"]), int(raw["count"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise AudioprobeError(f"run.json's 'shard' is damaged ({raw!r})") from exc
        if not 1 <= shard.index <= shard.count:
            raise AudioprobeError(f"run.json's 'shard' is damaged ({raw!r})")
        return shard


def shard_of(trial_id: str, count: int) -> int:
    """The shard (1..count) that `trial_id` belongs to."""
    digest = hashlib.sha256(trial_id.encode("utf-8")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % count


def parse_shard(text: str) -> Shard:
    """`i/N` with 1 <= i <= N; a ConfigError that shows the form otherwise."""
    match = _FORM.match(text)
    if not match:
        raise ConfigError(f"shard {text!r}: expected i/N, e.g. 2/8 (shards count from 1)")
    index, count = int(match[1]), int(match[2])
    if count < 1:
        raise ConfigError(f"shard {text!r}: N is the number of shards, at least 1, e.g. 1/4")
    if not 1 <= index <= count:
        raise ConfigError(f"shard {text!r}: i counts the shards from 1 to {count}, e.g. 1/{count}")
    return Shard(index, count)
