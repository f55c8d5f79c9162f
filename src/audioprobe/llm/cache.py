"""A disk cache of model answers keyed by everything that determines them.

Keyed by (base_url, model, messages, sampling parameters, sample index): re-running an experiment,
or resuming a killed one, asks the endpoint nothing it has already answered.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audioprobe import atomic
from audioprobe.hashing import sha256_text
from audioprobe.llm.base import Completion
from audioprobe.paths import cache_dir


def request_hash(
    base_url: str, model: str, messages: list[dict[str, str]], params: dict[str, Any], sample: int
) -> str:
    payload = {
        "base_url": base_url.rstrip("/"),
        "model": model,
        "messages": messages,
        "params": params,
        "sample": sample,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return sha256_text(blob)


class ResponseCache:
    def __init__(self, root: Path | None = None):
        self.root = root or cache_dir("responses")

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> Completion | None:
        path = self._path(key)
        try:
            completion = Completion.from_dict(json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):  # absent, or damaged: ask again
            return None
        completion.cached = True
        return completion

    def put(self, key: str, completion: Completion) -> None:
        """Store a well-formed completion; callers never pass an endpoint's fault here."""
        atomic.write_json(self._path(key), completion.to_dict())
