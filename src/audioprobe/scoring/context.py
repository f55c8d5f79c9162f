"""What a metric is given: the run, the settings, loaded models and reference sets, the
embedding cache, and the clips of a trial or a set, all shared across metrics.

The failed-render rule lives here too: `set_members` decides which clips form a system's set,
identically for every system and every set metric.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel

from audioprobe.errors import AudioprobeError
from audioprobe.hashing import sha256_file
from audioprobe.outcomes import NOT_RUN_OUTCOMES, is_model_outcome
from audioprobe.references import run_reference_set
from audioprobe.results.rates import render_rate
from audioprobe.results.records import SetValue, Status
from audioprobe.results.run import Run
from audioprobe.scoring import audio as A
from audioprobe.scoring.card import card_hash, make_card
from audioprobe.scoring.config import ScoringConfig
from audioprobe.scoring.embed_cache import EmbeddingCache
from audioprobe.store import TrialRecord
from audioprobe.tiers import Item

if TYPE_CHECKING:
    from audioprobe.executors import BatchEmbedder

Progress = Callable[[str], None]
EMBEDDING_CARD_VERSION = 1


@functools.lru_cache(maxsize=65536)
def _file_sha256(path: str, mtime_ns: int, size: int) -> str:
    """sha256 of a file, once per (path, mtime, size): scoring asks for each clip's often."""
    return sha256_file(Path(path))


def wav_sha256(trial: TrialRecord) -> str:
    """The sha256 of the clip as it is on disk now: what its cached embeddings are keyed by,
    so a clip changed after its run can never be scored with the original's vectors."""
    assert trial.wav_path is not None
    st = trial.wav_path.stat()
    return _file_sha256(str(trial.wav_path), st.st_mtime_ns, st.st_size)


def changed_since_run(trial: TrialRecord) -> str | None:
    """Why the clip is not the one the run recorded (its sha256 differs), or None."""
    recorded = trial.record.audio.sha256 if trial.record.audio else None
    if not recorded or trial.wav_path is None:
        return None
    now = wav_sha256(trial)
    if now == recorded:
        return None
    return (
        f"{trial.wav_path} changed after the run (sha256 {recorded[:12]}… recorded, {now[:12]}…"
        " now); it is not scored as the model's clip: restore it or rerun the trial"
    )


def is_rendered(trial: TrialRecord) -> bool:
    return trial.status == "ok" and trial.wav_path is not None and trial.wav_path.is_file()


def is_readable(trial: TrialRecord) -> bool:
    """A rendered clip whose header soundfile can read and whose bytes are those the run
    recorded (a damaged or changed file is left out of sets, as an unrendered one; its clip
    metrics record the error)."""
    import soundfile as sf

    try:
        sf.info(str(trial.wav_path))
    except Exception:  # any failure to read means the clip cannot be used
        return False
    return changed_since_run(trial) is None


@dataclass(frozen=True)
class ClipInput:
    """One rendered clip to measure, with the item it was asked for."""

    trial: TrialRecord
    item: Item

    @property
    def path(self) -> Path:
        assert self.trial.wav_path is not None
        return self.trial.wav_path


@dataclass(frozen=True)
class Member:
    """One trial's place in its system's set: its rendered clip, or silence."""

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
        return float(self.trial.record.target_duration_s or self.item.duration_s)

    def clip(self, sr: int, settings: A.AnalysisSettings, min_samples: int = 0) -> A.Clip:
        if self.rendered:
            assert self.trial.wav_path is not None
            return A.load(self.trial.wav_path, sr, settings, min_samples=min_samples)
        return A.silence(self.target_duration_s, sr, settings, min_samples=min_samples)


def set_members(trials: list[TrialRecord], run: Run, rule: str) -> list[Member]:
    """The failed-render rule: `exclude` keeps rendered clips; `silence` adds silence for
    every other trial the model answered. The same function serves every system."""
    items = {(i.tier, i.id): i for tier in run.manifest.items for i in run.items(tier)}
    members = []
    for t in trials:
        rendered = is_rendered(t) and is_readable(t)
        if rendered or (rule == "silence" and is_model_outcome(t.status)):
            members.append(Member(t, items[(t.tier, t.item)], rendered))
    return members


def not_run(trials: list[TrialRecord]) -> tuple[Status, str] | None:
    """Why a system has no set in a tier where none of its trials ran: `not_applicable` for a
    baseline whose catalog tiers exclude the tier (piper on notes), else `unavailable` with
    the trials' error (its weights are missing); None when the system ran there."""
    if not trials or any(t.status not in NOT_RUN_OUTCOMES for t in trials):
        return None
    first = trials[0]
    error = first.record.error or ""
    tiers = (first.record.generator or {}).get("tiers")
    if tiers is not None and first.tier not in tiers:
        return Status.NOT_APPLICABLE, f"{first.model} does not apply to {first.tier}: {error}"
    return Status.UNAVAILABLE, f"{first.model} did not run on {first.tier}: {error}"


@dataclass
class SetGroup:
    """One model × tier set, and a builder for its values (counts and rule filled in)."""

    model: str
    tier: str
    trials: list[TrialRecord]
    members: list[Member]  # without `excluded`: what every set metric compares
    rule: str
    excluded: list[str] = field(default_factory=list)  # items whose class has no reference clips

    def exclusion_flags(self) -> list[str]:
        """The flag a set value shows when items were left out for want of reference clips."""
        if not self.excluded:
            return []
        shown = ", ".join(self.excluded)
        return [f"{len(self.excluded)} item(s) out, no reference clips of their class: {shown}"]

    @property
    def n_answered(self) -> int:
        return render_rate(t.status for t in self.trials).denominator

    @property
    def n_rendered(self) -> int:
        return render_rate(t.status for t in self.trials).numerator

    def value(
        self,
        metric: str,
        column: str,
        card: str,
        *,
        embedding: str = "",
        class_key: str = "",
        value: float | None = None,
        status: Status = Status.OK,
        **fields: Any,
    ) -> SetValue:
        """A SetValue of this set; an ok value that is not a finite number becomes an error."""
        reason = fields.pop("reason", None)
        if status == Status.OK and (value is None or not math.isfinite(value)):
            status, reason, value = Status.ERROR, f"non-finite value {value!r}", None
        return SetValue(
            model=self.model,
            tier=self.tier,
            class_key=class_key,
            metric=metric,
            column=column,
            embedding=embedding,
            status=status,
            card_hash=card,
            value=value,
            n_trials=self.n_answered,
            n_rendered=self.n_rendered,
            rule=self.rule,
            reason=reason,
            **fields,
        )


@dataclass
class ScoreContext:
    run: Run
    cfg: ScoringConfig
    cache: EmbeddingCache
    device: str
    progress: Progress
    #: where embedding batches are computed (executors.open_embedder); None: here
    embedder: BatchEmbedder | None = None
    cards: dict[str, tuple[dict, str, str, str]] = field(default_factory=dict)
    clip_cards: dict[tuple[str, str], str] = field(default_factory=dict)  # (metric, tier) -> hash
    _emb: dict[str, tuple[Any | None, str]] = field(default_factory=dict)
    _refs: dict[str, tuple[Any | None, str]] = field(default_factory=dict)
    _models: dict[str, tuple[Any | None, str]] = field(default_factory=dict)

    @property
    def settings(self) -> A.AnalysisSettings:
        return self.cfg.analysis_settings()

    def metric_settings(self, metric: str, model: type[BaseModel]) -> Any:
        return self.cfg.metric_settings(metric, model)

    def use_card(self, card: dict, metric: str, embedding: str = "", tier: str = "") -> str:
        """Record a card this scoring used (written to cards.json) and return its hash."""
        digest = card_hash(card)
        self.cards[digest] = (card, metric, embedding, tier)
        return digest

    def clip_card(self, metric: str, tier: str) -> str | None:
        """The card hash of a clip metric's values for `tier`: this scoring's, else the current
        one of an earlier scoring; None when the metric was never scored for the tier."""
        from audioprobe.results.tables import current_card_of

        return self.clip_cards.get((metric, tier)) or current_card_of(self.run.store, metric, tier)

    def make_card(self, metric: Any, packages: tuple[str, ...] = (), **fields: Any) -> dict:
        """A card for a registered metric: its name and version, these fields, the packages."""
        return make_card(metric.name, metric.version, packages=packages, **fields)

    def load(self, clip: ClipInput, sample_rate: int) -> A.Clip:
        """The clip as a metric analyses it: mono, resampled, at most the analysis length."""
        return A.load(clip.path, sample_rate, self.settings, extend=False)

    # -- models -----------------------------------------------------------------------------
    def model(self, key: str, make: Callable[[], Any]) -> tuple[Any | None, str]:
        """A model (ASR, ...) loaded once per scoring: (model, "") or (None, why not)."""
        if key not in self._models:
            try:
                found = make()
                ok, reason = found.available()
                self._models[key] = (found, "") if ok else (None, reason)
            except AudioprobeError as exc:
                self._models[key] = (None, str(exc))
        return self._models[key]

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

    def embedding_card(self, name: str, tier: str = "") -> dict:
        """The card of an embedding as `tier`'s set metrics use it (its duration policy
        included, so trimmed and whole clips never share a cache entry)."""
        emb, _ = self.embedding(name)
        if emb is None:
            return {"embedding": name}
        return make_card(
            "embedding",
            EMBEDDING_CARD_VERSION,
            embedding=emb.name,
            version=emb.version,
            checkpoint_sha256=emb.checkpoint_sha256,
            sample_rate=emb.sample_rate,
            pooling=getattr(emb, "pooling", None),
            min_samples=getattr(emb, "min_samples", 0),
            analysis=self.cfg.tier_analysis(tier).describe(),
        )

    def embed_members(self, emb: Any, members: list[Member], tier: str = "") -> np.ndarray:
        """Embeddings of a system's clips; with `tier`, under that tier's duration policy."""
        return self._embed(
            emb,
            tier,
            [m.key for m in members],
            lambda i, settings, min_samples: (
                members[i].clip(emb.sample_rate, settings, min_samples).audio
            ),
        )

    def _embed(
        self,
        emb: Any,
        tier: str,
        keys: list[str],
        load: Callable[[int, Any, int], np.ndarray],
    ) -> np.ndarray:
        """Embeddings under `tier`'s embedding card and analysis settings, through the cache and,
        when one is set, the executor's embedder; `load(i, settings, min_samples)` reads clip i."""
        emb_hash = self.use_card(self.embedding_card(emb.name, tier), "embedding", emb.name)
        min_samples = int(getattr(emb, "min_samples", 0))
        settings = self.cfg.tier_analysis(tier)
        there = self.embedder
        return self.cache.embed(
            emb_hash,
            keys,
            lambda i: load(i, settings, min_samples),
            emb.embed,
            map_batches=there.mapper(emb) if there else None,
            wave=there.wave if there else 1,
            progress=self.progress,
            label=f"{tier}: {emb.name}" if tier else emb.name,
        )

    # -- references -------------------------------------------------------------------------
    def reference_set(self, tier: str) -> tuple[Any | None, str]:
        if tier not in self._refs:
            try:
                self.progress(f"{tier}: loading reference set {self.run.reference_choice(tier)!r}")
                rs = run_reference_set(self.run, tier, self.progress)
                self._refs[tier] = (rs, "") if rs.clips() else (None, f"{rs.name} has no clips")
            except AudioprobeError as exc:
                self._refs[tier] = (None, f"no reference set for tier {tier}: {exc}")
        return self._refs[tier]

    def reference_classes(self, tier: str) -> set[str]:
        """The classes the tier's reference set has clips of (empty when it has none)."""
        rs, _ = self.reference_set(tier)
        return {c.class_key for c in rs.clips()} if rs is not None else set()

    def reference_clips(self, tier: str) -> list[Any]:
        """The reference clips a set metric compares against, chosen by the [sets] settings.

        Whole corpora are large and embedding them on a CPU dominates scoring time; a fixed cap
        per class, chosen by checksum, keeps the choice deterministic and recorded in the card.
        """
        rs, _ = self.reference_set(tier)
        if rs is None:
            return []
        sets = self.cfg.sets
        wanted = self.run.classes(tier)
        by_class: dict[str, list[Any]] = defaultdict(list)
        for clip in rs.clips():
            if sets.reference_classes == "all" or clip.class_key in wanted:
                by_class[clip.class_key].append(clip)
        chosen: list[Any] = []
        for cls in sorted(by_class):
            chosen.extend(
                sorted(by_class[cls], key=lambda c: c.sha256)[: sets.max_ref_clips_per_class]
            )
        return chosen

    def reference_identity(self, tier: str) -> dict | None:
        rs, _ = self.reference_set(tier)
        if rs is None:
            return None
        clips = self.reference_clips(tier)
        digest = hashlib.sha256("\n".join(sorted(c.sha256 for c in clips)).encode()).hexdigest()
        return {"name": rs.name, "clips": len(clips), "clips_sha256": digest}

    def embed_references(self, emb: Any, clips: list[Any], tier: str = "") -> np.ndarray:
        """Embeddings of reference clips, under `tier`'s duration policy like the systems'."""
        return self._embed(
            emb,
            tier,
            [c.sha256 for c in clips],
            lambda i, settings, min_samples: (
                A.load(clips[i].path, emb.sample_rate, settings, True, min_samples).audio
            ),
        )
