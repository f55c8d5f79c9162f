"""CLAP zero-shot accuracy: the share of a system's clips whose nearest class prompt, among
the classes of the run's items, is their own class (scoring/clap_text.py). Environmental only."""

from __future__ import annotations

import numpy as np

from audioprobe.results.records import SetValue, Status
from audioprobe.scoring.clap_text import ZERO_SHOT_TEMPLATE, class_prompts, classify
from audioprobe.scoring.context import ScoreContext, SetGroup
from audioprobe.scoring.contract import Column, SetMetric


class ClapZeroShot(SetMetric):
    name = "clap_zeroshot"
    neural = True
    version = 2
    rank = 50
    tiers = ()  # the tiers whose kind lists it
    description = "CLAP zero-shot accuracy among the tier's classes (environmental)"
    columns = (
        Column(
            "clap_zeroshot",
            label="CLAP zero-shot",
            direction="higher",
            range=(0.0, 1.0),
            quality=True,
        ),
    )

    def compute(self, ctx: ScoreContext, group: SetGroup) -> list[SetValue]:
        clap = ctx.cfg.tier(group.tier).clap
        if not clap:
            return []
        classes = sorted(ctx.run.classes(group.tier))
        emb, why = ctx.embedding(clap)
        card = ctx.use_card(
            ctx.make_card(
                self,
                embedding=ctx.embedding_card(clap),
                classes=classes,
                prompts=ZERO_SHOT_TEMPLATE,
                failed_renders=ctx.cfg.failed_renders,
            ),
            self.name,
            clap,
            group.tier,
        )

        def value(**fields) -> list[SetValue]:
            return [group.value(self.name, self.name, card, embedding=clap, **fields)]

        if emb is None:
            return value(status=Status.UNAVAILABLE, reason=why)
        if len(classes) < 2:
            reason = f"{len(classes)} class in the run; needs 2 or more"
            return value(status=Status.TOO_FEW, reason=reason)
        members = group.members
        if not members:
            return value(status=Status.TOO_FEW, reason="no rendered clip", n_generated=0)
        audio = ctx.embed_members(emb, members)
        prompts = np.asarray(emb.embed_text(class_prompts(classes)))
        labels = [m.item.class_key for m in members]
        _, accuracy = classify(audio, prompts, labels, classes)
        extra = {"classes": len(classes), "chance": 1.0 / len(classes)}
        return value(value=accuracy, n_generated=len(members), extra=extra)


METRIC = ClapZeroShot()
