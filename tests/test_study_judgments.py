"""What a multi-system study reads, on one scored run: normalised FAD for every system that
applies, at the declared n (a baseline of other tiers, a silent system or a weak one moves no
one else's number), items
whose class has no reference clips left out and said to be, and the trials export's per-trial
task success agreeing with the set value. Fast: fake embeddings and reference tones (the real
embeddings run in tests/test_study_real.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from audioprobe.results.export import table
from audioprobe.results.measures import RunResults
from audioprobe.results.records import Status
from audioprobe.scoring.config import load_config
from audioprobe.scoring.run import score_run
from audioprobe.store import RunStore, TrialKey
from tests.score_helpers import FakeEmbedding, make_refs, make_run, patch_models, tone

F0 = {"dog": 200.0, "rooster": 900.0, "pig": 420.0}
ITEMS = ["dog", "rooster", "pig", "clapping"]  # clapping: a class with no reference clips


def _set_status(store: RunStore, model: str, status: str, error: str, **more) -> None:
    for t in store.trials():
        if t.model == model:
            record = dict(
                t.record.stored(), status=status, error=error, wav=None, audio=None, **more
            )
            store.save_trial(TrialKey(t.model, "replay", t.tier, t.item, t.sample), record)


@pytest.fixture
def scored(tmp_path: Path, isolated_cache: Path, monkeypatch) -> RunStore:
    refs = make_refs(tmp_path / "refs", F0, per_class=10)
    patch_models(monkeypatch, {"aisfx": FakeEmbedding("aisfx")}, {"environmental": refs})
    clips = [tone(F0.get(i, 3000.0), noise=0.05, seed=k) for k, i in enumerate(ITEMS)]
    store = make_run(
        tmp_path / "run",
        "environmental",
        ITEMS,
        {
            "llm-a": clips,
            # a dog that sounds like a rooster
            "llm-b": [tone(F0["rooster"], noise=0.05, seed=9), *clips[1:]],
            "silent": [None] * 4,
            "piper": [None] * 4,
        },
    )
    _set_status(store, "silent", "invalid_audio", "audio is silent (peak 0 < 0.0001)")
    why = "piper is a speech model; not applicable to tier environmental"
    generator = {"baseline": "piper", "tiers": ["speech"]}  # as its trials record it
    _set_status(store, "piper", "unavailable", why, generator=generator)
    over = {
        "tiers": {"environmental": {"embeddings": ["aisfx"], "clap": "clap-general"}},
        "fad_norm": {"n": 3},
    }
    score_run(store, ["fad_norm", "task_success"], config=load_config(over))
    return store


def test_normalised_fad_is_measured_at_the_declared_n_for_every_system(scored: RunStore) -> None:
    results = RunResults.of(scored)
    norm = {v.model: v for v in results.sets if v.metric == "fad_norm" and not v.class_key}
    for model in ("llm-a", "llm-b"):
        v = norm[model]
        assert v.status == Status.OK and v.value is not None, (model, v.reason)
        assert v.extra["matched_n"] == 3 and v.n_generated == 3  # clapping is out
        note = " ".join(v.flags)
        assert "n = 3 clips a draw (fad_norm.n)" in note
        assert "1 item(s) out, no reference clips of their class: clapping" in note
    assert norm["silent"].status == Status.TOO_FEW
    assert "0 clips < n = 3 (fad_norm.n" in norm["silent"].reason
    assert norm["piper"].status == Status.NOT_APPLICABLE
    assert "does not apply to environmental" in norm["piper"].reason
    same = {v.extra["floor_fad"] for v in (norm["llm-a"], norm["llm-b"])}
    assert len(same) == 1  # the same reference splits for every system of the tier


def test_a_system_with_fewer_clips_is_too_few_and_moves_no_one_else(
    tmp_path: Path, isolated_cache: Path, monkeypatch
) -> None:
    """The study's 0.5B model renders 4 clips in 207 answers. Under a matched n found from the
    run's smallest set, its joining the run moved every other system's number to n = 4; at a
    declared n it is "too few" with its count, and the others' numbers are as they were."""
    refs = make_refs(tmp_path / "refs", F0, per_class=10)
    patch_models(monkeypatch, {"aisfx": FakeEmbedding("aisfx")}, {"environmental": refs})
    ids = list(F0)
    clips = [tone(F0[i], noise=0.05, seed=k) for k, i in enumerate(ids)]
    over = {
        "tiers": {"environmental": {"embeddings": ["aisfx"], "clap": "clap-general"}},
        "fad_norm": {"n": 3, "draws": 40},
    }

    def score(systems: dict) -> dict:
        store = make_run(tmp_path / f"run{len(systems)}", "environmental", ids, systems)
        score_run(store, ["fad_norm"], config=load_config(over))
        return {v.model: v for v in RunResults.of(store).sets if not v.class_key}

    alone = score({"llm": clips})
    joined = score({"llm": clips, "weak": [clips[0], None, None]})
    assert joined["weak"].status == Status.TOO_FEW
    assert joined["weak"].reason.startswith("1 clips < n = 3 (fad_norm.n")
    assert joined["llm"].value == alone["llm"].value
    assert joined["llm"].extra["draws"] == alone["llm"].extra["draws"]


def test_trials_export_has_each_verdict_and_agrees_with_the_set(scored: RunStore) -> None:
    results = RunResults.of(scored)
    _, rows = table(results, "trials")
    sets = {v.model: v for v in results.sets if v.metric == "task_success" and not v.class_key}
    for model in ("llm-a", "llm-b", "silent"):
        mine = [r for r in rows if r["model"] == model]
        judged = [r["task_success"] for r in mine if r["task_success"] is not None]
        assert sets[model].value == pytest.approx(sum(judged) / len(judged)), model
        assert sets[model].n_generated == len(judged) == 3
        clap = next(r for r in mine if r["item"] == "clapping")
        assert (
            clap["task_success"] is None
            and "no clips of class clapping" in clap["task_success_reason"]
        )
        assert sets[model].extra["excluded_items"] == ["clapping"]
    dog = next(r for r in rows if r["model"] == "llm-b" and r["item"] == "dog")
    assert dog["task_success"] == 0 and dog["task_success.recognised"] == "rooster"
    assert dog["task_success.neighbours"].split()[0] == "rooster"
    assert sets["llm-a"].value == 1.0 and sets["llm-b"].value == pytest.approx(2 / 3)
    assert sets["silent"].value == 0.0  # silent clips did not render: failures, counted
    assert sets["piper"].status == Status.NOT_APPLICABLE


def test_a_baseline_without_its_weights_is_unavailable_not_inapplicable(
    tmp_path: Path, isolated_cache: Path, monkeypatch
) -> None:
    refs = make_refs(tmp_path / "refs", F0, per_class=10)
    patch_models(monkeypatch, {"aisfx": FakeEmbedding("aisfx")}, {"environmental": refs})
    items = ITEMS[:3]
    clips = [tone(F0[i], noise=0.05, seed=k) for k, i in enumerate(items)]
    store = make_run(tmp_path / "run", "environmental", items, {"llm": clips, "gen": [None] * 3})
    why = "weights for audioldm2 not found; run `audioprobe models pull audioldm2`"
    generator = {"baseline": "audioldm2", "tiers": ["environmental", "notes"]}
    _set_status(store, "gen", "unavailable", why, generator=generator)
    over = {
        "tiers": {"environmental": {"embeddings": ["aisfx"], "clap": "clap-general"}},
        "fad_norm": {"n": 3},
    }
    score_run(store, ["fad_norm"], config=load_config(over))
    got = {v.model: v for v in RunResults.of(store).sets if not v.class_key}
    assert got["gen"].status == Status.UNAVAILABLE and "models pull audioldm2" in got["gen"].reason
    assert got["llm"].status == Status.OK and got["llm"].extra["matched_n"] == 3


def test_a_speech_trial_is_offered_references_of_its_own_sentence() -> None:
    from types import SimpleNamespace

    from audioprobe.report.assets import item_clips

    clips = [
        SimpleNamespace(path=f"{sid}-{voice}.wav", meta={"sentence_id": sid})
        for sid in ("harvard-07", "harvard-01", "harvard-02")
        for voice in ("piper", "espeak")
    ]
    mine, how = item_clips(clips, "harvard-01")
    assert [c.path for c in mine] == ["harvard-01-piper.wav", "harvard-01-espeak.wav"]
    assert how == "of the same sentence (harvard-01)"
    unlabelled = [SimpleNamespace(path="dog.wav", meta={})]
    assert item_clips(unlabelled, "dog") == (unlabelled, "")  # classes without sentences: all
