"""The languages an answer may be written in: a registry of Language plugins (base.py).

`get_language(name)` is what a trial uses. audioprobe's own languages are one module each here
and load when named; another is one file in a plugin folder (audioprobe.registry) with
`@languages.register("name")` on a Language subclass, plus its prompts under prompts/<name>/
and its interpreter in sandbox/runtime.toml (docs/languages.md).
"""

from __future__ import annotations

from audioprobe.languages.base import SYNTAX_EXIT, Language, Verdict
from audioprobe.registry import Registry

DEFAULT_LANGUAGE = "python"
languages: Registry[type[Language]] = Registry(
    "language",
    lazy={
        "python": "audioprobe.languages.python:Python",
        "csound": "audioprobe.languages.csound:Csound",
        "abc": "audioprobe.languages.abc:Abc",
        "chuck": "audioprobe.languages.chuck:Chuck",
        "supercollider": "audioprobe.languages.supercollider:SuperCollider",
    },
)


def get_language(name: str) -> Language:
    """The language named `name`; ConfigError naming the registered ones if unknown."""
    return languages.get(name)()


def source_file(name: str | None) -> str | None:
    """The file a trial of language `name` keeps the answer's code in (script.py, piece.csd,
    ...), as the trial stage wrote it; None for a trial without code (`name` None: a baseline's)
    or of a language no longer registered here (its file name is not known)."""
    if name is None or name not in languages.names():
        return None
    return languages.get(name).source_name


def check_language(name: str, tier: str | None = None) -> str:
    """`name` if registered (and able to answer `tier`), else ValueError for a validator."""
    languages.check(name)
    language = get_language(name)
    if tier is not None and not language.supports(tier):
        raise ValueError(
            f"language {name!r} cannot answer the {tier} tier (only {language.answers})"
        )
    return name


__all__ = [
    "DEFAULT_LANGUAGE",
    "SYNTAX_EXIT",
    "Language",
    "Verdict",
    "check_language",
    "get_language",
    "languages",
    "source_file",
]
