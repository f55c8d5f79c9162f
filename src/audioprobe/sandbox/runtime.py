"""What a sandboxed script runs with: where things are inside the runtime tree, and its environment.

Kept apart from any one backend so every backend gives a script the same world: the tree itself
is built by rootfs.py from sandbox/runtime.toml.
"""

from __future__ import annotations

import sys
from pathlib import Path

from audioprobe.paths import data_dir

CONTEXT_DIR = data_dir("sandbox")  # runtime.toml, shim/, etc/
SHIM_DIR = CONTEXT_DIR / "shim"
ETC_DIR = CONTEXT_DIR / "etc"
INSIDE_WORKDIR = "/trial"
INSIDE_SHIM = "/opt/audioprobe/shim"
INSIDE_PREFIX = "/usr/local"  # the interpreter, libpython, the libraries and the tools
INSIDE_PYTHON = f"{INSIDE_PREFIX}/bin/python{sys.version_info.major}.{sys.version_info.minor}"


def sandbox_env(prefix: str = INSIDE_PREFIX, shim_dir: str = INSIDE_SHIM) -> dict[str, str]:
    """The whole environment a script sees: nothing from the harness is passed through.

    `prefix` is where the runtime's /usr/local is as the script's process sees it (itself inside
    bwrap and docker; inside the cached tree for the subprocess backend). One BLAS/OpenMP thread
    keeps numpy inside the pids limit and the CPU accounting honest; PYO_SERVER_AUDIO makes every
    pyo Server render offline (there is no sound card in here).
    """
    return {
        "PATH": f"{prefix}/bin:/usr/bin:/bin",
        "LD_LIBRARY_PATH": f"{prefix}/lib",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONPATH": shim_dir,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
        "PYO_SERVER_AUDIO": "offline",
        "PYO_GUI_WX": "0",
    }


def inside(tree: Path, path: str) -> Path:
    """Where `path` (as seen inside the sandbox) lies in the runtime tree on the host."""
    return tree / path.lstrip("/")
