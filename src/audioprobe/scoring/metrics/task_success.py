"""Task success: the share of the trials a model answered whose clip does what the item asked,
by a criterion declared per tier. A rate in [0, 1] with the same meaning in every tier, so it
can be compared across tiers (raw FAD cannot: each tier has its own reference set and
embedding; see docs/science.md).

- notes: the clip rendered and is in tune (the pitch metric's |pitch-class error| <= its
  declared tolerance);
- environmental: the clip rendered and its class is recognised: the majority class of its k
  nearest reference clips (cosine, in the tier's first available embedding, among every class
  of the reference set) is the item's class, and, where the tier's CLAP model has weights, CLAP
  zero-shot among the same classes agrees;
- speech: the clip rendered and its WER is at most the declared threshold.

A trial the model answered that did not render counts as a failure (the render rate's
denominator); infrastructure failures are not the model's and are left out. The interval is a
percentile bootstrap over items (samples within items), inside [0, 1].
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from audioprobe.outcomes import is_model_outcome
from audioprobe.results.records import SetValue, Status
from audioprobe.results.tables import clip_column
from audioprobe.scoring.context import ScoreContext, SetGroup, is_readable, is_rendered
from audioprobe.scoring.intervals import summarise_clips
from audioprobe.scoring.metrics.pitch import METRIC as PITCH
from audioprobe.scoring.metrics.wer import METRIC as WER
from audioprobe.scoring.registry import Column, SetMetric

UNIT = (0.0, 1.0)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    wer_threshold: float = Field(0.25, ge=0, description="speech: WER at most this is a success")
    knn_k: int = Field(5, ge=1, description="environmental: neighbours that vote on the class")


CRITERIA = {
    "notes": "rendered and in tune (pitch: |pitch-class error| <= pitch.in_tune_cents)",
    "environmental": "rendered and its class recognised: k-nearest reference clips' majority"
    " class (cosine, tier's first available embedding, all reference classes), and CLAP"
    " zero-shot among the same classes where the tier's CLAP model has weights",
    "speech": "rendered and WER <= wer_threshold",
}


class TaskSuccess(SetMetric):
    name = "task_success"
    version = 1
    rank = 1
    comparable = True
    tiers = tuple(CRITERIA)
    description = "share of answered trials whose clip does what was asked (per-tier criterion)"
    Settings = Settings
    columns = (
        Column(
            "task_success",
            label="task success",
            direction="higher",
            range=UNIT,
            quality=True,
        ),
    )

    def compute(self, ctx: ScoreContext, group: SetGroup) -> list[SetValue]:
        settings = ctx.metric_settings(self.name, Settings)
        how = _TIER[group.tier]
        found, card_fields = how(ctx, group, settings)
        card = ctx.use_card(
            ctx.make_card(
                self,
                criterion=CRITERIA[group.tier],
                settings=settings.model_dump(),
                interval="percentile bootstrap over items, 2000 resamples",
                **card_fields,
            ),
            self.name,
            "",
            group.tier,
        )
        if isinstance(found, str):
            return [
                group.value(self.name, self.name, card, status=Status.UNAVAILABLE, reason=found)
            ]
        answered = [t for t in group.trials if is_model_outcome(t.status)]
        if not answered:
            why = "no trial the model answered"
            return [group.value(self.name, self.name, card, status=Status.TOO_FEW, reason=why)]
        outcomes = {t.trial_id: float(found.get(t.trial_id, False)) for t in answered}
        s = summarise_clips(
            list(outcomes.values()),
            [t.item for t in answered],
            statistic="rate",
            bounds=UNIT,
            key=(group.model, group.tier, self.name),
        )
        extra = {"outcomes": outcomes, "criterion": CRITERIA[group.tier]}
        return [
            group.value(
                self.name,
                self.name,
                card,
                value=s.value,
                ci_low=s.low,
                ci_high=s.high,
                n_generated=len(answered),
                extra=extra,
            )
        ]


Found = dict[str, bool] | str  # trial id -> success, or why it cannot be judged


def _rendered(group: SetGroup) -> list[Any]:
    return [t for t in group.trials if is_rendered(t) and is_readable(t)]


def _from_clip_column(
    ctx: ScoreContext, group: SetGroup, metric: str, column: str, ok: Any
) -> tuple[Found, dict]:
    digest = ctx.clip_card(metric, group.tier)
    if digest is None:
        return (
            f"needs the {metric} metric scored for this tier (score -m {metric},task_success)",
            {},
        )
    values = clip_column(ctx.run.store, digest, column)
    rendered = _rendered(group)
    if rendered and all(values.get(t.trial_id) is None for t in rendered):
        return f"no clip has a {column} value (see the {metric} column's reason)", {}
    found = {
        t.trial_id: values.get(t.trial_id) is not None and ok(values[t.trial_id]) for t in rendered
    }
    return found, {"from": {"metric": metric, "column": column, "card": digest}}


def _notes(ctx: ScoreContext, group: SetGroup, settings: Settings) -> tuple[Found, dict]:
    return _from_clip_column(ctx, group, PITCH.name, "in_tune", lambda v: v >= 1.0)


def _speech(ctx: ScoreContext, group: SetGroup, settings: Settings) -> tuple[Found, dict]:
    # the WER column is named after its metric
    return _from_clip_column(
        ctx, group, WER.name, WER.name, lambda v: v <= settings.wer_threshold + 1e-12
    )


def _environmental(ctx: ScoreContext, group: SetGroup, settings: Settings) -> tuple[Found, dict]:
    from audioprobe.scoring.context import Member

    tier = ctx.cfg.tier(group.tier)
    emb = next((e for e in tier.embeddings if ctx.embedding(e)[0] is not None), None)
    refs, ref_why = ctx.reference_set(group.tier)
    if emb is None or refs is None:
        return ref_why or f"none of the tier's embeddings is available ({tier.embeddings})", {}
    model, _ = ctx.embedding(emb)
    clips = _all_class_clips(refs, ctx.cfg.sets.max_ref_clips_per_class)
    classes = sorted({c.class_key for c in clips})
    fields: dict[str, Any] = {"embedding": ctx.embedding_card(emb, group.tier), "classes": classes}
    if len(classes) < 2:
        return f"the reference set has {len(classes)} class; recognition needs 2 or more", fields
    items = {(t.tier, i.id): i for t in group.trials for i in ctx.run.items(t.tier)}
    members = [Member(t, items[(t.tier, t.item)], True) for t in _rendered(group)]
    if not members:
        return {}, fields
    gen = ctx.embed_members(model, members, group.tier)
    ref = ctx.embed_references(model, clips, group.tier)
    labels = [c.class_key for c in clips]
    predicted = knn_classes(gen, ref, labels, settings.knn_k)
    found = {
        m.trial.trial_id: p == m.item.class_key for m, p in zip(members, predicted, strict=True)
    }
    clap_name = tier.clap
    clap, _ = ctx.embedding(clap_name) if clap_name else (None, "")
    if clap is not None:
        from audioprobe.scoring.clap_text import class_prompts, classify

        audio = ctx.embed_members(clap, members)
        prompts = np.asarray(clap.embed_text(class_prompts(classes)))
        known = [m.item.class_key if m.item.class_key in classes else classes[0] for m in members]
        zero_shot, _ = classify(audio, prompts, known, classes)
        for m, p in zip(members, zero_shot, strict=True):
            found[m.trial.trial_id] = found[m.trial.trial_id] and p == m.item.class_key
        fields["clap"] = ctx.embedding_card(clap_name)
    else:
        fields["clap"] = "no CLAP weights here: kNN alone"
    return found, fields


def _all_class_clips(refs: Any, cap: int) -> list[Any]:
    by_class: dict[str, list[Any]] = defaultdict(list)
    for clip in refs.clips():
        by_class[clip.class_key].append(clip)
    return [c for k in sorted(by_class) for c in sorted(by_class[k], key=lambda c: c.sha256)[:cap]]


def knn_classes(gen: np.ndarray, ref: np.ndarray, labels: list[str], k: int) -> list[str]:
    """The majority class of each generated row's k nearest reference rows (cosine); a tie goes
    to the tied class whose nearest member is closest."""
    a = gen / np.maximum(np.linalg.norm(gen, axis=1, keepdims=True), 1e-12)
    b = ref / np.maximum(np.linalg.norm(ref, axis=1, keepdims=True), 1e-12)
    order = np.argsort(-(a @ b.T), axis=1, kind="stable")[:, : min(k, len(labels))]
    out = []
    for row in order:
        votes = Counter(labels[j] for j in row)
        top = max(votes.values())
        out.append(next(labels[j] for j in row if votes[labels[j]] == top))
    return out


_TIER = {"notes": _notes, "environmental": _environmental, "speech": _speech}

METRIC = TaskSuccess()
