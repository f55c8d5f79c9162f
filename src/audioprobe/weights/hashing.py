"""sha256 of weight files, remembered per (path, size, mtime) so a 145 MB file is hashed once."""

from __future__ import annotations

import json
from pathlib import Path

from audioprobe.atomic import write_text
from audioprobe.hashing import sha256_file
from audioprobe.paths import cache_dir


def _memo_file() -> Path:
    return cache_dir("weights") / "sha256.json"


def cached_sha256(path: Path) -> str:
    """sha256 of `path`, from a memo keyed by its resolved path, size and mtime."""
    path = path.resolve()
    stat = path.stat()
    key = f"{path}|{stat.st_size}|{stat.st_mtime_ns}"
    memo_path = _memo_file()
    try:
        memo = json.loads(memo_path.read_text())
    except (OSError, ValueError):
        memo = {}
    if key in memo:
        return memo[key]
    digest = sha256_file(path)
    memo[key] = digest
    write_text(memo_path, json.dumps(memo, indent=1, sort_keys=True))
    return digest
