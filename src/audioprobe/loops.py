"""Running a coroutine to completion from synchronous code, wherever that code is called.

`asyncio.run` refuses to start inside a running event loop, which is where a Jupyter cell runs.
There the coroutine gets its own loop on a worker thread and the caller waits for it; nothing is
patched into the caller's loop (nest_asyncio-style re-entry breaks libraries that assume one
running task per loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    """`coro`'s result: on this thread when no event loop runs here, else on a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1, thread_name_prefix="audioprobe-run") as pool:
        return pool.submit(asyncio.run, coro).result()
