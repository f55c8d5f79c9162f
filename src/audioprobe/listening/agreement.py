"""How well each automatic per-clip metric agrees with what listeners said.

Per clip, the listeners' score is the mean over raters: the MUSHRA rating, or for A/B the share
of its comparisons the clip won. Agreement with a metric is Spearman's rank correlation, per tier
(a metric's scale differs between notes and speech, so pooled tiers would rank the tiers, not the
clips), over the clips of that tier that have both (a metric and a rating scale need only agree
in order), with a 95% bootstrap interval over clips (scipy.stats.bootstrap, paired,
percentile). Error-like metrics (WER, cents error) agree by a negative rho.

MUSHRA raters are post-screened as ITU-R BS.1534-3 section 4.1.2 says: a rater who scores the
hidden reference below 90 on more than 15% of the screens is left out (and named).
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from audioprobe.listening.export import tests_dir
from audioprobe.listening.ratings import Rating, stored_ratings, test_key
from audioprobe.scoring.registry import describe
from audioprobe.store import RunStore

HIDDEN_REF_FLOOR = 90.0
HIDDEN_REF_SHARE = 0.15
MIN_CLIPS = 4  # below this, a rank correlation takes only a handful of values
RESAMPLES = 2000


def clip_metric_values(store: RunStore) -> dict[str, dict[str, float]]:
    """Per trial id, the numeric per-clip metric values scoring stored (current cards only).

    The one place listening tests read scores from: the typed results layer's clip values
    that are ok and hold a number, keyed `column[embedding]` as exports name them.
    """
    from audioprobe.results.records import Status
    from audioprobe.results.tables import clip_values

    out: dict[str, dict[str, float]] = {}
    for v in clip_values(store, describe):
        if v.status == Status.OK and v.value is not None and math.isfinite(v.value):
            out.setdefault(v.trial_id, {})[v.key] = float(v.value)
    return out


@dataclass(frozen=True)
class MetricAgreement:
    metric: str
    n: int
    tier: str = ""
    rho: float | None = None
    low: float | None = None
    high: float | None = None
    reason: str | None = None  # why there is no number


@dataclass
class TestAgreement:
    test_id: str
    design: str
    raters: list[str]
    excluded: dict[str, str] = field(default_factory=dict)  # rater: why
    clips: int = 0
    hidden_reference: float | None = None  # mean rating (MUSHRA)
    anchor: float | None = None
    metrics: list[MetricAgreement] = field(default_factory=list)


def _screened(key: dict[str, Any], ratings: list[Rating]) -> dict[str, str]:
    """MUSHRA post-screening: raters to leave out, each with the reason."""
    stimuli = key["stimuli"]
    out = {}
    by_rater: dict[str, list[float]] = defaultdict(list)
    for r in ratings:
        if stimuli[r.stimulus]["kind"] == "hidden_reference":
            by_rater[r.rater].append(r.score)
    for rater, scores in by_rater.items():
        low = sum(s < HIDDEN_REF_FLOOR for s in scores)
        if low > HIDDEN_REF_SHARE * len(scores):
            out[rater] = (
                f"rated the hidden reference below {HIDDEN_REF_FLOOR:g} on {low} of"
                f" {len(scores)} screens (BS.1534 post-screening allows {HIDDEN_REF_SHARE:.0%})"
            )
    return out


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant resamples: nan, dropped below
        return float(stats.spearmanr(x, y).statistic)


def metric_agreement(
    metric: str, human: list[float], machine: list[float], tier: str = ""
) -> MetricAgreement:
    n = len(human)
    if n < MIN_CLIPS:
        why = f"{n} rated clips with a value; need {MIN_CLIPS}"
        return MetricAgreement(metric, n, tier, reason=why)
    x, y = np.asarray(human), np.asarray(machine)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        which = "ratings" if np.ptp(x) == 0 else "metric values"
        why = f"the {which} are all equal: no order to compare"
        return MetricAgreement(metric, n, tier, reason=why)
    rho = _spearman(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ci = stats.bootstrap(
            (x, y), _spearman, paired=True, vectorized=False, n_resamples=RESAMPLES,
            method="percentile", rng=np.random.default_rng(0),
        ).confidence_interval  # fmt: skip
    low, high = (float(v) if math.isfinite(v) else None for v in (ci.low, ci.high))
    return MetricAgreement(metric, n, tier, rho, low, high)


def test_agreement(store: RunStore, test_id: str) -> TestAgreement:
    key = test_key(store, test_id)
    ratings = stored_ratings(store, test_id)
    stimuli = key["stimuli"]
    result = TestAgreement(test_id, key["design"], sorted({r.rater for r in ratings}))
    if key["design"] == "mushra":
        result.excluded = _screened(key, ratings)
    kept = [r for r in ratings if r.rater not in result.excluded]
    by_stimulus: dict[str, list[float]] = defaultdict(list)
    for r in kept:
        by_stimulus[r.stimulus].append(r.score)
    for kind in ("hidden_reference", "anchor"):
        scores = [s for sid, v in by_stimulus.items() if stimuli[sid]["kind"] == kind for s in v]
        setattr(result, kind, float(np.mean(scores)) if scores else None)
    human = {
        stimuli[sid]["trial_id"]: float(np.mean(v) * (100 if key["design"] == "ab" else 1))
        for sid, v in by_stimulus.items()
        if stimuli[sid]["kind"] == "system"
    }
    tier_of = {
        v["trial_id"]: v["item"].split("/", 1)[0] for v in stimuli.values() if v["kind"] == "system"
    }
    result.clips = len(human)
    values = clip_metric_values(store)
    for tier in sorted({tier_of[t] for t in human}):
        rated = {t: h for t, h in human.items() if tier_of[t] == tier}
        for name in sorted({m for t in rated for m in values.get(t, {})}):
            pairs = [(h, values[t][name]) for t, h in rated.items() if name in values.get(t, {})]
            result.metrics.append(
                metric_agreement(name, [p[0] for p in pairs], [p[1] for p in pairs], tier)
            )
    return result


def run_agreements(store: RunStore) -> list[TestAgreement]:
    """Every listening test of the run that has answers."""
    root = tests_dir(store)
    tests = sorted(p.parent.name for p in root.glob("*/ratings")) if root.is_dir() else []
    return [test_agreement(store, t) for t in tests]


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:+.2f}"


def _mean(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


def agreement_text(store: RunStore) -> str:
    """What `listen import` and `listen show` print: per test, raters and each metric's rho."""
    tests = run_agreements(store)
    if not tests:
        return f"no listening-test answers in {store.root} (audioprobe listen import)"
    lines = []
    for t in tests:
        scale = "MUSHRA rating 0-100" if t.design == "mushra" else "A/B wins, % of comparisons"
        lines.append(
            f"listening test {t.test_id} ({t.design}): {len(t.raters)}"
            f" rater{'' if len(t.raters) == 1 else 's'}, {t.clips} rated"
            f" clips; listeners' score = mean {scale}"
        )
        for rater, why in t.excluded.items():
            lines.append(f"  left out {rater}: {why}")
        if t.design == "mushra":
            ref, anchor = (_mean(v) for v in (t.hidden_reference, t.anchor))
            lines.append(f"  hidden reference mean {ref}, 3.5 kHz anchor mean {anchor}")
        if not t.metrics:
            lines.append("  no per-clip metric values for these clips: score the run first")
            continue
        width = max(len(m.metric) for m in t.metrics)
        head = f"  {'metric':<{width}}  {'n':>3}  {'Spearman rho':>12}"
        lines.append(head + "  95% bootstrap interval")
        tier = None
        for m in t.metrics:
            if m.tier != tier:
                tier = m.tier
                lines.append(f"  tier {tier}: rho over its clips")
            if m.rho is None:
                lines.append(f"  {m.metric:<{width}}  {m.n:>3}  {'—':>12}  {m.reason}")
            else:
                interval = f"[{_fmt(m.low)}, {_fmt(m.high)}]"
                lines.append(f"  {m.metric:<{width}}  {m.n:>3}  {m.rho:>+12.2f}  {interval}")
        lines.append("  (error-like metrics such as WER or cents error agree by a negative rho)")
    return "\n".join(lines)
