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


def test_a_system_that_answers_no_trial_of_a_tier_has_no_row_there(tmp_path):
    """A speech baseline in a study's notes table was a row of "not applicable" cells, and it
    kept every column unavailable for everyone else (CLAP, VGGish without weights) in the
    table: it is left out and named once, and those columns fold into one footnote."""
    cells = {("gpt", "notes"): ["ok"], ("gpt", "speech"): ["ok"]}
    cells |= {("piper", "notes"): ["unavailable"], ("piper", "speech"): ["ok"]}
    store = assembled_run(tmp_path / "run", cells)
    ensure_tables(store)
    record_cards(
        store,
        "run",
        {f"c-{t}": ({"metric": "fad"}, "fad", "vggish", t) for t in ("notes", "speech")},
    )
    why = "weights for vggish not found"
    write_set_values(
        store,
        [SetValue("gpt", "notes", "", "fad", "fad", "vggish", Status.UNAVAILABLE, "c-notes",
                  reason=why),
         SetValue("piper", "notes", "", "fad", "fad", "vggish", Status.NOT_APPLICABLE, "c-notes",
                  reason="piper is a speech model; not applicable to tier notes")],
    )  # fmt: skip
    tables, notes = summary_tables(store)
    notes_table = next(t for t in tables if str(t.title).endswith("notes"))
    rows = list(notes_table.columns[0].cells)
    assert rows == ["gpt"], rows
    assert [str(c.header) for c in notes_table.columns] == ["model", "render rate"]
    assert any(n.startswith("notes: FAD[vggish] unavailable: " + why) for n in notes), notes
    assert "notes: no row for piper: every trial unavailable" in " ".join(notes), notes
    speech_table = next(t for t in tables if str(t.title).endswith("speech"))
    assert list(speech_table.columns[0].cells) == ["gpt", "piper"]
