"""What every code-writing model gives back, and the contract the runner calls."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol


@dataclass
class Completion:
    text: str
    model: str
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None
    attempts: int = 1
    cached: bool = False
    request_hash: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Completion:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


class LLMError(Exception):
    """The endpoint could not give an answer (after retries); recorded as `llm_error`."""


class NoAnswer(Exception):
    """The model has no answer for this prompt (a replay file without the item): the model's
    outcome, recorded as `no_code` with this reason, never an infrastructure fault."""


class CodeModel(Protocol):
    """A system that answers a prompt with text that should contain a program."""

    name: str

    async def complete(
        self, messages: list[dict[str, str]], *, item_id: str, sample: int, seed: int
    ) -> Completion: ...

    def describe(self) -> dict[str, Any]:
        """What identifies this model in run.json (no secrets)."""
        ...
