"""Compare a run's numbers with a published table or another run, cell by cell.

Both sides become long rows (model, tier, metric, value). A run contributes `trials`, `ok_pct`
(the render rate: ok over trials the model answered) and every measure of its typed results; a
CSV contributes its rows as written (a number, or a text such as "unavailable: not reported").
Rows match on all three keys exactly; a row on one side only is listed with the other side
missing, and a measure without a number is listed with its status and reason, never as a
number. Measures the other side never reports at all (say `trials`, against a paper's table)
are left out and named once.

The paired statistics (audioprobe.results.paired: systems on shared items, the tier steps of the
study's claim, rank agreement between embeddings) are formatted here too, for `compare`,
`score` and the report.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audioprobe.errors import AudioprobeError
from audioprobe.report.cell import Cell
from audioprobe.report.format import fmt_number
from audioprobe.report.gather import overview
from audioprobe.report.scores import numeric_series
from audioprobe.results.measures import RunResults, tier_rank
from audioprobe.results.paired import (
    PairedDifference,
    RankAgreement,
    Step,
    claim_summary,
)
from audioprobe.results.run import Run
from audioprobe.scoring.registry import describe
from audioprobe.store import RunStore

KEY_COLUMNS = ("model", "tier", "metric")
COLUMNS = ("model", "tier", "metric", "ours", "theirs", "diff", "rel_diff", "note")

Key = tuple[str, str, str]


@dataclass(frozen=True)
class Comparison:
    model: str
    tier: str
    metric: str
    ours: Cell | None
    theirs: Cell | None

    @property
    def diff(self) -> float | None:
        if self.ours is None or self.theirs is None:
            return None
        if self.ours.value is None or self.theirs.value is None:
            return None
        return self.ours.value - self.theirs.value

    @property
    def rel_diff(self) -> float | None:
        """(ours - theirs) / |theirs|; None where theirs is zero or either side has no number."""
        d = self.diff
        if d is None or self.theirs is None or not self.theirs.value:
            return None
        return d / abs(self.theirs.value)

    @property
    def note(self) -> str:
        notes = []
        for side, cell in (("ours", self.ours), ("theirs", self.theirs)):
            if cell is None:
                notes.append(f"missing in {side}")
            elif cell.unavailable is not None:
                notes.append(f"{side} {cell.label}: {cell.unavailable}")
            elif cell.value is None:
                notes.append(f"{side} not a number")
        return "; ".join(notes)

    def as_row(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "tier": self.tier,
            "metric": self.metric,
            "ours": _plain(self.ours),
            "theirs": _plain(self.theirs),
            "diff": self.diff,
            "rel_diff": self.rel_diff,
            "note": self.note,
        }


def _plain(cell: Cell | None) -> Any:
    if cell is None:
        return None
    if cell.unavailable is not None:
        return f"{cell.label}: {cell.unavailable}" if cell.unavailable else cell.label
    return cell.value if cell.value is not None else cell.text


def run_table(results: RunResults) -> dict[Key, Cell]:
    """A run's numbers as long rows: trials and ok % per model × tier, then each measure
    (set metrics as scoring computed them, clip metrics as means over clips)."""
    out: dict[Key, Cell] = {}
    series = numeric_series(results)
    for row in overview(results):
        out[(row.model, row.tier, "trials")] = Cell(value=float(row.trials))
        out[(row.model, row.tier, "ok_pct")] = row.ok_rate
        for (model, tier, metric), cell in series.cells.items():
            if (model, tier) == (row.model, row.tier):
                out[(model, tier, metric)] = cell
    return out


def _their_cell(text: str) -> Cell | None:
    """A published table's value: a number, "unavailable: why", or other text; None if empty."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        head, sep, why = text.partition(":")
        if sep and head.strip().lower() == "unavailable":
            return Cell(unavailable=why.strip())
        return Cell(text=text)
    return Cell(value=value) if math.isfinite(value) else Cell(unavailable=f"not finite: {text}")


def read_table(path: Path) -> dict[Key, Cell]:
    """Long rows from a CSV with columns model, tier, metric, value (others are ignored)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise AudioprobeError(f"cannot read {path}: {exc}") from exc
    reader = csv.DictReader(io.StringIO(text))
    fields = {f.strip().lower(): f for f in reader.fieldnames or []}
    lacking = [c for c in (*KEY_COLUMNS, "value") if c not in fields]
    if lacking:
        raise AudioprobeError(
            f"{path}: needs columns model, tier, metric, value; missing {', '.join(lacking)}"
        )
    out: dict[Key, Cell] = {}
    for line, raw in enumerate(reader, start=2):
        model, tier, metric = ((raw[fields[c]] or "").strip() for c in KEY_COLUMNS)
        key: Key = (model, tier, metric)
        if not all(key):
            raise AudioprobeError(f"{path}:{line}: empty model, tier or metric")
        if key in out:
            raise AudioprobeError(f"{path}:{line}: {'/'.join(key)} appears twice")
        cell = _their_cell((raw[fields["value"]] or "").strip())
        if cell is not None:  # an empty cell is a value the table does not give: missing
            out[key] = cell
    return out


def against_table(target: Path, scored: bool = True) -> dict[Key, Cell]:
    """The other side: a run folder (compared run to run, with its scores) or a CSV table."""
    if (target / "run.json").is_file():
        store = RunStore.open(target)
        return run_table(
            RunResults.of(store, describe) if scored else RunResults(Run(store), store.trials())
        )
    return read_table(target)


def compare(
    ours: dict[Key, Cell], theirs: dict[Key, Cell], everything: bool = False
) -> tuple[list[Comparison], list[str]]:
    """Rows for every key of either side, ours first in run order, then keys only theirs has;
    and the metrics left out because the other side never reports them (unless `everything`)."""

    def order(key: Key) -> tuple[Any, ...]:
        return (key[0], tier_rank(key[1]), key[2])

    their_metrics = {k[2] for k in theirs}
    left_out = sorted({k[2] for k in ours} - their_metrics) if not everything else []
    keys = [k for k in ours if k[2] not in left_out]
    keys += sorted((k for k in theirs if k not in ours), key=order)
    rows = [Comparison(*k, ours=ours.get(k), theirs=theirs.get(k)) for k in keys]
    return rows, left_out


def shown(rows: list[Comparison], everything: bool = False) -> list[Comparison]:
    """The rows a terminal lists: those the other side has (matched, or missing in ours); rows
    only ours has are counted, not listed, unless `everything` (files get every row)."""
    return rows if everything else [r for r in rows if r.theirs is not None]


def _fmt(value: Any, percent: bool = False) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{100 * value:+.1f}%" if percent else fmt_number(value)
    return str(value)


class Footnotes:
    """Reasons behind cells without a number, numbered once per metric and reason, so a table
    of 400-character "weights not found" texts stays a table: the cell says `unavailable [1]`."""

    def __init__(self) -> None:
        self.numbers: dict[tuple[str, str], int] = {}

    def mark(self, metric: str, reason: str) -> str:
        number = self.numbers.setdefault((metric, reason), len(self.numbers) + 1)
        return f"[{number}]"

    def lines(self) -> list[str]:
        return [f"[{n}] {metric}: {reason}" for (metric, reason), n in self.numbers.items()]


def _short(cell: Cell | None, metric: str, notes: Footnotes) -> str:
    """A cell in a few characters: the number, or its status with a footnote for the reason."""
    if cell is not None and cell.unavailable is not None:
        label = cell.label or "unavailable"
        return f"{label} {notes.mark(metric, cell.unavailable)}" if cell.unavailable else label
    return _fmt(_plain(cell))


def _short_note(row: Comparison) -> str:
    notes = []
    for side, cell in (("ours", row.ours), ("theirs", row.theirs)):
        if cell is None:
            notes.append(f"missing in {side}")
        elif cell.unavailable is not None:
            notes.append(f"{side} {cell.label or 'unavailable'}")
        elif cell.value is None:
            notes.append(f"{side} not a number")
    return "; ".join(notes)


def display_rows(rows: list[Comparison], notes: Footnotes) -> list[list[str]]:
    """Rows as short strings for a terminal or markdown table; reasons go to `notes`."""
    out = []
    for r in rows:
        diff = r.diff
        out.append(
            [
                r.model,
                r.tier,
                r.metric,
                _short(r.ours, r.metric, notes),
                _short(r.theirs, r.metric, notes),
                "—" if diff is None else f"{diff:+.4g}",
                _fmt(r.rel_diff, percent=True),
                _short_note(r),
            ]
        )
    return out


def to_text(rows: list[Comparison]) -> str:
    """An aligned plain-text table, never wrapped or cut whatever the terminal's width, with the
    reasons behind cells without a number as footnotes below it."""
    right = {COLUMNS.index(c) for c in ("ours", "theirs", "diff", "rel_diff")}
    notes = Footnotes()
    table = aligned(list(COLUMNS), display_rows(rows, notes), right)
    return table + "".join(f"{line}\n" for line in notes.lines())


def aligned(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    """Rows under a header, columns padded to their widest cell (numbers `right`-aligned)."""
    cells = [header, *rows]
    widths = [max(len(r[k]) for r in cells) for k in range(len(header))]
    lines = []
    for n, row in enumerate(cells):
        parts = [
            c.rjust(w) if k in right else c.ljust(w)
            for k, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def to_markdown(rows: list[Comparison]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    notes = Footnotes()
    for cells in display_rows(rows, notes):
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    if notes.numbers:
        lines.append("")
        lines.extend(f"{line}  " for line in notes.lines())
    return "\n".join(lines) + "\n"


def to_csv(rows: list[Comparison]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(r.as_row() for r in rows)
    return buf.getvalue()


PAIRED_COLUMNS = ("tier", "measure", "a", "b", "n", "mean a", "mean b", "a − b", "95% CI", "p")


def paired_rows(diffs: list[PairedDifference]) -> list[list[str]]:
    out = []
    for d in diffs:
        ci = d.note or ("—" if d.low is None or d.high is None else _interval(d.low, d.high))
        p = fmt_p(d.p_value)
        out.append(
            [
                d.tier, d.measure, d.a, d.b, str(d.n), fmt_number(d.mean_a),
                fmt_number(d.mean_b), f"{d.diff:+.3g}", ci, p,
            ]
        )  # fmt: skip
    return out


def paired_text(
    diffs: list[PairedDifference], empty: str = "no two systems share an item with a number"
) -> str:
    """Paired differences on shared items, aligned; with a line saying how they were made, or
    `empty`, which says which pairs were sought, when there are none."""
    if not diffs:
        return empty + "\n"
    head = (
        "paired differences on shared items (a − b; 95% percentile bootstrap over items;"
        " p: two-sided, from the same bootstrap)\n"
    )
    return head + aligned(list(PAIRED_COLUMNS), paired_rows(diffs), {4, 5, 6, 7, 9})


AGREEMENT_COLUMNS = ("tier", "measure", "embeddings", "models", "τ", "p")


def agreement_rows(found: list[RankAgreement]) -> list[list[str]]:
    return [
        [a.tier, a.column, " vs ".join(a.embeddings), str(a.models), f"{a.tau:+.2f}",
         fmt_p(a.p_value)]
        for a in found
    ]  # fmt: skip


def agreement_text(found: list[RankAgreement]) -> str:
    if not found:
        return ""
    head = "rank agreement between embeddings (Kendall τ over the models' values)\n"
    return head + aligned(list(AGREEMENT_COLUMNS), agreement_rows(found), {3, 4, 5})


CLAIM_COLUMNS = (
    "model", "measure", "step", "before", "after", "change", "95% CI", "p", "performance",
)  # fmt: skip


def claim_rows(steps: list[Step]) -> list[list[str]]:
    return [
        [s.model, s.measure, f"{s.before} → {s.after}", _value(s.value_before),
         _value(s.value_after), "—" if s.diff is None else f"{s.diff:+.3g}",
         "—" if s.low is None or s.high is None else _interval(s.low, s.high),
         fmt_p(s.p_value), s.verdict]
        for s in steps
    ]  # fmt: skip


def claim_text(steps: list[Step]) -> str:
    """Per model, whether task success and normalised FAD fall from notes to environmental to
    speech, each step's difference with its 95% interval."""
    if not steps:
        return ""
    rows = claim_rows(steps)
    lines = [
        "the claim: performance falls as the audio grows more complex (notes → environmental →"
        " speech); task success falling or normalised FAD rising is a fall",
        aligned(list(CLAIM_COLUMNS), rows, {3, 4, 5, 7}).rstrip(),
    ]
    for (model, measure), verdict in claim_summary(steps).items():
        lines.append(f"{model}, {measure}: {verdict}")
    return "\n".join(lines) + "\n"


def _value(x: float | None) -> str:
    return "—" if x is None else fmt_number(x)


def fmt_p(p: float | None) -> str:
    """A p-value as the tables print it; "—" where there is none (too few items)."""
    return "—" if p is None else f"{p:.3g}"


def _interval(low: float, high: float) -> str:
    return f"[{fmt_number(low)}, {fmt_number(high)}]"
