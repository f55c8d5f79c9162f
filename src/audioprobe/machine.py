"""What this machine can give a run: usable cores and memory, and the defaults chosen from them.

Defaults that fit the hardware matter for a measuring tool: one sandbox run at a time leaves
cores idle, and a local model server with one decoding slot only queues concurrent requests.
Both are chosen here, once, and the chosen numbers are written into run.json so that a reader
sees what a run actually used.
"""

from __future__ import annotations

import os
from pathlib import Path

# Decoding several sequences together amortises the weight reads that bound a small model on a
# CPU (measured here: 1.31x aggregate throughput with 2 slots, 1.82x with 4, Qwen2.5-Coder-1.5B
# on 2 cores). More than 4 slots gave no further gain on this class of machine.
MAX_LOCAL_SLOTS = 4
# Per slot, the KV cache of a 1.5B model at 4096 tokens is ~120 MB; leave room for the compute
# buffers and the sandbox runs that share the machine.
LOCAL_SLOT_MEMORY_MB = 512


def usable_cpus() -> int:
    """CPUs this process may run on (the affinity mask, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def available_memory_mb() -> int:
    """Memory that can be had without swapping: MemAvailable, capped by this cgroup's limit."""
    available = _meminfo_available_mb()
    limit = _cgroup_limit_mb()
    if limit is not None:
        available = min(available, limit) if available else limit
    return available or 1024


def _meminfo_available_mb() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _cgroup_limit_mb() -> int | None:
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            raw = Path(path).read_text().strip()
        except OSError:
            continue
        if raw.isdigit() and int(raw) < 1 << 60:
            return int(raw) // (1024 * 1024)
    return None


def default_sandbox_parallel(memory_mb_per_run: int) -> int:
    """Scripts run at once: one per usable core, as many as the memory limit of each allows."""
    by_memory = max(1, available_memory_mb() // max(1, memory_mb_per_run))
    return max(1, min(usable_cpus(), by_memory))


def default_local_slots() -> int:
    """Parallel decoding slots for a local model server: 2 per core, up to MAX_LOCAL_SLOTS."""
    by_memory = max(1, available_memory_mb() // LOCAL_SLOT_MEMORY_MB)
    return max(1, min(MAX_LOCAL_SLOTS, 2 * usable_cpus(), by_memory))
