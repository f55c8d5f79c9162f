"""Score results in the run's index: three tables, and the views `show` and `export` read.

score_card   one row per metric card (the card JSON); `current` marks the cards of the latest
             scoring, per (metric, embedding, tier): what show/export display.
score_clip   one value per trial x metric value x card (a number, or a text with a status).
score_set    one value per model x tier x class x metric x embedding x card, with its
             interval, clip counts and render rate.
Values under different cards are never merged: views read the current card only, and every
exported column carries its card hash beside it.
"""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from typing import Any

from audioprobe import atomic
from audioprobe.store import RunStore
from audioprobe.tiers import TIER_ORDER

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
"""

# Status of a stored value; anything but "ok" carries its reason as text.
OK = "ok"
NOT_RENDERED = "not_rendered"
UNAVAILABLE = "unavailable"
TOO_FEW = "too_few_clips"
FAILED = "failed"

CARDS_FILE = "cards.json"


def ensure_tables(store: RunStore) -> None:
    with store.connect() as db:
        db.executescript(SCHEMA)


def _has_tables(store: RunStore) -> bool:
    with store.connect() as db:
        row = db.execute(
            "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='score_card'"
        ).fetchone()
    return bool(row[0])


def record_cards(store: RunStore, cards: dict[str, tuple[dict, str, str, str]]) -> None:
    """Store the cards used now ({hash: (card, metric, embedding, tier)}) and mark them current,
    retiring older cards of the same (metric, embedding, tier); then rewrite cards.json."""
    now = time.time()
    with store.connect() as db:
        for digest, (card, metric, embedding, tier) in cards.items():
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
        "run_id": store.manifest.get("run_id"),
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
    if not _has_tables(store):
        return {}
    with store.connect() as db:
        rows = db.execute("SELECT * FROM score_card WHERE current=1").fetchall()
    return {r["card_hash"]: dict(r) for r in rows}


def _column(name: str, embedding: str) -> str:
    return f"{name}[{embedding}]" if embedding else name


def _clip_display(row: Any) -> Any:
    if row["status"] == OK:
        return row["value"] if row["value"] is not None else row["text"]
    if row["status"] == NOT_RENDERED:
        return "not rendered"
    return f"{row['status'].replace('_', ' ')}: {row['text']}"


def export_columns(store: RunStore) -> dict[str, dict[str, Any]]:
    """Per trial: every current clip metric value, and `<metric>_card` with its card hash."""
    cards = current_cards(store)
    if not cards:
        return {}
    marks = ",".join("?" * len(cards))
    with store.connect() as db:
        rows = db.execute(
            f"SELECT * FROM score_clip WHERE card_hash IN ({marks})", tuple(cards)
        ).fetchall()
    out: dict[str, dict[str, Any]] = defaultdict(dict)
    for row in rows:
        metric = cards[row["card_hash"]]["metric"]
        cols = out[row["trial_id"]]
        cols[_column(row["name"], row["embedding"])] = _clip_display(row)
        cols[_column(f"{metric}_card", row["embedding"])] = row["card_hash"]
    return dict(out)


def set_results(store: RunStore, class_level: bool = False) -> list[dict[str, Any]]:
    """The current set-metric rows as dicts (extra parsed); tier-level only unless asked."""
    cards = current_cards(store)
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
        d = dict(r)
        d["extra"] = json.loads(d["extra"]) if d["extra"] else {}
        out.append(d)
    return out


def _fmt(x: float) -> str:
    if x == 0 or 0.01 <= abs(x) < 10000:
        return f"{x:.3g}" if abs(x) < 1 else f"{x:.2f}" if abs(x) < 100 else f"{x:.1f}"
    return f"{x:.2e}"


def format_set_value(row: dict[str, Any]) -> str:
    """'12.30 [9.81, 14.79] (n 3/40, small set)', or the status and reason."""
    if row["status"] != OK:
        return f"{row['status'].replace('_', ' ')}: {row['reason']}"
    value = row["value"]
    if value is None or not math.isfinite(value):
        return f"failed: {row['reason'] or 'no value'}"
    text = _fmt(value)
    if row["ci_low"] is not None and row["ci_high"] is not None:
        text += f" [{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}]"
    notes = []
    if row["n_gen"] is not None and row["n_ref"] is not None:
        notes.append(f"n {row['n_gen']}/{row['n_ref']}")
    elif row["n_gen"] is not None:
        notes.append(f"n {row['n_gen']}")
    extra = row.get("extra") or {}
    notes.extend(extra.get("flags", []))
    if extra.get("warnings"):
        notes.append("warning: " + "; ".join(extra["warnings"]))
    return text + (f" ({', '.join(notes)})" if notes else "")


_SET_LABELS = {
    "fad": "FAD",
    "fad_inf": "FAD∞",
    "kad": "KAD",
    "clap_zeroshot": "CLAP zero-shot",
}


def _clip_aggregates(store: RunStore, cards: dict[str, dict]) -> dict[tuple, dict[str, str]]:
    """(model, tier) -> {column: 'mean (n k)'} for the clip metrics shown in the summary."""
    shown = {
        "abs_cents_error": "mean |cents|",
        "wer": "WER",
        "cer": "CER",
        "clap_score": "CLAP",
        "duration_error_s": "duration error s",
    }
    if not cards:
        return {}
    marks = ",".join("?" * len(cards))
    with store.connect() as db:
        rows = db.execute(
            "SELECT t.model, t.tier, c.name, c.embedding, c.value, c.text, c.status"
            " FROM score_clip c JOIN trials t ON t.trial_id = c.trial_id"
            f" WHERE c.card_hash IN ({marks})",
            tuple(cards),
        ).fetchall()
    groups: dict[tuple, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r["name"] in shown:
            groups[(r["model"], r["tier"])][_column(shown[r["name"]], r["embedding"])].append(r)
    out: dict[tuple, dict[str, str]] = {}
    for key, cols in groups.items():
        out[key] = {}
        for col, items in cols.items():
            values = [r["value"] for r in items if r["status"] == OK and r["value"] is not None]
            other = [r for r in items if r["status"] not in (OK, NOT_RENDERED)]
            if values:
                mean = sum(values) / len(values)
                text = f"{_fmt(mean)} (n {len(values)})"
                if other:
                    text += f"; {len(other)} {other[0]['status'].replace('_', ' ')}"
                out[key][col] = text
            elif other:
                out[key][col] = f"{other[0]['status'].replace('_', ' ')}: {other[0]['text']}"
            else:
                out[key][col] = "not rendered"
    return out


def summary_rows(store: RunStore) -> list[dict[str, Any]]:
    """One row per model x tier, in tier order: render rate beside every set metric.

    Values are display strings: a number with its interval and clip counts, or why there is
    none ("unavailable: ...", "too few clips: ..."); an empty string where a metric does not
    apply to the tier. Empty list when the run has not been scored.
    """
    cards = current_cards(store)
    if not cards:
        return []
    levels = {t: v.get("level") for t, v in (store.manifest.get("tiers") or {}).items()}
    sets = set_results(store)
    clip = _clip_aggregates(store, cards)
    with store.connect() as db:
        counts = db.execute(
            "SELECT model, tier, count(*) AS n, sum(status='ok') AS ok,"
            " sum(status='pending') AS pending FROM trials GROUP BY model, tier"
        ).fetchall()
    set_cols: list[str] = []
    by_key: dict[tuple, dict[str, str]] = defaultdict(dict)
    for row in sets:
        if row["metric"] == "render_rate":
            continue
        col = _column(_SET_LABELS.get(row["metric"], row["metric"]), row["embedding"])
        if col not in set_cols:
            set_cols.append(col)
        by_key[(row["model"], row["tier"])][col] = format_set_value(row)
    clip_cols = sorted({c for v in clip.values() for c in v})
    rows = []
    for c in sorted(counts, key=lambda r: (r["model"], _rank(r["tier"]))):
        key = (c["model"], c["tier"])
        finished = c["n"] - (c["pending"] or 0)
        ok = c["ok"] or 0
        rate = f"{ok}/{finished} ({100.0 * ok / finished:.0f}%)" if finished else "no trials"
        row: dict[str, Any] = {
            "model": c["model"],
            "tier": c["tier"],
            "level": levels.get(c["tier"]),
            "render rate": rate,
        }
        for col in set_cols:
            row[col] = by_key[key].get(col, "")
        for col in clip_cols:
            row[col] = clip.get(key, {}).get(col, "")
        rows.append(row)
    return rows


def _rank(tier: str) -> int:
    return TIER_ORDER.index(tier) if tier in TIER_ORDER else len(TIER_ORDER)
