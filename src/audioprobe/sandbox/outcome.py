"""Naming what happened: one set of rules so every backend records the same status for the same
event (a fork bomb is `killed` whether bwrap or docker stopped it).
"""

from __future__ import annotations

import os
import signal
import stat
from pathlib import Path

from audioprobe.sandbox.base import ExecResult, ExecStatus, Limits
from audioprobe.sandbox.cgroups import RunCgroup
from audioprobe.sandbox.collect import list_files

_LIMIT_SIGNALS: dict[int, str] = {
    signal.SIGXCPU: "CPU limit: the script used its {cpu} CPU seconds (SIGXCPU)",
    signal.SIGXFSZ: "file size limit: a file reached {fsize} MiB (SIGXFSZ)",
}


def signal_of(exit_code: int | None) -> int | None:
    """The signal that ended the script: negative codes from Popen, 128+N from a shell/bwrap."""
    if exit_code is None:
        return None
    if exit_code < 0:
        return -exit_code
    if 128 < exit_code < 128 + 65:
        return exit_code - 128
    return None


def _file_at_size_limit(workdir: Path, limit_bytes: int) -> bool:
    try:
        with os.scandir(workdir) as entries:
            for entry in entries:
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(st.st_mode) and st.st_size >= limit_bytes:
                    return True
    except OSError:
        return False
    return False


def classify(
    *,
    exit_code: int | None,
    stderr: str,
    timed_out: bool,
    stopped_for: str,
    limits: Limits,
    workdir: Path,
    cgroup: RunCgroup | None = None,
    oom_killed: bool = False,
) -> tuple[ExecStatus, str]:
    """(status, reason) for a run that the sandbox itself set up correctly.

    A limit the supervisor or kernel enforced wins over the exit code, because a script that hit
    its process or memory ceiling usually also dies with an exception (status `killed`, not
    `runtime_error`). Reading stderr for ENOSPC/EFBIG lets a script misreport only itself.
    """
    if stopped_for:
        return "killed", stopped_for
    failed = timed_out or exit_code != 0
    if cgroup is not None and failed and cgroup.pids_limit_hit():
        return "killed", f"process limit: the script tried to run more than {limits.pids} tasks"
    if failed and (oom_killed or (cgroup is not None and cgroup.oom_killed())):
        return "killed", f"memory limit: the script went over {limits.memory_mb} MiB"
    if timed_out:
        return "timeout", f"wall clock limit: still running after {limits.wall_s:g} s"
    sig = signal_of(exit_code)
    if sig in _LIMIT_SIGNALS:
        return "killed", _LIMIT_SIGNALS[sig].format(cpu=limits.cpu_s, fsize=limits.file_size_mb)
    if exit_code == 0:
        return "ok", ""
    tail = stderr[-4000:]
    fsize = limits.file_size_mb * 1024 * 1024
    if "File too large" in tail or _file_at_size_limit(workdir, fsize):
        return "killed", f"file size limit: a file reached {limits.file_size_mb} MiB"
    if "No space left on device" in tail:
        return "killed", f"disk limit: no space left ({limits.disk_mb} MiB)"
    if sig == signal.SIGKILL:
        if cgroup is not None and cgroup.memory_limit_hit():
            return "killed", f"memory limit: the script went over {limits.memory_mb} MiB"
        return "killed", "killed by SIGKILL (a resource limit or the kernel's OOM killer)"
    if "BlockingIOError: [Errno 11]" in tail and "fork" in tail:
        return "killed", f"process limit: fork refused (limit {limits.pids} tasks)"
    if "MemoryError" in tail and cgroup is not None and cgroup.memory_limit_hit():
        return "killed", f"memory limit: the script went over {limits.memory_mb} MiB"
    if sig is not None:
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"#{sig}"
        return "runtime_error", f"the script died from signal {name}"
    return "runtime_error", f"the script exited with code {exit_code}"


def finished_run(
    backend: str,
    *,
    exit_code: int | None,
    stdout: str,
    stderr: str,
    timed_out: bool,
    stopped_for: str,
    wall_s: float,
    cpu_s: float | None,
    peak_memory_mb: float | None,
    limits: Limits,
    workdir: Path,
    cgroup: RunCgroup | None = None,
    oom_killed: bool = False,
) -> ExecResult:
    """The result of a run the sandbox set up: classified and recorded alike by every backend.

    The exit code is dropped when the supervisor stopped the run, since it then says nothing
    about the script.
    """
    status, reason = classify(
        exit_code=exit_code,
        stderr=stderr,
        timed_out=timed_out,
        stopped_for=stopped_for,
        limits=limits,
        workdir=workdir,
        cgroup=cgroup,
        oom_killed=oom_killed,
    )
    return ExecResult(
        status=status,
        exit_code=None if timed_out or stopped_for else exit_code,
        stdout=stdout,
        stderr=stderr,
        wall_s=wall_s,
        cpu_s=cpu_s,
        peak_memory_mb=peak_memory_mb,
        files=list_files(workdir),
        reason=reason,
        backend=backend,
    )
