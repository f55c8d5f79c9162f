"""Comparing a reproduction's tables with the published ones, number by number.

Every compared cell gets one of four verdicts under a declared tolerance:

  equal     the same text (counts, statuses, hashes, texts; floats written as repr, exactly)
  within    two numbers that differ, but by no more than their tolerance allows
  redrawn   a value over a clip that re-rendered to other audio: not compared as a number
            (the sandbox seeds every random source a script leaves unseeded, so only a script
            that draws from the clock or the OS's entropy, or a neural baseline on other
            hardware, redraws; a value over other audio is a new draw, and a test of it against
            the published interval would fail one time in twenty by design)
  mismatch  anything else: `reproduce` exits non-zero

Which tolerance a number gets, and why, is declared here (TOLERANCES) and printed by
`reproduce`. Columns that record the machine rather than the result (times, paths, the sandbox
backend, error texts that hold timings) are listed in NOT_COMPARED and never compared.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from audioprobe.publication.tables import Table, cell_text


@dataclass(frozen=True)
class Tolerance:
    name: str
    rel: float
    abs: float
    why: str


EXACT = Tolerance(
    "exact", 0.0, 0.0, "counts, statuses, hashes, texts and ratios of counts: no rounding involved"
)
FLOAT = Tolerance(
    "float",
    1e-9,
    1e-12,
    "numpy/scipy arithmetic on the same clip: only another CPU's summation order (BLAS, SIMD)"
    " can move the last digits",
)
NEURAL = Tolerance(
    "neural",
    1e-3,
    1e-6,
    "a neural network runs in between (embedding, Whisper, DNSMOS): torch and onnxruntime pick"
    " kernels by CPU features and thread count, and FAD's matrix square root amplifies their"
    " last-digit differences; on the publishing machine the values are equal",
)
REDRAWN_WHY = (
    "the clip re-rendered to other audio (a script drawing from the clock or the OS's entropy,"
    " or a neural baseline on other hardware): a value over it is a new draw, reported and not"
    " compared (the sandbox seeds the random sources a script leaves unseeded, so other scripts"
    " render the same clip)"
)
TOLERANCES = (EXACT, FLOAT, NEURAL)

#: Columns that record the machine or the moment, not the result.
NOT_COMPARED = {
    "trials": {
        "run_id", "wav_path", "model_kind", "latency_s", "prompt_tokens", "completion_tokens",
        "exec_wall_s", "exec_cpu_s", "exec_peak_memory_mb", "sandbox_backend", "error",
    },
    "sets": {"run_id", "reason", "card_hash"},
    "measures": {"reason"},
    "claim": {"missing"},  # a set row's reason, quoted
}  # fmt: skip
NOT_COMPARED_PREFIXES = ("reason.", "card.")
NOT_COMPARED_WHY = (
    "times, tokens and paths of the publishing machine; the model kind (replay in a"
    " reproduction); error texts and reasons (they quote timings and paths); card hashes (they"
    " include package versions: the cards' settings are compared instead)"
)
AUDIO_COLUMNS = {"duration_s", "peak", "rms"}
CLAIM_NUMBERS = {"value_before", "value_after", "diff", "low", "high"}


@dataclass(frozen=True)
class Diff:
    table: str
    key: str
    column: str
    published: str
    reproduced: str
    tolerance: str
    verdict: str


@dataclass
class Comparison:
    """Every non-equal cell, and the count of each (table, tolerance, verdict)."""

    diffs: list[Diff] = field(default_factory=list)
    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    @property
    def mismatches(self) -> list[Diff]:
        return [d for d in self.diffs if d.verdict == "mismatch"]

    def add(self, table: str, key: str, column: str, pub: str, rep: str, tol: str, verdict: str):
        self.counts[(table, tol, verdict)] += 1
        if verdict != "equal":
            self.diffs.append(Diff(table, key, column, pub, rep, tol, verdict))


@cache
def _metric_of_column() -> dict[str, str]:
    """Clip metric columns (`pitch_class_error`) to the metric that computes them (`pitch`)."""
    from audioprobe.scoring.registry import registry

    return {c.name: name for name, metric in registry().items() for c in metric.columns}


def tolerance_of(metric: str) -> Tolerance:
    """NEURAL for a metric that declares its numbers pass through a network, else FLOAT."""
    from audioprobe.scoring.registry import registry

    found = registry().get(metric)
    return NEURAL if found is not None and found.neural else FLOAT


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def close(published: str, reproduced: str, tol: Tolerance) -> str:
    """equal, within or mismatch, for two cells under `tol`."""
    if published == reproduced:
        return "equal"
    a, b = _number(published), _number(reproduced)
    if tol is EXACT or a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return "mismatch"
    return "within" if abs(a - b) <= max(tol.abs, tol.rel * max(abs(a), abs(b))) else "mismatch"


def _column_tolerance(table: str, column: str, row: dict[str, Any]) -> Tolerance | None:
    """The tolerance of one cell, or None for a column that is not compared."""
    if column in NOT_COMPARED.get(table, set()) or column.startswith(NOT_COMPARED_PREFIXES):
        return None
    if table == "trials":
        if column.startswith(("metric.", "text.")):  # a text (a transcript) is never "within"
            name = column.partition(".")[2].split("[", 1)[0]
            return tolerance_of(_metric_of_column().get(name, name))
        if column in AUDIO_COLUMNS or column == "target_duration_s":
            return FLOAT
        return EXACT
    if table in ("sets", "measures") and column in ("value", "ci_low", "ci_high", "low", "high",
                                                    "median", "q1", "q3"):  # fmt: skip
        return tolerance_of(str(row.get("metric") or ""))
    if table == "claim" and column in CLAIM_NUMBERS:
        return tolerance_of(str(row.get("measure") or ""))
    return EXACT


@dataclass(frozen=True)
class Redrawn:
    """Which trials re-rendered to other audio, and the sets and cells that hold them."""

    trials: frozenset[str]
    cells: frozenset[tuple[str, str]]  # (model, tier)
    classes: frozenset[tuple[str, str, str]]  # (model, tier, class_key)
    models: frozenset[str]

    @classmethod
    def of(cls, trial_ids: set[str], trials: Table) -> Redrawn:
        rows = [r for r in trials.rows if r.get("trial_id") in trial_ids]
        return cls(
            frozenset(trial_ids),
            frozenset((str(r["model"]), str(r["tier"])) for r in rows),
            frozenset(
                (str(r["model"]), str(r["tier"]), str(r.get("class_key") or "")) for r in rows
            ),
            frozenset(str(r["model"]) for r in rows),
        )

    def holds(self, table: str, row: dict[str, Any]) -> bool:
        """Whether the row's value is computed over a redrawn clip."""
        if table in ("trials", "renders"):
            return row.get("trial_id") in self.trials
        if table == "claim":
            return str(row.get("model")) in self.models
        cell = (str(row.get("model")), str(row.get("tier")))
        klass = str(row.get("class_key") or "")
        if table == "sets" and klass:
            return (*cell, klass) in self.classes
        return cell in self.cells


def _compare_cell(
    out: Comparison, table: str, key: str, column: str, pub_row: dict, rep_row: dict,
    redrawn: Redrawn,
) -> None:  # fmt: skip
    tol = _column_tolerance(table, column, pub_row)
    if tol is None:
        return
    pub, rep = cell_text(pub_row.get(column)), cell_text(rep_row.get(column))
    if column == "wav_sha256" and redrawn.holds(table, pub_row):
        out.add(table, key, column, pub, rep, "redrawn", "redrawn")
        return
    if tol is not EXACT and redrawn.holds(table, pub_row) and pub != rep:
        out.add(table, key, column, pub, rep, "redrawn", "redrawn")
        return
    out.add(table, key, column, pub, rep, tol.name, close(pub, rep, tol))


def compare_table(
    out: Comparison, published: Table, reproduced: Table, redrawn: Redrawn, *,
    only: set[tuple[str, ...]] | None = None,
) -> None:  # fmt: skip
    """Compare every published row (of `only`, when given) with the reproduced one."""
    ours = reproduced.by_key()
    theirs = published.by_key()
    for key, pub_row in theirs.items():
        if only is not None and key not in only:
            continue
        label = "/".join(key) if published.name != "trials" else key[0]
        rep_row = ours.get(key)
        if rep_row is None:
            out.add(published.name, label, "(row)", "published", "", "exact", "mismatch")
            continue
        for column in published.columns:
            _compare_cell(out, published.name, label, column, pub_row, rep_row, redrawn)
    for key in ours.keys() - theirs.keys():
        if only is None or key in only:
            out.add(published.name, "/".join(key), "(row)", "", "reproduced", "exact", "mismatch")
