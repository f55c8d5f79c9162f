"""The published first study, checked as a reader would: `audioprobe reproduce --limit 1` on
`results/study-2026-12-07` re-renders the first item of each tier for every system in the real
sandbox and re-scores it with the real embeddings (aisfx, Whisper) and reference sets in a fresh
cache; every compared number must be the published one."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.publication.reproduce import compare, load_publication
from audioprobe.store import RunStore

STUDY = Path(__file__).resolve().parents[1] / "results" / "study-2026-12-07"
runner = CliRunner()


def test_the_first_item_of_each_tier_of_the_published_study_reproduces(tmp_path, isolated_cache):
    out = tmp_path / "check"
    result = runner.invoke(app, ["reproduce", str(STUDY), "--limit", "1", "--out", str(out)])
    said = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "--limit 1:" in said and "mismatch" in said  # the diff table, with its limit noted

    publication = load_publication(STUDY)
    store = RunStore.open(out)
    firsts = {tier: items[0] for tier, items in publication["items"].items()}
    systems = {m["name"] for m in publication["models"]}
    trials = store.trials()
    assert {(t.tier, t.item) for t in trials} == set(firsts.items())
    assert len(trials) == len(firsts) * len(systems) * publication["spec"]["samples"]

    checked = compare(STUDY, publication, store, 1).comparison
    assert not checked.mismatches, checked.mismatches[:5]
    # the numbers that pass through a network were compared, not skipped: task success (the
    # environmental kNN on aisfx, Whisper's WER), DNSMOS, and the clip measures
    assert checked.counts[("trials", "neural", "equal")] >= 100
    assert checked.counts[("trials", "float", "equal")] >= 100
    assert checked.counts[("renders", "exact", "equal")] == len(trials) * 9
    published = {r["trial_id"]: r for r in csv.DictReader((STUDY / "trials.csv").open())}
    ours = {t.trial_id for t in trials}
    wer = [published[t]["metric.wer"] for t in ours if published[t]["metric.wer"]]
    assert wer, "no speech clip of the first sentence was scored"
