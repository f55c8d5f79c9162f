"""`run --shard i/N` and `merge`: a run split for a batch scheduler, joined again, is the run."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil

import pytest
from cluster_helpers import cli, fake_scoring, metric_values, outcomes, wav_hashes, write_spec
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.shard import parse_shard, shard_of
from audioprobe.store import RunStore


def _export(run) -> list[dict[str, str]]:
    result = CliRunner().invoke(app, ["export", str(run), "--format", "csv", "--table", "trials"])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.output)))


def test_shard_of_is_the_documented_hash_rule():
    """1 + (first 8 bytes of sha256(trial id), big-endian) mod N, computed here independently."""
    for trial_id in ("m/notes/sine-a4/0", "other/speech/harvard-01/3", "ü/environmental/rain/1"):
        digest = hashlib.sha256(trial_id.encode()).digest()
        for count in (1, 2, 3, 7, 100):
            assert shard_of(trial_id, count) == 1 + int.from_bytes(digest[:8], "big") % count
    ids = [f"m{m}/notes/item-{i}/{s}" for m in range(3) for i in range(40) for s in range(3)]
    sizes = [sum(shard_of(t, 4) == k for t in ids) for k in (1, 2, 3, 4)]
    assert sum(sizes) == len(ids) and min(sizes) > len(ids) / 4 * 0.7, sizes  # even enough
    assert parse_shard(" 2 / 8 ").index == 2


def test_bad_shard_is_one_line_and_leaves_no_folder(tmp_path, isolated_cache):
    spec = write_spec(tmp_path)
    bad_shards = (
        ("0/2", "from 1 to 2"),
        ("3/2", "from 1 to 2"),
        ("1/0", "at least 1"),
        ("1of2", "i/N"),
    )
    for bad, says in bad_shards:
        out = cli("run", str(spec), "--shard", bad, "--out", str(tmp_path / "r"), code=2)
        assert says in out and "Traceback" not in out
        assert not (tmp_path / "r").exists()


@pytest.mark.slow  # kept out of make test's 15 minutes; make test-all runs it
def test_two_shards_merged_equal_the_unsharded_run(tmp_path, isolated_cache, monkeypatch):
    spec = write_spec(tmp_path)
    whole, one, two, merged = (tmp_path / n for n in ("whole", "s1", "s2", "merged"))
    cli("run", str(spec), "--out", str(whole))
    said = cli("run", str(spec), "--shard", "1/2", "--out", str(one))
    assert "of 18)" in said
    cli("run", str(spec), "--shard", "2/2", "--out", str(two))

    parts = [set(outcomes(one)), set(outcomes(two))]
    assert parts[0] and parts[1] and not parts[0] & parts[1]  # disjoint, neither empty
    assert parts[0] | parts[1] == set(outcomes(whole))
    # a shard's index rebuilt from its folders still holds only its own trials
    (one / "index.sqlite").unlink()
    assert set(outcomes(one)) == parts[0]

    # the merge refuses what does not join into one run, in one line, writing nothing
    said = cli("merge", str(one), "--out", str(merged), code=2)
    assert "shard(s) 2 of 2 missing" in said and not merged.exists()
    said = cli("merge", str(one), str(one), "--out", str(merged), code=2)
    assert "given twice" in said and not merged.exists()
    said = cli("merge", str(one), str(whole), "--out", str(merged), code=2)
    assert "is not a shard" in said
    other = tmp_path / "s2-other-seed"
    shutil.copytree(two, other)
    manifest = json.loads((other / "run.json").read_text())
    manifest["spec"]["seed"] = 8
    (other / "run.json").write_text(json.dumps(manifest))
    said = cli("merge", str(one), str(other), "--out", str(merged), code=2)
    assert "differ in run.json's spec.seed" in said and not merged.exists()

    said = cli("merge", str(two), str(one), "--out", str(merged))
    assert "merged 2 shards" in said and "18 trials" in said
    assert outcomes(merged) == outcomes(whole)
    assert wav_hashes(merged) == wav_hashes(whole)
    statuses = {s for s, _ in outcomes(whole).values()}
    assert statuses == {"ok", "runtime_error"}  # both kinds of outcome are compared
    assert json.loads((merged / "run.json").read_text())["plan"]["trials"] == 18
    assert RunStore.open(merged).pending_keys() == []

    fake_scoring(monkeypatch, tmp_path / "refs")
    cli("score", str(whole), "-q")
    cli("score", str(merged), "-q")
    values = metric_values(whole)
    assert any(k[1] == "fad" and v[0] == "ok" for k, v in values.items())  # set values exist
    assert metric_values(merged) == values
    # the export has the same columns and, but for timings, the same cells
    tables = [_export(r) for r in (whole, merged)]
    assert list(tables[0][0]) == list(tables[1][0])
    same = ("trial_id", "status", "error", "duration_s", "metric.", "status.", "card.", "reason.")
    keep = [c for c in tables[0][0] if c.startswith(same)]
    assert len(keep) > 10

    def cells(table: list[dict[str, str]]) -> list[list[str]]:
        return [[row[c] for c in keep] for row in table]

    assert cells(tables[0]) == cells(tables[1])
