"""The docker backend: one throw-away container per run, through the docker SDK.

Each container: network_mode=none, read-only root, a size-limited tmpfs /tmp, every capability
dropped, no-new-privileges, pids/memory/CPU limits plus rlimits (CPU seconds, file size, nproc,
core), uid 65534 (or the harness's own uid when it is not root), docker-init as pid 1 so the
script is an ordinary process that gets SIGXCPU and is reaped, and the trial folder as the only
writable mount (at /trial). Output is read from an attach socket as it arrives and capped; the
engine's own log driver is off, so a flood cannot fill the engine's disk either. The container
is always removed, whatever happened; each carries a label naming the harness process that
started it, and a backend starting up removes the labelled containers whose harness is gone
(killed with SIGKILL, or the machine lost power), so nothing outlives a run for long.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import threading
import time
from pathlib import Path

from audioprobe.sandbox.base import ExecResult, Limits
from audioprobe.sandbox.cgroups import RunCgroup, create_run_cgroup, of_process
from audioprobe.sandbox.engine import connect
from audioprobe.sandbox.handover import chown_tree, harness_gone, harness_id
from audioprobe.sandbox.image import ensure_image
from audioprobe.sandbox.outcome import finished_run
from audioprobe.sandbox.rootfs import runtime_hash
from audioprobe.sandbox.runtime import INSIDE_PYTHON, INSIDE_WORKDIR, sandbox_env
from audioprobe.sandbox.supervise import _Capped, check_limits

SANDBOX_UID = 65534
SANDBOX_LABEL = "org.audioprobe.sandbox"
HARNESS_LABEL = "org.audioprobe.harness"  # host:pid:start-time of the harness that made it


def reap_orphans(api) -> list[str]:
    """Remove sandbox containers left by a harness on this host that no longer runs."""
    removed = []
    for c in api.containers(all=True, filters={"label": SANDBOX_LABEL}):
        if not harness_gone((c.get("Labels") or {}).get(HARNESS_LABEL, "")):
            continue
        with contextlib.suppress(Exception):
            api.remove_container(c["Id"], force=True, v=True)
            removed.append(c["Id"][:12])
    return removed


class DockerBackend:
    """Containers from the image that `audioprobe sandbox build` makes (built on first use)."""

    name = "docker"

    def __init__(self) -> None:
        self.runtime = runtime_hash()
        self._client = None
        self._image: str | None = None
        self._lock = threading.Lock()

    def available(self) -> tuple[bool, str]:
        try:
            self._connect()
        except RuntimeError as exc:
            return False, str(exc)
        return True, ""

    def _connect(self):
        with self._lock:
            if self._client is None:
                client, why = connect()
                if client is None:
                    raise RuntimeError(why)
                reap_orphans(client.api)
                self._client = client
            return self._client

    def image(self) -> str:
        """The sandbox image's tag, building it once if the engine lacks it."""
        client = self._connect()
        with self._lock:
            if self._image is None:
                self._image = ensure_image(client)
            return self._image

    def run(self, script: Path, workdir: Path, limits: Limits) -> ExecResult:
        workdir = Path(workdir).resolve()
        try:
            script_rel = str(Path(script).resolve().relative_to(workdir))
        except ValueError:
            return _error(f"the script {script} is not inside the trial folder {workdir}")
        try:
            image = self.image()
        except Exception as exc:  # engine gone, build failed: the sandbox's fault, not the script's
            return _error(f"docker: {type(exc).__name__}: {exc}")
        api = self._connect().api
        cgroup, _ = create_run_cgroup(limits.memory_mb * 1024 * 1024, limits.pids + 1, at_root=True)
        owner = (os.getuid(), os.getgid())
        user = (SANDBOX_UID, SANDBOX_UID) if owner[0] == 0 else owner
        chown_tree(workdir, *user)
        cid = None
        try:
            cid = api.create_container(
                image,
                command=[INSIDE_PYTHON, "-s", "-B", script_rel],
                user=f"{user[0]}:{user[1]}",
                working_dir=INSIDE_WORKDIR,
                environment=sandbox_env(),
                network_disabled=True,
                labels={SANDBOX_LABEL: self.runtime, HARNESS_LABEL: harness_id()},
                host_config=api.create_host_config(**_host_config(workdir, limits, cgroup)),
            )["Id"]
            sock = api.attach_socket(cid, params={"stdout": 1, "stderr": 1, "stream": 1})
            try:
                api.start(cid)
                meter = cgroup or _container_cgroup(api, cid)
                watch = _watch(sock, workdir, limits, meter)
            finally:
                _hang_up(sock)
            if watch["timed_out"] or watch["stopped_for"]:
                with contextlib.suppress(Exception):
                    api.kill(cid)
            waited = api.wait(cid, timeout=30)
            state = api.inspect_container(cid)["State"]
            # the container's own group may be gone with it: then its last reading counts
            cpu_s = (meter.cpu_seconds() if meter else None) or watch["cpu_s"]
        except Exception as exc:
            return _error(f"docker: {type(exc).__name__}: {exc}", wall_s=0.0)
        finally:
            if cid is not None:
                with contextlib.suppress(Exception):
                    api.remove_container(cid, force=True, v=True)
            chown_tree(workdir, *owner)
        stdout = watch["out"].value().decode("utf-8", "replace")
        stderr = watch["err"].value().decode("utf-8", "replace")
        exit_code = waited.get("StatusCode", state.get("ExitCode"))
        try:
            result = finished_run(
                self.name,
                exit_code=exit_code,
                stdout=stdout,
                stderr=stderr,
                timed_out=watch["timed_out"],
                stopped_for=watch["stopped_for"],
                wall_s=watch["wall_s"],
                cpu_s=cpu_s,
                peak_memory_mb=cgroup.peak_memory_mb() if cgroup else None,
                limits=limits,
                workdir=workdir,
                cgroup=cgroup,
                oom_killed=bool(state.get("OOMKilled")),
            )
            result.runtime = self.runtime
            return result
        finally:
            if cgroup is not None:
                cgroup.remove()


def _host_config(workdir: Path, limits: Limits, cgroup: RunCgroup | None) -> dict:
    from docker.types import LogConfig, Ulimit

    mem = limits.memory_mb * 1024 * 1024
    config = {
        "binds": {str(workdir): {"bind": INSIDE_WORKDIR, "mode": "rw"}},
        "network_mode": "none",
        "read_only": True,
        "tmpfs": {"/tmp": f"rw,nosuid,nodev,size={limits.disk_mb}m,mode=1777"},
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "init": True,
        # docker-init is one task of the container: the script gets `pids` of its own
        "pids_limit": limits.pids + 2,
        "mem_limit": mem,
        "memswap_limit": mem,
        "nano_cpus": 1_000_000_000,
        "ipc_mode": "private",
        "log_config": LogConfig(type="none"),
        "ulimits": [
            Ulimit(name="cpu", soft=limits.cpu_s, hard=limits.cpu_s + 1),
            Ulimit(name="fsize", soft=limits.file_size_mb << 20, hard=limits.file_size_mb << 20),
            Ulimit(name="nproc", soft=limits.pids * 4, hard=limits.pids * 4),
            Ulimit(name="core", soft=0, hard=0),
            Ulimit(name="nofile", soft=1024, hard=1024),
        ],
    }
    if cgroup is not None:
        config["cgroup_parent"] = "/" + next(iter(cgroup.dirs.values())).name
    return config


def _container_cgroup(api, cid: str) -> RunCgroup | None:
    """The container's own group, for its CPU seconds, when the harness made none around it
    (cgroup v2, where the engine places containers itself)."""
    try:
        pid = api.inspect_container(cid)["State"]["Pid"]
    except Exception:  # the engine is going away; the wait that follows says so
        return None
    return of_process(pid) if pid else None


def _watch(sock, workdir: Path, limits: Limits, cgroup: RunCgroup | None) -> dict:
    """Read the multiplexed attach stream until the container ends or a limit is crossed
    (`check_limits`: disk and the run's total CPU seconds, as the other backends)."""
    raw = getattr(sock, "_sock", sock)
    raw.setblocking(False)
    out, err = _Capped(limits.output_bytes), _Capped(limits.output_bytes)
    result = {
        "out": out, "err": err, "timed_out": False, "stopped_for": "", "wall_s": 0.0, "cpu_s": None
    }  # fmt: skip
    start = time.monotonic()
    deadline = start + limits.wall_s
    disk_cap = limits.disk_mb << 20
    pending = b""
    next_check = start
    while True:
        now = time.monotonic()
        if now > deadline:
            result["timed_out"] = True
            break
        if now >= next_check:
            next_check = now + 0.2
            result["stopped_for"] = check_limits(workdir, disk_cap, limits, cgroup)
            result["cpu_s"] = cgroup.cpu_seconds() if cgroup else None
            if result["stopped_for"]:
                break
        ready, _, _ = select.select([raw], [], [], min(0.05, max(0.0, deadline - now)))
        if not ready:
            continue
        try:
            chunk = raw.recv(65536)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            break
        if not chunk:
            break
        pending += chunk
        while len(pending) >= 8:
            kind, size = pending[0], struct.unpack(">I", pending[4:8])[0]
            if len(pending) < 8 + size:
                break
            payload, pending = pending[8 : 8 + size], pending[8 + size :]
            stream = err if kind == 2 else out
            if stream.feed(payload) and not result["stopped_for"]:
                name = "stderr" if kind == 2 else "stdout"
                result["stopped_for"] = f"output limit: {name} passed {limits.output_bytes} bytes"
        if result["stopped_for"]:
            break
    result["wall_s"] = time.monotonic() - start
    return result


def _hang_up(sock) -> None:
    """Shut the attach connection itself, not only the SDK's wrapper around it.

    The engine holds a container's exit until its output copier returns; with the wrapper closed
    but the socket open, a flooding script would leave that copier blocked on a full socket
    forever, and `kill` would hang with it.
    """
    raw = getattr(sock, "_sock", sock)
    with contextlib.suppress(OSError):
        raw.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(Exception):
        raw.close()
    with contextlib.suppress(Exception):
        sock.close()


def _error(reason: str, wall_s: float = 0.0) -> ExecResult:
    return ExecResult(
        status="sandbox_error",
        exit_code=None,
        stdout="",
        stderr="",
        wall_s=wall_s,
        reason=reason,
        backend="docker",
    )
