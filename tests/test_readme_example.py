"""Every command of the README's worked example works as a newcomer types it: from an empty
folder outside the clone, with only the installed `audioprobe` on PATH; and the table it shows
is the one those commands print."""

from __future__ import annotations

from pathlib import Path

import pytest
from readme_helpers import commands, run_from, section, shown_output, table_rows


# The first scoring of a session builds the three reference sets (a few minutes here).
# Slow (make test-all): it scores cold, building all three reference sets (3.5 CPU-minutes
# here), which alone would take make test past its 15 minutes on 2 cores.
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_every_worked_example_command_passes_from_an_empty_folder_outside_the_clone(
    tmp_path: Path,
) -> None:
    text = section("## A worked example")
    todo = commands(text)
    assert any(c.startswith("audioprobe run") for c in todo), todo
    folder = tmp_path / "newcomer"
    folder.mkdir()
    printed = {command: run_from(folder, command) for command in todo}
    show = next(c for c in todo if c.startswith("audioprobe show"))
    assert table_rows(printed[show].splitlines()) == table_rows(shown_output(text, show))
