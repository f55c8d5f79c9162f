"""Content hashes: the identity of clips, weights and reference files across every stage."""

from __future__ import annotations

import hashlib
from pathlib import Path

from audioprobe.safetext import to_bytes


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    """The hash of any str, lone surrogates included (they hash as their own code, never raise)."""
    return hashlib.sha256(to_bytes(text)).hexdigest()
