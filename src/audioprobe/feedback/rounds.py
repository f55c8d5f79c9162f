"""The round loop of a trial with feedback.

Each round is a full trial stage in its own folder under the trial (round-0, round-1, ...):
prompt (the whole conversation so far), answer, script, outputs, and round.json, its record with
the audio analysis and the task check. A round's record is written only once it is complete, and
a complete round is read back, never redone, so a run killed between (or inside) rounds resumes
without asking the model again: a round cut short keeps its saved answer (response.json), and the
answer cache is keyed by the conversation. The trial's own trial.json, written when the loop
stops, is its final round's record with the rounds' outcomes listed beside it, so scoring, export
and the report see the final round as the trial's result.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from audioprobe import atomic
from audioprobe.feedback.analysis import AudioAnalysis, analyse
from audioprobe.feedback.message import Conversation, feedback_text
from audioprobe.feedback.success import Facts, SuccessSettings, TaskSuccess, judge
from audioprobe.llm.base import CodeModel
from audioprobe.outcomes import is_model_outcome
from audioprobe.prompts import RenderedPrompt
from audioprobe.spec import FeedbackSpec
from audioprobe.store import TrialKey
from audioprobe.tier_kinds import kind_of
from audioprobe.tiers import Item, Tier
from audioprobe.trial import OUTPUT_NAME, TrialContext, finish_trial, run_code_stage, saved_answer
from audioprobe.trial_record import (
    ROUND_FILE,
    Analysis,
    FeedbackInfo,
    RoundSummary,
    TrialResult,
    round_dir_name,
)


def finished_round(stage: Path) -> TrialResult | None:
    """A round's record when the round is complete (its outcome the model's), else None."""
    try:
        record = TrialResult.read(json.loads((stage / ROUND_FILE).read_text()))
    except (OSError, ValueError, TypeError):  # absent, not JSON, or not a record
        return None
    return record if is_model_outcome(record.status) else None


async def _judge(
    ctx: TrialContext,
    record: TrialResult,
    stage: Path,
    tier: Tier,
    item: Item,
    rules: SuccessSettings,
) -> None:
    """Measure the round's clip (a silent or otherwise invalid one too) and check the task."""
    wav = stage / OUTPUT_NAME
    analysis: AudioAnalysis | None = None
    if wav.is_file():
        async with ctx.exec_slots:
            analysis = await asyncio.to_thread(analyse, wav, tier.name, item)
        record.analysis = Analysis.model_validate(analysis.to_dict())
    facts = (analysis or AudioAnalysis()).facts(record.status, tier.sample_rate)
    if kind_of(tier.name).rule_needs_references and facts.recognised is None:
        why = "recognising the class needs the scoring embeddings: `audioprobe score` decides"
        facts = Facts(**{**facts.__dict__, "missing": why})
    verdict = judge(tier.name, facts, rules)
    record.round_success = verdict.value
    record.round_success_reason = verdict.reason


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


async def run_feedback_trial(
    ctx: TrialContext,
    key: TrialKey,
    model: CodeModel,
    tier: Tier,
    item: Item,
    prompt: RenderedPrompt,
    feedback: FeedbackSpec,
    rules: SuccessSettings,
) -> TrialResult:
    folder = ctx.store.trial_dir(key)
    conversation = Conversation(tuple(prompt.messages()))
    summaries: list[RoundSummary] = []
    stopped = "rounds"
    for number in range(feedback.rounds):
        stage = folder / round_dir_name(number)
        record = finished_round(stage)
        if record is None:
            record = await run_code_stage(ctx, key, stage, model, item, conversation)
            record.round = number
            if not is_model_outcome(record.status):
                stopped = "infrastructure"  # resume runs this round again; earlier ones stay
                summaries.append(record.summary())
                break
            await _judge(ctx, record, stage, tier, item, rules)
            atomic.write_json(stage / ROUND_FILE, record.stored())
        summaries.append(record.summary())
        if feedback.stop_on_success and record.round_success is True:
            stopped = "success"
            break
        if number + 1 == feedback.rounds:
            break
        answer = saved_answer(stage)
        measured = record.analysis
        turn = feedback_text(
            feedback.template,
            tier,
            item,
            round_=number,
            rounds=feedback.rounds,
            status=record.status,
            error=record.error,
            stderr=_read(stage / "stderr.txt"),
            stderr_lines=feedback.stderr_lines,
            analysis=AudioAnalysis.from_dict(measured.stored()) if measured else None,
            success=TaskSuccess(record.round_success, record.round_success_reason or ""),
            rules=rules,
        )
        conversation = conversation.then(answer.text if answer else "", turn)
    assert record is not None, "feedback.rounds >= 1: the loop ran a round"
    final = record.model_copy(deep=True)
    final.rounds = summaries
    final.stage_dir = str(stage.relative_to(ctx.store.root))
    final.feedback = FeedbackInfo(rounds=feedback.rounds, stopped=stopped)
    return finish_trial(ctx, key, final)
