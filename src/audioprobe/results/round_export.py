"""The `rounds` table of `export`: one row per trial × round, each round's own record.

A trial without feedback has one row (round 0, its own record). A trial with feedback has a row
for every round it ran, read from round-N/round.json (the round's full record, with its audio
analysis and task check); `final` marks the round whose result the trial is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audioprobe.results.measures import RunResults
from audioprobe.results.rounds import rounds_of
from audioprobe.store import MAX_RECORD_BYTES, TrialRecord
from audioprobe.summary import ExportType, script_facts, typed

ROUND_COLUMNS: dict[str, ExportType] = {
    "run_id": "string", "trial_id": "string", "model": "string", "model_kind": "string",
    "tier": "string", "item": "string", "sample": "int64", "round": "int64", "final": "int64",
    "status": "string", "error": "string", "round_success": "int64",
    "round_success_reason": "string", "duration_s": "float64", "target_duration_s": "float64",
    "peak": "float64", "rms": "float64", "clipped_share": "float64", "silent_share": "float64",
    "centroid_hz": "float64", "f0_hz": "float64", "target_f0_hz": "float64",
    "cents_error": "float64", "transcript": "string", "transcript_wer": "float64",
    "imports": "string", "calls": "string", "techniques": "string",
}  # fmt: skip
_ANALYSED = (
    "duration_s", "peak", "rms", "clipped_share", "silent_share", "centroid_hz", "f0_hz",
    "target_f0_hz", "cents_error", "transcript", "transcript_wer",
)  # fmt: skip


def _round_record(trial: TrialRecord, summary: dict[str, Any]) -> tuple[dict[str, Any], Path]:
    """The round's full record and its folder (the summary alone when round.json is absent,
    as for a round that ended in an infrastructure fault)."""
    if "rounds" not in trial.record:
        return trial.record, trial.dir
    folder = trial.dir / f"round-{summary.get('round', 0)}"
    raw = trial.read(f"{folder.name}/round.json", MAX_RECORD_BYTES)
    try:
        full = json.loads(raw) if raw is not None else None
    except ValueError:
        full = None
    return (full if isinstance(full, dict) else summary), folder


def round_rows(results: RunResults) -> tuple[dict[str, ExportType], list[dict[str, Any]]]:
    rows = []
    for trial in results.trials:
        listed = rounds_of(trial)
        for position, summary in enumerate(listed):
            record, folder = _round_record(trial, summary)
            analysis = record.get("analysis") or {}
            success = record.get("round_success")
            raw: dict[str, Any] = {
                "run_id": results.run.run_id,
                "trial_id": trial.trial_id,
                "model": trial.model,
                "model_kind": trial.model_kind,
                "tier": trial.tier,
                "item": trial.item,
                "sample": trial.sample,
                "round": summary.get("round", position),
                "final": int(position == len(listed) - 1),
                "status": record.get("status"),
                "error": record.get("error"),
                "round_success": None if success is None else int(success is True),
                "round_success_reason": record.get("round_success_reason"),
                "target_duration_s": record.get("target_duration_s"),
                **{name: analysis.get(name) for name in _ANALYSED},
                **script_facts(trial, folder),
            }
            if raw["duration_s"] is None:  # a trial analysed by nobody: the WAV check's facts
                audio = record.get("audio") or {}
                raw.update(duration_s=audio.get("duration_s"), peak=audio.get("peak"))
                raw.update(rms=audio.get("rms"))
            rows.append({name: typed(kind, raw[name]) for name, kind in ROUND_COLUMNS.items()})
    return dict(ROUND_COLUMNS), rows
