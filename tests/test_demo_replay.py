"""The README's demo tables are reproducible: the recorded answers of that run ship as
`replay:demo/qwen2.5-coder-1.5b`, and the README's one command re-renders and re-scores them.
Here it runs on the notes tier, from an empty folder, and must print the README's notes rows
exactly (the whole command takes a few minutes more for the other two tiers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from readme_helpers import (
    cells,
    commands,
    run_from,
    section,
    shown_output,
    table_rows,
    tier_table,
)

SECTION = "### What `make demo` does, and how much its result varies"
REPLAY = "replay:demo/qwen2.5-coder-1.5b"


# The first scoring of a session builds the three reference sets (a few minutes here).
@pytest.mark.timeout(1800)
def test_the_demo_replay_command_reprints_the_readmes_notes_tables(tmp_path: Path) -> None:
    text = section(SECTION)
    (command,) = [c for c in commands(text) if REPLAY in c]
    show = command.rsplit("&& ", 1)[1]
    subset = command.replace(" --out ", " --tier notes --out ", 1)
    assert subset != command
    printed = run_from(tmp_path, subset).splitlines()
    readme = shown_output(text, show)
    # the outcomes table's notes row, cell by cell (its columns are as wide as the tiers shown)
    notes_rows = [cells(row) for row in table_rows(readme) if "│ notes " in row]
    assert notes_rows and [cells(r) for r in table_rows(printed) if "│ notes " in r] == notes_rows
    assert tier_table(printed, "notes") == tier_table(readme, "notes")
