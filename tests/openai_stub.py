"""A tiny OpenAI-compatible chat endpoint on 127.0.0.1 for tests of the real `openai` client path.

It answers from a list of completions, can fail the first N requests with a status code, and logs
every request so tests can count calls and spot repeats.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class StubState:
    answer: str = "```python\nprint('hi')\n```"
    fail_first: int = 0
    fail_status: int = 500
    delay_s: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(state: StubState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
            with state.lock:
                state.requests.append(body)
                failing = len(state.requests) <= state.fail_first
            if failing:
                self._send(state.fail_status, {"error": {"message": "stub failure", "type": "x"}})
                return
            time.sleep(state.delay_s)
            self._send(
                200,
                {
                    "id": "chatcmpl-stub",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model", "stub"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": state.answer},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
                },
            )
            with state.lock:
                state.answered.append(digest)

    return Handler


class OpenAIStub:
    def __init__(self, state: StubState | None = None):
        self.state = state or StubState()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> OpenAIStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
