"""`export --table trials|sets`: typed columns an analyst can load with pandas or Arrow, on a run
with ok, failed and unavailable trials and on a run where every trial failed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from score_helpers import FakeEmbedding, make_refs, make_run, patch_models, tone
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.store import TrialKey
from audioprobe.summary import EXPORT_COLUMNS

ITEMS = ["keyboard-c4", "keyboard-a4", "keyboard-e5", "organ-c3", "organ-c4", "organ-g4"]
F0 = [261.63, 440.0, 659.26, 130.81, 261.63, 392.0]


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False, terminal_width=250)
    assert result.exit_code == 0, result.output
    return result.output


def _mixed_run(root: Path, monkeypatch) -> Path:
    """ok clips (one of 2.5 s), runtime_error, llm_error and an `unavailable` trial; the CLAP
    model is unavailable, so its values are too."""
    refs = make_refs(root / "refs", {"keyboard": 440.0, "organ": 261.63})
    embs = {"aisfx": FakeEmbedding("aisfx"), "clap-music": FakeEmbedding("clap-music", ok=False)}
    patch_models(monkeypatch, embs, {"notes": refs})
    clips = [tone(f, 2.5 if i == 0 else 1.0, seed=i) for i, f in enumerate(F0)]
    store = make_run(
        root / "run", "notes", ITEMS, {"good": clips, "bad": [*clips[:3], None, None, None]}
    )
    for item, status in (("organ-c4", "llm_error"), ("organ-g4", "unavailable")):
        trial = next(t for t in store.trials() if (t.model, t.item) == ("bad", item))
        key = TrialKey("bad", "replay", "notes", item, 0)
        store.save_trial(key, {**trial.record.stored(), "status": status})
    _cli("score", str(store.root), "-q", "-m", "duration,pitch,clap_score,fad,kad")
    return store.root


def _metric_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c.startswith("metric.")]


def test_trials_table_has_float_metric_columns_and_the_true_duration(
    tmp_path, isolated_cache, monkeypatch
):
    run = _mixed_run(tmp_path, monkeypatch)
    parquet, csv = tmp_path / "trials.parquet", tmp_path / "trials.csv"
    _cli("export", str(run), "--table", "trials", "--format", "parquet", "-o", str(parquet))
    _cli("export", str(run), "--table", "trials", "--format", "csv", "-o", str(csv))
    for df in (pd.read_parquet(parquet), pd.read_csv(csv)):
        assert len(df) == 12
        metric_cols = _metric_columns(df)
        assert {"metric.duration_s", "metric.abs_cents_error", "metric.fad"} - set(metric_cols) == {
            "metric.fad"
        }  # set metrics are in the sets table
        assert "metric.clap_score[clap-music]" in metric_cols
        for col in [*metric_cols, "duration_s", "target_duration_s"]:
            assert df[col].dtype == np.float64, (col, df[col].dtype)
        rows = df.set_index("trial_id")
        first = rows.loc["good/notes/keyboard-c4/0"]
        assert first["duration_s"] == pytest.approx(2.5)  # the audio fact, never overwritten
        assert first["metric.duration_s"] == pytest.approx(2.5)
        assert first["status.duration_s"] == "ok" and len(first["card.duration_s"]) == 16
        failed = rows.loc["bad/notes/organ-c3/0"]
        assert np.isnan(failed["duration_s"]) and np.isnan(failed["metric.f0_hz"])
        assert (
            failed["status.f0_hz"] == "not_applicable" and "runtime_error" in failed["reason.f0_hz"]
        )
        assert rows.loc["bad/notes/organ-c4/0", "status"] == "llm_error"
        clap = rows.loc["good/notes/keyboard-a4/0"]
        assert np.isnan(clap["metric.clap_score[clap-music]"])
        assert clap["status.clap_score[clap-music]"] == "unavailable"
        assert "models pull clap-music" in clap["reason.clap_score[clap-music]"]
    assert list(pq.read_schema(parquet).names)[: len(EXPORT_COLUMNS)] == list(EXPORT_COLUMNS)


def test_sets_table_has_fad_fad_inf_and_kad_with_intervals_and_counts(
    tmp_path, isolated_cache, monkeypatch
):
    run = _mixed_run(tmp_path, monkeypatch)
    out = tmp_path / "sets.parquet"
    _cli("export", str(run), "--table", "sets", "--format", "parquet", "-o", str(out))
    df = pd.read_parquet(out)
    tier = df[(df.class_key == "") & (df.embedding == "aisfx")].set_index(["model", "column"])
    fad = tier.loc[("good", "fad")]
    assert fad.status == "ok" and fad.ci_low <= fad.value <= fad.ci_high
    assert (fad.n_generated, fad.n_reference, fad.n_trials, fad.n_rendered) == (6, 24, 6, 6)
    assert fad.metric == "fad" and fad.direction == "lower" and fad.rule == "exclude"
    bad = tier.loc[("bad", "kad")]  # 3 rendered of 4 answered (llm_error, unavailable left out)
    assert (bad.n_trials, bad.n_rendered, bad.render_rate) == (4, 3, 0.75)
    assert bad.status == "ok" and bad.ci_low <= bad.value <= bad.ci_high
    inf = tier.loc[("good", "fad_inf")]
    assert inf.status == "too_few_clips" and np.isnan(inf.value) and "6 generated" in inf.reason
    for col in ("value", "ci_low", "ci_high", "render_rate"):
        assert df[col].dtype == np.float64
    lines = CliRunner().invoke(app, ["export", str(run), "--table", "sets", "-f", "jsonl"]).output
    first = json.loads(lines.splitlines()[0])
    assert set(first) >= {"value", "ci_low", "ci_high", "n_generated", "rule", "card_hash"}


def test_a_run_where_everything_failed_exports_the_same_types(
    tmp_path, isolated_cache, monkeypatch
):
    patch_models(monkeypatch, {"aisfx": FakeEmbedding("aisfx")}, {})
    store = make_run(tmp_path / "run", "notes", ITEMS[:3], {"m": [None, None, None]})
    _cli("score", str(store.root), "-q", "-m", "duration,pitch")
    parquet, csv = tmp_path / "t.parquet", tmp_path / "t.csv"
    _cli("export", str(store.root), "--format", "parquet", "-o", str(parquet))
    _cli("export", str(store.root), "--format", "csv", "-o", str(csv))
    for df in (pd.read_parquet(parquet), pd.read_csv(csv)):
        cols = _metric_columns(df)
        assert "metric.duration_s" in cols and "metric.f0_hz" in cols
        for col in [*cols, "duration_s", "peak", "latency_s"]:
            assert df[col].dtype == np.float64, (col, df[col].dtype)
    sets = tmp_path / "s.parquet"
    _cli("export", str(store.root), "--table", "sets", "--format", "parquet", "-o", str(sets))
    assert pd.read_parquet(sets)["value"].dtype == np.float64


def test_export_names_a_wrong_table_or_format(tmp_path, isolated_cache, monkeypatch):
    patch_models(monkeypatch, {}, {})
    store = make_run(tmp_path / "run", "notes", ITEMS[:1], {"m": [None]})
    bad = CliRunner().invoke(app, ["export", str(store.root), "--table", "clips"])
    assert bad.exit_code == 2 and "expected trials, rounds or sets" in bad.output
    bad = CliRunner().invoke(app, ["export", str(store.root), "--format", "xlsx"])
    assert bad.exit_code == 2 and "csv, jsonl, parquet or replay" in bad.output
