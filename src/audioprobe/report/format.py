"""Numbers as text: the one place results become display strings (terminal tables, the report,
`compare`). Nothing reads these strings back; every view keeps the typed records beside them."""

from __future__ import annotations

from audioprobe.results.measures import Measure
from audioprobe.results.records import Status


def fmt_number(x: float) -> str:
    """Three significant digits (thousands with separators): enough to read a table by."""
    mag = abs(x)
    if mag >= 1000:
        return f"{x:,.0f}"
    if mag >= 0.01 or x == 0:
        return f"{x:.3g}"
    return f"{x:.2e}"


def fmt_value(value: float, low: float | None = None, high: float | None = None) -> str:
    text = fmt_number(value)
    if low is not None and high is not None:
        text += f" [{fmt_number(low)}, {fmt_number(high)}]"
    return text


def fmt_measure(m: Measure) -> str:
    """'12.3 [9.81, 14.8] (n 3/40, small set)', '0.31 [0.2, 0.5] (n 12, median 0.3, IQR
    0.1–0.4; 1 error)'; for a cell with no number, its status label ("unavailable", ...)."""
    if m.status != Status.OK or m.value is None:
        return m.status.label
    notes = []
    if m.n is not None:
        notes.append(f"n {m.n}/{m.n_reference}" if m.n_reference is not None else f"n {m.n}")
    if m.statistic == "mean" and m.median is not None:
        notes.append(f"median {fmt_number(m.median)}")
    if m.statistic in ("mean", "median") and m.q1 is not None and m.q3 is not None:
        notes.append(f"IQR {fmt_number(m.q1)}–{fmt_number(m.q3)}")
    notes.extend(m.flags)
    text = fmt_value(m.value, m.low, m.high) + (f" ({', '.join(notes)})" if notes else "")
    missing = [f"{n} {s.label}" for s, n in m.other if s != Status.NOT_APPLICABLE]
    return text + (f"; {', '.join(missing)}" if missing else "")
