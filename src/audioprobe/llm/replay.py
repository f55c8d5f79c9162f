"""Recorded answers played back as a model: for tests, and to re-score answers gathered elsewhere.

Each JSONL line is {"item": "<item id or *>", "completion": "<text>"}. Lines for one item serve its
samples in order (cycling when there are fewer lines than samples); "*" answers any other item.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from audioprobe.errors import ConfigError
from audioprobe.llm.base import Completion, LLMError


class ReplayModel:
    def __init__(self, name: str, path: Path | str, *, delay_s: float = 0.0):
        self.name = name
        self.path = Path(path)
        self.delay_s = delay_s  # seconds before each answer, to rehearse a slow endpoint
        self._answers = self._load(self.path)

    @staticmethod
    def _load(path: Path) -> dict[str, list[str]]:
        if not path.is_file():
            raise ConfigError(f"replay file {path} does not exist")
        answers: dict[str, list[str]] = {}
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                item, text = entry["item"], entry["completion"]
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ConfigError(
                    f'{path}:{number}: expected {{"item": ..., "completion": ...}}: {exc}'
                ) from exc
            if not isinstance(item, str) or not isinstance(text, str):
                raise ConfigError(f"{path}:{number}: item and completion must be strings")
            answers.setdefault(item, []).append(text)
        if not answers:
            raise ConfigError(f"replay file {path} holds no answers")
        return answers

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "kind": "replay", "model": str(self.path.resolve())}

    async def complete(
        self, messages: list[dict[str, str]], *, item_id: str, sample: int, seed: int
    ) -> Completion:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        options = self._answers.get(item_id) or self._answers.get("*")
        if not options:
            raise LLMError(f"replay file {self.path} has no answer for item {item_id!r} (nor '*')")
        return Completion(text=options[sample % len(options)], model=f"replay:{self.path.name}")
