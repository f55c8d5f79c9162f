"""One thread policy for the CPU-heavy stages: embeddings, ASR, pitch and bootstraps.

Measured here (aisfx, 32 clips, 2 cores shared with other work): with OpenMP's default spinning
wait, 2 torch threads gave 7.1 clips/s against 9.0 with one; with passive waiting, 23.6 against
11.9. Spinning threads steal the cores their siblings need as soon as anything else runs on the
machine. So waiting threads sleep (set before torch or CTranslate2 load their OpenMP runtime),
and every library that keeps a pool (torch, CTranslate2, BLAS) is given the same count, chosen
with the number of workers so that workers x threads never exceeds the usable cores.
"""

from __future__ import annotations

import os

from audioprobe.machine import usable_cpus

# GNU OpenMP (torch's) and LLVM/Intel OpenMP read these when they load; later changes are ignored.
PASSIVE_WAIT_ENV = {"OMP_WAIT_POLICY": "PASSIVE", "KMP_BLOCKTIME": "0"}


def prepare_process() -> None:
    """Make OpenMP threads sleep while they wait; call before torch/ctranslate2 are imported.

    A value the user set is kept. Once torch is loaded its runtime has read the environment,
    which is why the command line calls this before any command runs.
    """
    for key, value in PASSIVE_WAIT_ENV.items():
        os.environ.setdefault(key, value)


THREADS_ENV = "AUDIOPROBE_THREADS"


def threads_per_worker(workers: int = 1) -> int:
    """Threads each of `workers` processes may use without oversubscribing the cores.

    AUDIOPROBE_THREADS overrides it (a batch job given fewer cores than the node has).
    """
    override = os.environ.get(THREADS_ENV, "")
    if override.isdigit() and int(override) > 0:
        return int(override)
    return max(1, usable_cpus() // max(1, workers))


def configure_torch(threads: int | None = None) -> int:
    """Set torch's intra-op pool to the policy's count; returns the count."""
    import torch

    count = threads or threads_per_worker()
    if torch.get_num_threads() != count:
        torch.set_num_threads(count)
    return count
