"""Normalised FAD: a system's FAD placed between what real references score and what noise
scores, at one matched set size for every system of a tier, per embedding.

Raw FAD cannot be compared across tiers (each has its own reference set and embedding, so the
distance of real clips to their own set differs: about 117 notes, 146 environmental, 37 speech
at n = 6) nor across set sizes (FAD falls steeply with n). So, per draw:

- n reference clips are held out; the rest R is what every FAD of the draw is measured against;
- floor   = FAD(the n held-out references, R): as close as real references get at this n;
- ceiling = FAD(n white-noise clips, R): the declared anchor (seeded noise at the tier's sample
  rate and median item duration, std `noise_std`); silence, the other anchor, is reported on
  the same scale;
- system  = FAD(n of the system's clips drawn without replacement, R);

normalised = (mean system − mean floor) / (mean ceiling − mean floor) over `draws` draws: 0 is
"as close as real references", 1 "as far as noise"; below 0 and above 1 are possible.

n is declared (`n`, scoring/metrics.toml or a spec's [scoring.fad_norm]), not found: every
system of every run is measured at that n, so a system's number does not move when another
system with fewer clips joins the run, and a system with fewer clips than n is "too few" with
the count. The reference splits are drawn from the tier and embedding alone, so every system of
a tier is measured against the same splits (the same floor and ceiling draw by draw). The
interval is the 2.5-97.5 percentiles of the per-draw ratios (reference split and subsample vary
together); the draws are also the replicates of the claim test's tier steps, so `draws` sets
the smallest p-value a step can have (2 / (draws + 1)).
"""

from __future__ import annotations

import hashlib
import statistics
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from audioprobe.results.records import SetValue, Status
from audioprobe.scoring import audio as A
from audioprobe.scoring import sets
from audioprobe.scoring.context import ScoreContext, SetGroup
from audioprobe.scoring.contract import Column, SetMetric
from audioprobe.scoring.fad import fad_between, gaussian_stats
from audioprobe.scoring.intervals import set_rng


class FadNormSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    draws: int = Field(200, ge=2, description="reference splits × system subsamples averaged")
    n: int = Field(10, ge=2, description="clips a draw: every system of a tier is measured at n")
    noise_std: float = Field(0.25, gt=0, le=1, description="the white-noise anchor's level")
    seed: int = 0


class FadNorm(SetMetric):
    name = "fad_norm"
    neural = True
    version = 3  # 2: the noise anchor at the tier's rate; 3: a declared n, shared splits
    rank = 2
    comparable = True
    description = "FAD between a reference floor (0) and a white-noise ceiling (1), n clips a draw"
    Settings = FadNormSettings
    columns = (Column("fad_norm", label="normalised FAD", direction="lower", quality=True),)

    def compute(self, ctx: ScoreContext, group: SetGroup) -> list[SetValue]:
        settings = ctx.metric_settings(self.name, FadNormSettings)
        out: list[SetValue] = []
        for emb_name in ctx.cfg.tier(group.tier).embeddings:
            card = ctx.make_card(
                self,
                **sets.common_card(ctx, group.tier, emb_name),
                settings=settings.model_dump(),
                anchors={
                    "ceiling": f"white noise, std {settings.noise_std}, seeded",
                    "also": "silence",
                    "duration_s": anchor_duration(ctx, group.tier),
                },
                matched_n="declared: fad_norm.n clips of every system a draw",
            )
            digest = ctx.use_card(card, self.name, emb_name, group.tier)

            def value(**fields: Any) -> SetValue:
                return group.value(self.name, self.name, digest, embedding=emb_name, **fields)  # noqa: B023

            why = sets.unavailable(ctx, group.tier, emb_name)
            if why:
                out.append(value(status=Status.UNAVAILABLE, reason=why))
                continue
            out.append(self._one(ctx, group, settings, emb_name, value))
        return out

    def _one(
        self,
        ctx: ScoreContext,
        group: SetGroup,
        settings: FadNormSettings,
        emb_name: str,
        value: Any,
    ) -> SetValue:
        emb, _ = ctx.embedding(emb_name)
        members = group.members
        clips = ctx.reference_clips(group.tier)
        n = settings.n
        if len(members) < n:
            why = f"{len(members)} clips < n = {n} (fad_norm.n: every system is measured at n)"
            return value(status=Status.TOO_FEW, reason=why, n_generated=len(members))
        if len(clips) < 2 * n:
            why = f"{len(clips)} reference clips: a floor at n = {n} needs {2 * n}"
            return value(status=Status.TOO_FEW, reason=why, n_reference=len(clips))
        gen = ctx.embed_members(emb, members, group.tier)
        ref = ctx.embed_references(emb, clips, group.tier)
        noise, silence = anchors(ctx, emb, group.tier, n, settings)
        splits = set_rng(settings.seed, "fad_norm", group.tier, emb_name)
        subsample = set_rng(settings.seed, "fad_norm", group.model, group.tier, emb_name)
        rows = []
        for _ in range(settings.draws):
            perm = splits.permutation(len(ref))
            rest = gaussian_stats(ref[perm[n:]])
            picked = subsample.choice(len(gen), n, replace=False)
            rows.append(
                [
                    fad_between(gaussian_stats(ref[perm[:n]]), rest),
                    fad_between(gaussian_stats(noise), rest),
                    fad_between(gaussian_stats(silence), rest),
                    fad_between(gaussian_stats(gen[picked]), rest),
                ]
            )
        floor, ceiling, quiet, system = np.asarray(rows).T
        span = float(ceiling.mean() - floor.mean())
        if span <= 0:
            why = "white noise is no farther from the references than they are from each other"
            return value(status=Status.ERROR, reason=why)
        estimate = float((system.mean() - floor.mean()) / span)
        per_draw = (system - floor) / np.maximum(ceiling - floor, 1e-12)
        low, high = (float(v) for v in np.percentile(per_draw, [2.5, 97.5]))
        low, high = min(low, estimate), max(high, estimate)  # the ratio of means may lie out
        extra = {
            "flags": [f"n = {n} clips a draw (fad_norm.n)", *group.exclusion_flags()],
            "matched_n": n,
            "floor_fad": float(floor.mean()),
            "ceiling_fad": float(ceiling.mean()),
            "silence": float((quiet.mean() - floor.mean()) / span),
            "draws": [float(v) for v in per_draw],
        }
        return value(
            value=estimate,
            ci_low=low,
            ci_high=high,
            n_generated=n,
            n_reference=len(ref) - n,
            extra=extra,
        )


def anchor_duration(ctx: ScoreContext, tier: str) -> float:
    return float(statistics.median(i.duration_s for i in ctx.run.items(tier)))


def anchors(
    ctx: ScoreContext, emb: Any, tier: str, n: int, settings: FadNormSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings of n seeded white-noise clips and n silent clips of the tier's duration. The
    noise is drawn at the tier's sample rate, the rate every system's clip has, and reaches the
    embedding by the same resampling: drawn at a 44.1 kHz embedding's rate, it filled the
    octave above a 16 kHz tier's Nyquist, which no clip of the tier can, and the noise system
    itself scored 0.75-0.81 instead of 1 on the scale it anchors."""
    seconds = anchor_duration(ctx, tier)
    rate = int(emb.sample_rate)
    info = ctx.run.tiers.get(tier)
    tier_rate = int(info.sample_rate) if info and info.sample_rate else rate
    frames = max(1, round(seconds * tier_rate))
    analysis = ctx.cfg.tier_analysis(tier)
    min_samples = int(getattr(emb, "min_samples", 0))
    card = ctx.use_card(ctx.embedding_card(emb.name, tier), "embedding", emb.name)

    def noise(i: int) -> np.ndarray:
        rng = np.random.default_rng([settings.seed, i, frames])
        raw = np.clip(rng.normal(0.0, settings.noise_std, frames), -1, 1).astype(np.float32)
        return A.prepare(raw, tier_rate, rate, analysis, min_samples=min_samples).audio

    def key(kind: str, i: int) -> str:
        text = f"anchor:{kind}:{settings.seed}:{settings.noise_std}:{i}:{frames}:{tier_rate}:{rate}"
        return hashlib.sha256(text.encode()).hexdigest()

    white = ctx.cache.embed(card, [key("white", i) for i in range(n)], noise, emb.embed)
    quiet = ctx.cache.embed(
        card,
        [key("silence", 0)],
        lambda _i: A.silence(seconds, rate, analysis, min_samples=min_samples).audio,
        emb.embed,
    )
    return white, np.repeat(quiet, n, axis=0)


METRIC = FadNorm()
