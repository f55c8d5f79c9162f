"""Recorded answers played back as a model: for tests, and to re-score answers gathered elsewhere.

Each JSONL line is {"item": "<item id or *>", "completion": "<text>"}, optionally with
"round": N to answer only the N-th round of a feedback conversation (0 is the first answer), and
"sample": K to answer only sample K of the item (0 is the first). A line with "sample" is that
sample's answer exactly, as `audioprobe publish` writes them, so a published study replays
answer for answer. Lines without "sample" for one item (and round) serve its other samples in
order, cycling when there are fewer lines than samples; a line without "round" answers every
round that has no line of its own, and "*" answers any other item. Other fields (the prompt's
hash, usage, latency) are kept for the reader and ignored here. The round is read from the
conversation itself (how many answers it already holds), so a replayed model is asked exactly as
an endpoint is.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from audioprobe.errors import ConfigError
from audioprobe.llm.base import Completion, NoAnswer

AnswerKey = tuple[str, int | None]  # (item id or "*", round or None for any round)
SampleKey = tuple[str, int | None, int]  # an AnswerKey and the sample it answers
Answers = tuple[dict[AnswerKey, list[str]], dict[SampleKey, str]]


def _whole(value: object) -> bool:
    """A round or sample number: an int from 0 (JSON true/false are not numbers here)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def conversation_round(messages: list[dict[str, str]]) -> int:
    """The round a conversation asks for: the number of answers it already holds."""
    return sum(1 for m in messages if m.get("role") == "assistant")


class ReplayModel:
    def __init__(self, name: str, path: Path | str, *, delay_s: float = 0.0):
        self.name = name
        self.path = Path(path)
        self.delay_s = delay_s  # seconds before each answer, to rehearse a slow endpoint
        self._answers, self._by_sample = self._load(self.path)

    @staticmethod
    def _load(path: Path) -> Answers:
        """(answers that cycle over samples, by key; answers of one sample, by key and sample)."""
        if not path.is_file():
            raise ConfigError(f"replay file {path} does not exist")
        answers: dict[AnswerKey, list[str]] = {}
        by_sample: dict[SampleKey, str] = {}
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                item, text = entry["item"], entry["completion"]
                round_ = entry.get("round")
                sample = entry.get("sample")
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                raise ConfigError(
                    f'{path}:{number}: expected {{"item": ..., "completion": ...}}: {exc}'
                ) from exc
            if not isinstance(item, str) or not isinstance(text, str):
                raise ConfigError(f"{path}:{number}: item and completion must be strings")
            if round_ is not None and not _whole(round_):
                raise ConfigError(f"{path}:{number}: round must be a whole number from 0")
            if sample is None:
                answers.setdefault((item, round_), []).append(text)
                continue
            if not _whole(sample):
                raise ConfigError(f"{path}:{number}: sample must be a whole number from 0")
            if (item, round_, sample) in by_sample:
                raise ConfigError(
                    f"{path}:{number}: a second answer for item {item!r} round {round_} sample"
                    f" {sample}; a sample has one answer"
                )
            by_sample[(item, round_, sample)] = text
        if not answers and not by_sample:
            raise ConfigError(f"replay file {path} holds no answers")
        return answers, by_sample

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "kind": "replay", "model": str(self.path.resolve())}

    def unanswered(self, items: list[str]) -> list[str]:
        """The item ids among `items` that have no first answer (round 0) in the file."""
        keys = set(self._answers) | {(item, round_) for item, round_, _ in self._by_sample}
        if ("*", 0) in keys or ("*", None) in keys:
            return []
        return [i for i in items if (i, 0) not in keys and (i, None) not in keys]

    async def complete(
        self, messages: list[dict[str, str]], *, item_id: str, sample: int, seed: int
    ) -> Completion:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        round_ = conversation_round(messages)
        for key in ((item_id, round_), (item_id, None), ("*", round_), ("*", None)):
            exact = self._by_sample.get((*key, sample))
            if exact is not None:
                return Completion(text=exact, model=f"replay:{self.path.name}")
            options = self._answers.get(key)
            if options:
                return Completion(
                    text=options[sample % len(options)], model=f"replay:{self.path.name}"
                )
        raise NoAnswer(
            f"replay file {self.path} has no answer for item {item_id!r} round {round_} sample"
            f" {sample} (nor '*')"
        )
