"""Watching one sandboxed process: capped output, wall clock, disk, CPU, and a clean kill.

Shared by the bwrap and subprocess backends. Output is read in chunks as it arrives and only the
first `limits.output_bytes` of each stream are kept; a stream that goes past the cap ends the run
(status `killed`), so a flood can neither fill memory nor keep the run alive until the wall
clock. The trial folder's size is polled, because no mount option bounds a bind mount.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from audioprobe.sandbox.base import Limits
from audioprobe.sandbox.cgroups import RunCgroup
from audioprobe.sandbox.collect import tree_bytes
from audioprobe.sandbox.cputime import tree_cpu_seconds

POLL_S = 0.05
CUT_MARK = "\n[... cut by audioprobe: output limit reached]\n"


@dataclass
class Observation:
    """Raw facts about one run, before a backend names the outcome."""

    returncode: int | None = None
    stdout: bytes = b""
    stderr: bytes = b""
    wall_s: float = 0.0
    cpu_s: float | None = None
    peak_memory_mb: float | None = None
    timed_out: bool = False
    stopped_for: str = ""  # a limit the supervisor enforced itself (output, disk, cpu)
    extra: bytes = b""  # what the launcher wrote on its status pipe, if any
    notes: list[str] = field(default_factory=list)


class _Capped:
    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.buf = bytearray()
        self.seen = 0

    def feed(self, chunk: bytes) -> bool:
        """Keep what fits; True once more than the cap has arrived."""
        self.seen += len(chunk)
        room = self.cap - len(self.buf)
        if room > 0:
            self.buf += chunk[:room]
        return self.seen > self.cap

    def value(self) -> bytes:
        return bytes(self.buf) + (CUT_MARK.encode() if self.seen > self.cap else b"")


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def supervise(
    cmd: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    limits: Limits,
    workdir: Path,
    cgroup: RunCgroup | None,
    status_pipe: tuple[int, int] | None = None,
    extra_fds: tuple[int, ...] = (),
) -> Observation:
    """Run `cmd` to completion or to a limit; everything it started is dead on return.

    `status_pipe` is an (r, w) pipe: the command inherits `w` under the same number (bwrap gets
    it as `--json-status-fd w`) and what it writes there comes back in `Observation.extra`.
    Both ends are closed on return. `extra_fds` are inherited too (under the same numbers) and
    left open: the caller owns them.
    """
    obs = Observation()
    out, err = _Capped(limits.output_bytes), _Capped(limits.output_bytes)
    extra = _Capped(65536)
    disk_cap = limits.disk_mb * 1024 * 1024
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            pass_fds=((status_pipe[1],) if status_pipe else ()) + extra_fds,
        )
    except OSError as exc:
        obs.notes.append(f"could not start {cmd[0]}: {exc}")
        if status_pipe:
            os.close(status_pipe[0])
            os.close(status_pipe[1])
        return obs
    assert proc.stdout is not None and proc.stderr is not None
    streams = {proc.stdout.fileno(): out, proc.stderr.fileno(): err}
    if status_pipe:
        os.close(status_pipe[1])
        streams[status_pipe[0]] = extra
    sel = selectors.DefaultSelector()
    for fd in streams:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    deadline = start + limits.wall_s
    next_check = start
    rusage = None
    try:
        while True:
            now = time.monotonic()
            if rusage is None:
                pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    rusage = ru
                    obs.returncode = os.waitstatus_to_exitcode(status)
                    # The script is done; anything still running is a leftover: end it now so
                    # it cannot keep writing into the trial folder or hold our pipes open.
                    _kill_group(proc.pid)
                    if cgroup is not None:
                        cgroup.kill_all(settle_s=0.5)
            if rusage is not None:
                if not sel.get_map() or not _drain(sel, streams, 0.2):
                    break
                continue
            if now > deadline:
                obs.timed_out = True
                break
            if now >= next_check:
                next_check = now + 0.2
                obs.stopped_for = check_limits(workdir, disk_cap, limits, cgroup, proc.pid)
                if obs.stopped_for:
                    break
            flooded = _drain(sel, streams, max(0.0, min(POLL_S, deadline - now)))
            if flooded is None:
                name = "stdout" if out.seen > out.cap else "stderr"
                obs.stopped_for = f"output limit: {name} passed {limits.output_bytes} bytes"
                break
    finally:
        _kill_group(proc.pid)
        if cgroup is not None:
            cgroup.kill_all()
        if rusage is None:
            _, status, rusage = os.wait4(proc.pid, 0)
            obs.returncode = os.waitstatus_to_exitcode(status)
        obs.wall_s = time.monotonic() - start
        sel.close()
        proc.stdout.close()
        proc.stderr.close()
        if status_pipe:
            os.close(status_pipe[0])
    obs.stdout, obs.stderr, obs.extra = out.value(), err.value(), bytes(extra.buf)
    obs.cpu_s = rusage.ru_utime + rusage.ru_stime
    obs.peak_memory_mb = rusage.ru_maxrss / 1024
    if cgroup is not None:
        obs.cpu_s = cgroup.cpu_seconds() or obs.cpu_s
        obs.peak_memory_mb = cgroup.peak_memory_mb() or obs.peak_memory_mb
    return obs


def _drain(sel: selectors.BaseSelector, streams: dict[int, _Capped], timeout: float) -> bool | None:
    """Read what is ready. True if anything was read, False if nothing, None on a flood."""
    events = sel.select(timeout)
    for key, _ in events:
        try:
            chunk = os.read(key.fd, 65536)
        except BlockingIOError:
            continue
        if not chunk:
            sel.unregister(key.fd)
            continue
        if streams[key.fd].feed(chunk):
            return None
    return bool(events)


def check_limits(
    workdir: Path,
    disk_cap: int,
    limits: Limits,
    cgroup: RunCgroup | None,
    root_pid: int | None = None,
) -> str:
    """The limit the run has crossed that the kernel does not enforce by itself, if any.

    `cpu_s` is a budget for the whole run, every process and thread together, as the cgroup
    counts it, or else the process tree under `root_pid` (cputime): RLIMIT_CPU alone would give
    each forked process its own `cpu_s`. Every backend polls this, so the same script ends the
    same way on each.
    """
    if tree_bytes(workdir, disk_cap) > disk_cap:
        return f"disk limit: the trial folder passed {limits.disk_mb} MiB"
    cpu = cgroup.cpu_seconds() if cgroup is not None else None
    if cpu is None and root_pid is not None:
        cpu = tree_cpu_seconds(root_pid)
    if cpu is not None and cpu > limits.cpu_s + 0.5:
        return f"CPU limit: {cpu:.1f} s used of {limits.cpu_s} s"
    return ""
