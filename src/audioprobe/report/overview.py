"""The report's overview: one compact table per tier, the tier-comparable measures first.

A 28-column table with a row per model × tier mostly held "unavailable" cells: every tier's
measures in one row, each repeating its reason. Here each tier has its own table with the
models as rows and only the measures that tier has; a measure with no number in any row is not
a column but one note (measures missing for the same reason share it); every column heading
links to the metric card its numbers were computed under, shown further down the page.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from audioprobe.report.cell import Cell
from audioprobe.report.gather import OverviewRow
from audioprobe.results.measures import RunResults, tier_rank
from audioprobe.results.tables import current_cards


def comparable(results: RunResults, metric: str) -> bool:
    """Whether `metric` declared itself comparable across tiers (task success, normalised FAD)
    when the run was scored."""
    found = results.catalog.metrics.get(metric)
    return bool(found and found.comparable)


@dataclass(frozen=True)
class Heading:
    text: str
    card: str | None  # the anchor of its metric card
    comparable: bool


@dataclass
class TierTable:
    tier: str
    title: str
    headings: list[Heading]
    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)  # collapsed measures, one note per reason
    reasons: list[str] = field(default_factory=list)  # footnotes of single cells


@dataclass(frozen=True)
class CardView:
    anchor: str
    title: str
    text: str


def card_anchor(metric: str, embedding: str, tier: str) -> str:
    raw = f"card-{metric}-{embedding or 'x'}-{tier or 'all'}"
    return re.sub(r"[^A-Za-z0-9_-]+", "_", raw)


def cards(results: RunResults) -> list[CardView]:
    """The current metric cards of the run, each with the anchor its numbers link to."""
    out = []
    for card in current_cards(results.run.store).values():
        if card["metric"] == "embedding":
            continue
        emb, tier = card.get("embedding") or "", card.get("tier") or ""
        title = card["metric"] + (f"[{emb}]" if emb else "") + (f" · {tier}" if tier else "")
        text = json.dumps(json.loads(card["card"]), indent=2, sort_keys=True)
        out.append(CardView(card_anchor(card["metric"], emb, tier), title, text))
    return sorted(out, key=lambda c: c.title)


def tier_tables(rows: list[OverviewRow], results: RunResults) -> list[TierTable]:
    known = {c.anchor for c in cards(results)}
    by_heading: dict[str, tuple[str, str]] = {}
    for m in results.measures:
        by_heading.setdefault(m.heading, (m.metric, m.embedding))
    order = results.headings()
    tiers = sorted({r.tier for r in rows}, key=tier_rank)
    out = []
    for tier in tiers:
        tier_rows = [r for r in rows if r.tier == tier]
        present = [h for h in order if any(h in r.metrics for r in tier_rows)]
        present.sort(key=lambda h: not comparable(results, by_heading.get(h, ("", ""))[0]))
        missing: dict[str, list[str]] = defaultdict(list)
        shown = []
        for heading in present:
            got = [r.metrics.get(heading) for r in tier_rows]
            if any(c is not None and c.numeric for c in got):
                shown.append(heading)
                continue
            why = {f"{c.label}: {c.unavailable}" if c.unavailable else c.label
                   for c in got if c is not None}  # fmt: skip
            missing["; ".join(sorted(why)) or "no value"].append(heading)
        headings = []
        for heading in shown:
            metric, emb = by_heading.get(heading, ("", ""))
            anchor = card_anchor(metric, emb, tier)
            if anchor not in known:
                anchor = card_anchor(metric, emb, "")
            headings.append(
                Heading(heading, anchor if anchor in known else None, comparable(results, metric))
            )
        table = TierTable(tier, _title(results, tier), headings, [])
        table.notes = [f"{', '.join(hs)} — {why}" for why, hs in missing.items()]
        table.rows = [_row(r, shown, table.reasons) for r in tier_rows]
        out.append(table)
    return out


def _title(results: RunResults, tier: str) -> str:
    info = results.run.tiers.get(tier)
    return f"tier {info.level}: {tier} — {info.title}" if info else tier


def _row(row: OverviewRow, shown: list[str], reasons: list[str]) -> dict[str, Any]:
    cells: list[tuple[Cell | None, int | None]] = []
    for heading in shown:
        cell = row.metrics.get(heading)
        note = None
        if cell is not None and cell.unavailable:
            if cell.unavailable not in reasons:
                reasons.append(cell.unavailable)
            note = reasons.index(cell.unavailable) + 1
        cells.append((cell, note))
    return {
        "model": row.model,
        "tier": row.tier,
        "trials": row.trials,
        "ok_rate": row.ok_rate,
        "outcomes": dict(
            sorted(row.outcomes.items(), key=lambda kv: (kv[0] != "ok", -kv[1], kv[0]))
        ),
        "cells": cells,
    }
