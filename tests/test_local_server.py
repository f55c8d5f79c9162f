"""The real llama.cpp server with the smallest shipped model: it answers, then it is gone.

These start the actual server (the xllamacpp wheel or a native llama-server, whichever
find_llama_server picks) on the smallest catalog model installed by `make install`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from local_helpers import group_alive, process_running, write_gguf
from openai import OpenAI

from audioprobe.llm.local import LocalServer, LocalServerError
from audioprobe.llm.local.server import port_open


def _wait_gone(pid: int, port: int, timeout_s: float = 15.0) -> bool:
    """The process has ended and its port is closed (a dying process shows as a zombie a little
    before its last thread has released the socket)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not process_running(pid) and not port_open("127.0.0.1", port):
            return True
        time.sleep(0.1)
    return False


def test_completion_through_openai_client_then_no_process_left(tiny_gguf: Path) -> None:
    with LocalServer(tiny_gguf, ctx_size=1024) as server:
        pid, port = server.pid, server.port
        assert pid is not None and port is not None
        assert server.base_url == f"http://127.0.0.1:{port}/v1"
        client = OpenAI(base_url=server.base_url, api_key="none", max_retries=0, timeout=60)
        response = client.chat.completions.create(
            model=server.model_id,
            messages=[{"role": "user", "content": "Write a Python comment saying hello."}],
            max_tokens=12,
            temperature=0,
            seed=0,
        )
        assert response.choices[0].message.content.strip()
        assert response.usage.completion_tokens > 0
        assert process_running(pid)
    assert not process_running(pid)
    assert not group_alive(pid)
    assert not port_open("127.0.0.1", port)


_CHILD = textwrap.dedent(
    """
    import signal, sys, time
    from audioprobe.llm.local import LocalServer
    # Background jobs of a shell start with SIGINT ignored (CI may); act as a foreground job.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with LocalServer(sys.argv[1], ctx_size=512) as server:
        print(server.pid, server.port, flush=True)
        time.sleep(300)
    """
)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_no_orphan_when_the_parent_is_interrupted_or_killed(tiny_gguf: Path, sig: int) -> None:
    """Ctrl-C and SIGTERM unwind the `with`; SIGKILL runs no Python, the kernel stops it."""
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(tiny_gguf)], stdout=subprocess.PIPE, text=True
    )
    try:
        line = child.stdout.readline().split() if child.stdout else []
        assert len(line) == 2, "the child did not report a started server"
        pid, port = int(line[0]), int(line[1])
        assert process_running(pid)
        child.send_signal(sig)
        child.wait(timeout=90)  # stopping takes up to stop_timeout_s + reaping on a loaded machine
        assert _wait_gone(pid, port), f"server {pid} outlived its parent after signal {sig}"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_a_server_that_cannot_load_fails_with_its_log_and_leaves_nothing(tmp_path: Path) -> None:
    bogus = write_gguf(tmp_path / "empty.gguf")  # a valid header but no tensors
    server = LocalServer(bogus, ctx_size=512, startup_timeout_s=60)
    with pytest.raises(LocalServerError, match="exited with code") as err:
        server.start()
    assert "Last lines of" in str(err.value)
    assert server.process is None
    assert server.log_path is not None and server.log_path.is_file()


def test_threads_default_to_usable_cpus(tiny_gguf: Path) -> None:
    server = LocalServer(tiny_gguf)
    assert server.threads == len(os.sched_getaffinity(0))
    command = server.command(port=1)
    assert command[command.index("-t") + 1] == str(server.threads)
    assert "--jinja" in command


def test_a_local_model_opens_with_the_machine_default_slots_each_with_its_context(
    tiny_gguf: Path,
) -> None:
    """The spec's unset slots/concurrency come from the machine; the server really has them."""
    import httpx

    from audioprobe.machine import default_local_slots
    from audioprobe.models import open_model
    from audioprobe.spec import ModelSpec

    spec = ModelSpec(name="tiny", kind="local", model=str(tiny_gguf), ctx_size=768)
    assert spec.slots == default_local_slots() >= 2  # 2 cores here: 4 slots
    assert spec.concurrency == spec.slots
    with ExitStack() as stack:
        model = open_model(spec, stack)
        props = httpx.get(model.base_url.removesuffix("/v1") + "/props", timeout=10).json()
        assert props["total_slots"] == spec.slots
        slots = httpx.get(model.base_url.removesuffix("/v1") + "/slots", timeout=10).json()
        assert [s["n_ctx"] for s in slots] == [768] * spec.slots
