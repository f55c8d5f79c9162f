"""The Ray executor: each sandbox run is a Ray task on whichever node has room.

The driver (the `audioprobe run` process) keeps everything else: it asks the models (so each
model's concurrency bound holds for the whole cluster), judges the audio and writes the run
folder. A task gets the script's text and the limits, runs it in a private folder on its node
with the backend the driver chose (the same on every node, so outcomes do not depend on where a
trial landed), and returns the ExecResult and the output file through Ray's object store: no
shared filesystem is needed.

Each task declares the resources it uses, one CPU and the script's memory limit, so Ray places no
more runs on a node than it has room for. A node lost while a task runs (a crash, a preempted
machine) is a system failure that Ray retries on another node (`max_retries`); a script that
fails is the task's normal result, never retried. Should the retries run out, the trial ends
`sandbox_error`, an infrastructure outcome that `resume` retries.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import tempfile
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from audioprobe.errors import AudioprobeError, ConfigError
from audioprobe.executors.output import OutputEntry, capture, mirror
from audioprobe.sandbox.base import ExecResult, Limits, SandboxBackend
from audioprobe.scoring.embed_cache import BatchMap

#: retries of a task whose node or worker process died (not of a failing script)
MAX_RETRIES = 4
#: memory a run needs beyond the script's own limit (the backend's supervisor, Python itself)
OVERHEAD_MB = 256
#: memory an embedding task declares: the largest model (Whisper, CLAP) and a batch of clips
EMBED_MEMORY_MB = 2048
OUTPUT_NAME = "output.wav"


@dataclass
class NodeExecResult(ExecResult):
    """An ExecResult that also says which Ray node ran the script (kept in the trial's record)."""

    node: str = ""


@dataclass(frozen=True)
class RemoteRun:
    result: ExecResult
    output: OutputEntry
    node: str


@cache
def _backend(name: str) -> SandboxBackend:
    """The named backend on this node, checked once per worker process."""
    from audioprobe.sandbox import get_backend

    return get_backend(name)


def sandbox_task(script: bytes, limits_json: str, backend_name: str) -> RemoteRun:
    """Run one script on this node (the body of the Ray task)."""

    limits = Limits.model_validate_json(limits_json)
    backend = _backend(backend_name)
    work = Path(tempfile.mkdtemp(prefix="audioprobe-ray-"))
    try:
        (work / "script.py").write_bytes(script)
        result = backend.run(work / "script.py", work, limits)
        entry = capture(work, OUTPUT_NAME, limits.file_size_mb * 1024 * 1024)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return RemoteRun(result, entry, _node())


@cache
def _embedding(name: str, device: str) -> Any:
    """The named embedding on this node, loaded once per worker process."""
    from audioprobe.scoring.embeddings import get_embedding

    emb = get_embedding(name, device=device)
    ok, why = emb.available()
    if not ok:
        raise AudioprobeError(f"on node {_node()}: {why}")
    return emb


def _node() -> str:
    import ray

    return ray.get_runtime_context().get_node_id()


def embed_task(name: str, device: str, batch: list[Any]) -> Any:
    """Embed one batch of clips on this node (the body of the Ray task), with the thread
    policy `score` uses, so a vector does not depend on where it was computed."""
    from threadpoolctl import threadpool_limits

    from audioprobe import threads

    threads.prepare_process()
    with threadpool_limits(limits=1, user_api="blas"):
        return _embedding(name, device).embed(batch)


def _reachable(address: str, timeout_s: float = 10.0) -> None:
    """Fail in seconds on an address nothing listens at: `ray.init` waits minutes for it."""
    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():
        return  # a Ray Client URL or another form: left to Ray
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise AudioprobeError(
            f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}); is `ray start"
            " --head` running there? (RAY_ADDRESS or --ray-address names it)"
        ) from exc


def connect(address: str) -> Any:
    """The `ray` module, connected to the cluster at `address` (once per process)."""
    try:
        import ray
    except ImportError as exc:
        raise AudioprobeError(
            "--executor ray needs Ray: pip install 'audioprobe[ray]' (or pip install ray)"
        ) from exc
    if not ray.is_initialized():
        _reachable(address)
        try:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise AudioprobeError(f"cannot reach the Ray cluster at {address}: {exc}") from exc
    return ray


def _check_fits(ray: Any, memory_mb: int) -> None:
    """ConfigError unless some live node can take a sandbox task: Ray would hold it forever."""
    nodes = [n["Resources"] for n in ray.nodes() if n.get("Alive")]
    need = memory_mb * 1024 * 1024
    if any(r.get("CPU", 0) >= 1 and r.get("memory", 0) >= need for r in nodes):
        return
    most = max((r.get("memory", 0) for r in nodes if r.get("CPU", 0) >= 1), default=0)
    raise ConfigError(
        f"no node of the Ray cluster offers 1 CPU and {memory_mb} MiB for a sandbox run"
        f" ([sandbox.limits] memory_mb + {OVERHEAD_MB}); the largest offers"
        f" {most // (1024 * 1024)} MiB: lower memory_mb or add a larger node"
    )


class RayRunner:
    name = "ray"

    def __init__(self, address: str, backend_name: str, limits: Limits):
        self.ray = connect(address)
        _check_fits(self.ray, limits.memory_mb + OVERHEAD_MB)
        self.backend_name = backend_name
        cpus = int(self.ray.cluster_resources().get("CPU", 1))
        # Tasks beyond the cluster's CPUs only queue in Ray; twice as many keeps every CPU fed
        # while the driver judges finished ones.
        self.slots = max(2, 2 * cpus)
        self._task = self.ray.remote(sandbox_task)
        #: node id of each finished run, for `where time goes` in benchmarks
        self.nodes: dict[str, int] = {}

    async def run(self, script: Path, workdir: Path, limits: Limits) -> ExecResult:
        task = self._task.options(
            num_cpus=1,
            memory=(limits.memory_mb + OVERHEAD_MB) * 1024 * 1024,
            max_retries=MAX_RETRIES,
            retry_exceptions=False,
        )
        ref = task.remote(script.read_bytes(), limits.model_dump_json(), self.backend_name)
        remote: RemoteRun = await asyncio.wrap_future(ref.future())
        mirror(remote.output, workdir, OUTPUT_NAME)
        self.nodes[remote.node] = self.nodes.get(remote.node, 0) + 1
        return NodeExecResult(**asdict(remote.result), node=remote.node)

    def close(self) -> None:
        self.ray.shutdown()


class RayEmbedder:
    """Scoring's embedding batches as Ray tasks: the driver reads the clips and keeps the cache;
    each task embeds one batch with the model loaded once per worker process."""

    def __init__(self, address: str, device: str):
        self.ray = connect(address)
        self.device = device
        cpus = int(self.ray.cluster_resources().get("CPU", 1))
        self.wave = max(1, cpus)
        gpus = 1 if device.startswith("cuda") else 0
        self._task = self.ray.remote(embed_task).options(
            num_cpus=1, num_gpus=gpus, memory=EMBED_MEMORY_MB * 1024 * 1024,
            max_retries=MAX_RETRIES, retry_exceptions=False,
        )  # fmt: skip

    def mapper(self, emb: Any) -> BatchMap:
        def embed_batches(batches: list[list[Any]]) -> list[Any]:
            refs = [self._task.remote(emb.name, self.device, batch) for batch in batches]
            return self.ray.get(refs)

        return embed_batches
