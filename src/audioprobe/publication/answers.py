"""Every answer of a run exactly as received, as replay JSONL (llm.replay reads it back).

One line per answer: item, tier, sample and round (so a replay gives each sample its own answer),
the completion text, the sha256 of the prompt it answered, the system's name and weights, and
what the endpoint reported (tokens, latency, finish reason, whether the answer cache served it).
Trials that got no answer (an `llm_error`, a trial not run) have no line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from audioprobe import atomic
from audioprobe.errors import AudioprobeError
from audioprobe.hashing import sha256_file
from audioprobe.llm.base import Completion
from audioprobe.model_kinds import model_kind
from audioprobe.spec import ModelSpec
from audioprobe.store import RunStore, TrialRecord, path_part
from audioprobe.trial_record import TrialResult, round_dir_name

ANSWER_FILE = "response.json"


def code_models(store: RunStore) -> list[ModelSpec]:
    """The run's systems that answer with code (baselines answer with audio: no answers)."""
    models = store.model_specs()
    return [m for m in models if model_kind(m.kind).writes_code]


def answers_file_name(model: str) -> str:
    """`<model>.jsonl`, the name one folder entry can hold (store.path_part encoding)."""
    return f"{path_part(model)}.jsonl"


def weights_sha256(spec: ModelSpec) -> str | None:
    """The sha256 of a local model's weights: the catalog's (checked when the run opened it);
    None for endpoints, whose weights nobody outside can hash."""
    if spec.kind != "local":
        return None
    from audioprobe.llm.local.weights import catalog

    entry = catalog().get(spec.model)
    return entry.sha256 if entry else None


def _stages(trial: TrialRecord) -> Iterator[tuple[int, Path, TrialResult]]:
    """(round, folder, record) of every stage of the trial that may hold an answer."""
    if not trial.record.rounds:
        yield trial.record.round or 0, trial.dir, trial.record
        return
    for number, _summary in enumerate(trial.record.rounds):
        record = trial.round_record(number) or TrialResult()
        yield number, trial.dir / round_dir_name(number), record


def _prompt_sha256(folder: Path, record: TrialResult) -> str | None:
    if record.prompt_sha256 is not None:
        return record.prompt_sha256
    prompt = folder / "prompt.txt"
    return sha256_file(prompt) if prompt.is_file() else None


def answer_lines(store: RunStore, spec: ModelSpec) -> list[dict[str, Any]]:
    """The replay lines of one system, in trial order (tier, item, sample, round)."""
    weights = weights_sha256(spec)
    lines = []
    for trial in store.trials():
        if trial.model != spec.name:
            continue
        for number, folder, record in _stages(trial):
            try:
                raw = json.loads((folder / ANSWER_FILE).read_text())
            except (OSError, ValueError):
                continue  # no answer was received for this stage
            completion = Completion.from_dict(raw)
            lines.append(
                {
                    "item": trial.item,
                    "tier": trial.tier,
                    "sample": trial.sample,
                    "round": number,
                    "completion": completion.text,
                    "prompt_sha256": _prompt_sha256(folder, record),
                    "system": spec.name,
                    "kind": spec.kind,
                    "model": spec.model,
                    "weights_sha256": weights,
                    "response_model": completion.model,
                    "finish_reason": completion.finish_reason,
                    "prompt_tokens": completion.prompt_tokens,
                    "completion_tokens": completion.completion_tokens,
                    "latency_s": completion.latency_s,
                    "cached": completion.cached,
                    "request_hash": completion.request_hash,
                }
            )
    return lines


def write_answers(path: Path, lines: list[dict[str, Any]]) -> None:
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    atomic.write_text(path, text)


def model_named(store: RunStore, name: str | None) -> ModelSpec:
    """The code-writing system `name`, or the run's only one when `name` is None."""
    models = code_models(store)
    if name is not None:
        for spec in models:
            if spec.name == name:
                return spec
    elif len(models) == 1:
        return models[0]
    known = ", ".join(m.name for m in models) or "(none: baselines answer with audio)"
    if name is None:
        raise AudioprobeError(
            f"{store.root} has {len(models)} systems that write code ({known}); a replay file"
            " holds one system's answers: pass --model NAME (or `audioprobe publish` for all)"
        )
    raise AudioprobeError(f"{store.root} has no code-writing system {name!r}; its systems: {known}")
