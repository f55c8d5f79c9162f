"""The local executor: the sandbox backend called in a worker thread, `parallel` at a time."""

from __future__ import annotations

import asyncio
from pathlib import Path

from audioprobe.sandbox.base import ExecResult, Limits, SandboxBackend


class LocalRunner:
    name = "local"

    def __init__(self, backend: SandboxBackend, parallel: int):
        self.backend = backend
        self.slots = parallel

    async def run(self, script: Path, workdir: Path, limits: Limits) -> ExecResult:
        return await asyncio.to_thread(self.backend.run, script, workdir, limits)

    def close(self) -> None:
        return None
