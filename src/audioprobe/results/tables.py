"""Where scoring's results live in the run's index, and how they are read back as records.

score_card   one row per metric card (the card JSON); `current` marks the cards of the latest
             scoring, per (metric, embedding, tier): the ones every view reads.
score_card_info  per card, the metric's description (its columns, results/columns.py) as it
             was when the card was used: views describe values from here, not from the
             metrics installed now (a run scored before this table existed is described by
             the `describe` its reader passes, the metric registry's).
score_clip   one value per trial × metric column × card (a number or a text, with a status).
score_set    one value per model × tier × class × metric column × embedding × card, with its
             interval, clip counts, render-rate counts and the failed-render rule (in `extra`).
Values under different cards are never merged: views read the current cards only, and every
exported value carries its card hash beside it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from typing import Any

from audioprobe import atomic
from audioprobe.results.columns import Catalog, Describe, MetricInfo
from audioprobe.results.records import ClipValue, SetValue, Status, status_of
from audioprobe.store import RunStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS score_card (
    card_hash TEXT PRIMARY KEY,
    metric TEXT NOT NULL,
    embedding TEXT NOT NULL,
    tier TEXT NOT NULL,
    card TEXT NOT NULL,
    current INTEGER NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS score_clip (
    trial_id TEXT NOT NULL,
    name TEXT NOT NULL,
    embedding TEXT NOT NULL,
    value REAL,
    text TEXT,
    status TEXT NOT NULL,
    wav_sha256 TEXT,
    card_hash TEXT NOT NULL,
    PRIMARY KEY (trial_id, name, embedding, card_hash)
);
CREATE TABLE IF NOT EXISTS score_set (
    model TEXT NOT NULL,
    tier TEXT NOT NULL,
    class_key TEXT NOT NULL,
    metric TEXT NOT NULL,
    embedding TEXT NOT NULL,
    value REAL,
    ci_low REAL,
    ci_high REAL,
    n_gen INTEGER,
    n_ref INTEGER,
    n_trials INTEGER,
    n_rendered INTEGER,
    status TEXT NOT NULL,
    reason TEXT,
    extra TEXT,
    card_hash TEXT NOT NULL,
    PRIMARY KEY (model, tier, class_key, metric, embedding, card_hash)
);
CREATE TABLE IF NOT EXISTS score_card_info (
    card_hash TEXT PRIMARY KEY,
    info TEXT NOT NULL
);
"""

CARDS_FILE = "cards.json"
Card = tuple[dict[str, Any], str, str, str]  # card, metric, embedding, tier


def ensure_tables(store: RunStore) -> None:
    with store.connect() as db:
        db.executescript(SCHEMA)


def _has_table(store: RunStore, name: str = "score_card") -> bool:
    with store.connect() as db:
        row = db.execute(
            "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?", (name,)
        ).fetchone()
    return bool(row[0])


def record_cards(
    store: RunStore,
    run_id: str,
    cards: dict[str, Card],
    infos: Mapping[str, MetricInfo] | None = None,
) -> None:
    """Store the cards used now ({hash: (card, metric, embedding, tier)}) with the description
    of their metric (`infos` by metric name; a card without one reads as one an older version
    stored) and mark them current, retiring older cards of the same (metric, embedding, tier);
    then rewrite cards.json."""
    infos = infos or {}
    now = time.time()
    with store.connect() as db:
        for digest, (card, metric, embedding, tier) in cards.items():
            if metric in infos:
                db.execute(
                    "INSERT OR REPLACE INTO score_card_info VALUES (?,?)",
                    (digest, json.dumps(infos[metric].to_json(), sort_keys=True)),
                )
            db.execute(
                "UPDATE score_card SET current=0 WHERE metric=? AND embedding=? AND tier=?"
                " AND card_hash<>?",
                (metric, embedding, tier, digest),
            )
            db.execute(
                "INSERT OR REPLACE INTO score_card VALUES (?,?,?,?,?,1,?)",
                (digest, metric, embedding, tier, json.dumps(card, sort_keys=True), now),
            )
        rows = db.execute("SELECT * FROM score_card ORDER BY metric, embedding, tier").fetchall()
    payload = {
        "run_id": run_id,
        "current": sorted(r["card_hash"] for r in rows if r["current"]),
        "cards": {
            r["card_hash"]: {
                "metric": r["metric"],
                "embedding": r["embedding"] or None,
                "tier": r["tier"] or None,
                "current": bool(r["current"]),
                "card": json.loads(r["card"]),
            }
            for r in rows
        },
    }
    atomic.write_json(store.root / CARDS_FILE, payload)


def current_cards(store: RunStore) -> dict[str, dict[str, Any]]:
    """{card hash: its score_card row} for the cards views read; {} when never scored."""
    if not _has_table(store):
        return {}
    with store.connect() as db:
        rows = db.execute("SELECT * FROM score_card WHERE current=1").fetchall()
    return {r["card_hash"]: dict(r) for r in rows}


def _stored_infos(store: RunStore) -> dict[str, MetricInfo]:
    """{card hash: the metric description stored with it}."""
    if not _has_table(store, "score_card_info"):
        return {}
    with store.connect() as db:
        rows = db.execute("SELECT card_hash, info FROM score_card_info").fetchall()
    return {r[0]: MetricInfo.from_json(json.loads(r[1])) for r in rows}


def described_cards(
    store: RunStore, describe: Describe | None = None
) -> dict[str, tuple[dict[str, Any], MetricInfo]]:
    """{card hash: (its score_card row, its metric's description)} of the current cards that
    have one: stored with the card, else (a run scored before descriptions were stored) what
    `describe` says. A card described by neither (an old run's value of a metric gone since:
    `render_rate`, which older versions stored as a set value and is now computed from the
    trials) is left out rather than shown as a number nobody can label."""
    stored = _stored_infos(store)
    out = {}
    for digest, card in current_cards(store).items():
        info = stored.get(digest) or (describe(card["metric"]) if describe else None)
        if info is not None:
            out[digest] = (card, info)
    return out


def catalog(store: RunStore, describe: Describe | None = None) -> Catalog:
    """The descriptions of the metrics behind the run's current values, in table order."""
    return Catalog.of({i.name: i for _, i in described_cards(store, describe).values()}.values())


def stored_clips(store: RunStore, digests: list[str]) -> dict[tuple[str, str], str]:
    """{(trial id, card hash): wav sha256 ('' for no clip)} of values already stored; values
    that failed or were unavailable are left out, so the next scoring tries them again."""
    if not digests:
        return {}
    marks = ",".join("?" * len(digests))
    with store.connect() as db:
        got = db.execute(
            "SELECT trial_id, card_hash, wav_sha256 FROM score_clip"
            f" WHERE card_hash IN ({marks})"
            " AND status NOT IN ('error', 'failed', 'unavailable')",
            tuple(digests),
        ).fetchall()
    return {(r[0], r[1]): r[2] or "" for r in got}


def write_clip_values(store: RunStore, values: Iterable[ClipValue], wav: dict[str, str]) -> None:
    """Store clip values; `wav` maps trial id to the clip's sha256 they were computed from."""
    rows = [
        (
            v.trial_id,
            v.column,
            v.embedding,
            v.value,
            v.text if v.status == Status.OK else v.reason,
            v.status.value,
            wav.get(v.trial_id),
            v.card_hash,
        )
        for v in values
    ]
    if rows:
        with store.connect() as db:
            db.executemany("INSERT OR REPLACE INTO score_clip VALUES (?,?,?,?,?,?,?,?)", rows)


def write_set_values(store: RunStore, values: Iterable[SetValue]) -> None:
    rows = [
        (
            v.model,
            v.tier,
            v.class_key,
            v.column,
            v.embedding,
            v.value,
            v.ci_low,
            v.ci_high,
            v.n_generated,
            v.n_reference,
            v.n_trials,
            v.n_rendered,
            v.status.value,
            v.reason,
            json.dumps({**v.extra, "rule": v.rule, "metric": v.metric}, default=float),
            v.card_hash,
        )
        for v in values
    ]
    if rows:
        with store.connect() as db:
            db.executemany(
                "INSERT OR REPLACE INTO score_set VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows
            )


def clip_values(store: RunStore, describe: Describe | None = None) -> list[ClipValue]:
    """Every current clip value, in trial order (of the described cards, see described_cards)."""
    cards = described_cards(store, describe)
    if not cards:
        return []
    marks = ",".join("?" * len(cards))
    with store.connect() as db:
        rows = db.execute(
            f"SELECT * FROM score_clip WHERE card_hash IN ({marks})"
            " ORDER BY trial_id, card_hash, name, embedding",
            tuple(cards),
        ).fetchall()
    out = []
    for r in rows:
        status = status_of(r["status"])
        card, info = cards[r["card_hash"]]
        column = info.column(r["name"])
        out.append(
            ClipValue(
                trial_id=r["trial_id"],
                metric=card["metric"],
                column=r["name"],
                embedding=r["embedding"],
                status=status,
                card_hash=r["card_hash"],
                value=r["value"] if status == Status.OK else None,
                text=r["text"] if status == Status.OK else None,
                reason=None if status == Status.OK else r["text"],
                unit=column.unit if column else "",
            )
        )
    return out


def set_values(
    store: RunStore, class_level: bool = False, describe: Describe | None = None
) -> list[SetValue]:
    """The current set values (of the described cards, see described_cards), tier-level only
    unless `class_level`."""
    cards = described_cards(store, describe)
    if not cards:
        return []
    marks = ",".join("?" * len(cards))
    where = "" if class_level else " AND class_key=''"
    with store.connect() as db:
        rows = db.execute(
            f"SELECT * FROM score_set WHERE card_hash IN ({marks}){where}"
            " ORDER BY model, tier, class_key, metric, embedding",
            tuple(cards),
        ).fetchall()
    out = []
    for r in rows:
        extra = json.loads(r["extra"]) if r["extra"] else {}
        rule = extra.pop("rule", "")
        metric = extra.pop("metric", None) or cards[r["card_hash"]][0]["metric"]
        out.append(
            SetValue(
                model=r["model"],
                tier=r["tier"],
                class_key=r["class_key"],
                metric=metric,
                column=r["metric"],
                embedding=r["embedding"],
                status=status_of(r["status"]),
                card_hash=r["card_hash"],
                value=r["value"],
                ci_low=r["ci_low"],
                ci_high=r["ci_high"],
                n_generated=r["n_gen"],
                n_reference=r["n_ref"],
                n_trials=r["n_trials"],
                n_rendered=r["n_rendered"],
                rule=rule,
                reason=r["reason"],
                extra=extra,
            )
        )
    return out


def clip_column(store: RunStore, card_hash: str, column: str) -> dict[str, float | None]:
    """{trial id: value (None where the value is not a number)} of one clip column under one
    card: what a set metric built on a clip metric (task success) reads during a scoring."""
    with store.connect() as db:
        rows = db.execute(
            "SELECT trial_id, value, status FROM score_clip WHERE card_hash=? AND name=?",
            (card_hash, column),
        ).fetchall()
    return {r[0]: (r[1] if status_of(r[2]) == Status.OK else None) for r in rows}


def current_card_of(store: RunStore, metric: str, tier: str) -> str | None:
    """The current card hash of a clip metric for a tier, from an earlier scoring."""
    for digest, card in current_cards(store).items():
        if card["metric"] == metric and (card.get("tier") or "") == tier:
            return digest
    return None
