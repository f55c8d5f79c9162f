"""Fréchet audio distance of each system's set to the tier's reference set, per embedding,
with a bootstrap interval, and FAD∞ (the extrapolation to an infinite set) beside it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from audioprobe.results.records import SetValue, Status
from audioprobe.scoring import sets
from audioprobe.scoring.context import ScoreContext, SetGroup
from audioprobe.scoring.contract import Column, SetMetric
from audioprobe.scoring.fad import checked_frechet_distance, frechet_distance
from audioprobe.scoring.intervals import bootstrap_interval, fad_infinity


class Infinity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_clips: int = Field(10, ge=3, description="FAD∞ needs at least this many generated clips")
    steps: int = Field(10, ge=2)
    min_fraction: float = Field(0.25, gt=0, lt=1)
    repeats: int = Field(3, ge=1)
    seed: int = 0


class FadSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sqrt_check_rtol: float = Field(1e-3, gt=0)
    infinity: Infinity = Field(default_factory=Infinity)


class Fad(SetMetric):
    name = "fad"
    neural = True
    version = 1
    rank = 60
    description = "set distance to the tier's reference set, per embedding (FAD∞ beside it)"
    Settings = FadSettings
    columns = (
        Column("fad", label="FAD", direction="lower", range=(0.0, None), quality=True),
        Column("fad_inf", label="FAD∞", direction="lower", quality=True),
    )

    def compute(self, ctx: ScoreContext, group: SetGroup) -> list[SetValue]:
        settings = ctx.metric_settings(self.name, FadSettings)
        out: list[SetValue] = []
        for emb in ctx.cfg.tier(group.tier).embeddings:
            ctx.progress(f"{group.model}/{group.tier}: {self.name} with {emb}")
            card = ctx.make_card(
                self,
                **sets.common_card(ctx, group.tier, emb),
                settings=settings.model_dump(),
                sqrt="svd of F_a F_b^T, checked by eigvals(S_a S_b)",
            )
            digest = ctx.use_card(card, self.name, emb, group.tier)
            why = sets.unavailable(ctx, group.tier, emb)
            if why:
                out += [
                    group.value(
                        self.name,
                        c.name,
                        digest,
                        embedding=emb,
                        status=Status.UNAVAILABLE,
                        reason=why,
                    )
                    for c in self.columns
                ]
                continue
            for sub in sets.subsets(ctx, group, emb):
                out += self._subset(ctx, group, settings, sub, emb, digest)
        return out

    def _subset(
        self,
        ctx: ScoreContext,
        group: SetGroup,
        settings: FadSettings,
        sub: sets.Subset,
        emb: str,
        digest: str,
    ) -> list[SetValue]:
        def value(column: str, **fields) -> SetValue:
            return group.value(
                self.name,
                column,
                digest,
                embedding=emb,
                class_key=sub.class_key,
                **sub.counts,
                **fields,
            )

        inf = settings.infinity
        if sub.short:
            return [value(c.name, status=Status.TOO_FEW, reason=sub.short) for c in self.columns]
        b = ctx.cfg.bootstrap
        key = (group.model, group.tier, sub.class_key, emb)
        fv = checked_frechet_distance(sub.gen, sub.ref, settings.sqrt_check_rtol)
        extra: dict[str, Any] = {
            "flags": sub.flags,
            "warnings": fv.warnings,
            "sqrt_check": fv.check.__dict__,
        }
        interval = {}
        if b.n > 0:
            iv = bootstrap_interval(
                frechet_distance,
                fv.value,
                sub.gen,
                sub.ref,
                n_boot=b.n,
                seed=b.seed,
                key=key,
                confidence=b.confidence,
                bounds=self.columns[0].range,
            )
            interval = {"ci_low": iv.low, "ci_high": iv.high}
            extra["se"] = iv.se
        out = [value("fad", value=fv.value, extra=extra, **interval)]
        n_gen = len(sub.members)
        if n_gen < inf.min_clips:
            why = f"{n_gen} generated clips < {inf.min_clips} (fad.infinity.min_clips)"
            out.append(value("fad_inf", status=Status.TOO_FEW, reason=why))
            return out
        res = fad_infinity(
            sub.gen,
            sub.ref,
            steps=inf.steps,
            min_fraction=inf.min_fraction,
            repeats=inf.repeats,
            seed=inf.seed,
            key=key,
        )
        extra = {"flags": sub.flags, "slope": res.slope, "r2": res.r2, "points": res.points}
        out.append(value("fad_inf", value=res.value, extra=extra))
        return out


METRIC = Fad()
