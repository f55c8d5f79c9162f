"""Reference clips beside a trial are ranked by the embeddings scoring cached."""

from __future__ import annotations

import soundfile as sf
from score_helpers import FakeEmbedding, make_refs, make_run, patch_models

from audioprobe.report.nearest import NearestFinder
from audioprobe.scoring import score_run
from audioprobe.scoring.config import load_config


def test_a_clip_identical_to_a_reference_ranks_that_reference_first(
    tmp_path, isolated_cache, monkeypatch
):
    refs = make_refs(tmp_path / "refs", {"keyboard": 440.0, "organ": 261.63})
    patch_models(monkeypatch, {"aisfx": FakeEmbedding("aisfx")}, {"notes": refs})
    twin = refs.clips("keyboard")[5]
    audio, _ = sf.read(str(twin.path), dtype="float32")
    store = make_run(tmp_path / "run", "notes", ["keyboard-a4"], {"m": [audio]})
    score_run(store, ["fad"], config=load_config({"bootstrap": {"n": 0}}))

    trial = store.trials()[0]
    ranked = NearestFinder(store).rank(trial, refs.clips("keyboard"), 3)
    assert ranked is not None and ranked.embedding == "aisfx"
    assert ranked.clips[0].sha256 == twin.sha256
    assert len(ranked.clips) == 3 and ranked.total == len(refs.clips("keyboard"))


def test_unscored_run_gives_no_ranking(tmp_path, isolated_cache, monkeypatch):
    refs = make_refs(tmp_path / "refs", {"keyboard": 440.0}, per_class=3)
    audio, _ = sf.read(str(refs.clips("keyboard")[0].path), dtype="float32")
    store = make_run(tmp_path / "run", "notes", ["keyboard-a4"], {"m": [audio]})
    assert NearestFinder(store).rank(store.trials()[0], refs.clips("keyboard"), 3) is None
