"""Which finished trials the stored scores cover, so no view shows old numbers as the run's.

`score` records a fingerprint of every finished trial it scored (a hash of the trial's index
record). A trial added by `resume`, or re-run after an infrastructure fault, has no matching
fingerprint, so `show`, `runs`, the report and the viewer say "scores cover k of n trials; run
`audioprobe score`" until the run is scored again. Runs scored before fingerprints existed have
none: their coverage is unknown and nothing is claimed.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from audioprobe.outcomes import FINAL_OUTCOMES
from audioprobe.store import RunStore

TABLE = "score_coverage"
SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (trial_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL)"
)


def fingerprint(record_json: str) -> str:
    """The identity of a trial's result: its index record (status, answer, audio hash, ...),
    canonical (sorted keys), so the same record read back from trial.json by a rebuilt index
    has the same fingerprint."""
    try:
        canonical = json.dumps(json.loads(record_json), sort_keys=True)
    except ValueError:
        canonical = record_json
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _finished(db: sqlite3.Connection) -> list[tuple[str, str]]:
    rows = db.execute("SELECT trial_id, status, record FROM trials").fetchall()
    return [(r[0], fingerprint(r[2])) for r in rows if r[1] in FINAL_OUTCOMES]


def record_scored(store: RunStore, trial_ids: Iterable[str]) -> None:
    """After scoring: the trials `trial_ids` are what the stored scores describe now."""
    wanted = set(trial_ids)
    with store.connect() as db:
        db.executescript(SCHEMA)
        rows = [(tid, fp) for tid, fp in _finished(db) if tid in wanted]
        db.execute(f"DELETE FROM {TABLE}")
        db.executemany(f"INSERT INTO {TABLE} VALUES (?, ?)", rows)


@dataclass(frozen=True)
class Coverage:
    """k of the run's n finished trials are those the scores were computed from."""

    covered: int
    finished: int

    @property
    def complete(self) -> bool:
        return self.covered == self.finished

    def message(self, root: Path | str) -> str:
        return (
            f"scores cover {self.covered} of {self.finished} trials; run `audioprobe score"
            f" {root}` to score the rest"
        )


def coverage_of(db: sqlite3.Connection) -> Coverage | None:
    """The coverage read from an open index (read-only is enough); None when the run was never
    scored with fingerprints (not scored, or scored by an older audioprobe)."""
    try:
        known = db.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name=?", (TABLE,)
        ).fetchone()[0]
        if not known:
            return None
        scored = dict(db.execute(f"SELECT trial_id, fingerprint FROM {TABLE}").fetchall())
        finished = _finished(db)
    except sqlite3.DatabaseError:
        return None
    covered = sum(1 for tid, fp in finished if scored.get(tid) == fp)
    return Coverage(covered, len(finished))


def coverage(store: RunStore) -> Coverage | None:
    """The run's score coverage (see coverage_of)."""
    with store.connect() as db:
        return coverage_of(db)


def stale_note(store: RunStore) -> str | None:
    """The line a view prints when the scores do not cover every finished trial, else None."""
    found = coverage(store)
    return None if found is None or found.complete else found.message(store.root)
