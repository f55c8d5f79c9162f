"""Carrying a script's output file from the node that ran it to the driver's trial folder.

No shared filesystem is assumed, so the node sends back the output file's bytes. What the script
left under the output name may also be something the trial refuses to read (a symlink, a FIFO, a
hard link, an empty or oversized file); the node describes that entry instead, and the driver
recreates an entry of the same kind, never followed or read, so that the trial's one check
(sandbox.collect.safe_output) gives the same verdict and reason as for a run on this machine.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from audioprobe.sandbox.collect import read_capped

EntryKind = Literal["absent", "regular", "symlink", "special"]
_LINK_TWIN = ".audioprobe-hardlink"


@dataclass(frozen=True)
class OutputEntry:
    """What a script left under one name; `data` only for a regular file within the limit."""

    kind: EntryKind
    data: bytes | None = None
    size: int = 0
    nlink: int = 1
    target: str = ""


def capture(workdir: Path, name: str, max_bytes: int) -> OutputEntry:
    """Describe `workdir/name` without following it; read it only when it is a plain file."""
    try:
        st = os.lstat(workdir / name)
    except FileNotFoundError:
        return OutputEntry("absent")
    if stat.S_ISLNK(st.st_mode):
        return OutputEntry("symlink", target=os.readlink(workdir / name))
    if not stat.S_ISREG(st.st_mode):
        return OutputEntry("special")
    if st.st_nlink > 1 or st.st_size == 0 or st.st_size > max_bytes:
        return OutputEntry("regular", size=st.st_size, nlink=st.st_nlink)
    data = read_capped(workdir, name, max_bytes)
    return OutputEntry("regular", data=data, size=len(data))


def mirror(entry: OutputEntry, workdir: Path, name: str) -> None:
    """Recreate `entry` as `workdir/name` (workdir is the driver's fresh trial work folder)."""
    path = workdir / name
    if entry.kind == "absent":
        return
    if entry.kind == "symlink":
        os.symlink(entry.target, path)
    elif entry.kind == "special":
        os.mkfifo(path)
    elif entry.data is not None:
        path.write_bytes(entry.data)
    else:  # refused by size or links: a file of the same size (sparse) and link count
        with open(path, "wb") as fh:
            fh.truncate(entry.size)
        if entry.nlink > 1:
            os.link(path, workdir / _LINK_TWIN)
