"""A local OpenAI-compatible chat endpoint that misbehaves on request, for tests of the client.

Listens on 127.0.0.1 only. Each request is matched against the rules given with `fail(match,
kind)` (a substring of the request's messages, "*" for any) and answered in that rule's way;
unmatched requests get a well-formed completion (`answers` by substring, else `answer`). Every
request is logged, so tests can count calls per item and spot repeats.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: Every way the server can misbehave. Values are the HTTP status sent (None: none at all).
FAULTS: dict[str, int | None] = {
    "refuse": None,  # the connection is closed without a response
    "hang": 200,  # the answer comes after `hang_s`, past the client's timeout
    "429": 429,
    "429-retry-after-1": 429,
    "429-retry-after-inf": 429,
    "429-retry-after-garbage": 429,
    "500": 500,
    "503": 503,
    "html": 200,  # a proxy's login page
    "not-json": 200,
    "no-choices": 200,
    "empty-choices": 200,
    "null-content": 200,
    "huge": 200,  # a body over the client's cap
    "cut": 200,  # the body breaks off after a few bytes
    "length": 200,  # well-formed, but cut at max_tokens before any code: the model's answer
    "deep": 200,  # JSON nested 100,000 levels: past any parser's recursion limit
    "huge-error": 500,  # an error answer whose body never ends (the client reads errors whole)
    "negative-usage": 200,  # a completion whose usage counts are negative
}
SINE = """```python
import numpy as np
from scipy.io import wavfile
t = np.arange(16000 * 2) / 16000
wavfile.write("output.wav", 16000, (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32))
```"""


@dataclass
class Rule:
    match: str
    kind: str
    times: int | None  # None: every matching request


@dataclass
class ServerState:
    answer: Any = SINE  # a str, or content parts (a list of {"type": "text", "text": ...})
    answers: dict[str, Any] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    delay_s: float = 0.0
    hang_s: float = 3.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def text_of(self, body: dict[str, Any]) -> str:
        return json.dumps(body.get("messages", []), ensure_ascii=False)

    def count(self, match: str = "*") -> int:
        with self.lock:
            return sum(1 for b in self.requests if match == "*" or match in self.text_of(b))

    def take_rule(self, body: dict[str, Any]) -> str | None:
        text = self.text_of(body)
        for rule in self.rules:
            if rule.match == "*" or rule.match in text:
                if rule.times is not None:
                    if rule.times <= 0:
                        continue
                    rule.times -= 1
                return rule.kind
        return None


def completion(body: dict[str, Any], content: Any, finish: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-fault",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "fault"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish,
            }
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }


def _handler(state: ServerState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(
            self, status: int, data: bytes, ctype: str = "application/json", **headers: str
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(data)

        def _json(self, status: int, obj: Any, **headers: str) -> None:
            self._send(status, json.dumps(obj).encode(), **headers)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            with state.lock:
                state.requests.append(body)
                kind = state.take_rule(body)
            if kind is not None:
                self._misbehave(kind, body)
                return
            time.sleep(state.delay_s)
            text = state.text_of(body)
            answer = next((a for m, a in state.answers.items() if m in text), state.answer)
            self._json(200, completion(body, answer))
            digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
            with state.lock:
                state.answered.append(digest)

        def _misbehave(self, kind: str, body: dict[str, Any]) -> None:
            error = {"error": {"message": f"fault server: {kind}", "type": "x"}}
            if kind == "refuse":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            elif kind == "hang":
                time.sleep(state.hang_s)
                self._json(200, completion(body, state.answer))
            elif kind.startswith("429-retry-after-"):
                self._json(429, error, Retry_After=kind.removeprefix("429-retry-after-"))
            elif kind.isdigit():
                self._json(int(kind), error)
            elif kind == "html":
                page = b"<html><body><h1>502 Bad Gateway</h1>\x1b[31m</body></html>"
                self._send(200, page, ctype="text/html")
            elif kind == "not-json":
                self._send(200, b'{"choices": [', ctype="application/json")
            elif kind == "no-choices":
                self._json(200, {"id": "x", "object": "chat.completion", "model": "m"})
            elif kind == "empty-choices":
                self._json(200, {**completion(body, None), "choices": []})
            elif kind == "null-content":
                self._json(200, completion(body, None))
            elif kind == "cut":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "4096")
                self.end_headers()
                self.wfile.write(b'{"choices": [{"mess')
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            elif kind == "huge":
                self._json(200, completion(body, "x" * (5 << 20)))
            elif kind == "huge-error":
                self._send(500, b'{"error": "' + b"x" * (6 << 20) + b'"}')
            elif kind == "deep":
                self._send(200, b'{"choices": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
            elif kind == "negative-usage":
                answer = completion(body, state.answer)
                self._json(200, {**answer, "usage": {"prompt_tokens": -5, "completion_tokens": 3}})
            elif kind == "length":
                self._json(200, completion(body, "Let me think about the waveform", "length"))
            else:
                raise AssertionError(f"unknown fault {kind!r}; known: {', '.join(FAULTS)}")

    return Handler


class _QuietServer(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: a run with 16 requests in flight overflows it
    # whenever the accept thread is slow to be scheduled (a loaded machine), and the kernel drops
    # the extra SYNs; with timeout_s = 1 those requests never reach the server and end llm_error
    # although it is healthy (seen once in a clean-clone CI under load).
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a connection the fault itself cut (refuse, a client timeout) is expected


class FaultServer:
    def __init__(self, state: ServerState | None = None):
        self.state = state or ServerState()
        self._server = _QuietServer(("127.0.0.1", 0), _handler(self.state))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def fail(self, match: str, kind: str, times: int | None = None) -> None:
        """Answer requests whose messages contain `match` ("*": all) with the fault `kind`."""
        assert kind in FAULTS or kind.isdigit(), kind
        with self.state.lock:
            self.state.rules.append(Rule(match, kind, times))

    def heal(self) -> None:
        with self.state.lock:
            self.state.rules.clear()

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def dead_url() -> str:
    """The URL of a port that nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
