"""Python: today's contract. The answer is the script the sandbox runs, checked by `compile`."""

from __future__ import annotations

from audioprobe.extract import PYTHON_TAGS, Extraction, extract_code, looks_like_python
from audioprobe.extract import syntax_error as python_syntax_error
from audioprobe.languages import languages
from audioprobe.languages.base import Language, Verdict
from audioprobe.outcomes import Outcome
from audioprobe.sandbox.base import ExecResult
from audioprobe.tiers import Item, Tier


@languages.register("python")
class Python(Language):
    name = "python"
    title = "Python"
    fence_tags = tuple(sorted(PYTHON_TAGS))
    source_name = "script.py"

    def extract(self, answer: str) -> Extraction:
        """Any python-tagged fence, else the largest fence, else a bare answer that parses."""
        return extract_code(answer, self.name, PYTHON_TAGS, looks_like=looks_like_python)

    def syntax_error(self, code: str) -> str | None:
        return python_syntax_error(code)

    def program(self, code: str, tier: Tier | None, item: Item) -> str:
        """The answer is the program."""
        return code

    def verdict(self, result: ExecResult) -> Verdict:
        return Verdict(Outcome(result.status), None)
