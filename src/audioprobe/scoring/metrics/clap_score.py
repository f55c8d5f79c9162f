"""CLAP score: cosine of a clip's CLAP audio embedding with its item's caption, in the CLAP
model the tier names ([tiers.<tier>].clap). Computed by scoring/clap_text.py."""

from __future__ import annotations

import numpy as np

from audioprobe.scoring.clap_text import caption_cosines
from audioprobe.scoring.context import ClipInput, Member, ScoreContext
from audioprobe.scoring.contract import ClipMetric, Column, Measured, Setup


class ClapScore(ClipMetric):
    name = "clap_score"
    neural = True
    version = 1
    rank = 40
    description = "cosine of the clip's CLAP audio embedding with its item's caption"
    columns = (
        Column("clap_score", label="CLAP", direction="higher", range=(-1.0, 1.0), quality=True),
    )

    def setup(self, ctx: ScoreContext, tier: str) -> Setup:
        clap = ctx.cfg.tier(tier).clap
        if not clap:
            return Setup(card={}, unavailable=f"no CLAP model is named for tier {tier}")
        emb, reason = ctx.embedding(clap)
        card = {
            "embedding": ctx.embedding_card(clap),
            "text": "the item's caption",
            "similarity": "cosine",
        }
        return Setup(card=card, model=emb, unavailable=reason or None, embedding=clap)

    def measure(self, ctx: ScoreContext, setup: Setup, clip: ClipInput) -> Measured:
        emb = setup.model
        audio = ctx.embed_members(emb, [Member(clip.trial, clip.item, True)])
        text = np.asarray(emb.embed_text([clip.item.caption]))
        return {"clap_score": float(caption_cosines(audio, text)[0])}


METRIC = ClapScore()
