"""`score_run`: add metrics to a run, idempotently.

Clip metrics are computed once per trial and card (a re-score skips values already stored for
the same clip bytes and card); set metrics are recomputed from cached embeddings, and every
random draw in them is seeded, so scoring a run twice gives identical numbers.
The failed-render rule decides which clips form a system's set, identically for every system.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from audioprobe.errors import AudioprobeError, ConfigError
from audioprobe.hashing import sha256_file
from audioprobe.outcomes import FINAL_OUTCOMES
from audioprobe.scoring import audio as A
from audioprobe.scoring import results as R
from audioprobe.scoring.card import card_hash, make_card
from audioprobe.scoring.config import ALL_METRICS, ScoringConfig, load_config
from audioprobe.scoring.embed_cache import EmbeddingCache
from audioprobe.scoring.fad import checked_frechet_distance, frechet_distance
from audioprobe.scoring.intervals import (
    bootstrap_interval,
    bootstrap_interval_on_indices,
    fad_infinity,
)
from audioprobe.scoring.kad import KernelMatrices, kernel_audio_distance, median_pairwise_distance
from audioprobe.scoring.pitch import ESTIMATOR, cents, estimate_f0
from audioprobe.scoring.text_metrics import NORMALISER, char_error_rate, word_error_rate
from audioprobe.store import RunStore, TrialRecord
from audioprobe.tiers import Item

Progress = Callable[[str], None]
# Bumped when the computation behind a metric changes (it is part of the metric's card).
VERSIONS = {
    "duration": 1,
    "pitch": 1,
    "wer": 1,
    "clap_score": 1,
    "clap_zeroshot": 1,
    "fad": 1,
    "kad": 1,
    "embedding": 1,
}


@dataclass
class ScoreReport:
    """What a scoring did: counts, and the cards it used."""

    clip_values: int = 0
    clip_skipped: int = 0
    set_values: int = 0
    cards: dict[str, tuple[dict, str, str, str]] = field(default_factory=dict)
    cache_hits: int = 0
    cache_misses: int = 0
    notes: list[str] = field(default_factory=list)


# -- members of a generated set -------------------------------------------------------------
@dataclass(frozen=True)
class Member:
    """One trial's place in its system's set: its rendered clip, or silence, or nothing."""

    trial: TrialRecord
    item: Item
    rendered: bool

    @property
    def key(self) -> str:
        if self.rendered:
            return wav_sha256(self.trial)
        text = f"silence:{self.target_duration_s:.6f}"
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def target_duration_s(self) -> float:
        return float(self.trial.record.get("target_duration_s") or self.item.duration_s)

    def clip(self, sr: int, settings: A.AnalysisSettings, min_samples: int = 0) -> A.Clip:
        if self.rendered:
            assert self.trial.wav_path is not None
            return A.load(self.trial.wav_path, sr, settings, min_samples=min_samples)
        return A.silence(self.target_duration_s, sr, settings, min_samples=min_samples)


def wav_sha256(trial: TrialRecord) -> str:
    audio = trial.record.get("audio") or {}
    if audio.get("sha256"):
        return str(audio["sha256"])
    assert trial.wav_path is not None
    return sha256_file(trial.wav_path)


def is_rendered(trial: TrialRecord) -> bool:
    return trial.status == "ok" and trial.wav_path is not None and trial.wav_path.is_file()


def set_members(trials: list[TrialRecord], store: RunStore, rule: str) -> list[Member]:
    """The failed-render rule: `exclude` keeps rendered clips; `silence` adds silence for
    every other finished trial. The same function serves every system."""
    members = []
    for t in trials:
        rendered = is_rendered(t)
        if rendered or rule == "silence":
            members.append(Member(t, store.item(t.tier, t.item), rendered))
    return members


# -- cards ------------------------------------------------------------------------------------
def embedding_card(emb: Any, settings: A.AnalysisSettings) -> dict:
    return make_card(
        "embedding",
        VERSIONS["embedding"],
        embedding=emb.name,
        version=emb.version,
        checkpoint_sha256=emb.checkpoint_sha256,
        sample_rate=emb.sample_rate,
        pooling=getattr(emb, "pooling", None),
        min_samples=getattr(emb, "min_samples", 0),
        analysis=settings.describe(),
    )


def _reference_identity(rs: Any, clips: list[Any]) -> dict:
    digest = hashlib.sha256("\n".join(sorted(c.sha256 for c in clips)).encode()).hexdigest()
    return {"name": rs.name, "clips": len(clips), "clips_sha256": digest}


class Scorer:
    def __init__(
        self,
        store: RunStore,
        cfg: ScoringConfig,
        metrics: list[str],
        cache: EmbeddingCache,
        device: str,
        progress: Progress,
    ):
        self.store = store
        self.cfg = cfg
        self.metrics = metrics
        self.cache = cache
        self.device = device
        self.progress = progress
        self.settings = cfg.analysis_settings()
        self.report = ScoreReport()
        self._emb: dict[str, Any] = {}
        self._refs: dict[str, Any] = {}

    # -- shared helpers ---------------------------------------------------------------------
    def use_card(self, card: dict, metric: str, embedding: str = "", tier: str = "") -> str:
        digest = card_hash(card)
        self.report.cards[digest] = (card, metric, embedding, tier)
        return digest

    def embedding(self, name: str) -> tuple[Any | None, str]:
        """(model, "") when usable, else (None, why not and the fix)."""
        if name not in self._emb:
            try:
                from audioprobe.scoring.embeddings import get_embedding

                emb = get_embedding(name, device=self.device)
                ok, reason = emb.available()
                self._emb[name] = (emb, "") if ok else (None, reason)
            except AudioprobeError as exc:
                self._emb[name] = (None, str(exc))
        return self._emb[name]

    def embed_members(self, emb: Any, emb_hash: str, members: list[Member]) -> np.ndarray:
        min_samples = int(getattr(emb, "min_samples", 0))
        return self.cache.embed(
            emb_hash,
            [m.key for m in members],
            lambda i: members[i].clip(emb.sample_rate, self.settings, min_samples).audio,
            emb.embed,
        )

    def reference_set(self, tier: str) -> tuple[Any | None, str]:
        if tier not in self._refs:
            try:
                from audioprobe.references import load_reference_set, resolve_reference_name

                selection = "builtin"
                for sel in (self.store.manifest.get("spec") or {}).get("tiers", []):
                    if sel.get("name") == tier:
                        selection = sel.get("references") or "builtin"
                self.progress(f"{tier}: loading reference set {selection!r}")
                rs = load_reference_set(resolve_reference_name(tier, selection))
                self._refs[tier] = (rs, "") if rs.clips() else (None, f"{rs.name} has no clips")
            except (AudioprobeError, OSError) as exc:
                self._refs[tier] = (None, f"no reference set for tier {tier}: {exc}")
        return self._refs[tier]

    def run_classes(self, tier: str) -> set[str]:
        """Classes of every item the run asked for in `tier`: the same for every system."""
        return {raw["class"] for raw in self.store.manifest.get("items", {}).get(tier, [])}

    def reference_clips(self, rs: Any, run_classes: set[str]) -> list[Any]:
        """The reference clips a set metric compares against, chosen by the [fad] settings.

        Whole corpora are large and embedding them on a CPU dominates scoring time; a fixed cap
        per class, chosen by checksum, keeps the choice deterministic and recorded in the card.
        """
        fad = self.cfg.fad
        by_class: dict[str, list[Any]] = defaultdict(list)
        for clip in rs.clips():
            if fad.reference_classes == "all" or clip.class_key in run_classes:
                by_class[clip.class_key].append(clip)
        chosen: list[Any] = []
        for cls in sorted(by_class):
            chosen.extend(
                sorted(by_class[cls], key=lambda c: c.sha256)[: fad.max_ref_clips_per_class]
            )
        return chosen

    def embed_references(self, emb: Any, emb_hash: str, clips: list[Any]) -> np.ndarray:
        min_samples = int(getattr(emb, "min_samples", 0))
        return self.cache.embed(
            emb_hash,
            [c.sha256 for c in clips],
            lambda i: (
                A.load(clips[i].path, emb.sample_rate, self.settings, True, min_samples).audio
            ),
            emb.embed,
        )

    # -- clip metrics -----------------------------------------------------------------------
    def clip_cards(self, tier: str) -> dict[str, tuple[str, Any]]:
        """metric -> (card hash, model or unavailable reason) for the clip metrics of a tier."""
        out: dict[str, tuple[str, Any]] = {}
        s = self.settings.describe()
        if "duration" in self.metrics:
            card = make_card("duration", VERSIONS["duration"], source="WAV frames / sample rate")
            out["duration"] = (self.use_card(card, "duration"), None)
        if "pitch" in self.metrics and tier == "notes":
            p = self.cfg.pitch
            card = make_card(
                "pitch",
                VERSIONS["pitch"],
                packages=("librosa",),
                estimator=ESTIMATOR,
                settings=p.model_dump(),
                analysis=s,
            )
            out["pitch"] = (self.use_card(card, "pitch"), None)
        if "wer" in self.metrics and tier == "speech":
            asr, reason = self._transcriber()
            card = make_card(
                "wer",
                VERSIONS["wer"],
                packages=("jiwer",),
                normaliser=NORMALISER,
                asr=self.cfg.wer.asr,
                asr_version=asr.version if asr else "unavailable",
                asr_checkpoint_sha256=asr.checkpoint_sha256 if asr else None,
                analysis=s,
            )
            out["wer"] = (self.use_card(card, "wer"), asr or reason)
        clap_name = self.cfg.tier(tier).clap
        if "clap_score" in self.metrics and clap_name:
            emb, reason = self.embedding(clap_name)
            ecard = embedding_card(emb, self.settings) if emb else {"embedding": clap_name}
            card = make_card(
                "clap_score",
                VERSIONS["clap_score"],
                embedding=ecard,
                text="the item's caption",
                similarity="cosine",
            )
            out["clap_score"] = (self.use_card(card, "clap_score", clap_name), emb or reason)
        return out

    def _transcriber(self) -> tuple[Any | None, str]:
        try:
            from audioprobe.scoring.asr import get_transcriber

            asr = get_transcriber(self.cfg.wer.asr, device=self.device)
            ok, reason = asr.available()
            return (asr, "") if ok else (None, reason)
        except AudioprobeError as exc:
            return None, str(exc)

    def score_clips(self, trials: list[TrialRecord]) -> None:
        by_tier: dict[str, list[TrialRecord]] = defaultdict(list)
        for t in trials:
            by_tier[t.tier].append(t)
        for tier, tier_trials in by_tier.items():
            cards = self.clip_cards(tier)
            if not cards:
                continue
            self.progress(f"{tier}: clip metrics for {len(tier_trials)} trials")
            done = self._existing(tier_trials, [h for h, _ in cards.values()])
            rows: list[tuple] = []
            clap_embs: list[tuple[TrialRecord, Item]] = []
            for t in tier_trials:
                item = self.store.item(t.tier, t.item)
                sha = wav_sha256(t) if is_rendered(t) else None
                for metric, (digest, model) in cards.items():
                    if done.get((t.trial_id, digest)) == (sha or ""):
                        self.report.clip_skipped += 1
                        continue
                    if metric == "clap_score" and sha and not isinstance(model, str):
                        clap_embs.append((t, item))
                        continue
                    rows.extend(self._clip_rows(metric, digest, model, t, item, sha))
            if clap_embs:
                rows.extend(self._clap_rows(cards["clap_score"], clap_embs))
            self._write_clip_rows(rows)

    def _existing(self, trials: list[TrialRecord], digests: list[str]) -> dict[tuple, str]:
        ids = {t.trial_id for t in trials}
        marks = ",".join("?" * len(digests))
        with self.store.connect() as db:
            got = db.execute(
                f"SELECT trial_id, card_hash, wav_sha256 FROM score_clip"
                f" WHERE card_hash IN ({marks})",
                tuple(digests),
            ).fetchall()
        return {(r[0], r[1]): r[2] or "" for r in got if r[0] in ids}

    def _clip_rows(
        self, metric: str, digest: str, model: Any, t: TrialRecord, item: Item, sha: str | None
    ) -> list[tuple]:
        emb = self.cfg.tier(t.tier).clap if metric == "clap_score" else ""
        names = {
            "duration": ["duration_s", "duration_error_s"],
            "pitch": ["f0_hz", "cents_error", "abs_cents_error", "voiced_fraction"],
            "wer": ["transcript", "wer", "cer"],
            "clap_score": ["clap_score"],
        }[metric]

        def row(name: str, value: float | None, text: str | None, status: str) -> tuple:
            return (t.trial_id, name, emb or "", value, text, status, sha, digest)

        if sha is None:
            return [row(n, None, t.status, R.NOT_RENDERED) for n in names]
        if isinstance(model, str):
            return [row(n, None, model, R.UNAVAILABLE) for n in names]
        self.report.clip_values += 1
        try:
            values = self._compute_clip(metric, model, t, item)
        except (AudioprobeError, ValueError, RuntimeError, OSError) as exc:
            return [row(n, None, f"{type(exc).__name__}: {exc}", R.FAILED) for n in names]
        out = []
        for n in names:
            v = values.get(n)
            if isinstance(v, str):
                out.append(row(n, None, v, R.OK))
            elif v is None:
                out.append(row(n, None, values.get("_reason", "no value"), R.FAILED))
            else:
                out.append(row(n, float(v), None, R.OK))
        return out

    def _compute_clip(self, metric: str, model: Any, t: TrialRecord, item: Item) -> dict:
        assert t.wav_path is not None
        if metric == "duration":
            import soundfile as sf

            info = sf.info(str(t.wav_path))
            duration = info.frames / info.samplerate
            return {"duration_s": duration, "duration_error_s": duration - item.duration_s}
        if metric == "pitch":
            assert item.note is not None
            settings = self.cfg.pitch.settings()
            clip = A.load(t.wav_path, settings.sample_rate, self.settings, extend=False)
            est = estimate_f0(clip.audio, settings)
            if est.f0_hz is None:
                return {"voiced_fraction": est.voiced_fraction, "_reason": "no pitched frame"}
            err = cents(est.f0_hz, item.note.f0_hz)
            return {
                "f0_hz": est.f0_hz,
                "cents_error": err,
                "abs_cents_error": abs(err),
                "voiced_fraction": est.voiced_fraction,
            }
        if metric == "wer":
            assert item.speech is not None
            clip = A.load(t.wav_path, 16000, self.settings, extend=False)
            text = model.transcribe(clip.audio, clip.sample_rate)
            sentence = item.speech.sentence
            return {
                "transcript": text,
                "wer": word_error_rate(sentence, text),
                "cer": char_error_rate(sentence, text),
            }
        raise ValueError(f"unknown clip metric {metric!r}")

    def _clap_rows(
        self, card: tuple[str, Any], pending: list[tuple[TrialRecord, Item]]
    ) -> list[tuple]:
        digest, emb = card
        emb_hash = self.use_card(embedding_card(emb, self.settings), "embedding", emb.name)
        members = [Member(t, item, True) for t, item in pending]
        try:
            audio = self.embed_members(emb, emb_hash, members)
            texts = emb.embed_text([item.caption for _, item in pending])
        except (AudioprobeError, ValueError, RuntimeError, OSError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            return [
                (t.trial_id, "clap_score", emb.name, None, reason, R.FAILED, wav_sha256(t), digest)
                for t, _ in pending
            ]
        self.report.clip_values += len(pending)
        sims = _cosine_rows(audio, np.asarray(texts))
        return [
            (t.trial_id, "clap_score", emb.name, float(s), None, R.OK, wav_sha256(t), digest)
            for (t, _), s in zip(pending, sims, strict=True)
        ]

    def _write_clip_rows(self, rows: list[tuple]) -> None:
        if not rows:
            return
        with self.store.connect() as db:
            db.executemany("INSERT OR REPLACE INTO score_clip VALUES (?,?,?,?,?,?,?,?)", rows)

    # -- set metrics ------------------------------------------------------------------------
    def score_sets(self, trials: list[TrialRecord]) -> None:
        groups: dict[tuple[str, str], list[TrialRecord]] = defaultdict(list)
        for t in trials:
            groups[(t.model, t.tier)].append(t)
        rows: list[tuple] = []
        for (model, tier), group in sorted(groups.items()):
            members = set_members(group, self.store, self.cfg.failed_renders)
            base = {
                "model": model,
                "tier": tier,
                "n_trials": len(group),
                "n_rendered": sum(is_rendered(t) for t in group),
            }
            rr_card = make_card("render_rate", 1, definition="ok trials / finished trials")
            rr_hash = self.use_card(rr_card, "render_rate")
            rate = base["n_rendered"] / base["n_trials"] if base["n_trials"] else math.nan
            rows.append(
                _set_row(base, "", "render_rate", "", rr_hash, value=rate, n_gen=base["n_rendered"])
            )
            tier_cfg = self.cfg.tier(tier)
            if "fad" in self.metrics or "kad" in self.metrics:
                for emb_name in tier_cfg.embeddings:
                    self.progress(f"{model}/{tier}: distances with {emb_name}")
                    rows.extend(self._distances(base, members, emb_name))
            if "clap_zeroshot" in self.metrics and tier == "environmental" and tier_cfg.clap:
                rows.extend(self._zeroshot(base, members, tier_cfg.clap))
        with self.store.connect() as db:
            db.executemany(
                "INSERT OR REPLACE INTO score_set VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows
            )
        self.report.set_values += len(rows)

    def _set_card(self, metric: str, tier: str, emb_card: dict, ref: dict | None) -> dict:
        c = self.cfg
        common = {
            "embedding": emb_card,
            "reference_set": ref,
            "failed_renders": c.failed_renders,
            "min_clips": c.fad.min_clips,
            "min_ref_clips": c.fad.min_ref_clips,
            "reference_classes": c.fad.reference_classes,
            "max_ref_clips_per_class": c.fad.max_ref_clips_per_class,
            "bootstrap": c.bootstrap.model_dump()
            | {"method": "normal, SE of resamples of both sets"},
        }
        if metric == "fad":
            return make_card(
                "fad",
                VERSIONS["fad"],
                **common,
                fad_inf=c.fad_inf.model_dump(),
                sqrt="svd of F_a F_b^T, checked by eigvals(S_a S_b)",
                sqrt_check_rtol=c.fad.sqrt_check_rtol,
            )
        return make_card("kad", VERSIONS["kad"], **common, **c.kad.model_dump())

    def _distances(self, base: dict, members: list[Member], emb_name: str) -> list[tuple]:
        tier = base["tier"]
        wanted = [m for m in ("fad", "kad") if m in self.metrics]
        emb, why = self.embedding(emb_name)
        rs, ref_why = self.reference_set(tier)
        ecard = embedding_card(emb, self.settings) if emb else {"embedding": emb_name}
        clips = self.reference_clips(rs, self.run_classes(tier)) if rs else []
        ref_id = _reference_identity(rs, clips) if rs else None
        hashes = {
            m: self.use_card(self._set_card(m, tier, ecard, ref_id), m, emb_name, tier)
            for m in wanted
        }
        names = {"fad": ["fad", "fad_inf"], "kad": ["kad"]}
        reason = why or ref_why
        if reason:
            return [
                _set_row(base, "", n, emb_name, hashes[m], status=R.UNAVAILABLE, reason=reason)
                for m in wanted
                for n in names[m]
            ]
        emb_hash = self.use_card(ecard, "embedding", emb_name)
        try:
            gen = self.embed_members(emb, emb_hash, members) if members else None
            ref = self.embed_references(emb, emb_hash, clips)
        except (AudioprobeError, ValueError, RuntimeError, OSError) as exc:
            msg = f"{type(exc).__name__}: {exc}"
            return [
                _set_row(base, "", n, emb_name, hashes[m], status=R.FAILED, reason=msg)
                for m in wanted
                for n in names[m]
            ]
        rows = self._distance_rows(base, "", members, gen, ref, emb_name, hashes)
        if self.cfg.fad.per_class:
            ref_classes = np.array([c.class_key for c in clips])
            for cls in sorted({m.item.class_key for m in members}):
                idx = [i for i, m in enumerate(members) if m.item.class_key == cls]
                cls_ref = ref[ref_classes == cls]
                rows.extend(
                    self._distance_rows(
                        base,
                        cls,
                        [members[i] for i in idx],
                        gen[idx] if gen is not None else None,
                        cls_ref,
                        emb_name,
                        hashes,
                    )
                )
        return rows

    def _distance_rows(
        self,
        base: dict,
        cls: str,
        members: list[Member],
        gen: np.ndarray | None,
        ref: np.ndarray,
        emb_name: str,
        hashes: dict[str, str],
    ) -> list[tuple]:
        c = self.cfg
        n_gen, n_ref = len(members), len(ref)
        counts = {"n_gen": n_gen, "n_ref": n_ref}
        key = (base["model"], base["tier"], cls, emb_name)
        rows = []
        short = None
        if n_gen < c.fad.min_clips:
            short = f"{n_gen} generated clips < {c.fad.min_clips} (fad.min_clips)"
        elif n_ref < c.fad.min_ref_clips:
            short = f"{n_ref} reference clips < {c.fad.min_ref_clips} (fad.min_ref_clips)"
        flags = ["small set"] if n_gen < c.fad.small_set else []
        if c.failed_renders == "silence" and any(not m.rendered for m in members):
            flags.append(f"{sum(not m.rendered for m in members)} silent stand-ins")
        b = c.bootstrap
        if "fad" in hashes:
            h = hashes["fad"]
            if short:
                rows.append(
                    _set_row(
                        base, cls, "fad", emb_name, h, status=R.TOO_FEW, reason=short, **counts
                    )
                )
            else:
                assert gen is not None
                fv = checked_frechet_distance(gen, ref, c.fad.sqrt_check_rtol)
                lo = hi = None
                extra: dict[str, Any] = {
                    "flags": flags,
                    "warnings": fv.warnings,
                    "sqrt_check": fv.check.__dict__,
                }
                if b.n > 0:
                    iv = bootstrap_interval(
                        frechet_distance,
                        fv.value,
                        gen,
                        ref,
                        n_boot=b.n,
                        seed=b.seed,
                        key=key,
                        confidence=b.confidence,
                        floor=0.0,
                    )
                    lo, hi, extra["se"] = iv.low, iv.high, iv.se
                rows.append(
                    _set_row(
                        base,
                        cls,
                        "fad",
                        emb_name,
                        h,
                        value=fv.value,
                        ci_low=lo,
                        ci_high=hi,
                        extra=extra,
                        **counts,
                    )
                )
            if short or n_gen < c.fad_inf.min_clips:
                why = (
                    short or f"{n_gen} generated clips < {c.fad_inf.min_clips} (fad_inf.min_clips)"
                )
                rows.append(
                    _set_row(
                        base, cls, "fad_inf", emb_name, h, status=R.TOO_FEW, reason=why, **counts
                    )
                )
            else:
                assert gen is not None
                fi = c.fad_inf
                res = fad_infinity(
                    gen,
                    ref,
                    steps=fi.steps,
                    min_fraction=fi.min_fraction,
                    repeats=fi.repeats,
                    seed=fi.seed,
                    key=key,
                )
                extra = {"flags": flags, "slope": res.slope, "r2": res.r2, "points": res.points}
                rows.append(
                    _set_row(
                        base, cls, "fad_inf", emb_name, h, value=res.value, extra=extra, **counts
                    )
                )
        if "kad" in hashes:
            h = hashes["kad"]
            if short:
                rows.append(
                    _set_row(
                        base, cls, "kad", emb_name, h, status=R.TOO_FEW, reason=short, **counts
                    )
                )
            else:
                assert gen is not None
                try:
                    sigma = median_pairwise_distance(ref)
                    kv = kernel_audio_distance(gen, ref, bandwidth=sigma, scale=c.kad.scale)
                except ValueError as exc:
                    rows.append(
                        _set_row(
                            base,
                            cls,
                            "kad",
                            emb_name,
                            h,
                            status=R.FAILED,
                            reason=str(exc),
                            **counts,
                        )
                    )
                    return rows
                lo = hi = None
                extra = {"flags": flags, "bandwidth": sigma}
                if b.n > 0:
                    kernels = KernelMatrices(gen, ref, sigma, c.kad.scale)
                    iv = bootstrap_interval_on_indices(
                        kernels.mmd2,
                        kv.value,
                        len(gen),
                        len(ref),
                        n_boot=b.n,
                        seed=b.seed,
                        key=(*key, "kad"),
                        confidence=b.confidence,
                    )
                    lo, hi, extra["se"] = iv.low, iv.high, iv.se
                rows.append(
                    _set_row(
                        base,
                        cls,
                        "kad",
                        emb_name,
                        h,
                        value=kv.value,
                        ci_low=lo,
                        ci_high=hi,
                        extra=extra,
                        **counts,
                    )
                )
        return rows

    def _zeroshot(self, base: dict, members: list[Member], clap_name: str) -> list[tuple]:
        tier = base["tier"]
        emb, why = self.embedding(clap_name)
        captions: dict[str, str] = {}
        for raw in (self.store.manifest.get("items") or {}).get(tier, []):
            captions.setdefault(raw["class"], raw["caption"])
        classes = sorted(captions)
        ecard = embedding_card(emb, self.settings) if emb else {"embedding": clap_name}
        card = make_card(
            "clap_zeroshot",
            VERSIONS["clap_zeroshot"],
            embedding=ecard,
            classes=classes,
            prompts="first caption of each class in the run",
            failed_renders=self.cfg.failed_renders,
        )
        h = self.use_card(card, "clap_zeroshot", clap_name, tier)
        if why:
            return [
                _set_row(base, "", "clap_zeroshot", clap_name, h, status=R.UNAVAILABLE, reason=why)
            ]
        if len(classes) < 2:
            return [
                _set_row(
                    base,
                    "",
                    "clap_zeroshot",
                    clap_name,
                    h,
                    status=R.TOO_FEW,
                    reason=f"{len(classes)} class in the run; needs 2 or more",
                )
            ]
        if not members:
            return [
                _set_row(
                    base,
                    "",
                    "clap_zeroshot",
                    clap_name,
                    h,
                    status=R.TOO_FEW,
                    reason="no rendered clip",
                    n_gen=0,
                )
            ]
        emb_hash = self.use_card(ecard, "embedding", clap_name)
        audio = self.embed_members(emb, emb_hash, members)
        text = np.asarray(emb.embed_text([captions[c] for c in classes]))
        sims = _normalise(audio) @ _normalise(text).T
        predicted = [classes[i] for i in sims.argmax(axis=1)]
        hits = [p == m.item.class_key for p, m in zip(predicted, members, strict=True)]
        extra = {"classes": len(classes), "chance": 1.0 / len(classes)}
        return [
            _set_row(
                base,
                "",
                "clap_zeroshot",
                clap_name,
                h,
                value=float(np.mean(hits)),
                n_gen=len(members),
                extra=extra,
            )
        ]


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (_normalise(a) * _normalise(b)).sum(axis=1)


def _set_row(
    base: dict,
    cls: str,
    metric: str,
    embedding: str,
    digest: str,
    *,
    value: float | None = None,
    ci_low: float | None = None,
    ci_high: float | None = None,
    n_gen: int | None = None,
    n_ref: int | None = None,
    status: str = R.OK,
    reason: str | None = None,
    extra: dict | None = None,
) -> tuple:
    if status == R.OK and (value is None or not math.isfinite(value)):
        status, reason, value = R.FAILED, f"non-finite value {value!r}", None
    return (
        base["model"],
        base["tier"],
        cls,
        metric,
        embedding,
        value,
        ci_low,
        ci_high,
        n_gen,
        n_ref,
        base["n_trials"],
        base["n_rendered"],
        status,
        reason,
        json.dumps(extra or {}, default=float),
        digest,
    )


def score_run(
    store: RunStore,
    metrics: list[str] | None = None,
    *,
    config: ScoringConfig | None = None,
    cache: EmbeddingCache | None = None,
    device: str = "cpu",
    progress: Progress | None = None,
) -> ScoreReport:
    """Add metrics to `store`'s run (idempotent); returns what was done."""
    from threadpoolctl import threadpool_limits

    spec_scoring = (store.manifest.get("spec") or {}).get("scoring") or {}
    cfg = config or load_config(spec_scoring)
    chosen = list(metrics or cfg.metrics)
    unknown = [m for m in chosen if m not in ALL_METRICS]
    if unknown:
        raise ConfigError(
            f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(ALL_METRICS)}"
        )
    R.ensure_tables(store)
    trials = [t for t in store.trials() if t.status in FINAL_OUTCOMES]
    scorer = Scorer(store, cfg, chosen, cache or EmbeddingCache(), device, progress or _quiet)
    # One BLAS thread: the matrices are small and oversubscribed threads are 10x slower here.
    with threadpool_limits(limits=1, user_api="blas"):
        scorer.score_clips(trials)
        scorer.score_sets(trials)
    R.record_cards(store, scorer.report.cards)
    scorer.report.cache_hits = scorer.cache.hits
    scorer.report.cache_misses = scorer.cache.misses
    pending = len(store.trials()) - len(trials)
    if pending:
        scorer.report.notes.append(f"{pending} unfinished trials were not scored")
    return scorer.report


def _quiet(_: str) -> None:
    return None
