"""Install scripts work from any clone location and any working directory: their default
virtual environment is the clone's own .venv, found from the script's path."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _stub(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def test_install_refs_deps_finds_the_clones_venv_from_another_directory(tmp_path):
    clone = tmp_path / "somewhere" / "my clone"
    shutil.copytree(REPO / "scripts", clone / "scripts")
    calls = tmp_path / "calls.txt"
    _stub(clone / ".venv" / "bin" / "audioprobe", f'echo "$@" >> "{calls}"')
    stubs = tmp_path / "bin"
    _stub(stubs / "espeak-ng", "exit 0")  # present: nothing to apt-get
    env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}"}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        ["bash", str(clone / "scripts" / "install_refs_deps.sh")],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert calls.read_text().split() == ["refs", "fetch"]


def test_install_refs_deps_without_a_venv_says_what_to_do(tmp_path):
    clone = tmp_path / "clone"
    shutil.copytree(REPO / "scripts", clone / "scripts")
    done = subprocess.run(
        ["bash", str(clone / "scripts" / "install_refs_deps.sh")],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert f"no audioprobe in {clone}/.venv" in done.stderr and "make install" in done.stderr


def test_no_install_script_defaults_to_a_path_of_another_machine():
    for script in (REPO / "scripts").glob("*.sh"):
        text = script.read_text()
        assert "/work/" not in text and "/home/" not in text, script.name
