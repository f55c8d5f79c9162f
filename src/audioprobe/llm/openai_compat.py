"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp) via the `openai` client.

The client sends the request and classifies transport and HTTP-status failures; the body is read
by us, capped, and checked (`endpoint_faults`), because a 200 from a proxy or a broken server can
hold anything. Retries are ours rather than the client's so that each attempt, and the reason for
it, can be counted and recorded with the trial, and so that the total time spent retrying is
bounded by the spec's `retry_budget_s` whatever a Retry-After header asks for.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import random
import socket
import ssl
import time
from typing import TYPE_CHECKING, Any, cast

import httpx
import openai

from audioprobe.errors import ConfigError
from audioprobe.llm.base import Completion, LLMError
from audioprobe.llm.cache import ResponseCache, request_hash
from audioprobe.llm.endpoint_faults import (
    MAX_BODY_BYTES,
    EndpointFault,
    answer_from_body,
    answer_from_payload,
    excerpt,
    retry_after,
    retryable_status,
)
from audioprobe.spec import ModelSpec

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam

DEFAULT_BASE_URL = "https://api.openai.com/v1"
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 30.0
RETRY_AFTER_CAP_S = 60.0
#: Seconds the pre-run check waits for an endpoint (a working one answers /models at once).
PROBE_TIMEOUT_S = 5.0
_STANDARD_PARAMS = frozenset(
    {"temperature", "top_p", "max_tokens", "seed", "stop", "presence_penalty", "frequency_penalty"}
)


def missing_key(spec: ModelSpec, base_url: str | None = None) -> str | None:
    """Why `spec` cannot be asked (its API key variable is unset), or None when it can."""
    var = spec.api_key_env
    url = base_url or spec.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
    if var and not os.environ.get(var) and url == DEFAULT_BASE_URL:
        return (
            f"model {spec.name!r}: environment variable {var} is not set; export it or"
            " name another endpoint with base_url"
        )
    return None


def backoff_s(attempt: int) -> float:
    """Capped exponential backoff with jitter, so parallel trials do not retry in step."""
    return min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempt - 1)) * (0.5 + random.random())


class OpenAICompatModel:
    def __init__(
        self,
        spec: ModelSpec,
        *,
        base_url: str | None = None,
        model_id: str | None = None,
        cache: ResponseCache | None = None,
        api_key: str | None = None,
        cache_identity: str | None = None,
    ):
        self.spec = spec
        self.name = spec.name
        self.base_url = (
            base_url or spec.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        )
        self.url = self.base_url.rstrip("/") + "/chat/completions"
        self.model_id = model_id or spec.model
        self.cache_identity = cache_identity or self.base_url
        self.cache = cache or ResponseCache()
        self._api_key = api_key or self._key_from_env()
        self._client = openai.AsyncOpenAI(
            base_url=self.base_url,
            api_key=self._api_key,
            max_retries=0,
            timeout=spec.timeout_s,
            http_client=openai.DefaultAsyncHttpxClient(transport=capped_transport()),
        )

    def _key_from_env(self) -> str:
        problem = missing_key(self.spec, self.base_url)
        if problem:
            raise ConfigError(problem)
        var = self.spec.api_key_env
        # local servers ignore the key but the client wants one
        return (os.environ.get(var) if var else None) or "sk-no-key-required"

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.spec.kind,
            "base_url": self.base_url,
            "model": self.model_id,
            "sampling": self.spec.sampling(),
        }

    async def complete(
        self, messages: list[dict[str, str]], *, item_id: str, sample: int, seed: int
    ) -> Completion:
        params = self.spec.sampling()
        params["seed"] = self.spec.seed if self.spec.seed is not None else seed
        key = request_hash(self.cache_identity, self.model_id, messages, params, sample)
        cached = self._cached(key)
        if cached is not None:
            return cached
        completion = await self._call(messages, params)
        completion.request_hash = key
        self.cache.put(key, completion)  # only a well-formed completion gets here
        return completion

    def _cached(self, key: str) -> Completion | None:
        """A cached answer, re-checked: an entry from an older version may hold a fault."""
        cached = self.cache.get(key)
        if cached is None:
            return None
        try:
            answer_from_payload(cached.raw)
        except EndpointFault:
            return None
        return cached

    async def _call(self, messages: list[dict[str, str]], params: dict[str, Any]) -> Completion:
        kwargs = {k: v for k, v in params.items() if k in _STANDARD_PARAMS}
        extra_body = {k: v for k, v in params.items() if k not in _STANDARD_PARAMS}
        first = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                answer = await self._attempt(messages, kwargs, extra_body)
            except EndpointFault as fault:
                self._wait_or_raise(fault, attempt, time.monotonic() - first)
                await asyncio.sleep(self._delay(fault, attempt))
                continue
            return Completion(
                text=answer.text,
                model=answer.model or self.model_id,
                finish_reason=answer.finish_reason,
                prompt_tokens=answer.prompt_tokens,
                completion_tokens=answer.completion_tokens,
                latency_s=time.monotonic() - started,
                attempts=attempt,
                raw=answer.payload,
            )

    def _delay(self, fault: EndpointFault, attempt: int) -> float:
        if fault.retry_after_s is not None:
            return min(fault.retry_after_s, RETRY_AFTER_CAP_S)
        return backoff_s(attempt)

    def _wait_or_raise(self, fault: EndpointFault, attempt: int, elapsed: float) -> None:
        """Raise LLMError unless another attempt is allowed and fits in the retry budget."""
        tried = f"after {attempt} attempt(s) in {elapsed:.1f}s"
        if not fault.retryable:
            raise LLMError(f"{fault.describe(self.url)} ({tried}; not retried)")
        if attempt > self.spec.max_retries:
            raise LLMError(f"{fault.describe(self.url)} ({tried})")
        delay = self._delay(fault, attempt)
        if elapsed + delay > self.spec.retry_budget_s:
            asked = f"Retry-After {fault.retry_after_s:g}s" if fault.retry_after_s else "a retry"
            raise LLMError(
                f"{fault.describe(self.url)} ({tried}; {asked} would pass the"
                f" {self.spec.retry_budget_s:g}s retry budget)"
            )

    async def _attempt(
        self, messages: list[dict[str, str]], kwargs: dict[str, Any], extra_body: dict[str, Any]
    ) -> Any:
        """One request; every failure comes out as an EndpointFault."""
        try:
            async with asyncio.timeout(self.spec.timeout_s):
                async with self._client.chat.completions.with_streaming_response.create(
                    model=self.model_id,
                    # {"role", "content"} text messages: the simplest of openai's message shapes
                    messages=cast("list[ChatCompletionMessageParam]", messages),
                    extra_body=extra_body or None,
                    **kwargs,
                ) as response:
                    body = await _read_capped(response)
        except TimeoutError:
            raise EndpointFault(f"no complete answer within {self.spec.timeout_s:g}s") from None
        except openai.APITimeoutError:
            raise EndpointFault(f"no answer within {self.spec.timeout_s:g}s") from None
        except openai.APIConnectionError as exc:
            raise EndpointFault(f"cannot connect: {transport_cause(exc)}") from None
        except BodyOverCap as exc:  # an error answer (4xx/5xx), which the client reads whole
            raise EndpointFault(
                f"the body is over the {TRANSPORT_CAP_BYTES}-byte cap", status=exc.status
            ) from None
        except openai.APIStatusError as exc:
            raise EndpointFault(
                "the endpoint refused the request",
                status=exc.status_code,
                body=_error_text(exc),
                retryable=retryable_status(exc.status_code),
                retry_after_s=retry_after(exc.response.headers),
            ) from None
        return answer_from_body(body)

    async def aclose(self) -> None:
        await self._client.close()


#: No response body is read past this, whatever its status: the client reads an error answer
#: whole before we see it. Above MAX_BODY_BYTES, so a completion's own cap speaks first.
TRANSPORT_CAP_BYTES = MAX_BODY_BYTES + (1 << 20)


class BodyOverCap(Exception):
    """A response body ran past TRANSPORT_CAP_BYTES; `status` is the response's HTTP status."""

    def __init__(self, status: int):
        super().__init__(f"the body is over the {TRANSPORT_CAP_BYTES}-byte cap")
        self.status = status


def _client_http() -> Any:
    """The HTTP library openai's client is built on: httpx, or its fork httpx2 (openai 3.x):
    a module found at run time, so its classes are typed Any."""
    base = next(c for c in openai.DefaultAsyncHttpxClient.__mro__ if c.__name__ == "AsyncClient")
    return importlib.import_module(base.__module__.split(".")[0])


def capped_transport() -> Any:
    """The client's transport with every response body bounded (see TRANSPORT_CAP_BYTES).

    Built on whichever library openai's client uses (its classes are defined here, on that
    library's base classes), so a newer or older openai gets a transport it accepts.
    """
    http = _client_http()
    stream_base: Any = http.AsyncByteStream
    transport_base: Any = http.AsyncHTTPTransport

    class CappedStream(stream_base):
        def __init__(self, stream: Any, status: int):
            self._stream = stream
            self._status = status

        async def __aiter__(self) -> Any:
            size = 0
            async for chunk in self._stream:
                size += len(chunk)
                if size > TRANSPORT_CAP_BYTES:
                    raise BodyOverCap(self._status)
                yield chunk

        async def aclose(self) -> None:
            await self._stream.aclose()

    class CappedTransport(transport_base):
        async def handle_async_request(self, request: Any) -> Any:
            response = await super().handle_async_request(request)
            response.stream = CappedStream(response.stream, response.status_code)
            return response

    return CappedTransport()


async def _read_capped(response: Any) -> bytes:
    """The body, but never more than one byte past the cap (a runaway body is not read whole).

    Whatever fails while the body arrives (a cut connection, a broken gzip stream) is the
    endpoint's fault; the client raises its transport's own errors here, not openai's.
    """
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                break
    except Exception as exc:
        raise EndpointFault(
            f"the answer broke off while it was read ({type(exc).__name__}: {exc})",
            status=response.status_code,
            body=b"".join(chunks)[:1000],
        ) from None
    return b"".join(chunks)


_OS_CAUSES: tuple[tuple[type[OSError], str], ...] = (
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset by the server"),
    (ConnectionAbortedError, "connection aborted"),
    (socket.gaierror, "host name not found"),
    (TimeoutError, "connection timed out"),
    (ssl.SSLError, "TLS handshake failed"),
)


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc`, its causes and contexts, and the members of exception groups among them, once each."""
    found: list[BaseException] = []
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if any(current is seen for seen in found):
            continue
        found.append(current)
        todo.extend(getattr(current, "exceptions", ()))  # an ExceptionGroup's members
        nxt = current.__cause__ or current.__context__
        if nxt is not None:
            todo.append(nxt)
    return found


def transport_cause(exc: BaseException) -> str:
    """What really failed under a transport error, in words ("connection refused").

    The most specific OS error in the chain of causes is the one that matters (anyio's "All
    connection attempts failed" wraps the refusal); an unrelated exception merely caught on the
    way (e.g. "no running event loop" from a library probing for asyncio) is never shown.
    """
    chain = _chain(exc)
    for current in chain:
        for kind, words in _OS_CAUSES:
            if isinstance(current, kind):
                if kind is socket.gaierror:
                    return f"{words} ({current.strerror or current})"
                return words
    for current in chain:
        if isinstance(current, OSError):
            return f"{current.strerror or current} ({type(current).__name__})"
    text = str(exc) or type(exc).__name__
    return text if text != "Connection error." else f"{type(exc).__name__} (no further cause)"


def probe_endpoint(spec: ModelSpec, base_url: str | None = None) -> None:
    """Before the first trial: the endpoint answers GET /models at all (any HTTP answer shows it
    is up; the trials' retries handle the rest) and does not refuse the key (401/403).

    Raises ConfigError with the URL and the cause, within PROBE_TIMEOUT_S, so a server that is
    down costs seconds instead of every trial's retry budget.
    """
    base = base_url or spec.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
    url = base.rstrip("/") + "/models"
    var = spec.api_key_env
    key = (os.environ.get(var) if var else None) or "sk-no-key-required"
    who = f"model {spec.name!r}"
    try:
        with httpx.Client(timeout=min(spec.timeout_s, PROBE_TIMEOUT_S)) as client:
            response = client.get(url, headers={"Authorization": f"Bearer {key}"})
    except httpx.HTTPError as exc:
        raise ConfigError(
            f"{who}: cannot reach {base}: {transport_cause(exc)}; start the server or fix"
            " base_url (nothing was run)"
        ) from None
    if response.status_code in (401, 403):
        hint = f"check ${var}" if var else "set api_key_env to the variable holding the key"
        raise ConfigError(
            f"{who}: {url} refused the API key (HTTP {response.status_code}: "
            f"{excerpt(response.content)}); {hint} (nothing was run)"
        )


def _error_text(exc: openai.APIStatusError) -> str:
    try:
        return exc.response.text[:1000]
    except Exception:  # a body that was never read: the client's message says what it knows
        return exc.message
