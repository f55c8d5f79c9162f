"""The sandbox benchmark prints each backend's cost as a ratio to bare python, and on a realistic
synthesis script the isolating backends stay within 1.5x of it (the docker image carries its
.pyc files, which is what keeps it there)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sandbox_helpers import docker_engine_reason

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # kept out of make test's 15 minutes; make test-all runs it
def test_realistic_script_overhead_ratio(tmp_path: Path) -> None:
    backends = ["bwrap"]
    if not docker_engine_reason() or os.environ.get("AUDIOPROBE_REQUIRE_DOCKER") == "1":
        backends.append("docker")
    out = tmp_path / "bench.json"
    printed = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks/sandbox.py"),
            "--repeat=3",
            "--scripts=realistic",
            f"--backends={','.join(backends)}",
            f"--json={out}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    assert "| x bare |" in printed
    rows = {row["runner"]: row for row in json.loads(out.read_text())["rows"]}
    assert rows["bare python3"]["ratio"] == 1.0
    for name in backends:
        assert "unavailable" not in rows[name], f"{name}: {rows[name].get('unavailable')}"
        assert rows[name]["ratio"] <= 1.5, f"{name}: {rows[name]['ratio']:.2f}x bare python"
        assert f"| {name} | `realistic` |" in printed
