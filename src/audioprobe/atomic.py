"""Atomic file writes: a killed run leaves either the old file or the new one, never half of one.

The new file gets the mode a plain `open(path, "w")` would give it (0666 less the umask), not
mkstemp's 0600: a report must be readable by the static server it is copied to, and a run folder
by the colleagues it is shared with. Replacing `path` replaces a symbolic link there, never the
file it points to.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from audioprobe.safetext import for_file


def umask() -> int:
    """The process's umask, read without changing it (os.umask can only swap it, which would
    race with other threads creating files)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


def new_file_mode() -> int:
    """What `open(path, "w")` would give a new file: 0666 less the umask."""
    return 0o666 & ~umask()


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, new_file_mode())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    write_bytes(path, for_file(text))


def write_json(path: Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")
