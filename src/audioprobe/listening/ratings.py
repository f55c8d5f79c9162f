"""Answers of listening tests: read a rater's CSV, check it against the test's key, keep it.

Answers are stored per test and rater (RUN_DIR/listening/<test_id>/ratings/<rater>.csv), so
importing a rater's file again replaces that rater's answers instead of counting them twice.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audioprobe import atomic
from audioprobe.errors import AudioprobeError
from audioprobe.listening.export import KEY_FILE, tests_dir
from audioprobe.store import RunStore

COLUMNS = ("test_id", "design", "rater", "screen", "stimulus", "score")
RATER_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


@dataclass(frozen=True)
class Rating:
    test_id: str
    rater: str
    stimulus: str
    score: float


def read_ratings(path: Path) -> list[Rating]:
    """The rows of an answers file; a malformed one is named with its line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise AudioprobeError(f"cannot read {path}: {exc.strerror}") from exc
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise AudioprobeError(
            f"{path}: not a listening-test answers file (no column {', '.join(missing)});"
            " use the CSV the test page downloads"
        )
    out = []
    for line, row in enumerate(reader, 2):
        rater = row["rater"] or ""
        if not rater or not set(rater) <= RATER_CHARS:
            raise AudioprobeError(f"{path}:{line}: rater {rater!r} is not a plain name")
        try:
            score = float(row["score"])
        except (TypeError, ValueError):
            score = math.nan
        if not math.isfinite(score) or not 0 <= score <= 100:
            raise AudioprobeError(f"{path}:{line}: score {row['score']!r} is not a number 0-100")
        out.append(Rating(row["test_id"], rater, row["stimulus"], score))
    if not out:
        raise AudioprobeError(f"{path}: no answers in it")
    return out


def test_key(store: RunStore, test_id: str) -> dict[str, Any]:
    path = tests_dir(store) / test_id / KEY_FILE
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise AudioprobeError(
            f"test {test_id!r} was not exported from {store.root} (no {path});"
            " import answers into the run the test was exported from"
        ) from None


def store_ratings(store: RunStore, path: Path) -> dict[str, list[str]]:
    """Check `path` against its tests' keys and keep it; {test id: raters stored}."""
    ratings = read_ratings(path)
    by_file: dict[tuple[str, str], list[Rating]] = {}
    for rating in ratings:
        by_file.setdefault((rating.test_id, rating.rater), []).append(rating)
    stored: dict[str, list[str]] = {}
    for (test_id, rater), rows in by_file.items():
        key = test_key(store, test_id)
        exported = key.get("raters")  # absent in keys written before raters were recorded
        if exported is not None and rater not in exported:
            raise AudioprobeError(
                f"{path}: rater {rater!r} was never given a page of test {test_id} (its raters:"
                f" {', '.join(exported)}); import the CSV that rater's page downloaded"
            )
        stimuli = key["stimuli"]
        unknown = sorted({r.stimulus for r in rows} - set(stimuli))
        if unknown:
            raise AudioprobeError(
                f"{path}: stimulus {unknown[0]} is not part of test {test_id}"
                f" ({len(unknown)} unknown); was the file edited?"
            )
        lines = ["test_id,rater,stimulus,score"]
        lines += [f"{test_id},{rater},{r.stimulus},{r.score:g}" for r in rows]
        target = tests_dir(store) / test_id / "ratings" / f"{rater}.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(target, "\n".join(lines) + "\n")
        stored.setdefault(test_id, []).append(rater)
    return stored


def stored_ratings(store: RunStore, test_id: str) -> list[Rating]:
    folder = tests_dir(store) / test_id / "ratings"
    out = []
    for path in sorted(folder.glob("*.csv")):
        for row in csv.DictReader(path.read_text().splitlines()):
            out.append(Rating(row["test_id"], row["rater"], row["stimulus"], float(row["score"])))
    return out
