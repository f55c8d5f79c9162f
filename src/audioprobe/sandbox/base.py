"""The one contract every sandbox backend keeps.

The runner only ever sees `SandboxBackend.run`; hardening details stay inside each backend so
that a trial's recorded outcome means the same thing whichever backend produced it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

ExecStatus = Literal["ok", "runtime_error", "timeout", "killed", "sandbox_error"]


class Limits(BaseModel):
    """Resource limits for one script run; defaults suit numpy/scipy/pyo synthesis of seconds."""

    model_config = ConfigDict(extra="forbid")

    wall_s: float = Field(60.0, gt=0, description="wall-clock seconds before the run is killed")
    cpu_s: int = Field(60, gt=0, description="CPU seconds (RLIMIT_CPU or cgroup)")
    memory_mb: int = Field(1024, gt=64, description="memory ceiling in MiB")
    pids: int = Field(64, gt=0, description="processes/threads the script may have at once")
    file_size_mb: int = Field(64, gt=0, description="largest file the script may write, MiB")
    disk_mb: int = Field(256, gt=0, description="total bytes the trial folder may hold, MiB")
    output_bytes: int = Field(65536, gt=0, description="stdout and stderr kept, each")


@dataclass
class ExecResult:
    """What a backend observed; the runner turns it into a trial outcome."""

    status: ExecStatus
    exit_code: int | None
    stdout: str
    stderr: str
    wall_s: float
    cpu_s: float | None = None
    peak_memory_mb: float | None = None
    files: list[str] = field(default_factory=list)
    reason: str = ""
    backend: str = ""
    runtime: str = ""  # the sandbox runtime's hash (rootfs.runtime_hash); "" if none ran

    def to_dict(self) -> dict:
        return asdict(self)


class SandboxBackend(Protocol):
    """Runs untrusted Python with `workdir` as its only writable folder."""

    name: str

    def available(self) -> tuple[bool, str]:
        """Whether this backend can run here, and a sentence saying why not."""
        ...

    def run(self, script: Path, workdir: Path, limits: Limits) -> ExecResult:
        """Run `script` (inside `workdir`) with cwd=`workdir`; never raises for script faults."""
        ...
