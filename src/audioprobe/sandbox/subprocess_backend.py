"""The unsafe backend: the script runs as a plain child process of the harness.

It sees the network, the whole filesystem with the harness's rights, and could read any secret
the harness can. It exists for debugging a script and for machines with neither Docker nor user
namespaces, and is only ever used when named explicitly. What it still does: a cleared
environment, rlimits, a per-run cgroup when one can be made (so fork bombs and memory bombs are
still stopped, and background children are killed), capped output, and the wall clock.
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path

from audioprobe.sandbox.base import ExecResult, Limits
from audioprobe.sandbox.bwrap import _launcher
from audioprobe.sandbox.cgroups import create_run_cgroup
from audioprobe.sandbox.outcome import finished_run
from audioprobe.sandbox.rootfs import ensure_rootfs, runtime_hash
from audioprobe.sandbox.runtime import (
    INSIDE_PREFIX,
    INSIDE_PYTHON,
    INSIDE_SHIM,
    inside,
    sandbox_env,
)
from audioprobe.sandbox.supervise import supervise

log = logging.getLogger(__name__)
UNSAFE_WARNING = (
    "audioprobe: the 'subprocess' sandbox backend is UNSAFE: model-written code runs with your "
    "user's rights, network and files. Use it only for code you trust (bwrap or docker isolate)."
)


class SubprocessBackend:
    """No isolation; limits only. Warns once, loudly, when created."""

    name = "subprocess"

    def __init__(self) -> None:
        self.runtime = runtime_hash()
        print(UNSAFE_WARNING, file=sys.stderr)
        warnings.warn(UNSAFE_WARNING, stacklevel=2)
        log.warning(UNSAFE_WARNING)

    def available(self) -> tuple[bool, str]:
        return True, ""

    def run(self, script: Path, workdir: Path, limits: Limits) -> ExecResult:
        workdir = Path(workdir).resolve()
        try:
            tree = ensure_rootfs()
        except Exception as exc:  # a runtime that cannot be built is the sandbox's fault
            return ExecResult(
                status="sandbox_error",
                exit_code=None,
                stdout="",
                stderr="",
                wall_s=0.0,
                reason=f"the sandbox runtime cannot be built: {exc}",
                backend=self.name,
            )
        cgroup, _ = create_run_cgroup(limits.memory_mb * 1024 * 1024, limits.pids)
        prefix = inside(tree, INSIDE_PREFIX)
        env = sandbox_env(str(prefix), str(inside(tree, INSIDE_SHIM)))
        env["PYTHONHOME"] = str(prefix)
        env["HOME"] = env["TMPDIR"] = str(workdir)
        python = str(inside(tree, INSIDE_PYTHON))
        cmd = [*_launcher(limits, cgroup), python, "-s", "-B", str(script)]
        try:
            obs = supervise(
                cmd, cwd=workdir, env=env, limits=limits, workdir=workdir, cgroup=cgroup
            )
            stderr = obs.stderr.decode("utf-8", "replace")
            if obs.notes:
                return ExecResult(
                    status="sandbox_error",
                    exit_code=None,
                    stdout="",
                    stderr=stderr,
                    wall_s=obs.wall_s,
                    reason="; ".join(obs.notes),
                    backend=self.name,
                )
            result = finished_run(
                self.name,
                exit_code=obs.returncode,
                stdout=obs.stdout.decode("utf-8", "replace"),
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
            if cgroup is not None:
                cgroup.remove()
