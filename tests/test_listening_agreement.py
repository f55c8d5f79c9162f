"""Agreement of a metric with listeners: Spearman rho against an independent rank computation,
its bootstrap interval, and the reasons given instead of a number."""

from __future__ import annotations

import numpy as np
import pytest

from audioprobe.listening.agreement import MIN_CLIPS, metric_agreement


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share the mean of their positions), by hand."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(1, len(x) + 1)
    for value in np.unique(x):
        tied = x == value
        ranks[tied] = ranks[tied].mean()
    return ranks


def test_rho_matches_pearson_of_ranks_and_the_interval_holds_it():
    rng = np.random.default_rng(7)
    quality = rng.uniform(0, 1, 30)
    human = np.round(100 * quality + rng.normal(0, 15, 30))  # integer ratings: ties
    machine = quality + rng.normal(0, 0.3, 30)
    got = metric_agreement("m", list(human), list(machine))
    expected = np.corrcoef(_ranks(human), _ranks(machine))[0, 1]
    assert got.n == 30 and got.rho == pytest.approx(expected, abs=1e-12)
    assert got.low is not None and got.high is not None
    assert got.low < got.rho < got.high and 0.1 < got.high - got.low < 1.0


def test_too_few_or_constant_values_give_reasons():
    few = metric_agreement("m", [1.0, 2.0, 3.0], [3.0, 2.0, 1.0])
    assert few.rho is None and f"need {MIN_CLIPS}" in (few.reason or "")
    flat = metric_agreement("m", [50.0] * 5, [1.0, 2.0, 3.0, 4.0, 5.0])
    assert flat.rho is None and "ratings are all equal" in (flat.reason or "")


def test_rho_is_per_tier_not_pooled_over_tiers(tmp_path):
    """Within each tier the metric orders the clips as listeners do (rho +1), though its scale
    differs between tiers so much that pooled clips would rank the tiers, not the clips."""
    from audioprobe import atomic
    from audioprobe.listening.agreement import test_agreement
    from audioprobe.listening.export import tests_dir
    from audioprobe.results.records import ClipValue, Status
    from audioprobe.results.tables import ensure_tables, record_cards, write_clip_values
    from audioprobe.store import RunStore, TrialKey

    store = RunStore.create(tmp_path / "run", {"run_id": "r", "spec": {"name": "r"}, "items": {}})
    ensure_tables(store)
    record_cards(store, "r", {"c": ({"metric": "test"}, "clap_score", "", "notes")})
    # each tier: the rating rises with the metric; speech's values are all higher, its ratings
    # all lower (a harder tier on another scale)
    rated = {("notes", k): (0.1 * k, 50 + 10.0 * k) for k in range(1, 5)}
    rated |= {("speech", k): (10 + 0.1 * k, 5.0 * k) for k in range(1, 5)}
    stimuli, values, rows = {}, [], ["test_id,rater,stimulus,score"]
    for n, ((tier, k), (metric, rating)) in enumerate(rated.items()):
        key = TrialKey("sys", "replay", tier, f"i{k}", 0)
        stimuli[f"s{n}"] = {"kind": "system", "item": f"{tier}/i{k}", "trial_id": key.trial_id}
        values.append(
            ClipValue(key.trial_id, "clap_score", "clap_score", "", Status.OK, "c", metric)
        )
        rows.append(f"t,rater-01,s{n},{rating}")
    write_clip_values(store, values, wav={})
    folder = tests_dir(store) / "t"
    atomic.write_json(folder / "key.json", {"test_id": "t", "design": "mushra", "stimuli": stimuli})
    atomic.write_text(folder / "ratings" / "rater-01.csv", "\n".join(rows) + "\n")
    found = {m.tier: m for m in test_agreement(store, "t").metrics}
    assert set(found) == {"notes", "speech"}
    assert found["notes"].rho == pytest.approx(1.0) and found["speech"].rho == pytest.approx(1.0)
    assert found["notes"].n == found["speech"].n == 4
    pooled = metric_agreement("m", [r for _, r in rated.values()], [m for m, _ in rated.values()])
    assert pooled.rho is not None and pooled.rho < 0  # what pooling the tiers would have said
