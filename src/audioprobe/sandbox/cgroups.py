"""A throw-away control group per run: the limits rlimits cannot give a root-owned sandbox.

As root, RLIMIT_NPROC is ignored (the kernel exempts uid 0), so only the pids controller stops a
fork bomb; the memory controller limits resident memory (not virtual size, which numpy needs) and
reports the peak; cpuacct counts CPU seconds across every process of the run. Works with cgroup
v1/hybrid hierarchies (one mount per controller, no systemd) and with a delegated cgroup v2 tree.
Each run's group is created under the harness's own group, so any limit on the harness still
applies to the sandbox.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

_V1_CONTROLLERS = ("pids", "memory", "cpuacct")


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
        return True
    except OSError:
        return False


def _mounts() -> list[tuple[str, str, set[str]]]:
    """(mount point, fs type, options) for every cgroup mount."""
    out = []
    for line in _read(Path("/proc/self/mounts")).splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2] in ("cgroup", "cgroup2"):
            out.append((parts[1], parts[2], set(parts[3].split(","))))
    return out


def _own_paths(pid: int | str = "self") -> dict[str, str]:
    """Controller (or '' for v2) → the group path of process `pid` (this one by default)."""
    paths: dict[str, str] = {}
    for line in _read(Path(f"/proc/{pid}/cgroup")).splitlines():
        _, ctrls, path = line.split(":", 2)
        if not ctrls:
            paths[""] = path
        for ctrl in ctrls.split(","):
            paths[ctrl] = path
    return paths


@dataclass
class RunCgroup:
    """The groups of one run; `procs_files` are what the launcher writes its pid into."""

    version: int
    dirs: dict[str, Path] = field(default_factory=dict)
    # Groups of the same name that others create in hierarchies we do not use: Docker, given
    # our group as cgroup_parent, makes one in every v1 hierarchy (cpuset, freezer, ...).
    also: list[Path] = field(default_factory=list)

    @property
    def procs_files(self) -> list[Path]:
        return [d / "cgroup.procs" for d in dict.fromkeys(self.dirs.values())]

    @property
    def has_pids(self) -> bool:
        return "pids" in self.dirs

    @property
    def has_memory(self) -> bool:
        return "memory" in self.dirs

    def _file(self, ctrl: str, name: str) -> Path | None:
        d = self.dirs.get(ctrl)
        return d / name if d else None

    def _value(self, ctrl: str, name: str) -> str:
        f = self._file(ctrl, name)
        return _read(f).strip() if f else ""

    def _keyed(self, ctrl: str, name: str) -> dict[str, int]:
        table: dict[str, int] = {}
        for line in self._value(ctrl, name).splitlines():
            key, _, val = line.partition(" ")
            if val.strip().isdigit():
                table[key] = int(val)
        return table

    def pids_limit_hit(self) -> bool:
        """Whether a fork or clone was refused because the pids limit was reached.

        pids.events counts refusals in the group that forked; when the run's processes live in a
        child group (Docker's, under this one as cgroup_parent) the refusal is counted there, so
        a peak at the limit (pids.peak, Linux 6.1+) counts as hitting it too.
        """
        if self._keyed("pids", "pids.events").get("max", 0) > 0:
            return True
        peak, limit = self._value("pids", "pids.peak"), self._value("pids", "pids.max")
        return peak.isdigit() and limit.isdigit() and int(peak) >= int(limit)

    def memory_limit_hit(self) -> bool:
        """Whether the kernel had to reclaim or OOM-kill because the memory limit was reached."""
        if self.version == 1:
            oom = self._keyed("memory", "memory.oom_control")
            failcnt = self._value("memory", "memory.failcnt")
            return (
                oom.get("oom_kill", 0) > 0
                or oom.get("under_oom", 0) > 0
                or failcnt
                not in (
                    "",
                    "0",
                )
            )
        events = self._keyed("memory", "memory.events")
        return events.get("oom_kill", 0) > 0 or events.get("max", 0) > 0

    def oom_killed(self) -> bool:
        key = "memory.oom_control" if self.version == 1 else "memory.events"
        return self._keyed("memory", key).get("oom_kill", 0) > 0

    def cpu_seconds(self) -> float | None:
        if self.version == 1:
            raw = self._value("cpuacct", "cpuacct.usage")
            return int(raw) / 1e9 if raw.isdigit() else None
        usec = self._keyed("cpu", "cpu.stat").get("usage_usec")
        return usec / 1e6 if usec is not None else None

    def peak_memory_mb(self) -> float | None:
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        raw = self._value("memory", name)
        return int(raw) / (1024 * 1024) if raw.isdigit() else None

    def pids(self) -> list[int]:
        found: set[int] = set()
        for f in self.procs_files:
            found.update(int(x) for x in _read(f).split() if x.isdigit())
        return sorted(found)

    def kill_all(self, settle_s: float = 2.0) -> bool:
        """SIGKILL every process in the group until it is empty; True when it emptied."""
        if self.version == 2 and self.dirs:
            _write(next(iter(self.dirs.values())) / "cgroup.kill", "1")
        deadline = time.monotonic() + settle_s
        while True:
            pids = self.pids()
            if not pids:
                return True
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)

    def remove(self) -> None:
        """Kill what is left and delete the groups (a group with members cannot be removed)."""
        self.kill_all()
        groups = dict.fromkeys([*self.dirs.values(), *self.also])
        # Docker puts each container's group inside ours (cgroup_parent) and removes it a moment
        # after the container: the children go first, or ours stays behind, busy.
        nested = [Path(p) for d in groups for p, _, _ in os.walk(d, topdown=False) if Path(p) != d]
        for d in [*nested, *groups]:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def of_process(pid: int) -> RunCgroup | None:
    """The CPU-accounting group `pid` lives in, read-only: how a backend that did not make the
    group itself (a container whose engine made it) still reads its CPU seconds. None when the
    process is gone or its group is not visible from here."""
    paths = _own_paths(pid)
    for mp, fstype, opts in _mounts():
        ctrl = "" if fstype == "cgroup2" else ("cpuacct" if "cpuacct" in opts else None)
        if ctrl is None or ctrl not in paths:
            continue
        d = Path(mp) / paths[ctrl].lstrip("/")
        if d.is_dir():
            return RunCgroup(version=2 if fstype == "cgroup2" else 1, dirs={ctrl or "cpu": d})
    return None


def _create_v1(
    memory_bytes: int, pids_max: int, name: str, at_root: bool
) -> tuple[RunCgroup | None, str]:
    own = {} if at_root else _own_paths()
    mounts = {
        ctrl: Path(mp)
        for mp, fstype, opts in _mounts()
        if fstype == "cgroup"
        for ctrl in _V1_CONTROLLERS
        if ctrl in opts
    }
    if "pids" not in mounts and "memory" not in mounts:
        return None, "no cgroup v1 pids or memory controller is mounted"
    group = RunCgroup(version=1)
    for mp, fstype, opts in _mounts():
        if fstype == "cgroup2" or not opts & set(mounts):  # hybrid: the unified tree too
            ctrl = "" if fstype == "cgroup2" else next((c for c in opts if c in own), "")
            group.also.append(Path(mp) / own.get(ctrl, "/").lstrip("/") / name)
    for ctrl, root in mounts.items():
        d = root / own.get(ctrl, "/").lstrip("/") / name
        try:
            d.mkdir()
        except OSError as exc:
            group.remove()
            return None, f"cannot create {d} ({exc.strerror})"
        group.dirs[ctrl] = d
    if "pids" in group.dirs and not _write(group.dirs["pids"] / "pids.max", str(pids_max)):
        group.remove()
        return None, "cannot set pids.max"
    if "memory" in group.dirs:
        mem = group.dirs["memory"]
        if not _write(mem / "memory.limit_in_bytes", str(memory_bytes)):
            group.remove()
            return None, "cannot set memory.limit_in_bytes"
        _write(mem / "memory.memsw.limit_in_bytes", str(memory_bytes))  # absent without swap acct
        _write(mem / "memory.swappiness", "0")
    return group, ""


def _create_v2(memory_bytes: int, pids_max: int) -> tuple[RunCgroup | None, str]:
    own = _own_paths().get("")
    roots = [Path(mp) for mp, fstype, _ in _mounts() if fstype == "cgroup2"]
    if own is None or not roots:
        return None, "no cgroup v2 hierarchy"
    parent = roots[0] / own.lstrip("/")
    enabled = set(_read(parent / "cgroup.subtree_control").split())
    wanted = {"pids", "memory", "cpu"}
    for ctrl in wanted - enabled:
        _write(parent / "cgroup.subtree_control", f"+{ctrl}")
    enabled = set(_read(parent / "cgroup.subtree_control").split())
    if not {"pids", "memory"} & enabled:
        return None, f"cgroup v2 at {parent} does not delegate pids or memory"
    d = parent / f"audioprobe-{uuid.uuid4().hex[:12]}"
    try:
        d.mkdir()
    except OSError as exc:
        return None, f"cannot create {d} ({exc.strerror})"
    group = RunCgroup(version=2, dirs={c: d for c in wanted & enabled})
    if "pids" in enabled:
        _write(d / "pids.max", str(pids_max))
    if "memory" in enabled:
        _write(d / "memory.max", str(memory_bytes))
        _write(d / "memory.swap.max", "0")
    return group, ""


def create_run_cgroup(
    memory_bytes: int, pids_max: int, *, name: str | None = None, at_root: bool = False
) -> tuple[RunCgroup | None, str]:
    """A fresh group with the limits set, or None and why (the caller falls back to rlimits).

    `at_root` (cgroup v1 only) puts it at `/<name>` in every hierarchy instead of under the
    harness's own group: the form Docker's cgroupfs driver takes as a `cgroup_parent`.
    """
    name = name or f"audioprobe-{uuid.uuid4().hex[:12]}"
    has_v1 = any(fstype == "cgroup" and "pids" in opts for _, fstype, opts in _mounts())
    if has_v1:
        return _create_v1(memory_bytes, pids_max, name, at_root)
    if at_root:
        return None, "a root-level group is only made on cgroup v1"
    return _create_v2(memory_bytes, pids_max)
