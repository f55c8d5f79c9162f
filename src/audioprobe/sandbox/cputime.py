"""CPU seconds of a whole process tree from /proc, for runs no cgroup counts.

Without a run cgroup (an unprivileged harness on a host that delegates none) only RLIMIT_CPU is
left, and it counts per process: a script that forks workers gets `cpu_s` for each. Summing
utime + stime over the live descendants of the launched process, plus cutime + cstime (the
time of children they have reaped, which rolls up as each is waited for), gives the same total
budget every other backend enforces. A process reaped by something outside the tree would be
missed; in a sandbox every orphan is re-parented inside it.
"""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: str) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (which may hold spaces)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by `root`, its live descendants and the children they reaped."""
    parent: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(entry.name)
        if fields is None or len(fields) < 15:
            continue
        pid = int(entry.name)
        parent[pid] = int(fields[1])
        # fields after ")": state ppid ... utime(11) stime(12) cutime(13) cstime(14)
        ticks[pid] = sum(int(fields[i]) for i in (11, 12, 13, 14))
    tree = {root}
    frontier = [root]
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(ticks.get(pid, 0) for pid in tree) / _TICKS
