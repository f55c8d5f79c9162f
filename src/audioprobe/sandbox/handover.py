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
    """`host:pid:start-time:pid-namespace` of a process (default: this one): unique though pids
    are reused, and saying which pid namespace the pid belongs to."""
    pid = pid or os.getpid()
    try:
        started = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        started = "?"
    return f"{socket.gethostname()}:{pid}:{started}:{_pid_namespace()}"


def _pid_namespace() -> str:
    """This process's pid namespace, as its inode number ("pid:[4026531836]" -> 4026531836)."""
    try:
        return os.readlink("/proc/self/ns/pid").strip("pid:[]")
    except OSError:
        return "?"


def harness_gone(owner: str) -> bool:
    """Whether `owner` (a harness_id) names a harness on this host that no longer runs.

    A harness in another pid namespace (a Ray node started in its own namespaces, a container)
    cannot be judged from here: its pid means another process here, so it is never called gone.
    """
    host, _, rest = owner.partition(":")
    pid, _, rest = rest.partition(":")
    namespace = rest.partition(":")[2]
    if namespace and namespace != _pid_namespace():
        return False
    if host != socket.gethostname() or not pid.isdigit():
        return False
    current = harness_id(int(pid))
    return (current if namespace else current.rpartition(":")[0]) != owner
