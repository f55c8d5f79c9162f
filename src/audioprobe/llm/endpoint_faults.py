"""How an OpenAI-compatible endpoint can fail, and what each failure means for a trial.

The rule: an answer is the model's only when the endpoint returned a well-formed completion, a
JSON object whose first choice holds a string `content`. Everything short of that (no
connection, a timeout, 429, 5xx, an HTML or non-JSON body, JSON without `choices`, empty
`choices`, `content: null`, a body over the size cap) is the endpoint's fault: the trial ends
`llm_error` naming the URL, the HTTP status and an excerpt of the body, it is retried, and it is
never cached. A well-formed completion that stopped at `max_tokens` (`finish_reason: length`) is
the model's answer: it spent its budget, so a missing or broken script is its `no_code` or
`syntax_error`, with the truncation named in the error.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import math
from dataclasses import dataclass
from typing import Any

from audioprobe.safetext import printable

#: A completion body larger than this means the endpoint ignored max_tokens (or is not an LLM).
MAX_BODY_BYTES = 4 << 20
#: A completion nests 5 levels (choices, message, content parts); 64 leaves room for any server's
#: extras while keeping every later walk of the payload (cache, trial record) far from recursion
#: limits.
MAX_DEPTH = 64
EXCERPT_CHARS = 200


@dataclass(eq=False)
class EndpointFault(Exception):
    """One failed attempt: what went wrong, and whether asking again may help."""

    what: str
    status: int | None = None
    body: bytes | str = b""
    retryable: bool = True
    retry_after_s: float | None = None

    def describe(self, url: str) -> str:
        status = f" (HTTP {self.status})" if self.status is not None else ""
        shown = excerpt(self.body)
        return f"{url}: {self.what}{status}" + (f"; body: {shown}" if shown else "")


def excerpt(body: bytes | str) -> str:
    """The body's start, one line, control characters escaped: enough to recognise a proxy page."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    cut = text[:EXCERPT_CHARS] + ("..." if len(text) > EXCERPT_CHARS else "")
    return printable(cut, keep_newlines=False)


def retryable_status(status: int) -> bool:
    """Worth asking again: overload (429), request timeout/conflict, and any server error."""
    return status in (408, 409, 429) or status >= 500


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date).

    `inf` stays infinite (the caller caps it); garbage, NaN and negative values are ignored.
    """
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


def retry_after(headers: Any) -> float | None:
    """Seconds the endpoint asks us to wait: OpenAI's `retry-after-ms`, else `Retry-After`."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            seconds = float(millis) / 1000
        except ValueError:
            seconds = math.nan
        if not math.isnan(seconds):
            return max(0.0, seconds)
    return parse_retry_after(headers.get("retry-after"))


@dataclass(frozen=True)
class Answer:
    """The parts of a well-formed completion that a trial records."""

    text: str
    finish_reason: str | None
    model: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    payload: dict[str, Any]


def _count(usage: dict[str, Any], name: str, shown: bytes | str) -> int | None:
    """A usage count: absent is None; anything but a whole number from 0 is the endpoint's fault
    (a negative or fractional count would corrupt every token total it is added to)."""
    value = usage.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise EndpointFault(f"`usage.{name}` is {value!r}, not a count from 0", body=shown)
    return value


def depth(payload: Any) -> int:
    """How deep `payload` nests (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(payload, 1)]
    while stack:
        node, level = stack.pop()
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        )
        if children is None:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def answer_from_payload(payload: Any, body: bytes | str = b"") -> Answer:
    """The answer in a decoded completion, or the EndpointFault saying why there is none."""
    if depth(payload) > MAX_DEPTH:
        raise EndpointFault(f"the body nests deeper than {MAX_DEPTH} levels", body=body[:1000])
    shown = body or json.dumps(payload)[:1000]
    if not isinstance(payload, dict):
        raise EndpointFault("the body is JSON but not an object", body=shown)
    choices = payload.get("choices")
    if choices is None:
        raise EndpointFault("the completion has no `choices`", body=shown)
    if not isinstance(choices, list) or not choices:
        raise EndpointFault("the completion has empty `choices`", body=shown)
    choice = choices[0]
    message = choice.get("message") if isinstance(choice, dict) else None
    if not isinstance(message, dict):
        raise EndpointFault("the first choice has no `message`", body=shown)
    content = message.get("content")
    finish = choice.get("finish_reason")
    finish = finish if isinstance(finish, str) else None
    if content is None:
        raise EndpointFault(f"the message's `content` is null (finish_reason={finish})", body=shown)
    if isinstance(content, list):  # content parts: [{"type": "text", "text": "..."}, ...]
        texts = [p.get("text") for p in content if isinstance(p, dict)]
        parts = [t for t in texts if isinstance(t, str)]
        if texts and len(parts) == len(texts):
            content = "".join(parts)
    if not isinstance(content, str):
        raise EndpointFault("the message's `content` is neither text nor text parts", body=shown)
    usage = payload.get("usage")
    if usage is not None and not isinstance(usage, dict):
        raise EndpointFault("`usage` is not an object", body=shown)
    usage = usage or {}
    prompt_tokens = _count(usage, "prompt_tokens", shown)
    completion_tokens = _count(usage, "completion_tokens", shown)
    model = payload.get("model")
    return Answer(
        text=content,
        finish_reason=finish,
        model=model if isinstance(model, str) else None,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        payload=payload,
    )


def answer_from_body(body: bytes) -> Answer:
    if len(body) > MAX_BODY_BYTES:
        raise EndpointFault(f"the body is over the {MAX_BODY_BYTES}-byte cap", body=body[:1000])
    try:
        payload = json.loads(body)
    except ValueError:
        raise EndpointFault("the body is not JSON", body=body[:1000]) from None
    except RecursionError:  # nested past the interpreter's limit: far past MAX_DEPTH
        raise EndpointFault(
            f"the body nests deeper than {MAX_DEPTH} levels", body=body[:1000]
        ) from None
    return answer_from_payload(payload, body)
