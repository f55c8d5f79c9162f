"""One writer per run folder: `run`, `resume`, `score` and `repair` hold RUN/.lock while they work.

Two processes writing one run interleave their trials (a good script recorded as `no_output`) and
race on the same files. The lock is `flock` on RUN/.lock, so the kernel drops it when the holder
dies, even by kill -9; the file also names the holder (pid, host, command, since) so the second
process can say who it is waiting for.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from audioprobe.errors import AudioprobeError

LOCK_NAME = ".lock"


class RunLocked(AudioprobeError):
    """Another process holds the run folder."""


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text())
        return (
            f"pid {info['pid']} on {info['host']} (audioprobe {info['command']},"
            f" since {info['since']})"
        )
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


@contextmanager
def hold_run(root: Path, command: str, *, create: bool = False) -> Iterator[None]:
    """Hold `root`'s lock for the block; RunLocked if another process holds it.

    With `create`, a missing `root` is made, and removed again if the block leaves nothing in it
    but the lock file, so a run that stops before writing anything leaves no folder behind.
    """
    created = not root.exists()
    if created and not create:
        raise AudioprobeError(f"{root} is not an audioprobe run (no such folder)")
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise AudioprobeError(f"cannot lock {root} ({exc.strerror}); is it writable?") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLocked(
                f"{root} is in use by {_holder(path)}; wait for it to finish or stop it"
            ) from None
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": command,
            "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            if created and [p.name for p in root.iterdir()] == [LOCK_NAME]:
                path.unlink()
                root.rmdir()
    finally:
        os.close(fd)
