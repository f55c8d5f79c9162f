"""Running a coroutine to completion from synchronous code, wherever that code is called.

`asyncio.run` refuses to start inside a running event loop, which is where a Jupyter cell runs.
There the coroutine gets its own loop on a worker thread and the caller waits for it; nothing is
patched into the caller's loop (nest_asyncio-style re-entry breaks libraries that assume one
running task per loop). An interrupt of the waiting caller (Jupyter's stop button, Ctrl-C)
cancels the coroutine and waits for its clean-up (servers stopped, run folder unlocked) before
it propagates, so a stopped cell leaves nothing running behind it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
_POLL_S = 0.1  # how often the waiting thread wakes, so an interrupt reaches it promptly


def run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    """`coro`'s result: on this thread when no event loop runs here, else on a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    loop = asyncio.new_event_loop()
    task = loop.create_task(coro)
    outcome: dict[str, Any] = {}
    # An Event, not Thread.join: on CPython 3.11 a join interrupted by KeyboardInterrupt then
    # returned at once while the thread still ran (seen here; the clean-up was skipped).
    finished = threading.Event()

    def work() -> None:
        try:
            outcome["value"] = loop.run_until_complete(task)
        except BaseException as exc:  # handed to the caller's thread below
            outcome["error"] = exc
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            finished.set()

    threading.Thread(target=work, name="audioprobe-run", daemon=True).start()
    try:
        while not finished.wait(_POLL_S):
            pass
    except KeyboardInterrupt:
        loop.call_soon_threadsafe(task.cancel)
        finished.wait()
        raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
