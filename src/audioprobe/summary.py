"""The numbers `show`, `export` and the report share, computed once from the run store."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from audioprobe.outcomes import Outcome, is_infrastructure, is_model_outcome, render_rate
from audioprobe.store import RunStore, TrialRecord
from audioprobe.trial_record import AudioFacts, Execution, Response, TrialResult

if TYPE_CHECKING:
    from audioprobe.results.run import Run
from audioprobe.tiers import tier_rank

# The outcome columns of `export --table trials`, each with its type (Arrow names): the export's
# schema is declared here once, so a column is the same type on every run, empty or not.
ExportType = Literal["string", "int64", "float64"]
EXPORT_COLUMNS: dict[str, ExportType] = {
    "run_id": "string", "trial_id": "string", "model": "string", "model_kind": "string",
    "tier": "string", "language": "string", "item": "string", "class_key": "string",
    "sample": "int64",
    "seed": "int64", "status": "string", "error": "string", "wav_path": "string",
    "sample_rate": "int64", "channels": "int64", "duration_s": "float64",
    "target_duration_s": "float64", "peak": "float64", "rms": "float64",
    "latency_s": "float64", "prompt_tokens": "int64", "completion_tokens": "int64",
    "extraction": "string", "exec_wall_s": "float64", "exec_cpu_s": "float64",
    "exec_peak_memory_mb": "float64", "sandbox_backend": "string",
    "round": "int64", "rounds_run": "int64", "round_success": "int64",
    "imports": "string", "calls": "string", "techniques": "string",
}  # fmt: skip


def outcome_table(store: RunStore) -> list[dict[str, Any]]:
    """One row per model × tier: the model's outcomes apart from infrastructure faults.

    `ok_rate` is over the trials the model answered (its own outcomes); `llm_error` and
    `sandbox_error` trials are counted under `infrastructure` and left out of it, and `other`
    holds trials not yet run or not runnable (pending, unavailable).
    """
    groups: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for trial in store.trials():
        groups[(trial.model, trial.tier)][trial.status] += 1
    rows = []
    for (model, tier), counts in sorted(
        groups.items(), key=lambda kv: (kv[0][0], tier_rank(kv[0][1]))
    ):
        rate = render_rate(counts.elements())
        rows.append(
            {
                "model": model,
                "tier": tier,
                "trials": sum(counts.values()),
                "answered": rate.denominator,
                "ok": counts.get(Outcome.OK, 0),
                "ok_rate": rate,
                "ok_pct": None if rate.value is None else 100.0 * rate.value,
                "outcomes": dict(sorted(counts.items())),
                "model_outcomes": {k: v for k, v in sorted(counts.items()) if is_model_outcome(k)},
                "infrastructure": {k: v for k, v in sorted(counts.items()) if is_infrastructure(k)},
                "other": {
                    k: v
                    for k, v in sorted(counts.items())
                    if not is_model_outcome(k) and not is_infrastructure(k)
                },
            }
        )
    return rows


@dataclass(frozen=True)
class ModelUsage:
    """What one model's answers took, over the whole run."""

    model: str
    trials: int
    tokens_in: int
    tokens_out: int
    cost_usd: float | None  # None unless the model's spec entry gives a price


def tokens(record: TrialResult) -> tuple[int, int]:
    """(prompt, completion) tokens a trial's answers took: every feedback round's request, or
    the one answer of a trial without rounds (0 where the endpoint reported none)."""
    answers = record.answers()
    return (
        sum(a.prompt_tokens or 0 for a in answers),
        sum(a.completion_tokens or 0 for a in answers),
    )


def model_usage(store: RunStore) -> list[ModelUsage]:
    """Tokens in/out per model from the trial records, priced with the spec's price_in/price_out
    (USD per million tokens). Answers served from the answer cache count as they were recorded."""
    prices = {m.name: (m.price_in, m.price_out) for m in store.manifest.models}
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for trial in store.trials():
        tokens_in, tokens_out = tokens(trial.record)
        row = totals[trial.model]
        row[0] += 1
        row[1] += tokens_in
        row[2] += tokens_out
    out = []
    for model, (trials, tokens_in, tokens_out) in totals.items():
        price_in, price_out = prices.get(model, (None, None))
        cost = None
        if price_in is not None or price_out is not None:
            cost = (tokens_in * (price_in or 0) + tokens_out * (price_out or 0)) / 1e6
        out.append(ModelUsage(model, trials, tokens_in, tokens_out, cost))
    return out


def typed(kind: ExportType, value: Any) -> Any:
    """The value as its column's type; None stays None (a missing value, never a string)."""
    if value is None or value == "":
        return None
    if kind == "float64":
        return float(value)
    if kind == "int64":
        return int(value)
    return str(value)


def export_row(run: Run, trial: TrialRecord) -> dict[str, Any]:
    """A trial's outcome columns (EXPORT_COLUMNS), typed."""
    row = _raw_row(run, trial)
    return {name: typed(kind, row[name]) for name, kind in EXPORT_COLUMNS.items()}


def _raw_row(run: Run, trial: TrialRecord) -> dict[str, Any]:
    rec = trial.record
    audio = rec.audio or AudioFacts()
    response = rec.response or Response()
    exec_ = rec.execution or Execution()
    wav = trial.wav_path
    return {
        "run_id": run.run_id,
        "trial_id": trial.trial_id,
        "model": trial.model,
        "model_kind": trial.model_kind,
        "tier": trial.tier,
        "language": rec.code_language(),
        "item": trial.item,
        "class_key": rec.class_key,
        "sample": trial.sample,
        "seed": rec.seed,
        "status": trial.status,
        "error": trial.error,
        "wav_path": str(wav) if wav else None,
        "sample_rate": audio.sample_rate,
        "channels": audio.channels,
        "duration_s": audio.duration_s,
        "target_duration_s": rec.target_duration_s,
        "peak": audio.peak,
        "rms": audio.rms,
        "latency_s": response.latency_s,
        "prompt_tokens": response.prompt_tokens,
        "completion_tokens": response.completion_tokens,
        "extraction": rec.extraction,
        "exec_wall_s": exec_.wall_s,
        "exec_cpu_s": exec_.cpu_s,
        "exec_peak_memory_mb": exec_.peak_memory_mb,
        "sandbox_backend": exec_.backend,
        **round_facts(trial),
        **script_facts(trial),
    }


def round_facts(trial: TrialRecord) -> dict[str, Any]:
    """The round whose result the trial is (0 without feedback), how many rounds it ran, and
    its task success as 1/0 (empty where there is no verdict: feedback.success)."""
    rec = trial.record
    success = rec.round_success
    return {
        "round": (rec.round or 0) if trial.status != Outcome.PENDING else None,
        "rounds_run": len(rec.rounds) if rec.rounds is not None else 1,
        "round_success": None if success is None else int(success is True),
    }


def script_facts(trial: TrialRecord, folder: Path | None = None) -> dict[str, Any]:
    """Imports, library calls and technique families of the trial's script (techniques.py),
    each space-separated (families joined by "; "); empty for a trial without a script."""
    from audioprobe.techniques import trial_use

    use = trial_use(trial, folder)
    if use is None or use.problem is not None:
        return {"imports": None, "calls": None, "techniques": None}
    return {
        "imports": " ".join(use.imports),
        "calls": " ".join(use.calls),
        "techniques": "; ".join(use.families),
    }
