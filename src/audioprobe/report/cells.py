"""Metric cells as scoring hands them over, read into one shape the report can show and plot.

Scoring writes each metric as a plain number, as "unavailable: reason", or with its interval and
clip count — either inside the cell (a dict or a [value, low, high] triple) or as sibling columns
(`fad`, `fad_low`, `fad_high`, `fad_n`). The report takes any columns it is given, so new metrics
show up without a change here, and an unavailable metric is shown as such, never as a number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

IDENTITY_KEYS = frozenset({"model", "tier", "run_id", "trial_id"})
_LOW = ("_ci_low", "_low", "_lo", "_lower")
_HIGH = ("_ci_high", "_high", "_hi", "_upper")
_COUNT = ("_n_clips", "_clips", "_n")
_VALUE_KEYS = ("value", "mean", "estimate", "score")
_LOW_KEYS = ("low", "ci_low", "lo", "lower")
_HIGH_KEYS = ("high", "ci_high", "hi", "upper")
_COUNT_KEYS = ("n_clips", "clips", "n")
_LOWER_IS_BETTER = ("fad", "wer", "cer", "error", "err", "distance", "dist", "cents")
_HIGHER_IS_BETTER = ("clap", "rate", "pct", "score", "accuracy", "similarity")


@dataclass(frozen=True)
class Cell:
    """One metric value: a number with optional interval and count, a reason it is missing, or
    free text that is not a number (shown verbatim)."""

    value: float | None = None
    low: float | None = None
    high: float | None = None
    n: int | None = None
    unavailable: str | None = None  # the reason there is no number
    text: str | None = None
    label: str = "unavailable"  # how a missing number is named: "too few clips", "failed", ...

    @property
    def numeric(self) -> bool:
        return self.value is not None

    def display(self) -> str:
        if self.unavailable is not None:
            return self.label
        if self.text is not None:
            return self.text
        if self.value is None:
            return "—"
        out = fmt_number(self.value)
        if self.low is not None and self.high is not None:
            out += f" [{fmt_number(self.low)}, {fmt_number(self.high)}]"
        if self.n is not None:
            out += f" (n={self.n})"
        return out

    def to_json(self) -> dict[str, Any]:
        """The compact form the page's script reads (keys left out when empty)."""
        raw = {
            "v": self.value,
            "lo": self.low,
            "hi": self.high,
            "n": self.n,
            "u": self.unavailable,
            "t": self.text,
            "l": self.label
            if self.unavailable is not None and self.label != "unavailable"
            else None,
        }
        return {k: v for k, v in raw.items() if v is not None}


def fmt_number(x: float) -> str:
    """Three significant digits (thousands with separators): enough to read a table by."""
    mag = abs(x)
    if mag >= 1000:
        return f"{x:,.0f}"
    if mag >= 0.01 or x == 0:
        return f"{x:.3g}"
    return f"{x:.2e}"


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        try:
            return float(raw)
        except ValueError:
            return None
    return None


def _first(d: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if key in d and d[key] is not None:
            return d[key]
    return None


# Words scoring puts before a reason where a metric has no number (see scoring.results).
NO_NUMBER = ("unavailable", "too few clips", "failed", "not rendered", "not applicable")


def _no_number(text: str) -> Cell | None:
    head, _, reason = text.partition(":")
    label = head.strip().lower()
    if label not in NO_NUMBER:
        return None
    return Cell(unavailable=reason.strip(), label=label)


def parse_cell(raw: Any) -> Cell | None:
    """Read one metric cell; None when the cell is empty (missing, not unavailable)."""
    if raw is None:
        return None
    if isinstance(raw, str):
        missing = _no_number(raw)
        if missing is not None:
            return missing
        if not raw.strip():
            return None
        num = _number(raw)
        return _finite(num) if num is not None else Cell(text=raw)
    if isinstance(raw, dict):
        if raw.get("unavailable") or (raw.get("reason") and _first(raw, _VALUE_KEYS) is None):
            reason = raw.get("unavailable") or raw.get("reason")
            return Cell(unavailable=reason if isinstance(reason, str) else "no reason given")
        value = _number(_first(raw, _VALUE_KEYS))
        if value is None:
            return None
        count = _number(_first(raw, _COUNT_KEYS))
        return _finite(
            value,
            _number(_first(raw, _LOW_KEYS)),
            _number(_first(raw, _HIGH_KEYS)),
            int(count) if count is not None else None,
        )
    if isinstance(raw, list | tuple) and len(raw) == 3:
        nums = [_number(x) for x in raw]
        if all(x is not None for x in nums):
            return _finite(nums[0], nums[1], nums[2])
    num = _number(raw)
    if num is not None:
        return _finite(num)
    return Cell(text=str(raw))


def _finite(
    value: float | None,
    low: float | None = None,
    high: float | None = None,
    n: int | None = None,
) -> Cell:
    if value is None or not math.isfinite(value):
        return Cell(unavailable=f"not a finite number ({value})")
    ok = low is not None and high is not None and math.isfinite(low) and math.isfinite(high)
    return Cell(value=value, low=low if ok else None, high=high if ok else None, n=n)


def _sibling(base: str, row: dict[str, Any], suffixes: tuple[str, ...]) -> str | None:
    for suffix in suffixes:
        if base + suffix in row:
            return base + suffix
    return None


def metric_cells(row: dict[str, Any], skip: frozenset[str] = IDENTITY_KEYS) -> dict[str, Cell]:
    """All metric cells of one row, with `X_low`/`X_high`/`X_n` folded into metric `X`."""
    folded: set[str] = set()
    plan: list[tuple[str, str | None, str | None, str | None]] = []
    for key in row:
        if key in skip:
            continue
        low = _sibling(key, row, _LOW)
        high = _sibling(key, row, _HIGH)
        count = _sibling(key, row, _COUNT)
        plan.append((key, low, high, count))
        folded.update(k for k in (low, high, count) if k)
    cells: dict[str, Cell] = {}
    for key, low, high, count in plan:
        if key in folded:
            continue
        cell = parse_cell(row[key])
        if cell is None:
            continue
        if cell.numeric and (low or high or count):
            n = _number(row.get(count)) if count else None
            cell = _finite(
                cell.value,
                _number(row.get(low)) if low else cell.low,
                _number(row.get(high)) if high else cell.high,
                int(n) if n is not None else cell.n,
            )
        cells[key] = cell
    return cells


def is_card_column(name: str) -> bool:
    """`<metric>_card` columns carry a metric card's hash: provenance, not a value."""
    return name.endswith("_card") or "_card[" in name


def direction(metric: str) -> str | None:
    """'lower is better' / 'higher is better' where the name makes it plain; else None."""
    name = metric.lower()
    if any(part in name for part in _LOWER_IS_BETTER):
        return "lower is better"
    if any(part in name for part in _HIGHER_IS_BETTER):
        return "higher is better"
    return None
