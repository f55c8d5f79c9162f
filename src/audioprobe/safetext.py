"""Text from models and scripts, made safe to store, hash and print.

An answer or a script's output may hold anything: lone surrogates (`\\udce9`, which UTF-8 cannot
encode), NUL bytes, terminal escape sequences. Storing or hashing such text must never crash a
run, and printing it must never drive the user's terminal. These helpers are the one place that
decides how.
"""

from __future__ import annotations

import unicodedata

_KEEP = frozenset("\n\t")
_UNSAFE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})  # controls, format, surrogates, unassigned


def to_bytes(text: str) -> bytes:
    """UTF-8, with lone surrogates kept as their own 3-byte code (lossless, never raises)."""
    return text.encode("utf-8", "surrogatepass")


def for_file(text: str) -> bytes:
    """Readable UTF-8 for a text file; a lone surrogate is written as its escape (`\\udce9`).

    The exact text, surrogates included, is kept in the trial's JSON records (JSON escapes them).
    """
    return text.encode("utf-8", "backslashreplace")


def storable(text: str | None) -> str | None:
    """`text` as valid Unicode for SQLite and other UTF-8 sinks: lone surrogates escaped."""
    if text is None:
        return None
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def printable(text: str, *, keep_newlines: bool = True) -> str:
    """`text` with every control, format or surrogate character escaped, for a terminal.

    Escape sequences (ESC), NUL, C1 controls, bidi overrides and lone surrogates come out as
    `\\x1b`, `\\x00`, `\\u202e`...; newlines and tabs stay unless `keep_newlines` is False.
    """
    keep = _KEEP if keep_newlines else frozenset()
    return "".join(
        _escape(c) if c not in keep and unicodedata.category(c) in _UNSAFE else c for c in text
    )
