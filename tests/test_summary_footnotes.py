"""`show`'s metric tables: a column unavailable for one reason in every tier is one footnote
naming the tiers, not the same 400-character reason once per tier."""

from __future__ import annotations

from report_helpers import assembled_run

from audioprobe.cli.score import summary_tables
from audioprobe.results.records import SetValue, Status
from audioprobe.results.tables import ensure_tables, record_cards, write_set_values


def test_one_reason_unavailable_in_every_tier_is_one_footnote(tmp_path):
    store = assembled_run(tmp_path / "run", {("gpt", "notes"): ["ok"], ("gpt", "speech"): ["ok"]})
    ensure_tables(store)
    record_cards(
        store,
        "run",
        {f"c-{t}": ({"metric": "fad"}, "fad", "vggish", t) for t in ("notes", "speech")},
    )
    why = "weights not found: " + "x" * 400
    write_set_values(
        store,
        [
            SetValue("gpt", t, "", "fad", "fad", "vggish", Status.UNAVAILABLE, f"c-{t}", reason=why)
            for t in ("notes", "speech")
        ],
    )
    tables, notes = summary_tables(store)
    assert len(tables) == 2
    mentions = [n for n in notes if why in n]
    assert len(mentions) == 1, notes
    assert mentions[0].startswith("notes: ") and "; speech: " in mentions[0]
