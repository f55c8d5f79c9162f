"""The `rounds` table of `export`: one row per trial × round, each round's own record.

A trial without feedback has one row (round 0, its own record). A trial with feedback has a row
for every round it ran, read from round-N/round.json (the round's full record, with its audio
analysis and task check); `final` marks the round whose result the trial is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audioprobe.results.measures import RunResults
from audioprobe.results.rounds import rounds_of
from audioprobe.store import TrialRecord
from audioprobe.summary import ExportType, script_facts, typed
from audioprobe.trial_record import (
    Analysis,
    AudioFacts,
    RoundSummary,
    TrialResult,
    round_dir_name,
)

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


def _round_record(trial: TrialRecord, summary: RoundSummary) -> tuple[TrialResult, Path]:
    """The round's full record and its folder (the summary alone when round.json is absent,
    as for a round that ended in an infrastructure fault)."""
    if not trial.record.has_rounds:
        return trial.record, trial.dir
    number = summary.round or 0
    full = trial.round_record(number)
    return full or TrialResult.read(summary.stored()), trial.dir / round_dir_name(number)


def round_rows(results: RunResults) -> tuple[dict[str, ExportType], list[dict[str, Any]]]:
    rows = []
    for trial in results.trials:
        listed = rounds_of(trial)
        for position, summary in enumerate(listed):
            record, folder = _round_record(trial, summary)
            analysis = record.analysis or Analysis()
            success = record.round_success
            raw: dict[str, Any] = {
                "run_id": results.run.run_id,
                "trial_id": trial.trial_id,
                "model": trial.model,
                "model_kind": trial.model_kind,
                "tier": trial.tier,
                "item": trial.item,
                "sample": trial.sample,
                "round": position if summary.round is None else summary.round,
                "final": int(position == len(listed) - 1),
                "status": record.status,
                "error": record.error,
                "round_success": None if success is None else int(success is True),
                "round_success_reason": record.round_success_reason,
                "target_duration_s": record.target_duration_s,
                **{name: getattr(analysis, name) for name in _ANALYSED},
                **script_facts(trial, folder),
            }
            if raw["duration_s"] is None:  # a trial analysed by nobody: the WAV check's facts
                audio = record.audio or AudioFacts()
                raw.update(duration_s=audio.duration_s, peak=audio.peak, rms=audio.rms)
            rows.append({name: typed(kind, raw[name]) for name, kind in ROUND_COLUMNS.items()})
    return dict(ROUND_COLUMNS), rows
