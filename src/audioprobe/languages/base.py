"""What a language plugin is: everything about one programming language that a trial needs.

A trial asks for code in one language, pulls it out of the answer, checks it, runs it in the
sandbox and names the outcome. Only the language knows how each of those goes for its code, so
each is one method here, and the trial (trial.py) calls them without knowing which language it
holds. Every language runs in the same sandbox on every backend: the sandbox runs a Python
program, which for Python is the answer itself and for any other language is a fixed driver
(sandbox/shim/_audioprobe_render.py) that writes the answer to its file, runs the language's own
syntax check and then execs its renderer. So limits, seccomp, uid and output checks are the
Python ones, by construction, and a remote executor ships one script as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

from audioprobe.errors import ConfigError
from audioprobe.extract import Extraction, extract_code
from audioprobe.outcomes import Outcome
from audioprobe.sandbox.base import ExecResult
from audioprobe.tiers import Item, Tier, load_tier

#: The driver's exit status when the language's own syntax check refused the code (sysexits.h
#: EX_DATAERR). A program could exit with it on purpose; it would only misreport itself.
SYNTAX_EXIT = 65
DRIVER_MODULE = "_audioprobe_render"  # sandbox/shim/_audioprobe_render.py


@dataclass(frozen=True)
class Verdict:
    """A language's reading of a finished sandbox run: the trial's status and its error."""

    status: Outcome
    error: str | None


class Language:
    """One language's contract. Subclasses set the class attributes and override what differs."""

    name: ClassVar[str]
    title: ClassVar[str]  # as written in prose and messages ("Python", "ChucK")
    #: fence tags an answer's code block may carry (the first is the one the prompt asks for)
    fence_tags: ClassVar[tuple[str, ...]]
    #: the answer's file name, in the trial folder and in the sandbox's working folder
    source_name: ClassVar[str]
    #: Debian packages of sandbox/runtime.toml's [debian] table this language needs
    debian: ClassVar[tuple[str, ...]] = ()
    #: True for a notation (ABC): it can only answer a tier whose every item names the notes it
    #: asks for (Item.target_notes()), whatever the tier is called
    notes_only: ClassVar[bool] = False
    #: a regular expression that marks a failed check in the checker's output even when it
    #: exits 0 (abc2midi and chuck do); None: the exit status alone decides
    fail_pattern: ClassVar[str | None] = None
    #: whether the checker's exit status is a verdict (False: only `fail_pattern` decides)
    check_exit: ClassVar[bool] = True
    #: variables the checker and renderers need besides the sandbox's own environment
    #: (runtime.sandbox_env): sclang's Qt runs headless only when told
    env: ClassVar[dict[str, str]] = {}
    #: the contract template under prompts/<name>/, filled like a tier prompt's fields
    contract_template: ClassVar[str] = "contract.txt"
    system_template: ClassVar[str] = "system.txt"

    def extract(self, answer: str) -> Extraction:
        """The code in an answer: the longest block fenced with one of `fence_tags`."""
        return extract_code(answer, self.name, self.fence_tags, looks_like=None)

    def syntax_error(self, code: str) -> str | None:
        """A complaint found before any sandbox run (None: none found here; the language's own
        checker runs inside the sandbox, see `verdict`)."""
        return None

    def check_command(self, tier: Tier, item: Item) -> list[str]:
        """The argv (inside the sandbox) that checks the source's syntax; [] for none."""
        return []

    def check_source(self, code: str) -> str | None:
        """What the check runs in place of the source (None: the source itself)."""
        return None

    def render_commands(self, tier: Tier, item: Item) -> list[list[str]]:
        """The argvs that turn the source into output.wav, run in order (the last is exec'd)."""
        raise NotImplementedError

    def files(self, tier: Tier, item: Item) -> dict[str, str]:
        """Files the harness writes beside the source before the check (name -> text): a
        fixed driver the renderer runs (SuperCollider's); none for most languages."""
        return {}

    def source(self, code: str, tier: Tier, item: Item) -> str:
        """The text written to `source_name`: the answer's code, unless the harness must add
        to it (ABC's instrument)."""
        return code

    def job(self, code: str, tier: Tier | None, item: Item) -> dict[str, Any]:
        """What the driver is told to do with this answer (see sandbox/shim/_audioprobe_render)."""
        if tier is None:
            raise ValueError(f"a {self.name} trial needs its tier (the renderer's sample rate)")
        return {
            "source_name": self.source_name,
            "source": self.source(code, tier, item),
            "files": self.files(tier, item),
            "env": self.env,
            "check": self.check_command(tier, item),
            "check_source": self.check_source(code),
            "fail_pattern": self.fail_pattern,
            "check_exit": self.check_exit,
            "render": self.render_commands(tier, item),
            "syntax_exit": SYNTAX_EXIT,
        }

    def program(self, code: str, tier: Tier | None, item: Item) -> str:
        """The Python program the sandbox runs for this answer: the driver, given its job."""
        job = json.dumps(self.job(code, tier, item))
        return (
            f"# audioprobe renders this {self.name} answer ({self.source_name}); generated\n"
            f"import {DRIVER_MODULE}\n\n{DRIVER_MODULE}.main({job!r})\n"
        )

    def verdict(self, result: ExecResult) -> Verdict:
        """The trial's status for a run that did not end `ok`: the driver's syntax exit is a
        `syntax_error` carrying the checker's own words; anything else is the sandbox's."""
        if result.status == "runtime_error" and result.exit_code == SYNTAX_EXIT:
            words = result.stderr.replace("\x00", "").strip()[-4000:]  # csound prints a NUL
            return Verdict(Outcome.SYNTAX_ERROR, words or "syntax error")
        return Verdict(Outcome(result.status), None)

    def supports(self, tier: str) -> bool:
        """Whether this language can answer the tier named `tier` (an unknown tier is left to
        the spec's own check, which names the known ones)."""
        if not self.notes_only:
            return True
        try:
            items = load_tier(tier).items
        except ConfigError:
            return True
        return all(item.target_notes() for item in items)

    @property
    def answers(self) -> str:
        """Which tiers it can answer, in words, for the message that refuses one."""
        return "tiers whose items name their notes" if self.notes_only else "every tier"
