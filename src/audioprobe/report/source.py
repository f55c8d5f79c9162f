"""What a report was written from, so a viewer can tell a current report from a stale one.

File times cannot say it: opening the index (as writing a report does) may checkpoint its WAL
and touch the file. The index's own rows can: how many trials in which state, when the last one
changed, when scoring last stored a card, and the run.json it was planned from.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from audioprobe import runpath
from audioprobe.store import connect_read_only

SOURCE_FILE = "source.txt"  # in the report folder, beside index.html


def fingerprint(root: Path) -> str:
    """A digest of the run's state as a report shows it (trials, scores, manifest)."""
    digest = hashlib.sha256()
    manifest = root / "run.json"
    if manifest.is_file():
        digest.update(manifest.read_bytes())
    db = connect_read_only(root)
    if db is not None:
        try:
            for query in (
                "SELECT status, COUNT(*), MAX(updated) FROM trials GROUP BY status ORDER BY 1",
                "SELECT COUNT(*), MAX(updated) FROM score_card",
            ):
                try:
                    digest.update(repr(db.execute(query).fetchall()).encode())
                except sqlite3.OperationalError:  # not scored yet: no score tables
                    digest.update(b"-")
        finally:
            db.close()
    return digest.hexdigest()


def is_current(root: Path, folder: Path) -> bool:
    """True when the report in `folder` was written from the run's present state."""
    raw = runpath.read_bytes(folder, SOURCE_FILE, 4096)
    if raw is None:
        return False
    written = raw.decode("utf-8", "replace").strip()
    return written == fingerprint(root) and runpath.regular_file(folder, "index.html") is not None
