"""Finding a Docker (or Podman) engine to talk to, without ever hanging on one that is absent."""

from __future__ import annotations

import os
from pathlib import Path

# Where sandbox/dockerd.sh puts its socket (AUDIOPROBE_DOCKERD_DIR overrides, as in the script).
DOCKERD_DIR = Path(os.environ.get("AUDIOPROBE_DOCKERD_DIR", "/var/lib/audioprobe-dockerd"))
PING_TIMEOUT_S = 3


def candidate_hosts() -> list[str]:
    """DOCKER_HOST if set (then only it), else our dockerd.sh socket, the system and podman ones."""
    if os.environ.get("DOCKER_HOST"):
        return [os.environ["DOCKER_HOST"]]
    socks = [
        DOCKERD_DIR / "docker.sock",
        Path("/var/run/docker.sock"),
        Path("/run/podman/podman.sock"),
        Path(os.environ.get("XDG_RUNTIME_DIR", f"/run/user/{os.getuid()}")) / "podman/podman.sock",
    ]
    return [f"unix://{s}" for s in socks if s.is_socket()]


def connect(timeout: int = 120):
    """A docker SDK client for the first engine that answers a ping, or (None, why)."""
    try:
        import docker
    except ImportError:
        return None, "the docker Python SDK is not installed (pip install 'docker>=7')"
    hosts = candidate_hosts()
    if not hosts:
        return None, (
            "no Docker engine socket found (DOCKER_HOST unset; no /var/run/docker.sock; "
            "sandbox/dockerd.sh starts one as root)"
        )
    errors = []
    for host in hosts:
        try:
            client = docker.DockerClient(base_url=host, timeout=PING_TIMEOUT_S)
            client.ping()
        except Exception as exc:  # the SDK raises a zoo of requests/docker errors here
            errors.append(f"{host}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        client.api.timeout = timeout
        return client, ""
    return None, "no Docker engine answers (" + "; ".join(errors) + ")"


def engine_status() -> tuple[bool, str]:
    """Whether an engine answers; the reason when not."""
    client, why = connect()
    if client is None:
        return False, why
    client.close()
    return True, ""
