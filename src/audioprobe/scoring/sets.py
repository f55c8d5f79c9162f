"""What the set metrics that compare against a reference set share: embedding a system's set
and the reference clips once per embedding, the tier and per-class subsets, the size rules,
the flags shown beside a value, and the part of the card that records all of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from audioprobe.scoring.context import Member, ScoreContext, SetGroup


@dataclass(frozen=True)
class Subset:
    """The generated and reference embeddings of a tier ("" class) or one reference class."""

    class_key: str
    members: list[Member]
    gen: np.ndarray
    ref: np.ndarray
    short: str | None  # why the set is too small for a value, if it is
    flags: list[str]

    @property
    def counts(self) -> dict[str, Any]:
        """The clip counts, as keyword arguments of `SetGroup.value`."""
        return {"n_generated": len(self.members), "n_reference": len(self.ref)}


def common_card(ctx: ScoreContext, tier: str, embedding: str) -> dict:
    return {
        "embedding": ctx.embedding_card(embedding, tier),
        "reference_set": ctx.reference_identity(tier),
        "failed_renders": ctx.cfg.failed_renders,
        "sets": ctx.cfg.sets.model_dump(),
        "bootstrap": ctx.cfg.bootstrap.model_dump()
        | {"method": "normal, SE of resamples of both sets, clipped to the column's range"},
    }


def unavailable(ctx: ScoreContext, tier: str, embedding: str) -> str | None:
    """Why a distance in `embedding` cannot be had for `tier`, or None."""
    _, why = ctx.embedding(embedding)
    _, ref_why = ctx.reference_set(tier)
    return why or ref_why or None


def subsets(ctx: ScoreContext, group: SetGroup, embedding: str) -> list[Subset]:
    """The whole tier, then each class of the run (when [sets].per_class); the group's members
    leave out items whose class has no reference clips, and the tier's value says so."""
    emb, _ = ctx.embedding(embedding)
    clips = ctx.reference_clips(group.tier)
    members = group.members
    gen = ctx.embed_members(emb, members, group.tier) if members else np.zeros((0, 1))
    ref = ctx.embed_references(emb, clips, group.tier)
    excluded = group.exclusion_flags()
    out = [_subset(ctx, "", members, gen, ref, excluded)]
    if ctx.cfg.sets.per_class:
        ref_classes = np.array([c.class_key for c in clips])
        for cls in sorted({m.item.class_key for m in members}):
            idx = [i for i, m in enumerate(members) if m.item.class_key == cls]
            out.append(
                _subset(ctx, cls, [members[i] for i in idx], gen[idx], ref[ref_classes == cls], [])
            )
    return out


def _subset(
    ctx: ScoreContext,
    cls: str,
    members: list[Member],
    gen: np.ndarray,
    ref: np.ndarray,
    flags: list[str],
) -> Subset:
    s = ctx.cfg.sets
    n_gen, n_ref = len(members), len(ref)
    short = None
    if n_gen < s.min_clips:
        short = f"{n_gen} generated clips < {s.min_clips} (sets.min_clips)"
    elif n_ref < s.min_ref_clips:
        short = f"{n_ref} reference clips < {s.min_ref_clips} (sets.min_ref_clips)"
    flags = [*flags, "small set"] if n_gen < s.small_set else list(flags)
    silent = sum(not m.rendered for m in members)
    if ctx.cfg.failed_renders == "silence" and silent:
        flags.append(f"{silent} silent stand-ins")
    return Subset(cls, members, gen, ref, short, flags)
