"""summary.md: a publication's tables in words, generated from the published files alone, so
docs/results.md can quote it and anyone can regenerate it from the folder."""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from typing import Any

from audioprobe.outcomes import Outcome, is_model_outcome
from audioprobe.publication.tables import Table
from audioprobe.tiers import tier_rank


def _num(value: Any) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3g}"


def _cell(row: dict[str, Any]) -> str:
    """`0.42 [0.3, 0.5] (n 27)`, or the status where there is no number."""
    value = _num(row.get("value"))
    if row.get("status") != "ok" or value is None:
        return str(row.get("status") or "—").replace("_", " ")
    low, high = _num(row.get("low")), _num(row.get("high"))
    interval = f" [{_fmt(low)}, {_fmt(high)}]" if low is not None and high is not None else ""
    n = row.get("n")
    return f"{_fmt(value)}{interval}" + (f" (n {n})" if n not in (None, "") else "")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    out = [line(header), "|" + "---|" * len(header)] + [line(r) for r in rows]
    return [*out, ""]


def _shown(row: dict[str, Any]) -> bool:
    return row.get("level") == "set" or str(row.get("quality")) == "True"


def _heading(row: dict[str, Any]) -> str:
    label = str(row.get("label") or row.get("column"))
    return f"{label}[{row['embedding']}]" if row.get("embedding") else label


#: A cell with no number for a reason of the machine or the system, never of the model's output.
_NO_NUMBER = ("unavailable", "not_applicable")


def tier_tables(cells: Table, measures: Table) -> list[str]:
    """A table per tier with a row per system that answered it.

    A system that answers no item of the tier (a speech baseline on notes) has no row, only a
    footnote; a column no answering system has a number or a "too few" for (weights absent
    here, or no clip to measure) is left out and listed under "Not measured here".
    """
    lines: list[str] = []
    rates = {(r["model"], r["tier"]): r for r in cells.rows}
    by_tier: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in measures.rows:
        if _shown(row):
            by_tier[str(row["tier"])].append(row)
    for tier in sorted({str(r["tier"]) for r in cells.rows}, key=tier_rank):
        systems = sorted({str(r["model"]) for r in cells.rows if r["tier"] == tier})
        absent = [m for m in systems if not int(rates[(m, tier)]["answered"])]
        models = [m for m in systems if m not in absent]
        rows = [r for r in by_tier.get(tier, []) if str(r["model"]) in models]
        measured = {_heading(r) for r in rows if r.get("status") not in _NO_NUMBER}
        headings = [h for h in dict.fromkeys(_heading(r) for r in rows) if h in measured]
        found = {(str(r["model"]), _heading(r)): _cell(r) for r in rows}
        body = []
        for model in models:
            rate = rates[(model, tier)]
            shown = f"{_fmt(_num(rate['ok_rate']))} ({rate['ok']}/{rate['answered']})"
            body.append([model, shown] + [found.get((model, h), "—") for h in headings])
        lines += [f"### {tier}", "", *_table(["system", "render rate", *headings], body)]
        if absent:
            lines += [
                f"Not applicable here (they answer no item of this tier): {', '.join(absent)}.",
                "",
            ]
    return lines


def _ranked(counts: dict[str, int]) -> str:
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{k} {v}" for k, v in ordered[:4]) or "none"


def outcome_lines(cells: Table) -> list[str]:
    """The model's own failures per cell, apart from trials that were not its doing."""
    body = []
    for row in sorted(cells.rows, key=lambda r: (r["model"], tier_rank(str(r["tier"])))):
        counts: dict[str, int] = json.loads(row["outcomes"])
        failed = {k: v for k, v in counts.items() if is_model_outcome(k) and k != Outcome.OK}
        other = {k: v for k, v in counts.items() if not is_model_outcome(k)}
        cells_ = [str(row["model"]), str(row["tier"]), str(row["trials"]), _ranked(failed)]
        body.append([*cells_, _ranked(other) if other else "—"])
    header = ["system", "tier", "trials", "commonest failures", "not the model's (infra, n/a)"]
    return _table(header, body)


def spread_lines(trials: Table) -> list[str]:
    """Per system × tier: items whose samples disagree on rendering (some ok, some not)."""
    outcomes: dict[tuple[str, str, str], set[bool]] = defaultdict(set)
    for row in trials.rows:
        outcomes[(str(row["model"]), str(row["tier"]), str(row["item"]))].add(
            row.get("status") == "ok"
        )
    cells: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for (model, tier, _item), seen in outcomes.items():
        cells[(model, tier)]["items"] += 1
        cells[(model, tier)]["mixed"] += len(seen) > 1
    body = [
        [model, tier, str(c["items"]), str(c["mixed"])]
        for (model, tier), c in sorted(
            cells.items(), key=lambda kv: (kv[0][0], tier_rank(kv[0][1]))
        )
    ]
    return _table(["system", "tier", "items", "items whose samples disagree on rendering"], body)


def technique_lines(trials: Table) -> list[str]:
    used: dict[str, Counter[str]] = defaultdict(Counter)
    for row in trials.rows:
        for family in str(row.get("techniques") or "").split("; "):
            if family:
                used[str(row["model"])][family] += 1
    body = [
        [model, ", ".join(f"{f} {n}" for f, n in counts.most_common(5))]
        for model, counts in sorted(used.items())
    ]
    return _table(["system", "commonest techniques (scripts)"], body) if body else []


def usage_lines(answers: dict[str, list[dict[str, Any]]]) -> list[str]:
    body = []
    for model, lines in sorted(answers.items()):
        latencies = [float(a["latency_s"]) for a in lines if a.get("latency_s") is not None]
        body.append(
            [
                model,
                str(len(lines)),
                f"{sum(int(a.get('prompt_tokens') or 0) for a in lines):,}",
                f"{sum(int(a.get('completion_tokens') or 0) for a in lines):,}",
                _fmt(statistics.median(latencies)) if latencies else "—",
                f"{sum(latencies):,.0f}" if latencies else "—",
            ]
        )
    # the requests of a model decoded together, so the summed latency is not its wall time
    header = [
        "system", "answers", "tokens in", "tokens out", "median latency s", "summed latency s"
    ]  # fmt: skip
    return _table(header, body)


def claim_lines(claim: Table, verdicts: dict[tuple[str, str], str]) -> list[str]:
    body = [
        [
            str(r["model"]), str(r["measure"]), f"{r['before']} → {r['after']}",
            _fmt(_num(r["value_before"])), _fmt(_num(r["value_after"])),
            f"{_fmt(_num(r['diff']))} [{_fmt(_num(r['low']))}, {_fmt(_num(r['high']))}]",
            _fmt(_num(r.get("p_value"))), str(r["verdict"]),
        ]
        for r in claim.rows
    ]  # fmt: skip
    if not body:
        return ["No system has the tier-comparable measures on two tiers: no claim test.", ""]
    header = ["system", "measure", "step", "before", "after", "change [95% CI]", "p", "performance"]
    lines = _table(header, body)
    lines += [f"- {m}, {measure}: {v}" for (m, measure), v in sorted(verdicts.items())] + [""]
    return lines


def unavailable_lines(measures: Table) -> list[str]:
    reasons: dict[str, set[str]] = defaultdict(set)
    for row in measures.rows:
        if row.get("status") == "unavailable":
            reasons[_heading(row)].add(str(row.get("reason") or "").split(";")[0])
    return [f"- {h}: {'; '.join(sorted(r))}" for h, r in sorted(reasons.items())] + [""]


def summary_markdown(
    publication: dict[str, Any],
    tables: dict[str, Table],
    answers: dict[str, list[dict[str, Any]]],
    verdicts: dict[tuple[str, str], str],
    figures: list[str],
) -> str:
    spec = publication["spec"]
    head = [
        f"# {publication['study_id']}: results",
        "",
        f"Generated by `audioprobe publish` from run `{publication['source_run']}`"
        f" ({publication['trials']} trials; spec `{spec['name']}`, {spec['samples']} samples per"
        f" item, seed {spec['seed']}); sandbox runtime `{publication['sandbox_runtime']}`,"
        f" audioprobe {publication['versions'].get('audioprobe')}, commit"
        f" `{publication.get('git_commit') or 'unknown'}`. Every number below is in this folder's"
        " CSV files; `audioprobe reproduce` re-renders the answers and checks each one.",
        "",
        "## Render rate and task success per tier",
        "",
    ]
    body = head + tier_tables(tables["cells"], tables["measures"])
    body += ["## The claim test (performance falls as the audio grows more complex)", ""]
    body += claim_lines(tables["claim"], verdicts)
    body += ["## Commonest failures", "", *outcome_lines(tables["cells"])]
    body += technique_lines(tables["trials"])
    body += ["## Spread between samples", "", *spread_lines(tables["trials"])]
    body += ["## Tokens and time per system (as recorded when the answers were generated)", ""]
    body += usage_lines(answers)
    body += ["## Not measured here", "", *unavailable_lines(tables["measures"])]
    if figures:
        body += ["## Figures", ""] + [f"![{f}](figures/{f})" for f in figures] + [""]
    return "\n".join(body).rstrip() + "\n"
