"""The two tables `export` writes, with a fixed schema (docs/scoring.md, "Export schema").

trials  one row per trial (its final round's result): the outcome columns (summary.EXPORT_COLUMNS,
        with `round`, the feedback round's verdict and the script's techniques), the trial's task
        success with the facts it rests on (TASK_SUCCESS_COLUMNS), then per metric column
        scored in this run, `metric.<column>[<embedding>]` (a float; empty where there is no
        number), `status.<...>` (ok, unavailable, not_applicable, error), `reason.<...>` (why
        there is no number) and `card.<...>` (the metric card's hash). Text results (an ASR
        transcript) are `text.<column>`.
rounds  one row per trial × feedback round (results/round_export.py): each round's outcome,
        audio analysis, task check and techniques; a trial without feedback has one row.
sets    one row per model × tier × reference class × metric column × embedding: value, interval,
        clip counts, the render rate beside it and the failed-render rule, status and reason.
Every numeric column is typed float64 (or int64 for counts) whatever the run holds, so pandas
and Arrow load the same dtypes from a run where everything failed as from a good one.
"""

from __future__ import annotations

from typing import Any, Literal

from audioprobe.results.measures import RunResults
from audioprobe.results.rates import Rate
from audioprobe.results.records import ClipValue
from audioprobe.results.verdicts import TASK_SUCCESS, Verdicts, final_verdict, scored_verdicts
from audioprobe.store import TrialRecord
from audioprobe.summary import EXPORT_COLUMNS, ExportType, export_row

Table = Literal["trials", "rounds", "sets"]
TABLES: tuple[Table, ...] = ("trials", "rounds", "sets")

SET_COLUMNS: dict[str, ExportType] = {
    "run_id": "string", "model": "string", "tier": "string", "class_key": "string",
    "metric": "string", "column": "string", "embedding": "string", "value": "float64",
    "ci_low": "float64", "ci_high": "float64", "n_generated": "int64", "n_reference": "int64",
    "n_trials": "int64", "n_rendered": "int64", "render_rate": "float64", "rule": "string",
    "status": "string", "reason": "string", "direction": "string", "unit": "string",
    "card_hash": "string",
}  # fmt: skip


def _clip_prefixes(v: ClipValue, text: bool) -> dict[str, str]:
    key = v.key
    return {
        "value": f"{'text' if text else 'metric'}.{key}",
        "status": f"status.{key}",
        "reason": f"reason.{key}",
        "card": f"card.{key}",
    }


VERDICT = TASK_SUCCESS  # the export's per-trial column is named after the metric
#: Each trial's task-success verdict and the facts it rests on (feedback/success.py), after the
#: outcome columns: 1/0 (empty: no verdict, or the item is excluded), why, and what was measured.
TASK_SUCCESS_COLUMNS: dict[str, ExportType] = {
    VERDICT: "int64", "task_success_reason": "string",
    "task_success.f0_hz": "float64", "task_success.cents_error": "float64",
    "task_success.octaves": "int64", "task_success.recognised": "string",
    "task_success.neighbours": "string", "task_success.wer": "float64",
    "contract_deviations": "string",
}  # fmt: skip


def task_success_facts(trial: TrialRecord, verdicts: Verdicts) -> dict[str, Any]:
    """The TASK_SUCCESS_COLUMNS of one trial (the scored verdict, else its final round's)."""
    facts = (verdicts.get(trial.trial_id) or {}).get("facts") or {}
    success = final_verdict(trial, verdicts)
    reason = (verdicts.get(trial.trial_id) or {}).get("reason") or trial.record.round_success_reason
    return {
        VERDICT: None if success is None else int(success is True),
        "task_success_reason": reason,
        "task_success.f0_hz": facts.get("f0_hz"),
        "task_success.cents_error": facts.get("cents_error"),
        "task_success.octaves": facts.get("octaves"),
        "task_success.recognised": facts.get("recognised"),
        "task_success.neighbours": " ".join(facts.get("neighbours") or []) or None,
        "task_success.wer": facts.get("word_error"),
        "contract_deviations": "; ".join(facts.get("deviations") or []) or None,
    }


def trials_table(results: RunResults) -> tuple[dict[str, ExportType], list[dict[str, Any]]]:
    """(schema, rows) of the trials table."""
    schema: dict[str, ExportType] = dict(EXPORT_COLUMNS) | TASK_SUCCESS_COLUMNS
    metric_cols: dict[str, ExportType] = {}
    verdicts = scored_verdicts(results.sets)
    rows = []
    for trial in results.trials:
        row = export_row(results.run, trial) | task_success_facts(trial, verdicts)
        for v in results.clip_values_of(trial.trial_id):
            text = results.is_text(v)
            names = _clip_prefixes(v, text)
            metric_cols.setdefault(names["value"], "string" if text else "float64")
            for part in ("status", "reason", "card"):
                metric_cols.setdefault(names[part], "string")
            row[names["value"]] = v.text if text else v.value
            row[names["status"]] = v.status.value
            row[names["reason"]] = v.reason
            row[names["card"]] = v.card_hash
        rows.append(row)
    schema.update(sorted(metric_cols.items(), key=lambda kv: _order(kv[0])))
    return schema, [{name: row.get(name) for name in schema} for row in rows]


def _order(name: str) -> tuple[str, int]:
    kind, _, key = name.partition(".")
    return (key, ["metric", "text", "status", "reason", "card"].index(kind))


def sets_table(results: RunResults) -> tuple[dict[str, ExportType], list[dict[str, Any]]]:
    """(schema, rows) of the sets table."""
    rows = []
    for v in results.sets:
        metric = results.catalog.metrics.get(v.metric)
        column = metric.column(v.column) if metric else None
        rate = Rate(v.n_rendered or 0, v.n_trials or 0).value
        rows.append(
            {
                "run_id": results.run.run_id,
                "model": v.model,
                "tier": v.tier,
                "class_key": v.class_key,
                "metric": v.metric,
                "column": v.column,
                "embedding": v.embedding,
                "value": v.value,
                "ci_low": v.ci_low,
                "ci_high": v.ci_high,
                "n_generated": v.n_generated,
                "n_reference": v.n_reference,
                "n_trials": v.n_trials,
                "n_rendered": v.n_rendered,
                "render_rate": rate,
                "rule": v.rule,
                "status": v.status.value,
                "reason": v.reason,
                "direction": column.direction if column else None,
                "unit": column.unit if column else None,
                "card_hash": v.card_hash,
            }
        )
    return dict(SET_COLUMNS), rows


def table(results: RunResults, name: Table) -> tuple[dict[str, ExportType], list[dict[str, Any]]]:
    if name == "rounds":
        from audioprobe.results.round_export import round_rows

        return round_rows(results)
    return trials_table(results) if name == "trials" else sets_table(results)


def arrow_table(schema: dict[str, ExportType], rows: list[dict[str, Any]]) -> Any:
    """A pyarrow Table with the declared types (so an all-empty column keeps its type)."""
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64()}
    arrow_schema = pa.schema([(name, types[kind]) for name, kind in schema.items()])
    columns = {name: [row[name] for row in rows] for name in schema}
    return pa.Table.from_pydict(columns, schema=arrow_schema)
