"""The runs under a folder, each summarised from its run.json and index, for the viewer's list.

A run is "running" while trials are pending and its index changed within RECENT_S (a run killed
part-way stays pending too, but goes quiet: that one is "incomplete" and `resume` finishes it).
A report is "stale" when the run's trials, scores or run.json differ from what it was written
from (report.source).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from audioprobe import runpath
from audioprobe.errors import AudioprobeError
from audioprobe.outcomes import Outcome
from audioprobe.report.source import is_current
from audioprobe.results.coverage import Coverage, coverage_of
from audioprobe.store import connect_read_only, read_manifest

RECENT_S = 120.0
DEPTH = 3  # run folders are looked for this many levels below the runs folder
REPORT = Path("report") / "index.html"


@dataclass(frozen=True)
class RunSummary:
    key: str  # path below the runs folder, "/"-separated: the run's address in the viewer
    root: Path
    run_id: str
    experiment: str
    created: str
    models: list[str]
    trials: int
    outcomes: dict[str, int]
    status: str  # finished | running | incomplete
    report: str  # missing | stale | current
    scored: bool = False  # `audioprobe score` has stored metric values
    coverage: Coverage | None = None  # which finished trials those values cover (if known)

    @property
    def scored_text(self) -> str:
        """yes, no, or "partial k/n" when trials were added or changed after scoring."""
        if not self.scored:
            return "no"
        if self.coverage is not None and not self.coverage.complete:
            return f"partial {self.coverage.covered}/{self.coverage.finished}"
        return "yes"

    @property
    def pending(self) -> int:
        return self.outcomes.get(Outcome.PENDING, 0)


def changed_at(root: Path) -> float:
    """When the run last changed: run.json, or the index (trials and scores; WAL included)."""
    paths = [root / "run.json", root / "index.sqlite", root / "index.sqlite-wal"]
    return max((p.stat().st_mtime for p in paths if p.exists()), default=0.0)


def report_state(root: Path) -> str:
    """missing, stale or current; a report reached through a link counts as missing (writing
    it replaces the link with a real folder)."""
    if runpath.regular_file(root, REPORT) is None:
        return "missing"
    return "current" if is_current(root, root / REPORT.parent) else "stale"


def _index_facts(root: Path) -> tuple[dict[str, int], bool, Coverage | None]:
    """Status counts, whether metric cards are stored and what they cover, straight from the
    index, read-only (a running run keeps writing to it)."""
    db = connect_read_only(root)
    if db is None:
        return {}, False, None
    try:
        rows = db.execute("SELECT status, COUNT(*) FROM trials GROUP BY status").fetchall()
        scored = bool(
            db.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='score_card'"
            ).fetchone()[0]
            and db.execute("SELECT COUNT(*) FROM score_card WHERE current=1").fetchone()[0]
        )
        covered = coverage_of(db) if scored else None
    except sqlite3.DatabaseError:
        return {}, False, None
    finally:
        db.close()
    return {str(status): int(n) for status, n in rows}, scored, covered


def summarise(root: Path, key: str, now: float | None = None) -> RunSummary | None:
    """The run at `root`, or None when run.json is unreadable (not a run, or being written)."""
    try:
        manifest = read_manifest(root)
    except (AudioprobeError, OSError):
        return None
    outcomes, scored, covered = _index_facts(root)
    pending = outcomes.get(Outcome.PENDING, 0)
    recent = (now or time.time()) - changed_at(root) < RECENT_S
    status = "finished" if not pending else ("running" if recent else "incomplete")
    return RunSummary(
        key=key,
        root=root,
        run_id=manifest.run_id or root.name,
        experiment=manifest.spec.name,
        created=(manifest.created or "")[:16].replace("T", " "),
        models=[m.name for m in manifest.models],
        trials=sum(outcomes.values()),
        outcomes=outcomes,
        status=status,
        report=report_state(root),
        scored=scored,
        coverage=covered,
    )


def find_runs(folder: Path) -> list[RunSummary]:
    """Every run at or below `folder` (DEPTH levels), newest first."""
    found: list[Path] = []
    level = [folder]
    for _ in range(DEPTH + 1):
        nxt: list[Path] = []
        for path in level:
            if (path / "run.json").is_file():
                found.append(path)
            elif path.is_dir():
                nxt.extend(p for p in sorted(path.iterdir()) if p.is_dir() and p.name != "report")
        level = nxt
    keys = [p.relative_to(folder).as_posix() if p != folder else p.name for p in found]
    runs = [summarise(p, key) for p, key in zip(found, keys, strict=True)]
    return sorted((r for r in runs if r), key=lambda r: (r.created, r.key), reverse=True)
