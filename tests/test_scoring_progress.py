"""Scoring is never silent for long: building a reference set says how many clips it has made
every few seconds, and embedding says how many clips it computes and how far it has got, to
whatever listens (score's lines, report's status)."""

from __future__ import annotations

import numpy as np

from audioprobe.references import store


def test_the_set_writer_reports_its_clips_while_a_build_runs(isolated_cache, monkeypatch):
    heard: list[str] = []
    clock = iter(float(t) for t in range(0, 100, 3))  # each clip "takes" 3 s
    monkeypatch.setattr(store.time, "monotonic", lambda: next(clock))
    with store.writing("progress-test", log=heard.append) as writer:
        for n in range(6):
            writer.add(
                f"c{n}", np.zeros(1600, dtype=np.float32), class_key="tone",
                source="test", license="CC0", original_sample_rate=16000,
            )  # fmt: skip
        writer.abort()
    # a line once 5 s have passed since the last: after clips 2, 4 and 6 (t = 6, 12, 18 s)
    assert heard == [f"progress-test: building, {n} clips so far ..." for n in (2, 4, 6)]


def test_embedding_says_how_many_clips_it_computes_and_how_far_it_is(tmp_path, monkeypatch):
    from audioprobe.scoring import embed_cache

    clock = iter(float(t) for t in range(0, 1000, 3))  # each batch "takes" 3 s
    monkeypatch.setattr(embed_cache.time, "monotonic", lambda: next(clock))
    cache = embed_cache.EmbeddingCache(tmp_path / "emb")
    heard: list[str] = []
    keys = [f"{n:064x}" for n in range(40)]
    vectors = cache.embed(
        "card", keys, lambda i: np.full(8, float(i)), lambda batch: np.stack(batch)[:, :4],
        batch_size=4, progress=heard.append, label="notes: fake",
    )  # fmt: skip
    assert vectors.shape == (40, 4) and vectors[7, 0] == 7.0
    assert heard[0] == "notes: fake: embedding 40 clips (0 cached)"
    assert heard[1:] and all(line.endswith("/40 clips embedded") for line in heard[1:])
    again: list[str] = []
    cache.embed("card", keys, lambda i: np.zeros(8), np.stack, progress=again.append, label="x")
    assert again == []  # all cached: nothing computed, nothing to say
