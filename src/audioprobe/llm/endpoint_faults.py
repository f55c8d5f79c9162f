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


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def answer_from_payload(payload: Any, body: bytes | str = b"") -> Answer:
    """The answer in a decoded completion, or the EndpointFault saying why there is none."""
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
        if texts and all(isinstance(t, str) for t in texts):
            content = "".join(texts)
    if not isinstance(content, str):
        raise EndpointFault("the message's `content` is neither text nor text parts", body=shown)
    usage = payload.get("usage") if isinstance(payload.get("usage"), dict) else {}
    model = payload.get("model")
    return Answer(
        text=content,
        finish_reason=finish,
        model=model if isinstance(model, str) else None,
        prompt_tokens=_int_or_none(usage.get("prompt_tokens")),
        completion_tokens=_int_or_none(usage.get("completion_tokens")),
        payload=payload,
    )


def answer_from_body(body: bytes) -> Answer:
    if len(body) > MAX_BODY_BYTES:
        raise EndpointFault(f"the body is over the {MAX_BODY_BYTES}-byte cap", body=body[:1000])
    try:
        payload = json.loads(body)
    except ValueError:
        raise EndpointFault("the body is not JSON", body=body) from None
    return answer_from_payload(payload, body)
