"""Run llama.cpp's OpenAI-compatible server for the length of a `with` block, and never longer.

The server is a child process in its own process group on 127.0.0.1 and a free port. It is
stopped (SIGTERM to the group, SIGKILL after a grace period) when the block ends, also on
Ctrl-C and on errors; an atexit hook and a SIGTERM handler cover a parent that is ended
while a server runs, and the kernel's parent-death signal covers a parent that is killed
outright. Sampling parameters are not fixed here: each request carries its own.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from importlib.resources import files
from pathlib import Path
from types import FrameType
from typing import IO, Any

import httpx

from audioprobe.errors import AudioprobeError
from audioprobe.llm.local.gguf import read_gguf
from audioprobe.llm.local.program import ServerProgram, find_llama_server
from audioprobe.llm.local.weights import catalog, resolve_gguf
from audioprobe.machine import usable_cpus
from audioprobe.paths import cache_dir

_PR_SET_PDEATHSIG = 1
_PORT_TAKEN_SIGNS = ("address already in use", "couldn't bind", "failed to bind")
_LIVE: set[LocalServer] = set()
_GUARD_LOCK = threading.Lock()
_previous_sigterm: Callable[[int, FrameType | None], Any] | int | None = None
_guard_installed = False

# llama.cpp's OpenMP threads spin while they wait for each other. On a machine whose cores are
# shared (other jobs, the sandbox running the previous answer) the spinning threads starve each
# other: 2 threads fell to 3.6 tokens/s where 1 thread gave 28 (docs/local_model.md). Passive
# waiting keeps both threads useful. A caller's own setting wins.
DEFAULT_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}


class LocalServerError(AudioprobeError):
    """The server did not start or answer; the message carries the end of its log."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_open(host: str, port: int, timeout_s: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def fallback_chat_template(path: Path) -> Path | None:
    """The catalog's template file for a GGUF that carries no template; None when it has one.

    llama-server would otherwise fall back to ChatML, a format the model never saw.
    """
    info = read_gguf(path)
    if info.chat_template:
        return None
    templates = Path(str(files("audioprobe.llm.local").joinpath("templates")))
    for model in catalog().values():
        same = model.general_name == info.name and model.architecture == info.architecture
        if same and model.chat_template_file:
            return templates / model.chat_template_file
    return None


class LocalServer:
    """llama-server (or the xllamacpp equivalent) serving one GGUF file.

    with LocalServer(path, ctx_size=4096) as srv:
        OpenAI(base_url=srv.base_url, api_key="none").chat.completions.create(
            model=srv.model_id, messages=[...], temperature=0.2, max_tokens=512, seed=0)

    `parallel` slots decode that many requests together (continuous batching); `ctx_size` is
    each slot's context, so the server is given `ctx_size * parallel` in all.
    """

    def __init__(
        self,
        model: str | os.PathLike[str],
        *,
        ctx_size: int = 4096,
        threads: int | None = None,
        parallel: int = 1,
        host: str = "127.0.0.1",
        port: int | None = None,
        alias: str | None = None,
        program: ServerProgram | None = None,
        log_path: Path | None = None,
        startup_timeout_s: float = 300.0,
        stop_timeout_s: float = 10.0,
        extra_args: Sequence[str] = (),
        env: dict[str, str] | None = None,
        speculative: str = "none",
        draft: str | os.PathLike[str] | None = None,
        draft_max: int = 8,
        ngram_size: int | None = None,
        cache_reuse: int = 0,
    ):
        self.gguf = resolve_gguf(model)  # a catalog key, or a path checked to be GGUF
        self.ctx_size = ctx_size
        self.threads = threads or usable_cpus()
        self.parallel = parallel
        self.host = host
        self.requested_port = port
        self.port: int | None = None
        self.model_id = alias or self._default_alias()
        self.program = program
        self.log_path = log_path
        self.startup_timeout_s = startup_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self.extra_args = tuple(extra_args)
        self.env = env
        if speculative == "draft" and draft is None:
            raise LocalServerError("speculative decoding with a draft model needs the draft's GGUF")
        self.speculative = speculative
        self.draft = resolve_gguf(draft) if speculative == "draft" and draft else None
        self.draft_max = draft_max
        self.ngram_size = ngram_size
        self.cache_reuse = cache_reuse
        self.process: subprocess.Popen[bytes] | None = None
        self.startup_s: float | None = None
        self._log: IO[bytes] | None = None

    def _default_alias(self) -> str:
        for key, model in catalog().items():
            if model.file == self.gguf.name:
                return key
        return self.gguf.stem

    # -- addresses -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self.port is None:
            raise LocalServerError("the server is not running")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible root, e.g. http://127.0.0.1:PORT/v1."""
        return self.url + "/v1"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    # -- life cycle ------------------------------------------------------------------------
    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def command(self, port: int) -> list[str]:
        program = self.program or find_llama_server()
        self.program = program
        cmd = [
            *program.argv,
            "-m", str(self.gguf),
            "--host", self.host,
            "--port", str(port),
            # llama.cpp splits the context among the slots: give each slot the whole ctx_size
            "-c", str(self.ctx_size * self.parallel),
            "-t", str(self.threads),
            "-tb", str(self.threads),
            "-np", str(self.parallel),
            "-a", self.model_id,
            "--jinja",
            "--no-webui",
        ]  # fmt: skip
        template = fallback_chat_template(self.gguf)
        if template:
            cmd += ["--chat-template-file", str(template)]
        return [*cmd, *self.decoding_args(), *self.extra_args]

    def decoding_args(self) -> list[str]:
        """Speculative decoding and prompt reuse, as llama-server's own flags."""
        args: list[str] = []
        if self.draft is not None:
            args += ["-md", str(self.draft), "--draft-max", str(self.draft_max)]
        elif self.speculative != "none":
            args += ["--spec-type", self.speculative, "--draft-max", str(self.draft_max)]
            if self.ngram_size is not None:
                args += ["--spec-ngram-size-n", str(self.ngram_size)]
        if self.cache_reuse:
            args += ["--cache-reuse", str(self.cache_reuse)]
        return args

    def start(self) -> LocalServer:
        if self.process is not None:
            raise LocalServerError("this LocalServer is already started")
        started = time.monotonic()
        attempts = 1 if self.requested_port else 3
        for attempt in range(1, attempts + 1):
            port = self.requested_port or free_port(self.host)
            self._spawn(port)
            try:
                self._wait_ready(started)
            except _PortTaken:
                self._reap()
                if attempt == attempts:
                    raise LocalServerError(
                        f"port {port} was taken before the server could bind it"
                        f" ({attempts} tries); log: {self.log_path}"
                    ) from None
                continue
            except BaseException:
                self.stop()
                raise
            self.startup_s = time.monotonic() - started
            return self
        raise AssertionError("unreachable")

    def _spawn(self, port: int) -> None:
        cmd = self.command(port)
        if self.log_path is None:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            self.log_path = cache_dir("logs") / f"llama-server-{stamp}-{os.getpid()}-{port}.log"
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in _reap
        self._log.write(f"$ {' '.join(cmd)}\n".encode())
        self._log.flush()
        env = {**os.environ, **(self.env or {})}
        for key, value in DEFAULT_ENV.items():
            env.setdefault(key, value)
        on_main = threading.current_thread() is threading.main_thread()
        self.process = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # its own group: a terminal's Ctrl-C reaches us, we stop it
            preexec_fn=_die_with_parent if on_main else None,
        )
        self.port = port
        _register(self)

    def _wait_ready(self, started: float) -> None:
        assert self.process is not None
        deadline = started + self.startup_timeout_s
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while True:
                code = self.process.poll()
                if code is not None:
                    tail = self.log_tail()
                    if any(sign in tail.lower() for sign in _PORT_TAKEN_SIGNS):
                        raise _PortTaken
                    raise LocalServerError(
                        f"llama-server exited with code {code} before answering"
                        f" ({self.gguf.name}).\nLast lines of {self.log_path}:\n{tail}"
                    )
                try:
                    if client.get(self.url + "/health").status_code == 200:
                        return
                except httpx.TransportError:
                    pass  # not listening yet, or loading
                if time.monotonic() > deadline:
                    raise LocalServerError(
                        f"llama-server did not answer /health within {self.startup_timeout_s:.0f}"
                        f" s ({self.gguf.name}).\nLast lines of {self.log_path}:\n"
                        f"{self.log_tail()}"
                    )
                time.sleep(0.2)

    def stop(self) -> None:
        """Stop the server's process group: SIGTERM, then SIGKILL after stop_timeout_s."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=self.stop_timeout_s)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait()
        # Anything else left in the group (a helper the server started) goes too.
        _signal_group(process.pid, signal.SIGKILL)
        self._reap()

    def _reap(self) -> None:
        if self.process is not None and self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        _unregister(self)

    def log_tail(self, lines: int = 25) -> str:
        if self.log_path is None or not self.log_path.is_file():
            return "(no log)"
        text = self.log_path.read_bytes()[-16384:].decode("utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


class _PortTaken(Exception):
    pass


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)  # the server leads its own group (start_new_session)


# Looked up in the parent: between fork and exec the child should only make the call, not load
# anything (another thread of the parent may hold the loader's lock at the fork).
_prctl = ctypes.CDLL(None, use_errno=True).prctl


def _die_with_parent() -> None:
    """In the child before exec: the kernel sends SIGTERM if the thread that forked us dies.

    That covers a parent killed with SIGKILL, which runs no Python cleanup at all.
    """
    _prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


# -- process-wide guard ---------------------------------------------------------------------
def _register(server: LocalServer) -> None:
    global _guard_installed, _previous_sigterm
    with _GUARD_LOCK:
        _LIVE.add(server)
        if not _guard_installed:
            atexit.register(stop_all)
            _guard_installed = True
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        ):
            # Default SIGTERM ends Python without unwinding: no `with` exit, no atexit. Turn it
            # into SystemExit while a server runs so that every server is stopped first.
            _previous_sigterm = signal.signal(signal.SIGTERM, _on_sigterm)


def _unregister(server: LocalServer) -> None:
    global _previous_sigterm
    with _GUARD_LOCK:
        _LIVE.discard(server)
        if (
            not _LIVE
            and _previous_sigterm is not None
            and threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGTERM) is _on_sigterm
        ):
            signal.signal(signal.SIGTERM, _previous_sigterm)
            _previous_sigterm = None


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def stop_all() -> None:
    """Stop every server this process started (atexit; also safe to call by hand)."""
    for server in list(_LIVE):
        server.stop()
