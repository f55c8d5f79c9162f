"""Task success: the share of the trials a model answered whose clip does what the item asked.

The rule is feedback/success.py's `judge`, the one every view and the feedback loop use; this
metric gathers each trial's facts (the pitch metric's f0 and cents error, the environmental
clip's nearest reference classes, the WER metric's value, the clip's contract deviations) and
records every trial's verdict, its reason and its facts in the set value (`extra["trials"]`),
so the trials export and every view read the same verdict the rate counts.

A rate in [0, 1] with the same meaning in every tier, so it can be compared across tiers (raw
FAD cannot: each tier has its own reference set and embedding; see docs/science.md). A trial the
model answered that did not render counts as a failure (the render rate's denominator);
infrastructure failures are not the model's and are left out; an unknown verdict (a measurement
unavailable) is left out and counted. Environmental items whose class has no reference clips can
never be recognised: they are out of the rate, and the value names them. The interval is a
percentile bootstrap over items (samples within items), inside [0, 1].
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import numpy as np

from audioprobe.feedback.success import (
    Facts,
    SuccessSettings,
    contract_deviations,
    judge,
    octaves_of,
)
from audioprobe.outcomes import is_model_outcome
from audioprobe.registry import PLUGINS_ENV
from audioprobe.results.records import SetValue, Status
from audioprobe.results.tables import clip_column
from audioprobe.results.verdicts import TASK_SUCCESS
from audioprobe.scoring.context import Member, ScoreContext, SetGroup, is_readable, is_rendered
from audioprobe.scoring.contract import Column, SetMetric
from audioprobe.scoring.intervals import summarise_clips
from audioprobe.scoring.metrics.pitch import METRIC as PITCH
from audioprobe.scoring.metrics.wer import METRIC as WER
from audioprobe.store import TrialRecord
from audioprobe.tier_kinds import kind_of, tier_kinds
from audioprobe.tiers import tier_files

UNIT = (0.0, 1.0)
#: Nearest reference classes kept as a trial's facts (the export's `task_success.neighbours`).
NEIGHBOURS_SHOWN = 5


class TaskSuccess(SetMetric):
    name = TASK_SUCCESS
    neural = True
    version = 2
    rank = 1
    comparable = True
    tiers = None  # every tier has a rule: its kind's (tier_kinds/)
    description = "share of answered trials whose clip does what was asked (per-tier criterion)"
    Settings = SuccessSettings
    columns = (
        Column(
            TASK_SUCCESS,
            label="task success",
            direction="higher",
            range=UNIT,
            quality=True,
        ),
    )

    def compute(self, ctx: ScoreContext, group: SetGroup) -> list[SetValue]:
        settings = ctx.metric_settings(self.name, SuccessSettings)
        kind = kind_of(group.tier)
        absent = _kind_absent(group.tier)
        facts, card_fields = (absent, {}) if absent else kind.facts(ctx, group, settings)
        card = ctx.use_card(
            ctx.make_card(
                self,
                criterion=kind.criterion,
                settings=settings.model_dump(),
                interval="percentile bootstrap over items, 2000 resamples",
                **card_fields,
            ),
            self.name,
            "",
            group.tier,
        )
        if isinstance(facts, str):
            return [
                group.value(self.name, self.name, card, status=Status.UNAVAILABLE, reason=facts)
            ]
        answered = [t for t in group.trials if is_model_outcome(t.status)]
        excluded = _excluded(ctx, group)
        trials: dict[str, dict[str, Any]] = {}
        for t in answered:
            if t.item in excluded:
                trials[t.trial_id] = {"success": None, "reason": excluded[t.item], "facts": {}}
                continue
            fact = facts.get(t.trial_id) or Facts(status=t.status)
            fact = _with_contract(ctx, t, fact)
            verdict = judge(group.tier, fact, settings)
            trials[t.trial_id] = {
                "success": verdict.value,
                "reason": verdict.reason,
                "facts": fact.to_dict(),
            }
        judged = {k: v for k, v in trials.items() if v["success"] is not None}
        extra: dict[str, Any] = {
            "trials": trials,
            "outcomes": {k: float(v["success"]) for k, v in judged.items()},
            "criterion": kind.criterion,
            "unknown": sorted(k for k, v in trials.items() if v["success"] is None),
        }
        if excluded:
            extra["excluded_items"] = sorted(excluded)
            extra["flags"] = group.exclusion_flags()
        unknown = [k for k in extra["unknown"] if trials[k]["facts"]]  # not the excluded ones
        if unknown:
            why = trials[unknown[0]]["reason"]
            extra["flags"] = [*extra.get("flags", []), f"{len(unknown)} without a verdict ({why})"]
        off = sorted(k for k, v in trials.items() if (v["facts"] or {}).get("deviations"))
        if off:
            extra["off_contract"] = off
            rule = "failed" if settings.contract == "fail" else "flagged, not failed"
            extra["flags"] = [
                *extra.get("flags", []),
                f"{len(off)} clip(s) off the prompt's rate/channels/duration ({rule})",
            ]
        if not judged:
            why = "no trial the model answered" if not answered else "no trial has a verdict"
            return [
                group.value(
                    self.name, self.name, card, status=Status.TOO_FEW, reason=why, extra=extra
                )
            ]
        item_of = {t.trial_id: t.item for t in answered}
        s = summarise_clips(
            [v["success"] * 1.0 for v in judged.values()],
            [item_of[k] for k in judged],
            statistic="rate",
            bounds=UNIT,
            key=(group.model, group.tier, self.name),
        )
        if s.note:
            extra["flags"] = [*extra.get("flags", []), s.note]
        return [
            group.value(
                self.name,
                self.name,
                card,
                value=s.value,
                ci_low=s.low,
                ci_high=s.high,
                n_generated=len(judged),
                extra=extra,
            )
        ]


Found = dict[str, Facts] | str  # trial id -> facts, or why no trial can be judged


def _kind_absent(tier: str) -> str | None:
    """Why `tier` cannot be judged here: a run of a plugin's tier scored without its plugin
    folder would otherwise be judged by the base rule (it rendered), not its own."""
    if tier in tier_kinds.names() or tier in tier_files():
        return None
    return (
        f"tier {tier!r} has no tier file or kind here; name its plugin folder in {PLUGINS_ENV}"
        " so that its own rule judges it"
    )


def _excluded(ctx: ScoreContext, group: SetGroup) -> dict[str, str]:
    """{item: why} of the items left out: those whose class has no reference clips, where the
    tier's rule needs one (environmental; notes and speech are judged without references)."""
    if not kind_of(group.tier).rule_needs_references:
        return {}
    classes = {i.id: i.class_key for i in ctx.run.items(group.tier)}
    return {
        item: f"excluded: the reference set has no clips of class {classes.get(item)}"
        for item in group.excluded
    }


def _with_contract(ctx: ScoreContext, trial: TrialRecord, facts: Facts) -> Facts:
    """The trial's facts with the prompt's contract checked (code trials: a baseline is asked
    for no sample rate or layout)."""
    if trial.record.generator:
        return facts
    info = ctx.run.tiers.get(trial.tier)
    deviations = contract_deviations(
        trial.record.audio.stored() if trial.record.audio else None,
        info.sample_rate if info else None,
        trial.record.target_duration_s,
    )
    return Facts(**{**facts.__dict__, "deviations": deviations}) if deviations else facts


def rendered(group: SetGroup) -> list[TrialRecord]:
    return [t for t in group.trials if is_rendered(t) and is_readable(t)]


def clip_values(
    ctx: ScoreContext, group: SetGroup, metric: str, columns: tuple[str, ...]
) -> tuple[dict[str, dict[str, float | None]] | str, dict]:
    digest = ctx.clip_card(metric, group.tier)
    if digest is None:
        return (
            f"needs the {metric} metric scored for this tier (score -m {metric},task_success)",
            {},
        )
    values = {c: clip_column(ctx.run.store, digest, c) for c in columns}
    return values, {"from": {"metric": metric, "columns": list(columns), "card": digest}}


def column_facts(
    ctx: ScoreContext, group: SetGroup, metric: str, column: str
) -> tuple[Found, dict]:
    """Each rendered clip's value of one clip metric's column, as `Facts.measured[column]`: the
    facts of a tier kind whose rule is a threshold on a clip metric (a plugin tier's rule)."""
    values, fields = clip_values(ctx, group, metric, (column,))
    if isinstance(values, str):
        return values, fields
    out = {}
    for t in rendered(group):
        value = values[column].get(t.trial_id)
        out[t.trial_id] = Facts(
            status=t.status,
            measured={column: value},
            missing=None if value is not None else f"no {column} for this clip",
        )
    return out, fields


def pitch_facts(ctx: ScoreContext, group: SetGroup) -> tuple[Found, dict]:
    """Each rendered clip's f0 and cents error from the pitch metric's stored clip values."""
    values, fields = clip_values(ctx, group, PITCH.name, ("f0_hz", "cents_error"))
    if isinstance(values, str):
        return values, fields
    out = {}
    for t in rendered(group):
        cents = values["cents_error"].get(t.trial_id)
        out[t.trial_id] = Facts(
            status=t.status,
            f0_hz=values["f0_hz"].get(t.trial_id),
            cents_error=cents,
            octaves=None if cents is None else octaves_of(cents),
            missing=None if cents is not None else "no pitch could be measured",
        )
    return out, fields


def wer_facts(ctx: ScoreContext, group: SetGroup) -> tuple[Found, dict]:
    """Each rendered clip's word error rate from the WER metric's stored clip values."""
    values, fields = clip_values(ctx, group, WER.name, (WER.name,))  # the column is the metric
    if isinstance(values, str):
        return values, fields
    clips = rendered(group)
    if clips and all(values[WER.name].get(t.trial_id) is None for t in clips):
        return f"no clip has a {WER.name} value (see the {WER.name} column's reason)", fields
    out = {}
    for t in clips:
        wer = values[WER.name].get(t.trial_id)
        out[t.trial_id] = Facts(
            status=t.status,
            word_error=wer,
            missing=None if wer is not None else "no WER for this clip",
        )
    return out, fields


def recognition_facts(
    ctx: ScoreContext, group: SetGroup, settings: SuccessSettings
) -> tuple[Found, dict]:
    """The class each rendered clip's `knn_k` nearest reference clips vote for."""
    tier = ctx.cfg.tier(group.tier)
    emb = next((e for e in tier.embeddings if ctx.embedding(e)[0] is not None), None)
    refs, ref_why = ctx.reference_set(group.tier)
    if emb is None or refs is None:
        return ref_why or f"none of the tier's embeddings is available ({tier.embeddings})", {}
    model, _ = ctx.embedding(emb)
    clips = _all_class_clips(refs, ctx.cfg.sets.max_ref_clips_per_class)
    classes = sorted({c.class_key for c in clips})
    # the card is the tier's, the same for every system's set (a card per group would retire
    # the others': one current card per metric and tier)
    fields: dict[str, Any] = {
        "embedding": ctx.embedding_card(emb, group.tier),
        "classes": classes,
        "clap": "kNN alone (CLAP zero-shot is its own metric, clap_zeroshot)",
    }
    if len(classes) < 2:
        return f"the reference set has {len(classes)} class; recognition needs 2 or more", fields
    items = {i.id: i for i in ctx.run.items(group.tier)}
    members = [Member(t, items[t.item], True) for t in rendered(group)]
    if not members:
        return {}, fields
    gen = ctx.embed_members(model, members, group.tier)
    ref = ctx.embed_references(model, clips, group.tier)
    labels = [c.class_key for c in clips]
    predicted, near = knn_vote(gen, ref, labels, settings.knn_k)
    out = {
        m.trial.trial_id: Facts(
            status=m.trial.status,
            recognised=p,
            target_class=m.item.class_key,
            neighbours=tuple(n[:NEIGHBOURS_SHOWN]),
        )
        for m, p, n in zip(members, predicted, near, strict=True)
    }
    return out, fields


def _all_class_clips(refs: Any, cap: int) -> list[Any]:
    by_class: dict[str, list[Any]] = defaultdict(list)
    for clip in refs.clips():
        by_class[clip.class_key].append(clip)
    return [c for k in sorted(by_class) for c in sorted(by_class[k], key=lambda c: c.sha256)[:cap]]


def knn_vote(
    gen: np.ndarray, ref: np.ndarray, labels: list[str], k: int
) -> tuple[list[str], list[list[str]]]:
    """The majority class of each generated row's k nearest reference rows (cosine; a tie goes
    to the tied class whose nearest member is closest), and those k rows' classes, nearest
    first."""
    a = gen / np.maximum(np.linalg.norm(gen, axis=1, keepdims=True), 1e-12)
    b = ref / np.maximum(np.linalg.norm(ref, axis=1, keepdims=True), 1e-12)
    order = np.argsort(-(a @ b.T), axis=1, kind="stable")[:, : min(k, len(labels))]
    winners, near = [], []
    for row in order:
        votes = Counter(labels[j] for j in row)
        top = max(votes.values())
        winners.append(next(labels[j] for j in row if votes[labels[j]] == top))
        near.append([labels[j] for j in row])
    return winners, near


METRIC = TaskSuccess()
