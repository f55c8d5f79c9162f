"""Pulling the program out of a model's answer.

Models wrap code in fences, sometimes several, sometimes none. The rule is fixed and recorded so
that a change of rule shows up as a different `method`, not as a silent shift in results. The
same rule serves every language (audioprobe.languages): the longest fence tagged with one of the
language's tags (method `<language>_fence`), else the largest fence of any tag, else, for a
language that can tell its own code from prose, the bare answer.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

#: "<language>_fence" (python_fence, csound_fence, ...), "largest_fence", "bare_code" or "none"
Method = str

_FENCE = re.compile(
    r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+.-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.M | re.S
)
_UNCLOSED = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+.-]*)[^\n]*\n(.*)\Z", re.M | re.S)
PYTHON_TAGS = frozenset({"python", "py", "python3"})


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


def looks_like_python(text: str) -> bool:
    """Whether an unfenced answer is Python code (a statement, and it parses)."""
    stripped = text.strip()
    statement = r"^\s*(import|from|def|with|for|[A-Za-z_]\w*\s*=)"
    if not stripped or not re.search(statement, text, re.M):
        return False
    try:
        ast.parse(stripped)
    except SyntaxError:
        return False
    return True


def extract_code(
    answer: str,
    language: str = "python",
    tags: Collection[str] = PYTHON_TAGS,
    looks_like: Callable[[str], bool] | None = looks_like_python,
) -> Extraction:
    """The longest fence tagged with one of `tags`, else the largest fence, else the bare
    answer when `looks_like` says it is code (None: an unfenced answer is never code)."""
    blocks = [(tag, body) for tag, body in _fences(answer) if body.strip()]
    tagged = [body for tag, body in blocks if tag in tags]
    if tagged:
        return Extraction(max(tagged, key=len).strip("\n") + "\n", f"{language}_fence")
    if blocks:
        return Extraction(max((b for _, b in blocks), key=len).strip("\n") + "\n", "largest_fence")
    if looks_like is not None and looks_like(answer):
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
