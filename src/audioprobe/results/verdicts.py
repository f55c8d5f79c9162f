"""Each trial's task-success verdict as the views read it: the scored one where the run is
scored (the `task_success` metric applies feedback/success.py's rule to every measured fact),
else the feedback loop's verdict of the trial's final round (the same rule, fewer facts: the
loop loads no embeddings, so an environmental class is unknown there). Export, pass@k, the
technique table and the by-round views all read this, so none says `n/a` beside a scored rate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from audioprobe.results.records import SetValue
from audioprobe.store import TrialRecord

#: The task-success metric's name (scoring/metrics/task_success.py): its tier-level values hold
#: the verdicts, and the export's per-trial column is named after it.
TASK_SUCCESS = "task_success"

Verdicts = Mapping[str, Mapping[str, Any]]  # trial id -> {"success", "reason", "facts"}


def scored_verdicts(sets: Iterable[SetValue]) -> dict[str, dict[str, Any]]:
    """{trial id: {success, reason, facts}} of every tier-level task_success value."""
    out: dict[str, dict[str, Any]] = {}
    for v in sets:
        if v.metric == TASK_SUCCESS and not v.class_key:
            out.update(v.extra.get("trials") or {})
    return out


def final_verdict(trial: TrialRecord, verdicts: Verdicts | None) -> bool | None:
    """The trial's task success: scored where scored, else its final round's verdict."""
    if verdicts is not None and trial.trial_id in verdicts:
        return verdicts[trial.trial_id].get("success")
    return trial.record.round_success
