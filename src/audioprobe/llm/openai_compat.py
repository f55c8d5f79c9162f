"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp) via the `openai` client.

Retries are ours rather than the client's so that each attempt, and the reason for it, can be
counted and recorded with the trial.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from typing import Any

import openai

from audioprobe.errors import ConfigError
from audioprobe.llm.base import Completion, LLMError
from audioprobe.llm.cache import ResponseCache, request_hash
from audioprobe.spec import ModelSpec

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_RETRYABLE = (
    openai.RateLimitError,
    openai.APIConnectionError,  # includes APITimeoutError
    openai.InternalServerError,
)


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


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
        self.model_id = model_id or spec.model
        self.cache_identity = cache_identity or self.base_url
        self.cache = cache or ResponseCache()
        self._api_key = api_key or self._key_from_env()
        self._client = openai.AsyncOpenAI(
            base_url=self.base_url, api_key=self._api_key, max_retries=0, timeout=spec.timeout_s
        )

    def _key_from_env(self) -> str:
        var = self.spec.api_key_env
        if var:
            key = os.environ.get(var)
            if key:
                return key
            if self.base_url == DEFAULT_BASE_URL:
                raise ConfigError(
                    f"model {self.name!r}: environment variable {var} is not set; export it or"
                    " name another endpoint with base_url"
                )
        return "sk-no-key-required"  # local servers ignore the key but the client wants one

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
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        completion = await self._call(messages, params)
        completion.request_hash = key
        self.cache.put(key, completion)
        return completion

    async def _call(self, messages: list[dict[str, str]], params: dict[str, Any]) -> Completion:
        standard = {
            "temperature",
            "top_p",
            "max_tokens",
            "seed",
            "stop",
            "presence_penalty",
            "frequency_penalty",
        }
        kwargs = {k: v for k, v in params.items() if k in standard}
        extra_body = {k: v for k, v in params.items() if k not in standard}
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                response = await self._client.chat.completions.create(
                    model=self.model_id, messages=messages, extra_body=extra_body or None, **kwargs
                )
            except _RETRYABLE as exc:
                if attempt > self.spec.max_retries:
                    raise LLMError(
                        f"{type(exc).__name__} after {attempt} attempt(s): {exc}"
                    ) from exc
                delay = _retry_after(exc) or min(60.0, 2 ** (attempt - 1)) * (0.5 + random.random())
                await asyncio.sleep(delay)
                continue
            except openai.APIError as exc:
                raise LLMError(f"{type(exc).__name__}: {exc}") from exc
            latency = time.monotonic() - started
            return self._completion(response, latency, attempt)

    def _completion(self, response: Any, latency: float, attempts: int) -> Completion:
        choice = response.choices[0] if response.choices else None
        usage = response.usage
        return Completion(
            text=(choice.message.content or "") if choice else "",
            model=response.model or self.model_id,
            finish_reason=choice.finish_reason if choice else None,
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
            latency_s=latency,
            attempts=attempts,
            raw=response.model_dump(mode="json"),
        )

    async def aclose(self) -> None:
        await self._client.close()
