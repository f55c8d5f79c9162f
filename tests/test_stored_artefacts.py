"""Every cached or stored artefact is checked when read: a damaged embedding-cache entry is
recomputed (its path logged), never turning a tier's FAD/KAD into `error`; a clip changed after
its run is caught by its sha256 at score time and not scored as the model's; one unreadable clip
is named in the report and the viewer while every other trial is shown."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pytest
from score_helpers import FakeEmbedding, make_refs, make_run, patch_models, tone
from starlette.testclient import TestClient
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.results import RunResults, Status
from audioprobe.results.tables import clip_values
from audioprobe.scoring import score_run
from audioprobe.scoring.config import load_config
from audioprobe.scoring.embed_cache import EmbeddingCache
from audioprobe.store import RunStore
from audioprobe.viewer.server import Viewer

ITEMS = [
    "keyboard-c4", "keyboard-a4", "keyboard-e5", "organ-c3", "organ-c4", "organ-g4",
    "guitar-e3", "guitar-a3", "guitar-e4", "sine-a4", "sine-c4", "string-a5",
]  # fmt: skip
CONFIG = load_config({"bootstrap": {"n": 20}, "fad": {"infinity": {"steps": 3, "repeats": 2}}})
runner = CliRunner()


@pytest.fixture
def run12(tmp_path: Path, isolated_cache: Path, monkeypatch: pytest.MonkeyPatch):
    classes = {"keyboard": 440.0, "organ": 261.63, "guitar": 196.0, "tone_sine": 440.0}
    refs = make_refs(tmp_path / "refs", classes | {"string": 880.0}, per_class=4)
    emb = FakeEmbedding("aisfx")
    patch_models(monkeypatch, {"aisfx": emb}, {"notes": refs})
    clips = [tone(200.0 + 37 * i, noise=0.02, seed=i) for i in range(len(ITEMS))]
    store = make_run(tmp_path / "run", "notes", ITEMS, {"llm": clips})
    return store, emb, isolated_cache


def _set_cells(store: RunStore) -> dict[str, object]:
    return {m.key: m for m in RunResults.of(store).measures if m.model == "llm"}


def _cache_files(cache: Path) -> list[Path]:
    return sorted((cache / "embeddings").rglob("*.npy"))


@pytest.mark.parametrize(
    "damage",
    ["empty", "garbage", "nan", "wrong-length", "two-dimensional", "integers"],
)
def test_a_damaged_embedding_cache_entry_is_recomputed(run12, damage: str, caplog) -> None:
    store, emb, cache = run12
    score_run(store, ["fad", "kad"], config=CONFIG)
    good = _set_cells(store)
    assert good["fad[aisfx]"].status == Status.OK
    victim = next(p for p in _cache_files(cache) if "embeddings" in str(p))
    original = np.load(victim)
    if damage == "empty":
        victim.write_bytes(b"")
    elif damage == "garbage":
        victim.write_bytes(os.urandom(300))
    else:
        bad = {
            "nan": np.full_like(original, np.nan),
            "wrong-length": original[:5],
            "two-dimensional": np.stack([original, original]),
            "integers": original.astype(np.int64),
        }[damage]
        np.save(victim, bad)
    # the set metrics are computed again from the cache (new card: another bootstrap size)
    calls = emb.calls
    with caplog.at_level(logging.WARNING):
        score_run(store, ["fad", "kad"], config=load_config({"bootstrap": {"n": 21}}))
    cells = _set_cells(store)
    for key in ("fad[aisfx]", "kad[aisfx]"):
        assert cells[key].status == Status.OK, (key, cells[key].reason)
        assert np.isfinite(cells[key].value)
    assert emb.calls == calls + 1, "exactly the damaged vector is embedded again"
    assert str(victim) in caplog.text
    assert np.allclose(np.load(victim), original)


def test_the_cache_reader_names_each_damaged_entry(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path)
    cache.put("card", "ab" * 32, np.ones(8, dtype=np.float32))
    assert cache.get("card", "ab" * 32) is not None
    cache.path("card", "ab" * 32).write_bytes(b"")
    assert cache.get("card", "ab" * 32) is None
    assert cache.damaged and cache.damaged[0][0] == cache.path("card", "ab" * 32)


def test_a_clip_changed_after_its_run_is_not_scored_as_the_models(run12) -> None:
    store, _emb, _cache = run12
    score_run(store, ["duration", "fad"], config=CONFIG)
    trial = next(t for t in store.trials() if t.item == "keyboard-c4")
    assert trial.wav_path is not None
    import soundfile as sf

    sf.write(trial.wav_path, tone(1000.0, seconds=2.0), 16000)  # replaced after the run
    score_run(store, ["duration", "fad"], config=CONFIG)
    values = [v for v in clip_values(store) if v.trial_id == trial.trial_id]
    assert values and all(v.status == Status.ERROR for v in values)
    assert all("changed after the run" in (v.reason or "") for v in values)
    fad = _set_cells(store)["fad[aisfx]"]
    assert fad.status == Status.OK and fad.n == len(ITEMS) - 1  # left out of the set


@pytest.mark.parametrize("content", [b"", b"RIFF" + os.urandom(2000), os.urandom(4096)])
def test_one_unreadable_clip_does_not_break_the_report_or_the_viewer(
    run12, tmp_path: Path, content: bytes
) -> None:
    store, _emb, _cache = run12
    trial = next(t for t in store.trials() if t.item == "organ-c4")
    assert trial.wav_path is not None
    trial.wav_path.write_bytes(content)
    result = runner.invoke(app, ["report", str(store.root), "--refs-per-trial", "0"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    listing = (store.root / "report" / "data" / "trials.js").read_text()
    assert "clip unreadable" in listing
    assert listing.count('"audio/') == len(ITEMS) - 1  # every other clip is playable
    (store.root / "report" / "source.txt").unlink()  # the viewer writes it again
    client = TestClient(Viewer(tmp_path, refs_per_trial=0).app(), base_url="http://127.0.0.1")
    page = client.get("/runs/run/report/index.html")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")


def test_damaged_report_media_and_media_cache_are_made_again(run12, tmp_path: Path) -> None:
    """A playable copy, an original or a spectrogram left empty or garbled (a full disk, a
    killed report) is not reused by the next report: each is placed or drawn again."""
    import soundfile as sf

    store, _emb, cache = run12
    report = ["report", str(store.root), "--refs-per-trial", "0"]
    assert runner.invoke(app, report).exit_code == 0
    folder = store.root / "report"
    flac, wav, png = (sorted((folder / sub).iterdir())[0] for sub in ("audio", "orig", "img/spec"))
    cached = sorted((cache / "media").rglob("*.flac"))[0]
    # new files in their place: the report's media are hard links of the cache and the clips
    for path, data in ((flac, b""), (cached, b"fLaC" + os.urandom(100)),
                       (wav, wav.read_bytes()[:100]), (png, b"")):  # fmt: skip
        path.unlink()
        path.write_bytes(data)
    assert runner.invoke(app, report).exit_code == 0
    assert sf.info(str(flac)).format == "FLAC" and sf.info(str(cached)).format == "FLAC"
    assert sf.info(str(wav)).frames > 1000
    assert png.read_bytes()[:4] == b"\x89PNG"
