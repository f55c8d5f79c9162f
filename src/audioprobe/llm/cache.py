"""A disk cache of model answers keyed by everything that determines them.

Keyed by (base_url, model, messages, sampling parameters, sample index): re-running an experiment,
or resuming a killed one, asks the endpoint nothing it has already answered.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from audioprobe import atomic
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
    return hashlib.sha256(blob.encode()).hexdigest()


class ResponseCache:
    def __init__(self, root: Path | None = None):
        self.root = root or cache_dir("responses")

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> Completion | None:
        path = self._path(key)
        try:
            data = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        completion = Completion.from_dict(data)
        completion.cached = True
        return completion

    def put(self, key: str, completion: Completion) -> None:
        atomic.write_json(self._path(key), completion.to_dict())
