"""What the sandboxed script runs with: which Python, which ffmpeg, which environment.

Kept apart from any one backend so bwrap and subprocess give a script the same world, and the
docker image is built from the same pieces (see image.py).
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from audioprobe.paths import data_dir

CONTEXT_DIR = data_dir("sandbox")  # the docker build context; bwrap mounts pieces of it too
SHIM_DIR = CONTEXT_DIR / "shim"
ETC_DIR = CONTEXT_DIR / "etc"
INSIDE_WORKDIR = "/trial"
INSIDE_SHIM = "/opt/audioprobe/shim"
INSIDE_BIN = "/opt/audioprobe/bin"


def sandbox_env(path_dirs: list[str], shim_dir: str) -> dict[str, str]:
    """The whole environment a script sees: nothing from the harness is passed through.

    One BLAS/OpenMP thread keeps numpy inside the pids limit and the CPU accounting honest;
    PYO_SERVER_AUDIO makes every pyo Server render offline (there is no sound card in here).
    """
    return {
        "PATH": ":".join([*path_dirs, "/usr/local/bin", "/usr/bin", "/bin"]),
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


def ffmpeg_binary() -> Path | None:
    """An ffmpeg for pydub: imageio-ffmpeg's bundled static build, else one on PATH."""
    try:
        import imageio_ffmpeg

        exe = Path(imageio_ffmpeg.get_ffmpeg_exe())
        if exe.is_file():
            return exe.resolve()
    except (ImportError, RuntimeError):
        pass
    found = shutil.which("ffmpeg")
    return Path(found).resolve() if found else None


def ffmpeg_dir(exe: Path) -> Path:
    """A cached folder holding an `ffmpeg` symlink to `exe`: pydub looks for that exact name."""
    from audioprobe.paths import cache_dir

    folder = cache_dir("sandbox", "bin")
    link = folder / "ffmpeg"
    if not (link.is_symlink() and Path(os.readlink(link)) == exe):
        tmp = folder / f".ffmpeg.{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(exe)
        tmp.replace(link)
    return folder


@dataclass(frozen=True)
class PythonRuntime:
    """The interpreter for scripts and the folders it needs mounted read-only at their own path.

    A venv's `bin/python` is a symlink into the base installation (pyenv here), whose libpython
    is found by an rpath to that same path; so both prefixes are mounted where they are, and
    nothing else under their parents (for pyenv: nothing else of /root).
    """

    executable: str
    prefixes: tuple[str, ...]

    @classmethod
    def current(cls) -> PythonRuntime:
        prefixes = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]
        exe = Path(sys.prefix) / "bin" / "python3"
        if not exe.exists():
            exe = Path(sys.executable)
        kept: list[str] = []
        for p in sorted(set(prefixes), key=lambda x: len(x.parts)):
            if p == Path("/usr") or any(p.is_relative_to(k) for k in map(Path, kept)):
                continue  # /usr is mounted anyway; nested prefixes come with their parent
            kept.append(str(p))
        return cls(executable=str(exe), prefixes=tuple(kept))
