"""Where a run's sandbox runs happen: `local` (threads on this machine, the default) or `ray` (tasks
on a Ray cluster). Everything else about a trial (asking the model, judging the audio, writing the
record) stays in the one driver process whichever executor runs the scripts, so the run folder is
written by one writer and a trial's outcome means the same on a laptop and on a cluster.
"""

from __future__ import annotations

from audioprobe.executors.base import (
    EXECUTOR_NAMES,
    BatchEmbedder,
    ExecutorChoice,
    ScriptRunner,
    open_embedder,
    open_runner,
)

__all__ = [
    "EXECUTOR_NAMES",
    "BatchEmbedder",
    "ExecutorChoice",
    "ScriptRunner",
    "open_embedder",
    "open_runner",
]
