"""Lending the trial folder to the sandbox's user for one run, and taking it back.

When the harness is root, model code runs as an unprivileged uid (docker's 65534, bwrap's
dedicated host uid), which must own the trial folder to write into it; afterwards everything in
it goes back to the harness's user so nothing the script left is owned by a foreign uid.

What is lent carries the lending harness's identity (host, pid, process start time), so that a
harness killed mid-run (SIGKILL, power loss) leaves things the next one can recognise and clean.
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

from audioprobe.treewalk import walk


def chown_tree(root: Path, uid: int, gid: int) -> None:
    """Give `root` and everything under it to uid:gid, never following a symlink (root only).

    The walk is treewalk's: bounded and iterative, since the script may have built any tree.
    """
    if os.geteuid() != 0:
        return
    os.lchown(root, uid, gid)
    for dirpath, dirs, files in walk(root):
        for name in dirs + files:
            with contextlib.suppress(OSError):
                os.lchown(os.path.join(dirpath, name), uid, gid)


def unreachable_parent(path: Path) -> Path | None:
    """The first folder above `path` that other users cannot traverse (o+x unset), if any."""
    for parent in reversed(Path(path).resolve().parents):
        try:
            if not parent.stat().st_mode & 0o001:
                return parent
        except OSError:
            return parent
    return None


def harness_id(pid: int | None = None) -> str:
    """`host:pid:start-time` of a process (default: this one): unique though pids are reused."""
    pid = pid or os.getpid()
    try:
        started = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        started = "?"
    return f"{socket.gethostname()}:{pid}:{started}"


def harness_gone(owner: str) -> bool:
    """Whether `owner` (a harness_id) names a harness on this host that no longer runs."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname() and pid.isdigit() and harness_id(int(pid)) != owner
