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
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from audioprobe import runpath
from audioprobe.errors import ConfigError, load_toml_model
from audioprobe.languages import DEFAULT_LANGUAGE
from audioprobe.outcomes import Outcome, Rate, is_model_outcome
from audioprobe.paths import data_dir
from audioprobe.results.verdicts import Verdicts, final_verdict
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


#: A family is shown in the report only where its measured precision reaches this.
SHOWN_PRECISION = 0.9


class Family(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    all: list[list[str]] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    # measured on the labelled corpus (tests/data/techniques, tests/test_technique_corpus.py)
    precision: float | None = Field(None, ge=0, le=1)
    recall: float | None = Field(None, ge=0, le=1)

    @property
    def shown(self) -> bool:
        """Whether views may show this family: its detection was measured precise enough."""
        return self.precision is not None and self.precision >= SHOWN_PRECISION


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


_RANGE = "builtins.range"  # a for-loop over range(): its variable counts samples
#: Calls whose result is a time axis or a running phase: what an oscillator's argument moves with.
_TIME = frozenset(
    {"numpy.arange", "numpy.linspace", "numpy.cumsum", "numpy.add.accumulate", _RANGE}
)
_WINDOW_OPS = (ast.For, ast.While, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def _key(node: ast.expr) -> str | None:
    """The name a value is bound to: `x`, `self.mod` (attributes by their dotted text), or the
    array of an element assignment (`y[i] = ...` binds into `y`)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return ast.unparse(node)
    if isinstance(node, ast.Subscript):
        return _key(node.value)
    return None


@dataclass
class _Script:
    """A parsed script with its resolved calls and a one-pass data flow: which calls each bound
    name's value derives from (through other names, to a fixed point), so `phase = ... mod`,
    `mod = np.sin(...)`, `np.sin(phase)` is a sine inside a sine."""

    tree: ast.Module
    reader: _Reader
    calls: list[tuple[ast.Call, str]]

    @functools.cached_property
    def _flow(self) -> dict[str, set[str]]:
        direct: dict[str, set[str]] = defaultdict(set)
        refs: dict[str, set[str]] = defaultdict(set)

        def bind(target: ast.expr, value: ast.expr | None, extra: Set[str] = frozenset()) -> None:
            targets = target.elts if isinstance(target, ast.Tuple | ast.List) else [target]
            for t in targets:
                key = _key(t)
                if key is None:
                    continue
                direct[key] |= extra
                if value is not None:
                    direct[key] |= self._calls_in(value)
                    refs[key] |= self._keys_in(value)

        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    bind(target, node.value)
            elif isinstance(node, ast.AugAssign | ast.AnnAssign) and node.value is not None:
                bind(node.target, node.value)
            elif isinstance(node, ast.For | ast.comprehension):
                counted = (
                    isinstance(node.iter, ast.Call)
                    and isinstance(node.iter.func, ast.Name)
                    and node.iter.func.id == "range"
                )
                bind(node.target, node.iter, {_RANGE} if counted else set())
        closed = {k: set(v) for k, v in direct.items()}
        changed = True
        while changed:
            changed = False
            for key, names in refs.items():
                for other in names:
                    extra = closed.get(other, set()) - closed.setdefault(key, set())
                    if extra:
                        closed[key] |= extra
                        changed = True
        return closed

    def _calls_in(self, expr: ast.AST) -> set[str]:
        out = set()
        for node in ast.walk(expr):
            if isinstance(node, ast.Call) and (name := self.reader.resolve(node.func)):
                out.add(name)
        return out

    def _keys_in(self, expr: ast.AST) -> set[str]:
        return {
            key
            for node in ast.walk(expr)
            if isinstance(node, ast.Name | ast.Attribute) and (key := _key(node))
        }

    def derives(self, expr: ast.AST) -> set[str]:
        """The calls `expr` contains or derives from through the names it reads."""
        out = self._calls_in(expr)
        for key in self._keys_in(expr):
            out |= self._flow.get(key, set())
        return out

    def timed(self, expr: ast.AST) -> bool:
        """`expr` moves with time: it derives from a time axis, a running phase or a sample
        counter (so sin(expr) is an oscillator, exp(expr) a decay)."""
        return bool(self.derives(expr) & _TIME)


def _arguments(node: ast.Call) -> list[ast.expr]:
    return [*node.args, *(k.value for k in node.keywords)]


def _sine_oscillator(s: _Script) -> bool:
    """numpy/math sin or cos of a time axis, phase or sample counter (not of a constant: the
    cos(2πf/sr) of a filter coefficient is no oscillator)."""
    return any(
        name in _SINES[:4] and any(s.timed(a) for a in _arguments(node)) for node, name in s.calls
    )


def _sine_in_sine(s: _Script) -> bool:
    """A sine whose argument holds or derives from another sine: frequency or phase
    modulation (a sine LFO in an accumulated phase is FM too)."""
    return any(
        name in _SINES and any(s.derives(a) & set(_SINES) for a in _arguments(node))
        for node, name in s.calls
    )


def _sign_of_sine(s: _Script) -> bool:
    """np.sign(np.sin(...)): a square wave made from a sine."""
    return any(
        name == "numpy.sign" and any(s.derives(a) & set(_SINES) for a in _arguments(node))
        for node, name in s.calls
    )


def _phase_wrap(s: _Script) -> bool:
    """(f * t) % 1 of a time axis: a hand-made sawtooth (or pulse) phase."""
    return any(
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Mod)
        and isinstance(node.right, ast.Constant)
        and node.right.value == 1
        and s.timed(node.left)
        for node in ast.walk(s.tree)
    )


def _offsets(index: ast.expr, target: ast.expr) -> int | None:
    """k when `index` is `target - k` for a constant k (0 when they are the same)."""
    if ast.dump(index) == ast.dump(target):
        return 0
    if (
        isinstance(index, ast.BinOp)
        and isinstance(index.op, ast.Sub)
        and isinstance(index.right, ast.Constant)
        and isinstance(index.right.value, int)
        and ast.dump(index.left) == ast.dump(target)
    ):
        return index.right.value
    return None


def _reads(value: ast.expr, array: str) -> list[ast.expr]:
    return [
        node.slice
        for node in ast.walk(value)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
        and node.value.id == array
    ]  # fmt: skip


def _element_assignments(loop: ast.AST) -> list[tuple[str, ast.expr, ast.expr]]:
    """(array, index, value) of each `array[index] = value` inside `loop`."""
    out = []
    for node in ast.walk(loop):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                    out.append((target.value.id, target.slice, node.value))
    return out


def _recursive_delay(s: _Script) -> bool:
    """A delay line fed back through an average, the core of Karplus-Strong: in a loop,
    buf[i] from two reads of buf at least one of which lies more than two samples back
    (buf[i - N] and buf[i - N - 1]; a circular buf[(j + 1) % N]); or buf[j] from buf[j] with j
    stepping round modulo the period; or a deque appended from its own popped head. An IIR
    filter's y[i - 1], y[i - 2] is a filter, not a delay line; a single feedback read is a comb."""
    for loop in ast.walk(s.tree):
        if not isinstance(loop, ast.For | ast.While):
            continue
        wrapped = _wrapped_counters(loop)
        for array, index, value in _element_assignments(loop):
            reads = _reads(value, array)
            far = [r for r in reads if (k := _offsets(r, index)) is None or k > 2]
            if len(reads) >= 2 and far:
                return True
            if reads and isinstance(index, ast.Name) and index.id in wrapped:
                return True
        if _deque_feedback(loop):
            return True
    return False


def _wrapped_counters(loop: ast.AST) -> set[str]:
    """Names stepped round a period inside `loop`: `j = (j + 1) % n`."""
    return {
        node.targets[0].id
        for node in ast.walk(loop)
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.BinOp)
        and isinstance(node.value.op, ast.Mod)
    }


def _deque_feedback(loop: ast.AST) -> bool:
    """In one loop, x.popleft() (or x.pop(0)) and x.append(an expression): a delay line."""
    popped, appended = set(), set()
    for node in ast.walk(loop):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = _key(node.func.value)
            if node.func.attr == "popleft" or (
                node.func.attr == "pop"
                and node.args
                and ast.dump(node.args[0]) == ast.dump(ast.Constant(0))
            ):
                popped.add(owner)
            elif (
                node.func.attr == "append"
                and node.args
                and isinstance(node.args[0], ast.BinOp | ast.Name)
            ):
                appended.add(owner)
    return bool(popped & appended - {None})


def _formant_name(s: _Script) -> bool:
    for node in ast.walk(s.tree):
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


def _literal_collection(s: _Script, expr: ast.expr) -> bool:
    """A loop's iterable is fixed data: a literal list/tuple/dict (or a name bound to one, its
    .items()/.values(), one of its entries, or a zip of such), as formant tables are."""
    if isinstance(expr, ast.List | ast.Tuple | ast.Dict | ast.Set):
        return len(expr.elts if not isinstance(expr, ast.Dict) else expr.keys) >= 2
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
        return expr.func.attr in ("items", "values", "keys") and _literal_collection(
            s, expr.func.value
        )
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "zip":
        return bool(expr.args) and all(_literal_collection(s, a) for a in expr.args)
    if isinstance(expr, ast.Subscript):
        return _literal_collection(s, expr.value)
    if isinstance(expr, ast.Name):
        bound = [
            n.value
            for n in ast.walk(s.tree)
            if isinstance(n, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == expr.id for t in n.targets)
        ]
        return len(bound) == 1 and isinstance(bound[0], ast.List | ast.Tuple | ast.Dict)
    return False


def _resonant(s: _Script, body: ast.AST, bandpasses: set[int]) -> bool:
    """`body` designs a band-pass, or calls a function of the script that does or that runs a
    two-pole recursion (y[i] from y[i - 2]: a hand-written resonator)."""
    if any(id(n) in bandpasses for n in ast.walk(body)):
        return True
    called = {
        n.func.id
        for n in ast.walk(body)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    for fn in ast.walk(s.tree):
        if isinstance(fn, ast.FunctionDef) and fn.name in called:
            if any(id(n) in bandpasses for n in ast.walk(fn)):
                return True
            for array, index, value in _element_assignments(fn):
                if any(_offsets(r, index) == 2 for r in _reads(value, array)):
                    return True
    return False


def _several_bandpasses(s: _Script) -> bool:
    """Resonances at several fixed centres: three or more band-pass designs, or a resonance in
    a loop over a literal table of centres. One band-pass swept in a loop over time blocks, or
    two band-passes of noise, are filtered noise, not formants."""
    found = {id(node) for node, name in s.calls if _is_bandpass(node, name)}
    if len(found) >= 3:
        return True
    for loop in ast.walk(s.tree):
        iters = (
            [loop.iter]
            if isinstance(loop, ast.For)
            else [g.iter for g in loop.generators]
            if isinstance(loop, _WINDOW_OPS[2:])
            else []
        )
        if any(_literal_collection(s, it) for it in iters) and _resonant(s, loop, found):
            return True
    return False


def _time_decay(s: _Script) -> bool:
    """exp() of a time axis or sample counter: an exponential envelope (not exp() of filter
    constants, as a pole radius exp(-πB/sr) is)."""
    return any(
        name in ("numpy.exp", "math.exp") and any(s.timed(a) for a in _arguments(node))
        for node, name in s.calls
    )


def _ramp(s: _Script) -> bool:
    """A linear amplitude ramp: linspace to 0, linspace pieces joined by concatenate or written
    into a slice of an array, or min(t / a, 1) / clip(t / a, 0, 1) of a time axis."""
    for node, name in s.calls:
        args = node.args
        if name == "numpy.linspace" and len(args) >= 2:
            end = args[1]
            if isinstance(end, ast.Constant) and end.value == 0:
                return True
        if name in ("numpy.concatenate", "numpy.hstack") and any(
            "numpy.linspace" in s._calls_in(a) for a in args
        ):
            return True
        if name == "numpy.minimum" and len(args) == 2 and _is_one(args[1]) and s.timed(args[0]):
            return True
        if (
            name == "numpy.clip"
            and len(args) == 3
            and _is_zero(args[1])
            and _is_one(args[2])
            and s.timed(args[0])
        ):
            return True
    for stmt in ast.walk(s.tree):
        if (
            isinstance(stmt, ast.Assign)
            and any(
                isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Slice)
                for t in stmt.targets
            )
            and "numpy.linspace" in s._calls_in(stmt.value)
        ):
            return True
    return False


def _is_one(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == 1


def _is_zero(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == 0


def _fade_method(s: _Script) -> bool:
    """pydub's segment.fade_in / fade_out / fade on a segment the script made."""
    return "pydub" in {i.split(".")[0] for i in s.reader.imports} and any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in ("fade_in", "fade_out", "fade")
        for n in ast.walk(s.tree)
    )


def _sample_recursion(s: _Script) -> bool:
    """y[i] from y[i - 1] or y[i - 2] in a loop: a hand-written recursive (IIR) filter."""
    return any(
        any(_offsets(r, index) in (1, 2) for r in _reads(value, array))
        for loop in ast.walk(s.tree)
        if isinstance(loop, ast.For | ast.While)
        for array, index, value in _element_assignments(loop)
    )


Pattern = Callable[[_Script], bool]
PATTERNS: dict[str, Pattern] = {
    "sine-oscillator": _sine_oscillator,
    "sine-in-sine": _sine_in_sine,
    "sign-of-sine": _sign_of_sine,
    "phase-wrap": _phase_wrap,
    "recursive-delay": _recursive_delay,
    "formant-name": _formant_name,
    "several-bandpasses": _several_bandpasses,
    "time-decay": _time_decay,
    "ramp": _ramp,
    "fade-method": _fade_method,
    "sample-recursion": _sample_recursion,
}


@functools.cache
def load_rules(path: Path | None = None) -> Rules:
    """The family rules; a pattern name the code does not know is a one-line error."""
    rules = load_toml_model(path or data_dir("scoring") / RULES_FILE, Rules)
    for family in rules.family:
        named = [*family.patterns, *(p[1:] for g in family.all for p in g if p.startswith("@"))]
        unknown = sorted(set(named) - PATTERNS.keys())
        if unknown:
            raise ConfigError(
                f"{RULES_FILE}: family {family.name!r} names unknown pattern(s)"
                f" {', '.join(unknown)}; known: {', '.join(PATTERNS)}"
            )
    return rules


def _group_holds(script: _Script, names: list[str], group: list[str]) -> bool:
    """One `all` list: a call matches one of its patterns, or one of its @patterns is found."""
    return any(
        PATTERNS[p[1:]](script) if p.startswith("@") else any(fnmatchcase(n, p) for n in names)
        for p in group
    )


def script_use(code: str, rules: Rules | None = None) -> ScriptUse:
    """Imports, library calls and technique families of `code` (parsed, never run)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError) as exc:
        return ScriptUse((), (), (), problem=f"{type(exc).__name__}: {exc}")
    reader = _Reader()
    reader.read(tree)
    calls = _calls(tree, reader)
    script = _Script(tree, reader, calls)
    names = sorted({name for _, name in calls})
    families = []
    for family in (rules or load_rules()).family:
        by_calls = bool(family.all) and all(_group_holds(script, names, g) for g in family.all)
        if by_calls or any(PATTERNS[p](script) for p in family.patterns):
            families.append(family.name)
    listed = [n for n in names if n.split(".")[0] in LIBRARIES]
    return ScriptUse(tuple(sorted(set(reader.imports))), tuple(listed), tuple(families))


MAX_SCRIPT_BYTES = 16 << 20  # read no more of a script than any model writes


def trial_use(trial: TrialRecord, folder: Path | None = None) -> ScriptUse | None:
    """The use of the trial's final script (or the script in `folder`); None without one. The
    rules read Python (its imports and calls), so a trial in another language has none."""
    if trial.record.code_language() != DEFAULT_LANGUAGE or trial.code_file is None:
        return None
    folder = folder or trial.files_dir
    raw = runpath.read_bytes(
        trial.run_root, folder.relative_to(trial.run_root) / trial.code_file, MAX_SCRIPT_BYTES
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


def technique_summary(
    trials: Iterable[TrialRecord], verdicts: Verdicts | None = None
) -> list[TechniqueRow]:
    """Per model × tier, each family used at least once, in the rules' order, among the families
    whose measured precision lets them be shown; task success is each trial's verdict
    (results/verdicts.py: scored where `verdicts` has it)."""
    order = [f.name for f in load_rules().family if f.shown]
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
            known = [v for t in answered if (v := final_verdict(t, verdicts)) is not None]
            rows.append(
                TechniqueRow(
                    model=model,
                    tier=tier,
                    family=family,
                    scripts=len(uses),
                    using=len(using),
                    rendered=Rate(sum(t.status == Outcome.OK for t in answered), len(answered)),
                    success=Rate(sum(v is True for v in known), len(known)),
                )
            )
    return rows
