"""The publication's figures (PNG), drawn from its own tables so they show exactly its numbers:
render rate and each cross-tier measure (task success, normalised FAD) per tier, one bar per system,
with intervals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audioprobe.publication.tables import Table
from audioprobe.tiers import tier_rank

Bar = tuple[str, str, float, float | None, float | None]  # group, system, value, low, high


def _float(value: Any) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None


def _tier_rank(group: str) -> tuple[float, str]:
    return tier_rank(group.split("\n", 1)[0])


def render_bars(cells: Table) -> list[Bar]:
    out: list[Bar] = []
    for row in cells.rows:
        value = _float(row.get("ok_rate"))
        if value is not None:
            out.append((str(row["tier"]), str(row["model"]), value, None, None))
    return out


def measure_bars(measures: Table, column: str) -> list[Bar]:
    """Tier-level values of one column, grouped by tier (and embedding, where there is one)."""
    out = []
    for row in measures.rows:
        value = _float(row.get("value"))
        if row.get("column") != column or row.get("status") != "ok" or value is None:
            continue
        group = str(row["tier"]) + (f"\n{row['embedding']}" if row.get("embedding") else "")
        out.append((group, str(row["model"]), value, _float(row["low"]), _float(row["high"])))
    return out


def _draw(path: Path, bars: list[Bar], title: str, ylabel: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    groups = sorted({b[0] for b in bars}, key=lambda g: (_tier_rank(g), g))
    systems = sorted({b[1] for b in bars})
    width = 0.8 / max(1, len(systems))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(groups) + 0.3 * len(systems)), 4.0))
    for k, system in enumerate(systems):
        found = {b[0]: b for b in bars if b[1] == system}
        xs = [i + (k - (len(systems) - 1) / 2) * width for i, g in enumerate(groups) if g in found]
        picked = [found[g] for g in groups if g in found]
        values = np.array([b[2] for b in picked])
        lows = np.array([b[3] if b[3] is not None else b[2] for b in picked])
        highs = np.array([b[4] if b[4] is not None else b[2] for b in picked])
        err = np.vstack([values - lows, highs - values]).clip(min=0)
        drawn = ax.bar(xs, values, width, label=system, yerr=err, capsize=2)
        ax.bar_label(drawn, fmt="%.2g", fontsize="x-small")  # a 0 is told from a missing bar
    ax.set_xticks(range(len(groups)), groups)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    # no timestamp in the PNG, so a figure is the same bytes when its numbers are
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


RENDER_FIGURE = ("render_rate.png", "render rate per tier (ok over answered trials)", "render rate")


def measure_columns(measures: Table) -> list[str]:
    """The cross-tier measures the table holds (task success, normalised FAD, ...), in order:
    one figure each, named after the measure, so a new comparable metric gets its figure."""
    return list(dict.fromkeys(str(r["column"]) for r in measures.rows if r.get("column")))


def draw_figures(folder: Path, cells: Table, measures: Table) -> tuple[list[str], str | None]:
    """The PNGs written (names), and why none could be drawn (matplotlib missing), if so."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return [], "figures not drawn: matplotlib is not installed (pip install matplotlib)"
    folder.mkdir(parents=True, exist_ok=True)
    figures = [(*RENDER_FIGURE, render_bars(cells))]
    for column in measure_columns(measures):
        label = column.replace("_", " ")
        figures.append(
            (f"{column}.png", f"{label} per tier, 95% interval", label,
             measure_bars(measures, column))
        )  # fmt: skip
    written = []
    for name, title, ylabel, bars in figures:
        if bars:
            _draw(folder / name, bars, title, ylabel)
            written.append(name)
    return written, None
