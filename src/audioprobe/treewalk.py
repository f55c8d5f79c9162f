"""Walking and removing folders a script made, whatever their shape.

A script can build a 3,000-deep tree or a million empty files. `os.walk` and `shutil.rmtree`
recurse (Python 3.11) and would raise RecursionError inside the harness, so the walk here is
iterative, never follows a symlink, and stops at a depth and an entry count; removal is left to
`rm -rf`, which walks any depth without recursion.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

MAX_DEPTH = 1024
MAX_ENTRIES = 200_000


def walk(
    root: Path | str, *, max_depth: int = MAX_DEPTH, max_entries: int = MAX_ENTRIES
) -> Iterator[tuple[str, list[str], list[str]]]:
    """`os.walk(root, followlinks=False)`, top-down, iterative and bounded.

    Like os.walk, the caller may sort or prune `dirs` in place to steer the walk. Folders deeper
    than `max_depth`, and entries past `max_entries`, are not visited.
    """
    stack: list[tuple[str, int]] = [(str(root), 0)]
    seen = 0
    while stack and seen < max_entries:
        path, depth = stack.pop()
        dirs: list[str] = []
        files: list[str] = []
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    seen += 1
                    if seen > max_entries:
                        break
                    try:
                        is_dir = entry.is_dir(follow_symlinks=False)
                    except OSError:
                        is_dir = False
                    (dirs if is_dir else files).append(entry.name)
        except OSError:  # vanished, unreadable or a path too long to open: skip it
            continue
        yield path, dirs, files
        if depth < max_depth:
            stack.extend((os.path.join(path, d), depth + 1) for d in reversed(dirs))


def remove_tree(path: Path) -> None:
    """Delete `path` however deep or unwritable the script left it; a missing path is fine."""
    if not os.path.lexists(path):
        return
    if subprocess.run(["rm", "-rf", "--", str(path)], capture_output=True).returncode == 0:
        return
    # A script may have taken its own folders' write or search permission away.
    subprocess.run(["chmod", "-R", "u+rwX", "--", str(path)], capture_output=True)
    subprocess.run(["rm", "-rf", "--", str(path)], capture_output=True)
