"""summary.md's tier tables on the first study's published files: a reviewer reads a row per
system that answered the tier and a column per measure this machine measured."""

from pathlib import Path

from audioprobe.publication.summary_md import tier_tables
from audioprobe.publication.tables import read_table

STUDY = Path(__file__).parent.parent / "results" / "study-2026-12-07"


def _tables() -> dict[str, list[list[str]]]:
    cells = read_table(STUDY, "cells", ("model", "tier"))
    measures = read_table(STUDY, "measures", ("model", "tier", "column"))
    text = "\n".join(tier_tables(cells, measures))
    out: dict[str, list[list[str]]] = {}
    for block in text.split("### ")[1:]:
        name, *lines = block.splitlines()
        out[name] = [
            [c.strip() for c in ln.strip("|").split(" | ")] for ln in lines if ln.startswith("| ")
        ]
        out[name + ":footnote"] = [[ln] for ln in lines if ln.startswith("Not applicable")]
    return out


def test_a_system_that_answers_no_item_of_a_tier_has_a_footnote_not_a_row():
    tables = _tables()
    notes = [row[0] for row in tables["notes"][1:]]
    assert "piper" not in notes and "espeak-ng" not in notes
    assert "qwen2.5-coder-1.5b" in notes and "gemma-3-270m" in notes  # answered, none rendered
    assert tables["notes:footnote"] == [
        ["Not applicable here (they answer no item of this tier): espeak-ng, piper."]
    ]
    speech = [row[0] for row in tables["speech"][1:]]
    assert {"piper", "espeak-ng"} <= set(speech) and not tables["speech:footnote"]


def test_columns_without_weights_here_are_left_out_and_measured_ones_kept():
    tables = _tables()
    for tier in ("notes", "environmental", "speech"):
        header = tables[tier][0]
        assert not any("clap" in h.lower() or "vggish" in h for h in header), header
        for row in tables[tier][1:]:
            assert "unavailable" not in row, row
    notes = tables["notes"][0]
    assert "normalised FAD[aisfx]" in notes and "in tune (pitch class)" in notes
    assert "WER" in tables["speech"][0] and "DNSMOS" in tables["speech"][0]
