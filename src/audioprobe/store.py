"""The run store: one folder per run, one folder per trial, one SQLite index.

Files are the truth a researcher opens (prompt, answer, script, audio); the index is what makes a
5,000-trial run quick to summarise and safe to resume. Each trial's record is written atomically
before its index row, so a kill -9 at any point leaves a state `resume` can finish from, and the
index can always be rebuilt from run.json's plan and the trial folders: `open` does so by itself
when index.sqlite is missing, empty or unreadable.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from audioprobe import atomic
from audioprobe.errors import AudioprobeError
from audioprobe.outcomes import FINAL_OUTCOMES, INFRA_OUTCOMES, PENDING
from audioprobe.safetext import storable
from audioprobe.shard import Shard
from audioprobe.tiers import Item

INDEX_NAME = "index.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS trials (
    trial_id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    model_kind TEXT NOT NULL,
    tier TEXT NOT NULL,
    item TEXT NOT NULL,
    sample INTEGER NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    dir TEXT NOT NULL,
    record TEXT NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS trials_model_tier ON trials(model, tier);
"""


def _read_manifest(root: Path) -> dict[str, Any]:
    """run.json, or a one-line error naming it: it holds the plan and cannot be rebuilt."""
    path = root / "run.json"
    if not path.is_file():
        raise AudioprobeError(f"{root} is not an audioprobe run (no run.json)")
    damaged = f"{path} is damaged; restore it from a backup (the trial folders are intact)"
    try:
        manifest = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise AudioprobeError(f"{damaged}: {type(exc).__name__}") from exc
    if not isinstance(manifest, dict):
        raise AudioprobeError(f"{damaged}: not a JSON object")
    if not isinstance(manifest.get("spec"), dict):
        raise AudioprobeError(f"{damaged}: no valid 'spec'")
    for key, kind in (("models", list), ("items", dict)):
        if not isinstance(manifest.setdefault(key, kind()), kind):
            raise AudioprobeError(f"{damaged}: {key!r} is not a JSON {kind.__name__}")
    models_ok = all(
        isinstance(m, dict) and isinstance(m.get("name"), str) for m in manifest["models"]
    )
    items_ok = all(
        isinstance(items, list) and all(isinstance(i, dict) and "id" in i for i in items)
        for items in manifest["items"].values()
    )
    if not (models_ok and items_ok):
        raise AudioprobeError(f"{damaged}: a model without a name or an item without an id")
    return manifest


def _row(key: TrialKey, record: dict[str, Any], now: float) -> tuple[Any, ...]:
    """The index row of a trial; an empty record is a pending trial."""
    return (
        key.trial_id,
        key.model,
        key.model_kind,
        key.tier,
        key.item,
        key.sample,
        record.get("status", PENDING),
        storable(record.get("error")),
        key.rel_dir,
        json.dumps(record, default=str) if record else "{}",  # ensure_ascii: surrogates escaped
        now,
    )


def path_part(name: str) -> str:
    """`name` as one folder name, reversibly (urllib.parse.unquote gives it back): characters
    other than letters, digits and `_.-~` are percent-encoded, and so is a leading dot. Names of
    the old pattern ([A-Za-z0-9][A-Za-z0-9_.-]*) are unchanged, so older runs keep their folders.
    """
    encoded = quote(name, safe="")
    return "%2E" + encoded[1:] if encoded.startswith(".") else encoded


def connect_read_only(root: Path) -> sqlite3.Connection | None:
    """The run's index opened read-only (a running run keeps writing to it), or None if absent.

    Views that only look (the viewer's run list, a report's staleness check) use this so that
    looking never takes a write lock or creates an index.
    """
    path = Path(root) / INDEX_NAME
    if not path.is_file():
        return None
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)


def trial_id_for(model: str, tier: str, item: str, sample: int) -> str:
    return f"{model}/{tier}/{item}/{sample}"


@dataclass(frozen=True)
class TrialKey:
    model: str
    model_kind: str
    tier: str
    item: str
    sample: int

    @property
    def trial_id(self) -> str:
        return trial_id_for(self.model, self.tier, self.item, self.sample)

    @property
    def rel_dir(self) -> str:
        return f"trials/{path_part(self.model)}/{self.tier}/{self.item}/s{self.sample}"


@dataclass
class TrialRecord:
    trial_id: str
    model: str
    model_kind: str
    tier: str
    item: str
    sample: int
    status: str
    error: str | None
    dir: Path
    record: dict[str, Any]
    run_root: Path

    @property
    def files_dir(self) -> Path:
        """The folder of the prompt, answer and script that made the result: the trial folder,
        or the final round's folder of a trial with feedback rounds (its record's stage_dir)."""
        stage = self.record.get("stage_dir")
        return self.run_root / stage if isinstance(stage, str) and stage else self.dir

    @property
    def wav_path(self) -> Path | None:
        """The rendered clip, absolute; None unless the trial produced usable audio."""
        rel = self.record.get("wav")
        return self.run_root / rel if rel else None


class RunStore:
    """A run folder: `run.json`, `index.sqlite`, `trials/...`."""

    def __init__(self, root: Path, manifest: dict[str, Any]):
        self.root = root
        self.manifest = manifest
        self._items: dict[tuple[str, str], Item] | None = None
        #: Why `open` rebuilt the index from the trial folders, if it did.
        self.rebuilt: str | None = None

    # -- creation and opening ------------------------------------------------------------------
    @classmethod
    def create(cls, root: Path, manifest: dict[str, Any]) -> RunStore:
        if (root / "run.json").exists():
            raise AudioprobeError(f"{root} already holds a run; use `audioprobe resume {root}`")
        root.mkdir(parents=True, exist_ok=True)
        atomic.write_json(root / "run.json", manifest)
        store = cls(root, manifest)
        with store.connect() as db:
            db.executescript(_SCHEMA)
        return store

    @classmethod
    def open(cls, root: Path | str) -> RunStore:
        """Open a run; an index that is missing, empty or unreadable is rebuilt (see `rebuilt`)."""
        root = Path(root)
        store = cls(root, _read_manifest(root))
        problem, damaged = store._index_problem()
        if problem:
            store.rebuild_index(damaged=damaged)
            store.rebuilt = problem
        return store

    def _index_problem(self) -> tuple[str | None, bool]:
        """(what is wrong with the index, whether its file is damaged), or (None, False)."""
        path = self.root / INDEX_NAME
        if not path.is_file():
            return f"{INDEX_NAME} was missing", True
        if path.stat().st_size == 0:
            return f"{INDEX_NAME} was empty", True
        try:
            with self.connect() as db:
                db.executescript(_SCHEMA)
                count = int(db.execute("SELECT COUNT(*) FROM trials").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            return f"{INDEX_NAME} was unreadable ({exc})", True
        if count == 0 and self.planned_keys():
            return f"{INDEX_NAME} listed no trials", False
        return None, False

    def rebuild_index(self, *, damaged: bool = False) -> None:
        """The index anew from the plan in run.json and each trial folder's trial.json.

        A damaged index file is set aside (index.sqlite.damaged, for a post-mortem) with its
        journal files, which would otherwise be replayed into the new one.
        """
        if damaged:
            for suffix in ("-wal", "-shm", "-journal"):
                (self.root / f"{INDEX_NAME}{suffix}").unlink(missing_ok=True)
            index = self.root / INDEX_NAME
            if index.exists():
                index.replace(self.root / f"{INDEX_NAME}.damaged")
        keys = self.planned_keys()
        now = time.time()
        with self.connect() as db:
            db.executescript(_SCHEMA)
            db.execute("DELETE FROM trials")
            db.executemany(
                "INSERT OR REPLACE INTO trials VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [_row(key, self._final_record(key) or {}, now) for key in keys],
            )

    def planned_keys(self) -> list[TrialKey]:
        """Every trial run.json's plan names: models × items × samples, in plan order; of a
        shard's run (`run --shard`), only the trials of that shard."""
        samples = int(self.manifest["spec"].get("samples", 1))
        shard = Shard.from_manifest(self.manifest)
        keys = [
            TrialKey(m["name"], m.get("kind", "openai"), tier, item["id"], sample)
            for m in self.manifest["models"]
            for tier, items in self.manifest["items"].items()
            for item in items
            for sample in range(samples)
        ]
        return [k for k in keys if shard is None or shard.holds(k.trial_id)]

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.root / INDEX_NAME, timeout=30)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            with db:
                yield db
        finally:
            db.close()

    def connect(self) -> Any:
        """A context-managed connection (WAL); the block is one transaction."""
        return self._connection()

    # -- trials --------------------------------------------------------------------------------
    def trial_dir(self, key: TrialKey) -> Path:
        return self.root / key.rel_dir

    def register(self, keys: list[TrialKey]) -> None:
        """Add planned trials as pending; existing rows are kept as they are."""
        now = time.time()
        with self.connect() as db:
            db.executemany(
                "INSERT OR IGNORE INTO trials VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [_row(k, {}, now) for k in keys],
            )

    def save_trial(self, key: TrialKey, record: dict[str, Any]) -> None:
        """Write the trial's record file, then its index row (the file is the truth on resume)."""
        atomic.write_json(self.trial_dir(key) / "trial.json", record)
        self._index(key, record)

    def _index(self, key: TrialKey, record: dict[str, Any]) -> None:
        with self.connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO trials VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                _row(key, record, time.time()),
            )

    def pending_keys(self, *, retry_infra: bool = True) -> list[TrialKey]:
        """Trials still to run: unfinished ones and, unless `retry_infra` is False, those that
        ended in an infrastructure fault (`llm_error`, `sandbox_error`).

        A finished index row is trusted: it is written after the record file. A pending row whose
        record file is already final (a kill between the two writes) is re-indexed, not rerun.
        """
        done = FINAL_OUTCOMES - INFRA_OUTCOMES if retry_infra else FINAL_OUTCOMES
        pending = []
        for trial in self.trials():
            if trial.status in done:
                continue
            key = TrialKey(trial.model, trial.model_kind, trial.tier, trial.item, trial.sample)
            if trial.status in INFRA_OUTCOMES:
                pending.append(key)
                continue
            record = self._final_record(key)
            if record is None or record.get("status") not in done:
                pending.append(key)
            else:
                self._index(key, record)
        return pending

    def count(self) -> int:
        with self.connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM trials").fetchone()[0])

    def _final_record(self, key: TrialKey) -> dict[str, Any] | None:
        path = self.trial_dir(key) / "trial.json"
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):  # absent or damaged: the trial runs again
            return None
        if not isinstance(record, dict):
            return None
        return record if record.get("status") in FINAL_OUTCOMES else None

    def trials(self) -> list[TrialRecord]:
        with self.connect() as db:
            rows = db.execute("SELECT * FROM trials ORDER BY model, tier, item, sample").fetchall()
        return [
            TrialRecord(
                trial_id=r["trial_id"],
                model=r["model"],
                model_kind=r["model_kind"],
                tier=r["tier"],
                item=r["item"],
                sample=r["sample"],
                status=r["status"],
                error=r["error"],
                dir=self.root / r["dir"],
                record=json.loads(r["record"]),
                run_root=self.root,
            )
            for r in rows
        ]

    # -- the items snapshot --------------------------------------------------------------------
    def item(self, tier: str, item_id: str) -> Item:
        if self._items is None:
            self._items = {}
            for tier_name, items in self.manifest.get("items", {}).items():
                for raw in items:
                    item = Item.model_validate(raw)
                    item.tier = tier_name
                    self._items[(tier_name, item.id)] = item
        try:
            return self._items[(tier, item_id)]
        except KeyError as exc:
            raise AudioprobeError(f"run {self.root} has no item {tier}/{item_id}") from exc
