"""One table cell of the report: a number with its interval and count, or the reason there is
none. Built from typed results (`Measure`, `ClipValue`), never from display strings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audioprobe.report.format import fmt_measure, fmt_value
from audioprobe.results.measures import Measure
from audioprobe.results.records import ClipValue, Direction, Status


@dataclass(frozen=True)
class Cell:
    value: float | None = None
    low: float | None = None
    high: float | None = None
    n: int | None = None
    unavailable: str | None = None  # the reason there is no number
    text: str | None = None  # a result that is text (a transcript), or a measure's own wording
    label: str = "unavailable"  # how a missing number is named: "too few clips", "error", ...
    direction: Direction | None = None

    @classmethod
    def of(cls, m: Measure) -> Cell:
        if m.status != Status.OK or m.value is None:
            return cls(unavailable=m.reason or "", label=m.status.label, direction=m.direction)
        return cls(m.value, m.low, m.high, m.n, text=fmt_measure(m), direction=m.direction)

    @classmethod
    def of_clip(cls, v: ClipValue) -> Cell:
        if v.status != Status.OK:
            return cls(unavailable=v.reason or "", label=v.status.label)
        if v.value is None:
            return cls(text=v.text)
        return cls(value=v.value)

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
        out = fmt_value(self.value, self.low, self.high)
        return out + (f" (n={self.n})" if self.n is not None else "")

    def to_json(self) -> dict[str, Any]:
        """The compact form the page's script reads (keys left out when empty)."""
        raw = {
            "v": self.value,
            "lo": self.low,
            "hi": self.high,
            "n": self.n,
            "u": self.unavailable,
            "t": self.text if self.value is None else None,
            "l": self.label
            if self.unavailable is not None and self.label != "unavailable"
            else None,
        }
        return {k: v for k, v in raw.items() if v is not None}


def direction_words(direction: Direction | None) -> str | None:
    return f"{direction} is better" if direction else None
