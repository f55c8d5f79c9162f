"""Recorded answers played back as a model: for tests, and to re-score answers gathered elsewhere.

Each JSONL line is {"item": "<item id or *>", "completion": "<text>"}, optionally with
"round": N to answer only the N-th round of a feedback conversation (0 is the first answer).
Lines for one item (and round) serve its samples in order, cycling when there are fewer lines than
samples; a line without "round" answers every round that has no line of its own, and "*" answers
any other item. The round is read from the conversation itself (how many answers it already
holds), so a replayed model is asked exactly as an endpoint is.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from audioprobe.errors import ConfigError
from audioprobe.llm.base import Completion, NoAnswer

AnswerKey = tuple[str, int | None]  # (item id or "*", round or None for any round)


def conversation_round(messages: list[dict[str, str]]) -> int:
    """The round a conversation asks for: the number of answers it already holds."""
    return sum(1 for m in messages if m.get("role") == "assistant")


class ReplayModel:
    def __init__(self, name: str, path: Path | str, *, delay_s: float = 0.0):
        self.name = name
        self.path = Path(path)
        self.delay_s = delay_s  # seconds before each answer, to rehearse a slow endpoint
        self._answers = self._load(self.path)

    @staticmethod
    def _load(path: Path) -> dict[AnswerKey, list[str]]:
        if not path.is_file():
            raise ConfigError(f"replay file {path} does not exist")
        answers: dict[AnswerKey, list[str]] = {}
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                item, text = entry["item"], entry["completion"]
                round_ = entry.get("round")
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                raise ConfigError(
                    f'{path}:{number}: expected {{"item": ..., "completion": ...}}: {exc}'
                ) from exc
            if not isinstance(item, str) or not isinstance(text, str):
                raise ConfigError(f"{path}:{number}: item and completion must be strings")
            if round_ is not None and (
                isinstance(round_, bool) or not isinstance(round_, int) or round_ < 0
            ):
                raise ConfigError(f"{path}:{number}: round must be a whole number from 0")
            answers.setdefault((item, round_), []).append(text)
        if not answers:
            raise ConfigError(f"replay file {path} holds no answers")
        return answers

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "kind": "replay", "model": str(self.path.resolve())}

    def unanswered(self, items: list[str]) -> list[str]:
        """The item ids among `items` that have no first answer (round 0) in the file."""
        if ("*", 0) in self._answers or ("*", None) in self._answers:
            return []
        keys = self._answers
        return [i for i in items if (i, 0) not in keys and (i, None) not in keys]

    async def complete(
        self, messages: list[dict[str, str]], *, item_id: str, sample: int, seed: int
    ) -> Completion:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        round_ = conversation_round(messages)
        for key in ((item_id, round_), (item_id, None), ("*", round_), ("*", None)):
            options = self._answers.get(key)
            if options:
                return Completion(
                    text=options[sample % len(options)], model=f"replay:{self.path.name}"
                )
        raise NoAnswer(
            f"replay file {self.path} has no answer for item {item_id!r} round {round_} (nor '*')"
        )
