"""A Ray cluster of several nodes on this machine, every node a separate `ray start`, all traffic
on 127.0.0.1: for tests, benchmarks, and trying `--executor ray` on a laptop.

Ray 2.x cannot be told to stay on loopback: it replaces a node address of 127.0.0.1 by the
machine's routable one (`resolve_ip_for_localhost`), on every node and in the driver, and its gRPC
servers listen on every interface. So the cluster runs in a network namespace of its own
(`unshare --net`), whose only interface is `lo`: there Ray finds 127.0.0.1 as the node address
by itself, and no other address exists to listen on or dial. The namespace is also a PID
namespace, so every process of the cluster dies with the command that started it, whatever way
that command ends; no `ray stop` can reach another user's cluster.

    python -m audioprobe.executors.local_cluster --cpus 1,1 -- \\
        audioprobe run experiments/smoke.toml --executor ray

runs the command with RAY_ADDRESS set to a head of 1 CPU and one worker node of 1 CPU.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

GCS_PORT = 6379
_INSIDE = "AUDIOPROBE_LOOPBACK_NAMESPACE"
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1


def namespace_command(argv: list[str]) -> list[str]:
    """`argv` run in a new network, mount and PID namespace (see the module docstring); for a
    user other than root, in a new user namespace too, which lets it make the others. (Root
    keeps its own: a sandbox backend may hand the trial folder to another uid, which a user
    namespace mapping only root could not.)"""
    unshare = shutil.which("unshare")
    if unshare is None:
        raise RuntimeError("unshare (util-linux) is needed to start a loopback-only cluster")
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    return [unshare, *user, "--net", "--pid", "--fork", "--kill-child", "--mount-proc", *argv]


def loopback_up() -> None:
    """Bring `lo` up (a new network namespace starts with it down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(sock, _SIOCGIFFLAGS, request)[:18])[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | _IFF_UP))


def _pids() -> set[int]:
    return {int(p) for p in os.listdir("/proc") if p.isdigit()}


def _children(pid: int) -> list[int]:
    found = []
    for other in _pids():
        try:
            fields = Path(f"/proc/{other}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(other)
    return found


class LocalCluster:
    """`ray start` processes on loopback: a head, then one worker node per further CPU count.

    Must run inside `namespace_command` (checked), where 127.0.0.1 is the only address.
    """

    def __init__(self, cpus: list[int], object_store_mb: int = 100, env: dict | None = None):
        if os.environ.get(_INSIDE) != "1":
            raise RuntimeError("LocalCluster runs inside namespace_command(...) only")
        self.cpus = cpus
        self.object_store_mb = object_store_mb
        # A killed node is declared dead after 3 missed health checks 1 s apart (Ray's default
        # waits about 15 s), so its tasks move to another node sooner.
        self.env = {
            **os.environ,
            "RAY_USAGE_STATS_ENABLED": "0",
            "RAY_health_check_period_ms": "1000",
            "RAY_health_check_failure_threshold": "3",
            **(env or {}),
        }
        self.temp = Path(tempfile.mkdtemp(prefix="apray-"))
        self.address = f"127.0.0.1:{GCS_PORT}"
        #: the processes each node started, in start order (head first)
        self.node_pids: list[set[int]] = []

    def _ray_start(self, *args: str) -> None:
        before = _pids()
        log = self.temp / f"node{len(self.node_pids)}.log"
        with open(log, "w") as out:
            done = subprocess.run(
                [sys.executable, "-m", "ray.scripts.scripts", "start", *args,
                 f"--object-store-memory={self.object_store_mb * 1024 * 1024}",
                 "--disable-usage-stats"],
                env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                timeout=180, check=False,
            )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"ray start {' '.join(args)} failed: {log.read_text()[-2000:]}")
        self.node_pids.append(_pids() - before)

    def start(self) -> str:
        loopback_up()
        head, *workers = self.cpus
        self._ray_start("--head", f"--port={GCS_PORT}", f"--num-cpus={head}",
                        "--include-dashboard=false", f"--temp-dir={self.temp}")  # fmt: skip
        for n in workers:
            self._ray_start(f"--address={self.address}", f"--num-cpus={n}")
        return self.address

    def node_processes(self, index: int) -> set[int]:
        """The processes of node `index` (0 = the head): those its `ray start` left, and theirs."""
        todo = list(self.node_pids[index])
        seen: set[int] = set()
        while todo:
            pid = todo.pop()
            if pid not in seen:
                seen.add(pid)
                todo.extend(_children(pid))
        return seen

    def kill_node(self, index: int) -> None:
        """Node `index` (1 = the first worker) lost as a machine is lost: all at once.

        Every process of the node is stopped first (until no new child appears), then killed:
        killed one by one, a sandbox script could die before the worker supervising it, which
        would then report the script `killed` before dying itself; a real machine loss gives
        no process that chance.
        """
        stopped: set[int] = set()
        while True:
            fresh = self.node_processes(index) - stopped
            if not fresh:
                break
            for pid in fresh:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
            stopped |= fresh
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "ray.scripts.scripts", "stop", "--force"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
            check=False,
        )  # fmt: skip
        shutil.rmtree(self.temp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpus", default="1,1", help="CPUs of the head, then of each worker")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ...")
    args = parser.parse_args(argv)
    command = [c for c in args.command if c != "--"] or ["ray", "status"]
    if os.environ.get(_INSIDE) != "1":
        inner = [sys.executable, "-m", "audioprobe.executors.local_cluster", "--cpus", args.cpus,
                 "--", *command]  # fmt: skip
        return subprocess.run(namespace_command(inner), env={**os.environ, _INSIDE: "1"}).returncode
    cluster = LocalCluster([int(n) for n in args.cpus.split(",")])
    try:
        address = cluster.start()
        return subprocess.run(command, env={**os.environ, "RAY_ADDRESS": address}).returncode
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
