"""Kernel audio distance (MMD with a Gaussian kernel, bandwidth the median pairwise distance
of the reference set) of each system's set to the tier's reference set, per embedding."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from audioprobe.results.records import SetValue, Status
from audioprobe.scoring import sets
from audioprobe.scoring.context import ScoreContext, SetGroup
from audioprobe.scoring.contract import Column, SetMetric
from audioprobe.scoring.intervals import bootstrap_interval_on_indices
from audioprobe.scoring.kad import KernelMatrices, kernel_audio_distance, median_pairwise_distance


class KadSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kernel: Literal["gaussian"] = "gaussian"
    bandwidth: Literal["median-reference"] = "median-reference"
    scale: float = Field(100.0, gt=0)


class Kad(SetMetric):
    name = "kad"
    neural = True
    version = 1
    rank = 70
    description = "kernel (MMD) distance to the tier's reference set, per embedding"
    Settings = KadSettings
    # MMD² is never negative; its unbiased estimate can be, slightly, and is reported as
    # computed (the interval then reaches down to it; see intervals.clip_to_range).
    columns = (Column("kad", label="KAD", direction="lower", range=(0.0, None), quality=True),)

    def compute(self, ctx: ScoreContext, group: SetGroup) -> list[SetValue]:
        settings = ctx.metric_settings(self.name, KadSettings)
        out: list[SetValue] = []
        for emb in ctx.cfg.tier(group.tier).embeddings:
            card = ctx.make_card(
                self, **sets.common_card(ctx, group.tier, emb), **settings.model_dump()
            )
            digest = ctx.use_card(card, self.name, emb, group.tier)
            why = sets.unavailable(ctx, group.tier, emb)
            if why:
                out.append(
                    group.value(
                        self.name,
                        self.name,
                        digest,
                        embedding=emb,
                        status=Status.UNAVAILABLE,
                        reason=why,
                    )
                )
                continue
            for sub in sets.subsets(ctx, group, emb):
                out.append(self._subset(ctx, group, settings, sub, emb, digest))
        return out

    def _subset(
        self,
        ctx: ScoreContext,
        group: SetGroup,
        settings: KadSettings,
        sub: sets.Subset,
        emb: str,
        digest: str,
    ) -> SetValue:
        def value(**fields) -> SetValue:
            return group.value(
                self.name,
                self.name,
                digest,
                embedding=emb,
                class_key=sub.class_key,
                **sub.counts,
                **fields,
            )

        if sub.short:
            return value(status=Status.TOO_FEW, reason=sub.short)
        try:
            sigma = median_pairwise_distance(sub.ref)
            kv = kernel_audio_distance(sub.gen, sub.ref, bandwidth=sigma, scale=settings.scale)
        except ValueError as exc:
            return value(status=Status.ERROR, reason=str(exc))
        b = ctx.cfg.bootstrap
        extra = {"flags": sub.flags, "bandwidth": sigma}
        interval = {}
        if b.n > 0:
            kernels = KernelMatrices(sub.gen, sub.ref, sigma, settings.scale)
            iv = bootstrap_interval_on_indices(
                kernels.mmd2,
                kv.value,
                len(sub.gen),
                len(sub.ref),
                n_boot=b.n,
                seed=b.seed,
                key=(group.model, group.tier, sub.class_key, emb, self.name),
                confidence=b.confidence,
                bounds=self.columns[0].range,
            )
            interval = {"ci_low": iv.low, "ci_high": iv.high}
            extra["se"] = iv.se
        return value(value=kv.value, extra=extra, **interval)


METRIC = Kad()
