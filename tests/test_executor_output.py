"""What a script left under output.wav, carried from a node to the driver, gets the verdict and
reason a run on the driver's machine gets: for a good file and for each kind the trial refuses."""

from __future__ import annotations

import os

import pytest

from audioprobe.executors.output import capture, mirror
from audioprobe.sandbox.collect import safe_output

NAME = "output.wav"
LIMIT = 1000


def _leave(kind: str, work) -> None:
    path = work / NAME
    if kind == "regular":
        path.write_bytes(b"RIFF" + bytes(range(200)))
    elif kind == "symlink":
        os.symlink("/etc/passwd", path)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "oversize":
        path.write_bytes(b"x" * (LIMIT + 1))
    elif kind == "hardlink":
        path.write_bytes(b"data")
        os.link(path, work / "twin")


@pytest.mark.parametrize(
    "kind", ["regular", "absent", "symlink", "fifo", "empty", "oversize", "hardlink"]
)
def test_the_driver_judges_the_mirror_as_the_node_judged_the_original(tmp_path, kind):
    node, driver = tmp_path / "node", tmp_path / "driver"
    node.mkdir()
    driver.mkdir()
    _leave(kind, node)
    entry = capture(node, NAME, LIMIT)
    assert entry.data is None or len(entry.data) <= LIMIT  # never more than the limit travels
    mirror(entry, driver, NAME)
    there, why_there = safe_output(node, NAME, LIMIT)
    here, why_here = safe_output(driver, NAME, LIMIT)
    assert why_here == why_there
    assert (here is None) == (there is None)
    if kind == "regular":
        assert here is not None and here.read_bytes() == (node / NAME).read_bytes()
    else:
        assert why_here  # each refused kind has its reason
