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
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pydantic import ValidationError

from audioprobe import atomic, runpath
from audioprobe.errors import AudioprobeError, one_line_problem, stored_record
from audioprobe.manifest import Manifest
from audioprobe.outcomes import FINAL_OUTCOMES, INFRA_OUTCOMES
from audioprobe.safetext import storable
from audioprobe.shard import Shard
from audioprobe.tiers import Item
from audioprobe.trial_record import ROUND_FILE, TrialFile, TrialResult, round_dir_name

if TYPE_CHECKING:
    from audioprobe.spec import ExperimentSpec, ModelSpec

INDEX_NAME = "index.sqlite"
MAX_RECORD_BYTES = 64 << 20  # a trial.json is a few KiB; more is not a record
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


def read_manifest(root: Path) -> Manifest:
    """run.json, or a one-line error naming it: it holds the plan and cannot be rebuilt."""
    path = root / "run.json"
    if path.is_symlink():
        raise runpath.OutsideRun(f"{path} is a symbolic link; a run's run.json must be a file")
    if not path.is_file():
        raise AudioprobeError(f"{root} is not an audioprobe run (no run.json)")
    damaged = f"{path} is damaged; restore it from a backup (the trial folders are intact)"
    raw = runpath.read_bytes(root, "run.json", MAX_RECORD_BYTES)
    try:
        manifest = json.loads(raw if raw is not None else b"")
    except ValueError as exc:
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
    return Manifest.read(manifest, path)


def _row(key: TrialKey, record: TrialResult, now: float) -> tuple[Any, ...]:
    """The index row of a trial; an empty record is a pending trial."""
    stored = record.stored()
    return (
        key.trial_id,
        key.model,
        key.model_kind,
        key.tier,
        key.item,
        key.sample,
        str(record.status),
        storable(record.error),
        key.rel_dir,
        json.dumps(stored, default=str) if stored else "{}",  # ensure_ascii: surrogates escaped
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
    if runpath.regular_file(Path(root), INDEX_NAME) is None or _linked_index_files(Path(root)):
        return None
    return sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=10)


def _linked_index_files(root: Path) -> list[Path]:
    """The index's files (and SQLite's journals beside it) that are symbolic links: SQLite would
    read and write through them, outside the run."""
    names = [INDEX_NAME, *(f"{INDEX_NAME}{s}" for s in ("-wal", "-shm", "-journal"))]
    return [root / n for n in names if (root / n).is_symlink()]


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
        """The trial's folder below the run root; every name is one path part (`path_part`),
        so no name read from run.json or the index can climb out of `trials/`."""
        parts = (self.model, self.tier, self.item)
        return (
            "trials/" + "/".join(path_part(p) for p in parts) + f"/s{path_part(str(self.sample))}"
        )


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
    record: TrialResult
    run_root: Path

    @property
    def rel_dir(self) -> str:
        return self.dir.relative_to(self.run_root).as_posix()

    @property
    def files_dir(self) -> Path:
        """The folder of the prompt, answer and script that made the result: the trial folder,
        or the final round's folder of a trial with feedback rounds (its record's stage_dir,
        when that is a folder of this trial)."""
        stage = self.record.stage_dir
        if stage and stage.startswith(self.rel_dir + "/"):
            return self.run_root / stage
        return self.dir

    @property
    def code_file(self) -> str | None:
        """The name of the file holding the answer's code, by the trial's language (None for a
        trial without code)."""
        from audioprobe.languages import source_file

        return source_file(self.record.code_language())

    def read_code(self, limit: int) -> bytes | None:
        """Up to `limit` bytes of the final round's code, in whatever language it was asked."""
        name = self.code_file
        return None if name is None else self.read(name, limit, final=True)

    def read(self, name: str, limit: int, *, final: bool = False) -> bytes | None:
        """Up to `limit` bytes of the trial folder's file `name` (or the final round's, with
        `final`), read without following a link; None when there is no such regular file."""
        folder = self.files_dir if final else self.dir
        return runpath.read_bytes(self.run_root, folder.relative_to(self.run_root) / name, limit)

    def write(self, name: str, text: str) -> bool:
        """Write `name` into the trial's folder atomically; False (nothing written) when the
        folder's path passes a link, which would put the file outside the run."""
        try:
            path = runpath.inside(self.run_root, f"{self.rel_dir}/{name}")
        except runpath.OutsideRun:
            return False
        atomic.write_text(path, text)
        return True

    def round_record(self, number: int) -> TrialResult | None:
        """Feedback round `number`'s full record (round-N/round.json, with its analysis and task
        check); None when the round left none (an infrastructure fault) or it is damaged."""
        raw = self.read(f"{round_dir_name(number)}/{ROUND_FILE}", MAX_RECORD_BYTES)
        try:
            return TrialResult.read(json.loads(raw)) if raw is not None else None
        except ValueError:  # not JSON, or not a record (ValidationError)
            return None

    @property
    def wav_path(self) -> Path | None:
        """The rendered clip, absolute; None unless the trial produced a clip that is a regular
        file inside the run, reached without links."""
        rel = self.record.wav
        return runpath.regular_file(self.run_root, rel) if rel else None


class RunStore:
    """A run folder: `run.json`, `index.sqlite`, `trials/...`."""

    def __init__(self, root: Path, manifest: Manifest):
        self.root = root
        self.manifest = manifest
        self._items: dict[tuple[str, str], Item] | None = None
        #: Why `open` rebuilt the index from the trial folders, if it did.
        self.rebuilt: str | None = None
        #: One line per trial.json that could not be used as it is (read again when rebuilding)
        self.problems: list[str] = []

    # -- creation and opening ------------------------------------------------------------------
    @classmethod
    def create(cls, root: Path, manifest: Manifest | dict[str, Any]) -> RunStore:
        """A new run folder with its run.json (a dict is read as a stored manifest first)."""
        if not isinstance(manifest, Manifest):
            manifest = Manifest.read(manifest, root / "run.json")
        if (root / "run.json").exists():
            raise AudioprobeError(f"{root} already holds a run; use `audioprobe resume {root}`")
        root.mkdir(parents=True, exist_ok=True)
        atomic.write_json(root / "run.json", manifest.stored())
        store = cls(root, manifest)
        with store.connect() as db:
            db.executescript(_SCHEMA)
        return store

    @classmethod
    def open(cls, root: Path | str) -> RunStore:
        """Open a run; an index that is missing, empty or unreadable is rebuilt (see `rebuilt`)."""
        root = Path(root)
        store = cls(root, read_manifest(root))
        problem, damaged = store._index_problem()
        if problem:
            store.rebuild_index(damaged=damaged)
            store.rebuilt = problem
        return store

    def _index_problem(self) -> tuple[str | None, bool]:
        """(what is wrong with the index, whether its file is damaged), or (None, False)."""
        path = self.root / INDEX_NAME
        if linked := _linked_index_files(self.root):
            for link in linked:  # derived data: the links go, their targets stay untouched
                link.unlink()
            return f"{linked[0].name} was a symbolic link", False
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
                [_row(key, self._final_record(key) or TrialResult(), now) for key in keys],
            )

    def planned_keys(self) -> list[TrialKey]:
        """Every trial run.json's plan names: models × items × samples, in plan order; of a
        shard's run (`run --shard`), only the trials of that shard."""
        samples = self.manifest.spec.samples
        shard = Shard.from_manifest(self.manifest)
        keys = [
            TrialKey(m.name, m.kind, tier, item.id, sample)
            for m in self.manifest.models
            for tier, items in self.manifest.items.items()
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
        """The trial's folder; OutsideRun when a part of its path is a link (a write there
        would land outside the run)."""
        return runpath.inside(self.root, key.rel_dir)

    def register(self, keys: list[TrialKey]) -> None:
        """Add planned trials as pending; existing rows are kept as they are."""
        now = time.time()
        with self.connect() as db:
            db.executemany(
                "INSERT OR IGNORE INTO trials VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [_row(k, TrialResult(), now) for k in keys],
            )

    def save_trial(self, key: TrialKey, record: TrialResult | dict[str, Any]) -> None:
        """Write the trial's record file, then its index row (the file is the truth on resume).
        A dict is read as a stored record first (a ValidationError when a value does not fit)."""
        typed = record if isinstance(record, TrialResult) else TrialResult.read(record)
        atomic.write_json(self.trial_dir(key) / "trial.json", typed.stored())
        self._index(key, typed)

    def _index(self, key: TrialKey, record: TrialResult) -> None:
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
            if record is None or record.status not in done:
                pending.append(key)
            else:
                self._index(key, record)
        return pending

    def count(self) -> int:
        with self.connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM trials").fetchone()[0])

    def _final_record(self, key: TrialKey) -> TrialResult | None:
        """The trial's record file when it holds a finished trial; None when it is absent, a
        link, or damaged (the trial then runs again), with the reason in `problems`."""
        path = f"{key.rel_dir}/trial.json"
        raw = runpath.read_bytes(self.root, path, MAX_RECORD_BYTES)
        if raw is None:
            return None
        try:
            stored = json.loads(raw)
            record = TrialFile.read(stored)
        except ValidationError as exc:
            self.problems.append(one_line_problem(self.root / path, exc, stored))
            return None
        except ValueError as exc:  # not JSON
            self.problems.append(f"{self.root / path}: not valid JSON ({exc})")
            return None
        return record if record.status in FINAL_OUTCOMES else None

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
                dir=self.root
                / TrialKey(r["model"], r["model_kind"], r["tier"], r["item"], r["sample"]).rel_dir,
                record=self._indexed_record(r["trial_id"], r["record"]),
                run_root=self.root,
            )
            for r in rows
        ]

    def _indexed_record(self, trial_id: str, text: str) -> TrialResult:
        """An index row's record (checked when it was written); one line naming the trial and
        the fix when the index was edited since."""
        try:
            return TrialResult.read(json.loads(text))
        except ValueError as exc:  # not JSON, or a value that does not fit (ValidationError)
            raise AudioprobeError(
                f"{self.root / INDEX_NAME}: the record of trial {trial_id} is damaged"
                f" ({type(exc).__name__}); delete {INDEX_NAME} and it is rebuilt from trial.json"
            ) from exc

    # -- run.json as typed records ------------------------------------------------------------
    def spec(self) -> ExperimentSpec:
        """The experiment spec the run was made from; a value run.json holds that the spec
        does not allow is an AudioprobeError naming the field."""
        from audioprobe.spec import ExperimentSpec

        raw = self.manifest.spec.stored()
        return stored_record(ExperimentSpec, raw, self.root / "run.json", "spec")

    def model_specs(self) -> list[ModelSpec]:
        """The models run.json recorded, typed like `spec`."""
        from audioprobe.spec import ModelSpec

        path = self.root / "run.json"
        return [
            stored_record(ModelSpec, entry.stored(), path, f"models[{n}]")
            for n, entry in enumerate(self.manifest.models)
        ]

    def check_manifest(self) -> None:
        """Read every value run.json holds into its typed record (spec, models, items), so a
        bad one stops a command before it starts work, named in one line."""
        self.spec()
        self.model_specs()
        self._item_table()

    # -- the items snapshot --------------------------------------------------------------------
    def _item_table(self) -> dict[tuple[str, str], Item]:
        if self._items is None:
            table = {}
            for tier_name, items in self.manifest.items.items():
                for n, entry in enumerate(items):
                    item = stored_record(
                        Item, entry.stored(), self.root / "run.json", f"items.{tier_name}[{n}]"
                    )
                    item.tier = tier_name
                    table[(tier_name, item.id)] = item
            self._items = table
        return self._items

    def item(self, tier: str, item_id: str) -> Item:
        try:
            return self._item_table()[(tier, item_id)]
        except KeyError as exc:
            raise AudioprobeError(f"run {self.root} has no item {tier}/{item_id}") from exc
