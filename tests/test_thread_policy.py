"""The thread policy: OpenMP waits passively, and model stages use the policy's thread count."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from audioprobe.machine import usable_cpus
from audioprobe.threads import threads_per_worker


def _child(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "KMP_BLOCKTIME")}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return proc.stdout.strip()


def test_the_command_line_sets_passive_waiting_before_torch_loads_and_keeps_a_users_choice():
    code = (
        "import os, sys, audioprobe.cli\n"
        "print(os.environ['OMP_WAIT_POLICY'], 'torch' in sys.modules)"
    )
    assert _child(code) == "PASSIVE False"
    assert _child(code, OMP_WAIT_POLICY="ACTIVE") == "ACTIVE False"


def test_threads_per_worker_divides_the_cores_and_honours_the_override(monkeypatch):
    monkeypatch.delenv("AUDIOPROBE_THREADS", raising=False)
    assert threads_per_worker() == usable_cpus()
    assert threads_per_worker(workers=usable_cpus() * 4) == 1
    monkeypatch.setenv("AUDIOPROBE_THREADS", "1")
    assert threads_per_worker() == 1


@pytest.mark.parametrize("count", ["1", "2"])
def test_an_embedding_runs_with_the_policy_thread_count(count):
    """aisfx (weights ship with its PyPI package) sets torch's pool when it loads."""
    code = (
        "import numpy as np, torch; torch.set_num_threads(7)\n"
        "from audioprobe.scoring.embeddings import get_embedding\n"
        "e = get_embedding('aisfx'); v = e.embed([np.zeros(32000, np.float32) + 0.1])\n"
        "print(torch.get_num_threads(), v.shape[1])"
    )
    threads, dim = _child(code, AUDIOPROBE_THREADS=count).split()
    assert threads == count and int(dim) == 512
