"""Paired comparisons: two systems on the same items (compare, the report), the tier-to-tier
claim per model, and rank agreement between embeddings."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.compare import claim_text
from audioprobe.results.measures import RunResults
from audioprobe.results.paired import claim_steps, claim_summary, model_pairs
from audioprobe.results.records import SetValue, Status
from audioprobe.scoring.config import load_config
from audioprobe.scoring.intervals import CLIP_BOOTSTRAP
from audioprobe.scoring.run import score_run
from audioprobe.store import RunStore
from audioprobe.tiers import load_tier
from tests.score_helpers import make_run, patch_models, registered_catalog, tone

#: What a scored run stores of its metrics (the comparable ones decide the claim's measures).
CATALOG = registered_catalog()

ITEMS = ["keyboard-a4", "sine-a4", "guitar-a3", "keyboard-c4", "sine-c4", "organ-c4"]


def _two_systems(tmp_path: Path, monkeypatch) -> Path:
    patch_models(monkeypatch, {}, {})
    notes = load_tier("notes")
    f0 = [notes.item(i).note.f0_hz for i in ITEMS]
    sharp = [5.0, 12.0, 20.0, 30.0, 45.0, 80.0]  # cents: b is further off on every item
    off = [f * 2 ** (c / 1200) for f, c in zip(f0, sharp, strict=True)]
    clips = {
        "a": [tone(f, noise=0.01, seed=k) for k, f in enumerate(f0)],
        "b": [tone(f, noise=0.01, seed=k) for k, f in enumerate(off)],
    }
    store = make_run(tmp_path / "run", "notes", ITEMS, clips)
    score_run(store, ["pitch", "task_success"], config=load_config({}))
    return store.root


def test_compare_prints_paired_differences_with_intervals_and_p_values(
    tmp_path: Path, isolated_cache: Path, monkeypatch
) -> None:
    root = _two_systems(tmp_path, monkeypatch)
    out = CliRunner().invoke(app, ["compare", str(root)])
    assert out.exit_code == 0, out.output
    assert "paired differences on shared items" in out.output
    line = next(x for x in out.output.splitlines() if "median |pitch-class cents|" in x)
    cells = line.split()
    # every difference has one sign: no bootstrap replicate reaches 0, the smallest p there is
    assert cells[-1] == f"{2 / (CLIP_BOOTSTRAP + 1):.3g}" and " a " in f" {line} " and " 6 " in line
    diffs = {d.measure: d for d in model_pairs(RunResults.of(RunStore.open(root)))}
    pc = diffs["median |pitch-class cents|"]
    assert pc.n == 6 and pc.diff < -5 and pc.low <= pc.diff <= pc.high < 0
    ts = diffs["task success"]  # b's 80-cent clip is out of tune: 1 of 6
    assert ts.diff == 1 / 6 and ts.low <= 0 and ts.p_value > 0.05
    for d in diffs.values():  # interval and p-value agree, whatever the measure
        if d.p_value is not None:
            assert (d.p_value < 0.05) == (d.low > 0 or d.high < 0), d


def test_no_verdict_from_too_few_items(tmp_path: Path, isolated_cache: Path, monkeypatch) -> None:
    patch_models(monkeypatch, {}, {})
    notes = load_tier("notes")
    items = ITEMS[:2]
    f0 = [notes.item(i).note.f0_hz for i in items]
    clips = {"a": [tone(f) for f in f0], "b": [tone(f * 2 ** (40 / 1200)) for f in f0]}
    store = make_run(tmp_path / "run", "notes", items, clips)
    score_run(store, ["pitch", "task_success"], config=load_config({}))
    out = CliRunner().invoke(app, ["compare", str(store.root)])
    assert out.exit_code == 0, out.output
    rows = [x for x in out.output.splitlines() if "median |pitch-class cents|" in x]
    assert rows and all("too few items for a verdict (n=2)" in x for x in rows), out.output
    for d in model_pairs(RunResults.of(store)):
        assert d.low is None and d.high is None and d.p_value is None
    measures = {m.column: m for m in RunResults.of(store).measures if m.model == "a"}
    assert measures["in_tune"].low is None
    assert "too few items for a verdict (n=2)" in measures["in_tune"].flags


def _trial(trial_id: str, item: str, model: str, tier: str, status: str = "ok") -> SimpleNamespace:
    """What the claim reads of a trial record."""
    return SimpleNamespace(trial_id=trial_id, item=item, model=model, tier=tier, status=status)


def _set(model: str, tier: str, column: str, value: float, **extra) -> SetValue:
    return SetValue(model, tier, "", column, column, "", Status.OK, "card", value, extra=extra)


def test_the_claim_is_stated_per_model_with_step_intervals() -> None:
    rng = np.random.default_rng(0)
    trials, sets = [], []
    for model, rates, fads in (
        ("falls", (0.9, 0.5, 0.1), (0.1, 0.5, 0.9)),
        ("flat", (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    ):
        for tier, rate, fad in zip(("notes", "environmental", "speech"), rates, fads, strict=True):
            outcomes = {}
            for i in range(40):
                tid = f"{model}/{tier}/item{i}/0"
                trials.append(_trial(tid, f"item{i}", model, tier))
                outcomes[tid] = float(i < rate * 40)
            sets.append(_set(model, tier, "task_success", rate, outcomes=outcomes))
            draws = list(fad + 0.02 * rng.standard_normal(200))
            sets.append(_set(model, tier, "fad_norm", fad, draws=draws, matched_n=40))
    results = RunResults(run=None, trials=trials, sets=sets, catalog=CATALOG)  # type: ignore[arg-type]
    steps = claim_steps(results)
    assert len(steps) == 8
    verdicts = {(s.model, s.measure, s.before): s.verdict for s in steps}
    assert verdicts[("falls", "task_success", "notes")] == "falls"
    assert verdicts[("falls", "fad_norm", "environmental")] == "falls"
    assert verdicts[("flat", "task_success", "notes")] == "no clear change"
    step = next(
        s for s in steps if (s.model, s.measure, s.before) == ("falls", "task_success", "notes")
    )
    assert abs(step.diff + 0.4) < 1e-9 and step.low < -0.4 < step.high < 0
    summary = claim_summary(steps)
    assert summary[("falls", "task_success")].endswith("the claim holds")
    assert summary[("flat", "fad_norm")].startswith("not shown")
    text = claim_text(steps)
    assert "falls, task_success: falls at every step: the claim holds" in text


def test_a_step_whose_draws_cannot_reach_p_005_has_no_verdict() -> None:
    """Twenty normalised-FAD draws per tier, every one of them worse after the step: the
    percentile interval clears zero, but the smallest p twenty draws allow is 2/21 = 0.095, and
    the study's first table printed "falls" beside that p. A verdict needs both tests."""
    rng = np.random.default_rng(1)
    trials, sets = [], []
    for tier, fad in zip(("notes", "environmental"), (0.2, 0.6), strict=True):
        trials.append(_trial(f"m/{tier}/a/0", "a", "m", tier))
        for draws in (20, 200):
            values = list(fad + 0.02 * rng.standard_normal(draws))
            sets.append(_set(f"m{draws}", tier, "fad_norm", fad, draws=values, matched_n=10))
            trials.append(_trial(f"m{draws}/{tier}/a/0", "a", f"m{draws}", tier))
    results = RunResults(run=None, trials=trials, sets=sets, catalog=CATALOG)  # type: ignore[arg-type]
    steps = {s.model: s for s in claim_steps(results) if s.measure == "fad_norm"}
    few, many = steps["m20"], steps["m200"]
    assert few.high is not None and few.low is not None and few.low > 0  # interval clear of 0
    assert few.p_value == pytest.approx(2 / 21) and few.verdict == "no clear change"
    assert many.p_value == pytest.approx(2 / 201) and many.verdict == "falls"


def test_a_claim_step_has_the_p_value_of_a_two_proportion_test() -> None:
    """A step of task success from 50 % to 30 % over 60 items a tier: its bootstrap p is close to
    the textbook two-proportion z-test's (about 0.026), and agrees with its interval."""
    from scipy.stats import norm

    trials, sets = [], []
    for tier, rate in (("notes", 0.5), ("environmental", 0.3), ("speech", 0.3)):
        outcomes = {}
        for i in range(60):
            tid = f"m/{tier}/item{i}/0"
            trials.append(_trial(tid, f"{tier}-{i}", "m", tier))
            outcomes[tid] = float(i < rate * 60)
        sets.append(_set("m", tier, "task_success", rate, outcomes=outcomes))
    steps = claim_steps(RunResults(run=None, trials=trials, sets=sets, catalog=CATALOG))  # type: ignore[arg-type]
    first, second = steps
    pooled = 0.4
    z = 0.2 / np.sqrt(pooled * (1 - pooled) * 2 / 60)
    textbook = 2 * norm.sf(z)
    assert 0.5 * textbook < first.p_value < 2 * textbook, (first.p_value, textbook)
    assert (first.p_value < 0.05) == (first.high < 0)
    assert second.p_value > 0.5 and second.verdict == "no clear change"
    assert f"{first.p_value:.3g}" in claim_text(steps)


def test_a_tier_step_over_one_item_has_no_verdict() -> None:
    trials, sets = [], []
    for tier, rate in (("notes", 1.0), ("environmental", 0.0), ("speech", 0.0)):
        tid = f"m/{tier}/only/0"
        trials.append(_trial(tid, "only", "m", tier))
        sets.append(_set("m", tier, "task_success", rate, outcomes={tid: rate}))
    steps = claim_steps(RunResults(run=None, trials=trials, sets=sets, catalog=CATALOG))  # type: ignore[arg-type]
    assert steps and all(s.verdict == "too few items for a verdict (n=1)" for s in steps)
    assert all(s.low is None and s.high is None for s in steps)
    text = claim_text(steps)
    assert "falls" not in text.split("\n", 1)[1] and "[-1, -1]" not in text


def test_rank_agreement_between_embeddings_is_kendall_tau() -> None:
    from audioprobe.results.paired import rank_agreement

    def fad(model: str, emb: str, value: float) -> SetValue:
        return SetValue(model, "notes", "", "fad", "fad", emb, Status.OK, "c", value)

    values = {"m1": (1.0, 10.0), "m2": (2.0, 30.0), "m3": (3.0, 20.0)}
    sets = [fad(m, e, v[k]) for m, v in values.items() for k, e in enumerate(("aisfx", "vggish"))]
    results = RunResults(run=None, trials=[], sets=sets, catalog=CATALOG)  # type: ignore[arg-type]
    (found,) = rank_agreement(results)
    # pairs (m1,m2) and (m1,m3) agree, (m2,m3) disagree: (2 - 1) / 3
    assert found.embeddings == ("aisfx", "vggish") and found.models == 3
    assert found.tau == pytest.approx(1 / 3)


def test_compare_against_another_run_pairs_same_named_models(
    tmp_path: Path, isolated_cache: Path, monkeypatch
) -> None:
    root = _two_systems(tmp_path, monkeypatch)
    out = CliRunner().invoke(app, ["compare", str(root), "--against", str(root)])
    assert out.exit_code == 0, out.output
    assert "each model against the same model" in out.output
    line = next(x for x in out.output.splitlines() if "a (ours)" in x and "task success" in x)
    assert "+0 " in line or " 0 " in line  # a run against itself: no difference


def test_a_tier_without_the_measure_is_a_step_not_measured_and_the_claim_is_not_shown() -> None:
    """A real run's speech tier scored without WER has no task success: the claim over notes and
    environmental alone must not read as "falls at every step: the claim holds"."""
    trials, sets = [], []
    for tier, rate in (("notes", 0.9), ("environmental", 0.1), ("speech", None)):
        outcomes = {}
        for i in range(40):
            tid = f"m/{tier}/item{i}/0"
            trials.append(_trial(tid, f"{tier}-{i}", "m", tier))
            outcomes[tid] = float(i < (rate or 0) * 40)
        if rate is None:
            why = "needs the wer metric scored for this tier (score -m wer,task_success)"
            sets.append(
                SetValue("m", tier, "", "task_success", "task_success", "",
                         Status.UNAVAILABLE, "card", reason=why)
            )  # fmt: skip
        else:
            sets.append(_set("m", tier, "task_success", rate, outcomes=outcomes))
    # a baseline that answers speech only: its other tiers are no rungs of its ladder
    for i in range(40):
        for tier in ("notes", "environmental"):
            trials.append(_trial(f"b/{tier}/item{i}/0", f"{tier}-{i}", "b", tier, "unavailable"))
        trials.append(_trial(f"b/speech/item{i}/0", f"speech-{i}", "b", "speech"))
    sets.append(_set("b", "speech", "task_success", 0.9, outcomes={}))
    steps = claim_steps(RunResults(run=None, trials=trials, sets=sets, catalog=CATALOG))  # type: ignore[arg-type]
    assert [(s.model, s.before, s.after) for s in steps] == [
        ("m", "notes", "environmental"),
        ("m", "environmental", "speech"),
    ]
    measured, unmeasured = steps
    assert measured.verdict == "falls"
    assert unmeasured.verdict == "not measured: speech: needs the wer metric scored for this tier" \
        " (score -m wer,task_success)"  # fmt: skip
    summary = claim_summary(steps)[("m", "task_success")]
    assert summary.startswith("not shown: notes→environmental falls, environmental→speech not")
    text = claim_text(steps)
    assert "the claim holds" not in text
    assert "environmental → speech" in text and "—" in text


def test_compare_against_a_run_without_the_same_models_says_so_once_per_question(
    tmp_path: Path, isolated_cache: Path, monkeypatch
) -> None:
    """Both questions came back empty with one sentence, printed twice, that answered only the
    first ("no two systems share an item")."""
    patch_models(monkeypatch, {}, {})
    f0 = load_tier("notes").item(ITEMS[0]).note.f0_hz
    runs = []
    for name in ("ours", "theirs"):
        store = make_run(tmp_path / name, "notes", ITEMS[:1], {name: [tone(f0, noise=0.01)]})
        score_run(store, ["pitch"], config=load_config({}))
        runs.append(str(store.root))
    out = CliRunner().invoke(app, ["compare", runs[0], "--against", runs[1]])
    assert out.exit_code == 0, out.output
    assert out.output.count("no two systems share an item with a number") == 1
    assert f"no model shares an item with a number with the same model in {runs[1]}" in out.output
