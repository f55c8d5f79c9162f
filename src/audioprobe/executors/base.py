"""The one contract the trial code sees: an async `run(script, workdir, limits) -> ExecResult`.

It is the sandbox backends' own contract (sandbox/base.py) made awaitable, so that a run on
another machine looks, to the trial, exactly like a run here: when `run` returns, the script's
output file is in `workdir` (or the same kind of entry the script left there), and the trial
judges it with the same code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from audioprobe.errors import ConfigError
from audioprobe.sandbox.base import ExecResult, Limits, SandboxBackend
from audioprobe.scoring.embed_cache import BatchMap

EXECUTOR_NAMES = ("local", "ray")
ExecutorName = Literal["local", "ray"]


class ScriptRunner(Protocol):
    name: str
    #: sandbox runs the driver keeps in flight at once
    slots: int

    async def run(self, script: Path, workdir: Path, limits: Limits) -> ExecResult: ...

    def close(self) -> None: ...


class BatchEmbedder(Protocol):
    """Where scoring's embedding batches are computed (the clips are read by the driver)."""

    #: batches handed over at once (the clips of a wave are in memory together)
    wave: int

    def mapper(self, emb: Any) -> BatchMap: ...


@dataclass(frozen=True)
class ExecutorChoice:
    """What `--executor` and `--ray-address` asked for."""

    name: ExecutorName = "local"
    ray_address: str | None = None

    @classmethod
    def parse(cls, name: str, ray_address: str | None = None) -> ExecutorChoice:
        if name not in EXECUTOR_NAMES:
            raise ConfigError(f"--executor {name!r}: expected one of {', '.join(EXECUTOR_NAMES)}")
        if name == "local" and ray_address:
            raise ConfigError("--ray-address is for --executor ray")
        address = (ray_address or os.environ.get("RAY_ADDRESS")) if name == "ray" else None
        if name == "ray" and not address:
            raise ConfigError(
                "--executor ray needs a cluster: set RAY_ADDRESS or pass --ray-address HOST:PORT"
                " (docs/scale.md says how to start one)"
            )
        return cls("ray" if name == "ray" else "local", address)

    def check(self, limits: Limits) -> None:
        """Connect now, so that an unreachable cluster, or one with no node that can take a
        sandbox run within `limits`, stops a command before it writes."""
        if self.name == "ray":
            from audioprobe.executors.ray import RayRunner

            assert self.ray_address is not None
            RayRunner(self.ray_address, "", limits)


def open_embedder(choice: ExecutorChoice, device: str) -> BatchEmbedder | None:
    """Ray tasks for `choice` ray (embedding on `device` on the nodes); None: in this process."""
    if choice.name != "ray":
        return None
    from audioprobe.executors.ray import RayEmbedder

    assert choice.ray_address is not None
    return RayEmbedder(choice.ray_address, device)


def open_runner(
    choice: ExecutorChoice, backend: SandboxBackend, parallel: int, limits: Limits
) -> ScriptRunner:
    """The script runner for `choice`, running `backend` (resolved here, so every node of a
    cluster uses the same one) within `limits`."""
    if choice.name == "ray":
        from audioprobe.executors.ray import RayRunner

        assert choice.ray_address is not None
        return RayRunner(choice.ray_address, backend.name, limits)
    from audioprobe.executors.local import LocalRunner

    return LocalRunner(backend, parallel)
