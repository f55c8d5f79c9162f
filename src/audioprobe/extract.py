"""Pulling the program out of a model's answer.

Models wrap code in fences, sometimes several, sometimes none. The rule is fixed and recorded so
that a change of rule shows up as a different `method`, not as a silent shift in results.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Literal

Method = Literal["python_fence", "largest_fence", "bare_code", "none"]

_FENCE = re.compile(
    r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+.-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.M | re.S
)
_UNCLOSED = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+.-]*)[^\n]*\n(.*)\Z", re.M | re.S)
_PYTHON_TAGS = {"python", "py", "python3"}


@dataclass(frozen=True)
class Extraction:
    code: str | None
    method: Method

    @property
    def found(self) -> bool:
        return self.code is not None


def _fences(text: str) -> list[tuple[str, str]]:
    blocks = [(m.group(2).lower(), m.group(3)) for m in _FENCE.finditer(text)]
    if not blocks:
        # An answer cut off by max_tokens leaves its fence open; the code is still worth running.
        match = _UNCLOSED.search(text)
        if match:
            blocks.append((match.group(2).lower(), match.group(3)))
    return blocks


def _looks_like_python(text: str) -> bool:
    stripped = text.strip()
    statement = r"^\s*(import|from|def|with|for|[A-Za-z_]\w*\s*=)"
    if not stripped or not re.search(statement, text, re.M):
        return False
    try:
        ast.parse(stripped)
    except SyntaxError:
        return False
    return True


def extract_code(answer: str) -> Extraction:
    """The fenced python block (the longest, if several), else the largest fence, else bare code."""
    blocks = [(tag, body) for tag, body in _fences(answer) if body.strip()]
    python_blocks = [body for tag, body in blocks if tag in _PYTHON_TAGS]
    if python_blocks:
        return Extraction(max(python_blocks, key=len).strip("\n") + "\n", "python_fence")
    if blocks:
        return Extraction(max((b for _, b in blocks), key=len).strip("\n") + "\n", "largest_fence")
    if _looks_like_python(answer):
        return Extraction(answer.strip("\n") + "\n", "bare_code")
    return Extraction(None, "none")


def syntax_error(code: str) -> str | None:
    """The compiler's complaint, formatted like Python's own, or None when the code parses."""
    try:
        compile(code, "script.py", "exec")
    except SyntaxError as exc:
        return f"SyntaxError: {exc.msg} (script.py, line {exc.lineno})"
    except ValueError as exc:  # e.g. null bytes
        return f"ValueError: {exc}"
    return None
