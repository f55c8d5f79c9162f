"""What a script used to make its sound, read from its syntax tree (the script is never run).

For each script: the modules it imports, the numpy/scipy/pydub/pyo objects it calls (names
resolved through its imports: `np.sin` after `import numpy as np` is numpy.sin, `Sine(...)` after
`from pyo import *` is pyo.Sine), and the technique families it belongs to. The families and
their rules are data (scoring/techniques.toml); the few structures no call list can express
(a sine inside a sine, a delay line feeding back into itself, band-pass filters in a loop, names
mentioning formants) are the named patterns below.
"""

from __future__ import annotations

import ast
import builtins
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from audioprobe import runpath
from audioprobe.errors import ConfigError, load_toml_model
from audioprobe.outcomes import OK, Rate, is_model_outcome
from audioprobe.paths import data_dir
from audioprobe.store import TrialRecord

RULES_FILE = "techniques.toml"
#: The libraries whose calls are listed per script (others only feed the family rules).
LIBRARIES = ("numpy", "scipy", "pydub", "pyo")
_BUILTINS = frozenset(dir(builtins))
_SINES = ("numpy.sin", "numpy.cos", "math.sin", "math.cos", "pyo.Sine", "pyo.SineLoop")
_BANDPASS_DESIGNS = (
    "scipy.signal.butter", "scipy.signal.iirfilter", "scipy.signal.cheby1",
    "scipy.signal.cheby2", "scipy.signal.ellip", "scipy.signal.bessel",
)  # fmt: skip
_BANDPASS_ALWAYS = ("scipy.signal.iirpeak", "pyo.ButBP", "pyo.Reson", "pyo.Resonx")


class Family(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    all: list[list[str]] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    family: list[Family]


@dataclass(frozen=True)
class ScriptUse:
    imports: tuple[str, ...]
    calls: tuple[str, ...]  # resolved names under LIBRARIES, sorted
    families: tuple[str, ...]  # in the rules file's order
    problem: str | None = None  # why the script could not be read (then all else is empty)


class _Reader(ast.NodeVisitor):
    """Imports and resolved calls of one module, and the loops each call sits in."""

    def __init__(self) -> None:
        self.imports: list[str] = []
        self.aliases: dict[str, str] = {}
        self.star: str | None = None
        self.local: set[str] = set()

    def read(self, tree: ast.Module) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    self.imports.append(a.name)
                    if a.asname:
                        self.aliases[a.asname] = a.name
                    else:
                        self.aliases[a.name.split(".")[0]] = a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                self.imports.append(node.module)
                for a in node.names:
                    if a.name == "*":
                        self.star = node.module
                    else:
                        self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self.local.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.local.add(node.id)
            elif isinstance(node, ast.arg):
                self.local.add(node.arg)

    def resolve(self, func: ast.expr) -> str | None:
        parts: list[str] = []
        while isinstance(func, ast.Attribute):
            parts.append(func.attr)
            func = func.value
        if not isinstance(func, ast.Name):
            return None
        head, rest = func.id, list(reversed(parts))
        if head in self.aliases:
            return ".".join([self.aliases[head], *rest])
        if self.star and head not in self.local and head not in _BUILTINS:
            return ".".join([self.star, head, *rest])
        return None


def _calls(tree: ast.Module, reader: _Reader) -> list[tuple[ast.Call, str]]:
    return [
        (node, name)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and (name := reader.resolve(node.func))
    ]


def _sine_in_sine(tree: ast.Module, reader: _Reader, calls: list[tuple[ast.Call, str]]) -> bool:
    for node, name in calls:
        if name not in _SINES:
            continue
        inner = [*node.args, *(k.value for k in node.keywords)]
        for part in inner:
            for sub in ast.walk(part):
                if isinstance(sub, ast.Call) and reader.resolve(sub.func) in _SINES:
                    return True
    return False


def _is_previous_sample(index: ast.expr, target: ast.expr) -> bool:
    """x[i - 1] against x[i]: a one-sample recursion (a phase accumulator, a one-pole filter)."""
    return (
        isinstance(index, ast.BinOp)
        and isinstance(index.op, ast.Sub)
        and isinstance(index.right, ast.Constant)
        and index.right.value == 1
        and ast.dump(index.left) == ast.dump(target)
    )


def _recursive_delay(tree: ast.Module) -> bool:
    """In a loop, buf[...] assigned from buf read at another index (buf[i - N], a circular
    buf[(j + 1) % N]): a delay line that feeds back, the core of Karplus-Strong."""
    for loop in ast.walk(tree):
        if not isinstance(loop, ast.For | ast.While):
            continue
        for node in ast.walk(loop):
            if not isinstance(node, ast.Assign | ast.AugAssign):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if not (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)):
                    continue
                for read in ast.walk(node.value):
                    if (
                        isinstance(read, ast.Subscript)
                        and isinstance(read.value, ast.Name)
                        and read.value.id == target.value.id
                        and ast.dump(read.slice) != ast.dump(target.slice)
                        and not _is_previous_sample(read.slice, target.slice)
                    ):
                        return True
    return False


def _formant_name(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        name = (
            node.id
            if isinstance(node, ast.Name)
            else node.attr
            if isinstance(node, ast.Attribute)
            else node.name
            if isinstance(node, ast.FunctionDef)
            else node.arg
            if isinstance(node, ast.arg)
            else ""
        )
        if "formant" in name.lower():
            return True
    return False


def _is_bandpass(node: ast.Call, name: str) -> bool:
    if name in _BANDPASS_ALWAYS:
        return True
    if name not in _BANDPASS_DESIGNS:
        return False
    given = [k.value for k in node.keywords if k.arg == "btype"] + node.args[2:3]
    return any(isinstance(v, ast.Constant) and v.value in ("band", "bandpass") for v in given)


def _several_bandpasses(tree: ast.Module, calls: list[tuple[ast.Call, str]]) -> bool:
    """Two or more band-pass designs, or one inside a loop (a bank of resonances)."""
    found = {id(node) for node, name in calls if _is_bandpass(node, name)}
    if len(found) >= 2:
        return True
    loops = (ast.For, ast.While, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
    return any(
        isinstance(loop, loops) and any(id(n) in found for n in ast.walk(loop))
        for loop in ast.walk(tree)
    )


Pattern = Callable[[ast.Module, _Reader, list[tuple[ast.Call, str]]], bool]
PATTERNS: dict[str, Pattern] = {
    "sine-in-sine": _sine_in_sine,
    "recursive-delay": lambda tree, _r, _c: _recursive_delay(tree),
    "formant-name": lambda tree, _r, _c: _formant_name(tree),
    "several-bandpasses": lambda tree, _r, calls: _several_bandpasses(tree, calls),
}


@functools.cache
def load_rules(path: Path | None = None) -> Rules:
    """The family rules; a pattern name the code does not know is a one-line error."""
    rules = load_toml_model(path or data_dir("scoring") / RULES_FILE, Rules)
    for family in rules.family:
        unknown = sorted(set(family.patterns) - PATTERNS.keys())
        if unknown:
            raise ConfigError(
                f"{RULES_FILE}: family {family.name!r} names unknown pattern(s)"
                f" {', '.join(unknown)}; known: {', '.join(PATTERNS)}"
            )
    return rules


def script_use(code: str, rules: Rules | None = None) -> ScriptUse:
    """Imports, library calls and technique families of `code` (parsed, never run)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError) as exc:
        return ScriptUse((), (), (), problem=f"{type(exc).__name__}: {exc}")
    reader = _Reader()
    reader.read(tree)
    calls = _calls(tree, reader)
    names = sorted({name for _, name in calls})
    families = []
    for family in (rules or load_rules()).family:
        by_calls = bool(family.all) and all(
            any(fnmatchcase(n, p) for n in names for p in group) for group in family.all
        )
        if by_calls or any(PATTERNS[p](tree, reader, calls) for p in family.patterns):
            families.append(family.name)
    listed = [n for n in names if n.split(".")[0] in LIBRARIES]
    return ScriptUse(tuple(sorted(set(reader.imports))), tuple(listed), tuple(families))


MAX_SCRIPT_BYTES = 16 << 20  # read no more of a script than any model writes


def trial_use(trial: TrialRecord, folder: Path | None = None) -> ScriptUse | None:
    """The use of the trial's final script (or the script in `folder`); None without one."""
    folder = folder or trial.files_dir
    raw = runpath.read_bytes(
        trial.run_root, folder.relative_to(trial.run_root) / "script.py", MAX_SCRIPT_BYTES
    )
    return None if raw is None else script_use(raw.decode("utf-8", errors="replace"))


@dataclass(frozen=True)
class TechniqueRow:
    """One family in one model × tier: how many scripts used it and how they fared."""

    model: str
    tier: str
    family: str
    scripts: int  # scripts of the cell that could be read
    using: int
    rendered: Rate  # among the trials using it (their outcome the model's)
    success: Rate  # task success among those with a known verdict


def technique_summary(trials: Iterable[TrialRecord]) -> list[TechniqueRow]:
    """Per model × tier, each family used at least once, in the rules' order."""
    order = [f.name for f in load_rules().family]
    cells: dict[tuple[str, str], list[tuple[TrialRecord, ScriptUse]]] = defaultdict(list)
    for trial in trials:
        use = trial_use(trial)
        if use is not None and use.problem is None:
            cells[(trial.model, trial.tier)].append((trial, use))
    rows = []
    for (model, tier), uses in cells.items():
        for family in order:
            using = [t for t, u in uses if family in u.families]
            if not using:
                continue
            answered = [t for t in using if is_model_outcome(t.status)]
            known = [t for t in answered if t.record.get("round_success") is not None]
            rows.append(
                TechniqueRow(
                    model=model,
                    tier=tier,
                    family=family,
                    scripts=len(uses),
                    using=len(using),
                    rendered=Rate(sum(t.status == OK for t in answered), len(answered)),
                    success=Rate(sum(t.record["round_success"] is True for t in known), len(known)),
                )
            )
    return rows
