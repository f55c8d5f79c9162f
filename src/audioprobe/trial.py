"""One trial, stage by stage: prompt → answer → script → sandbox run → checked WAV.

Every stage leaves its file in the trial folder before the next begins, so a killed run resumes
from the last finished stage and a researcher can open each step. Every failure of the model's
code becomes a status with its error text; a fault of the harness itself ends only its own trial
(`isolated`), as `sandbox_error` with the traceback kept beside it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import time
import traceback
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from audioprobe import atomic
from audioprobe.audio_check import inspect_wav, max_duration_s
from audioprobe.baselines.base import AudioGenerator
from audioprobe.errors import DiskFull, Unavailable, is_disk_full
from audioprobe.executors import ScriptRunner
from audioprobe.hashing import sha256_text
from audioprobe.languages import DEFAULT_LANGUAGE, Language, get_language
from audioprobe.llm.base import CodeModel, Completion, LLMError, NoAnswer
from audioprobe.outcomes import Outcome
from audioprobe.prompts import RenderedPrompt
from audioprobe.safetext import for_file
from audioprobe.sandbox.base import ExecResult, Limits
from audioprobe.sandbox.collect import safe_output
from audioprobe.store import RunStore, TrialKey
from audioprobe.tiers import Item, Tier
from audioprobe.treewalk import remove_tree
from audioprobe.trial_record import AudioFacts, Execution, Response, TrialResult

OUTPUT_NAME = "output.wav"
HARNESS_ERROR_FILE = "harness_error.txt"
_TEXT_CAP = 1 << 20


@dataclass
class TrialContext:
    store: RunStore
    backend: ScriptRunner | None  # where the sandbox runs happen (executors/)
    limits: Limits
    llm_slots: dict[str, asyncio.Semaphore]
    exec_slots: asyncio.Semaphore
    base_seed: int


def _base_record(key: TrialKey, item: Item, seed: int, language: str | None = None) -> TrialResult:
    """A trial's record before its outcome; `language` is None for a baseline (no code)."""
    return TrialResult(
        language=language,
        trial_id=key.trial_id,
        model=key.model,
        model_kind=key.model_kind,
        tier=key.tier,
        item=key.item,
        sample=key.sample,
        seed=seed,
        class_key=item.class_key,
        target_duration_s=item.duration_s,
        status=Outcome.PENDING,
        error=None,
        wav=None,
        audio=None,
        started=time.time(),
    )


def trial_seed(base_seed: int, key: TrialKey) -> int:
    """A per-sample seed that is stable across runs and differs between samples of an item."""
    digest = hashlib.sha256(f"{base_seed}:{key.tier}:{key.item}:{key.sample}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


class Prompt(Protocol):
    """What a stage sends: one prompt, or a feedback conversation (feedback.message)."""

    def messages(self) -> list[dict[str, str]]: ...

    def as_text(self) -> str: ...


async def _answer(
    ctx: TrialContext, key: TrialKey, folder: Path, model: CodeModel, prompt: Prompt, seed: int
) -> Completion:
    """The model's answer, read back from the stage folder when an earlier attempt got it."""
    saved = saved_answer(folder)
    if saved is not None:
        return saved
    async with ctx.llm_slots[key.model]:
        completion = await model.complete(
            prompt.messages(), item_id=key.item, sample=key.sample, seed=seed
        )
    atomic.write_text(folder / "response.txt", completion.text)
    atomic.write_json(folder / "response.json", completion.to_dict())
    return completion


def saved_answer(folder: Path) -> Completion | None:
    """An earlier attempt's answer in `folder`; a damaged or foreign file is asked again."""
    try:
        completion = Completion.from_dict(json.loads((folder / "response.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if not isinstance(completion.text, str):
        return None
    completion.cached = True
    return completion


def _response_summary(c: Completion) -> Response:
    return Response(
        model=c.model,
        finish_reason=c.finish_reason,
        prompt_tokens=c.prompt_tokens,
        completion_tokens=c.completion_tokens,
        latency_s=c.latency_s,
        attempts=c.attempts,
        cached=c.cached,
        request_hash=c.request_hash,
    )


def _fresh_workdir(folder: Path, script: str) -> Path:
    work = folder / "work"
    remove_tree(work)
    work.mkdir(parents=True)
    (work / "script.py").write_bytes(for_file(script))
    return work


def _cap(text: str) -> str:
    return text if len(text) <= _TEXT_CAP else text[:_TEXT_CAP] + "\n[... cut by audioprobe]\n"


async def _execute(ctx: TrialContext, folder: Path, script: str) -> tuple[ExecResult, Path]:
    assert ctx.backend is not None
    work = _fresh_workdir(folder, script)
    async with ctx.exec_slots:
        result = await ctx.backend.run(work / "script.py", work, ctx.limits)
    atomic.write_text(folder / "stdout.txt", _cap(result.stdout))
    atomic.write_text(folder / "stderr.txt", _cap(result.stderr))
    return result, work


def _exec_error(result: ExecResult) -> str:
    tail = result.stderr.strip().splitlines()[-12:]
    text = "\n".join(tail) if tail else f"exit code {result.exit_code}"
    return f"{result.reason}\n{text}".strip() if result.reason else text


def _collect_audio(
    record: TrialResult, folder: Path, work: Path, limits: Limits, run_root: Path
) -> None:
    found, why = safe_output(work, OUTPUT_NAME, limits.file_size_mb * 1024 * 1024)
    if found is None:
        _end(record, Outcome.NO_OUTPUT, why or f"the script wrote no {OUTPUT_NAME}")
        return
    final = folder / OUTPUT_NAME
    shutil.copyfile(found, final)
    _judge_audio(record, final, run_root)


def _end(record: TrialResult, status: Outcome, error: str | None) -> None:
    """Set the stage's outcome and its error text together (None for `ok`)."""
    record.status = status
    record.error = error


def _judge_audio(record: TrialResult, wav: Path, run_root: Path) -> None:
    """The one audio verdict for code and baselines alike: `ok` or `invalid_audio`, with facts."""
    verdict = inspect_wav(wav, max_duration_s(record.target_duration_s))
    record.audio = AudioFacts.model_validate(verdict.info.to_dict()) if verdict.info else None
    if verdict.problem or verdict.info is None:
        _end(record, Outcome.INVALID_AUDIO, verdict.problem)
        return
    record.wav = str(wav.relative_to(run_root))
    record.duration_error_s = verdict.info.duration_s - (record.target_duration_s or 0.0)
    _end(record, Outcome.OK, None)


async def run_code_trial(
    ctx: TrialContext,
    key: TrialKey,
    model: CodeModel,
    tier: Tier,
    item: Item,
    prompt: RenderedPrompt,
    language: Language | None = None,
) -> TrialResult:
    """A single-round trial: its stage's files lie in the trial folder itself."""
    folder = ctx.store.trial_dir(key)
    record = await run_code_stage(
        ctx, key, folder, model, item, prompt, tier=tier, language=language
    )
    return finish_trial(ctx, key, record)


async def run_code_stage(
    ctx: TrialContext,
    key: TrialKey,
    folder: Path,
    model: CodeModel,
    item: Item,
    prompt: Prompt,
    *,
    tier: Tier | None = None,
    language: Language | None = None,
) -> TrialResult:
    """Prompt → answer → code → sandbox run → checked WAV, in `folder`; the stage's record
    (not yet saved: a trial with feedback rounds runs several stages before it finishes).

    `language` (default Python) decides how the code is found, checked and run; `tier` is
    needed by every language but Python (the sample rate its renderer is given)."""
    language = language or get_language(DEFAULT_LANGUAGE)
    folder.mkdir(parents=True, exist_ok=True)
    seed = trial_seed(ctx.base_seed, key)
    record = _base_record(key, item, seed, language.name)
    atomic.write_text(folder / "prompt.txt", prompt.as_text())
    record.prompt_sha256 = sha256_text(prompt.as_text())
    try:
        completion = await _answer(ctx, key, folder, model, prompt, seed)
    except LLMError as exc:
        _end(record, Outcome.LLM_ERROR, str(exc))
        return record
    except NoAnswer as exc:  # the model's own outcome: it has nothing to say to this prompt
        _end(record, Outcome.NO_CODE, str(exc))
        return record
    record.response = _response_summary(completion)

    extraction = language.extract(completion.text)
    record.extraction = extraction.method
    truncated = completion.finish_reason == "length"
    if extraction.code is None:
        why = f"the answer contains no {language.title} code"
        if truncated:  # the model's own doing: it spent max_tokens before writing any code
            why += " (truncated at max_tokens)"
        _end(record, Outcome.NO_CODE, why)
        return record
    atomic.write_text(folder / language.source_name, extraction.code)
    record.script_sha256 = sha256_text(extraction.code)
    problem = language.syntax_error(extraction.code)
    if problem:
        _syntax_error(record, problem, truncated)
        return record

    (folder / OUTPUT_NAME).unlink(missing_ok=True)  # an earlier attempt's clip is not this one's
    program = language.program(extraction.code, tier, item)
    result, work = await _execute(ctx, folder, program)
    record.execution = Execution.model_validate(
        {k: v for k, v in result.to_dict().items() if k not in ("stdout", "stderr")}
    )
    try:
        if result.status == "ok":
            _collect_audio(record, folder, work, ctx.limits, ctx.store.root)
            return record
        verdict = language.verdict(result)
        if verdict.status == Outcome.SYNTAX_ERROR:
            _syntax_error(record, verdict.error or "syntax error", truncated)
        else:
            _end(record, verdict.status, verdict.error or _exec_error(result))
    finally:
        remove_tree(work)
    return record


def _syntax_error(record: TrialResult, problem: str, truncated: bool) -> None:
    if truncated:
        problem += " (the answer was truncated at max_tokens)"
    _end(record, Outcome.SYNTAX_ERROR, problem)


def finish_trial(ctx: TrialContext, key: TrialKey, record: TrialResult) -> TrialResult:
    record.finished = time.time()
    ctx.store.save_trial(key, record)
    return record


async def run_audio_trial(
    ctx: TrialContext, key: TrialKey, generator: AudioGenerator, tier: Tier, item: Item
) -> TrialResult:
    """A baseline's trial: the generator writes the WAV itself; the same checks then apply."""
    folder = ctx.store.trial_dir(key)
    folder.mkdir(parents=True, exist_ok=True)
    seed = trial_seed(ctx.base_seed, key)
    record = _base_record(key, item, seed)
    record.generator = generator.describe()
    out = folder / OUTPUT_NAME
    out.unlink(missing_ok=True)
    try:
        async with ctx.llm_slots[key.model]:
            params = await asyncio.to_thread(generator.generate, tier, item, seed, out)
    except Unavailable as exc:
        _end(record, Outcome.UNAVAILABLE, str(exc))
        return finish_trial(ctx, key, record)
    except Exception as exc:  # a generator's own failure is this trial's outcome, not the run's
        _end(record, Outcome.RUNTIME_ERROR, f"{type(exc).__name__}: {exc}")
        atomic.write_text(folder / "stderr.txt", traceback.format_exc())
        return finish_trial(ctx, key, record)
    record.generator_params = params
    if not out.is_file():
        _end(record, Outcome.NO_OUTPUT, f"the generator wrote no {OUTPUT_NAME}")
        return finish_trial(ctx, key, record)
    _judge_audio(record, out, ctx.store.root)
    return finish_trial(ctx, key, record)


async def isolated(
    ctx: TrialContext, key: TrialKey, item: Item, work: Awaitable[TrialResult]
) -> TrialResult:
    """Run one trial so that no fault of the harness while processing it can stop the run.

    Any exception becomes this trial's `sandbox_error`, with the traceback in harness_error.txt
    (retried by `resume`). A full disk is the exception: every later trial would fail the same
    way, so it stops the run with one line.
    """
    (ctx.store.trial_dir(key) / HARNESS_ERROR_FILE).unlink(missing_ok=True)  # from a retried try
    try:
        return await work
    except Exception as exc:
        if is_disk_full(exc):
            raise DiskFull(
                f"disk full ({exc}); free space, then: audioprobe resume {ctx.store.root}"
            ) from exc
        folder = ctx.store.trial_dir(key)
        folder.mkdir(parents=True, exist_ok=True)
        atomic.write_text(folder / HARNESS_ERROR_FILE, traceback.format_exc())
        record = _base_record(key, item, trial_seed(ctx.base_seed, key))
        _end(
            record,
            Outcome.SANDBOX_ERROR,
            f"harness error: {type(exc).__name__}: {exc} (traceback in harness_error.txt)",
        )
        return finish_trial(ctx, key, record)
