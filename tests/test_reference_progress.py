"""Building a reference set is never silent: the writer every clip passes through says how many
clips it has made every few seconds, to whatever listens (score's lines, report's status)."""

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
