"""Metric columns in the report: built from typed results, intervals kept, a value without a
number shown with its status and reason, never as a number."""

from __future__ import annotations

import html as html_lib
import json
import re

import pytest
from report_helpers import assembled_run
from score_helpers import registered_catalog

from audioprobe.hashing import sha256_file
from audioprobe.report import build_report
from audioprobe.results import ClipValue, RunResults, SetValue, Status
from audioprobe.results.run import Run
from audioprobe.store import TrialKey

CELLS = {
    ("m1", "notes"): ["ok", "ok", "ok", "runtime_error"],
    ("m1", "environmental"): ["ok", "ok", "timeout", "no_code"],
    ("m1", "speech"): ["ok", "syntax_error", "no_code", "llm_error"],
}


def _set(tier, value, low, high, n, status=Status.OK, reason=None, flags=(), metric="fad"):
    return SetValue(
        model="m1", tier=tier, class_key="", metric=metric, column=metric, embedding="aisfx",
        status=status, card_hash="f1", value=value, ci_low=low, ci_high=high, n_generated=n,
        n_reference=40, reason=reason, extra={"flags": list(flags)},
    )  # fmt: skip


TOO_FEW = "1 generated clips < 2 (sets.min_clips)"
SETS = [
    _set("notes", 2.5, 2.1, 3.0, 3),
    _set("environmental", 6.0, 5.0, 7.5, 2, flags=["small set"]),
    _set("speech", None, None, None, 1, Status.TOO_FEW, TOO_FEW),
    _set("notes", 0.1, 0.0, 0.3, 3, metric="fad_norm"),
    _set("environmental", 0.6, 0.4, 0.9, 2, metric="fad_norm"),
    _set("speech", None, None, None, 1, Status.TOO_FEW, TOO_FEW, metric="fad_norm"),
]


def _clip(trial_id, metric, column, value=None, embedding="", status=Status.OK, reason=None):
    return ClipValue(
        trial_id=trial_id, metric=metric, column=column, embedding=embedding, status=status,
        card_hash="c1", value=value, reason=reason,
    )  # fmt: skip


@pytest.fixture
def report(tmp_path):
    store = assembled_run(tmp_path / "run", CELLS)
    clips = []
    for t in store.trials():
        if t.status == "ok":
            score = 0.2 + 0.1 * int(t.item[-1])
            clips.append(_clip(t.trial_id, "clap_score", "clap_score", score, "clap"))
            clips.append(_clip(t.trial_id, "pitch", "f0_hz", 220.0))  # a fact: not plotted
    clips.append(
        _clip("m1/speech/item-0/0", "wer", "wer", status=Status.UNAVAILABLE,
              reason="Whisper weights not found")
    )  # fmt: skip
    results = RunResults(Run(store), store.trials(), clips, SETS, registered_catalog())
    return store, build_report(store, results=results), results


def _overview_rows(html: str) -> dict[str, str]:
    pattern = r'<tr class="overview-row"\s+data-model="m1" data-tier="(\w+)">(.*?)</tr>'
    rows = re.findall(pattern, html, flags=re.S)
    text = {tier: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)) for tier, body in rows}
    return {tier: html_lib.unescape(body) for tier, body in text.items()}


def _tables(html: str) -> dict[str, str]:
    pattern = r'<section class="tier-table" id="overview-(\w+)">(.*?)</section>'
    return dict(re.findall(pattern, html, re.S))


def _headers(table: str) -> list[str]:
    cells = re.findall(r'<th class="num metric-col[^"]*">(.*?)</th>', table, flags=re.S)
    return [html_lib.unescape(re.sub(r"<[^>]+>", "", c)) for c in cells]


def test_one_table_per_tier_with_the_numbers_that_exist(report):
    _, result, _ = report
    html = result.index.read_text()
    rows = _overview_rows(html)
    assert list(rows) == ["notes", "environmental", "speech"]  # rising complexity
    assert "75 [30, 95]" in rows["notes"]  # ok % with Wilson interval (3 of 4)
    assert "33 [6, 79]" in rows["speech"]  # 1 of the 3 answered: llm_error is not the model's
    assert "2.5 [2.1, 3] (n 3/40)" in rows["notes"]  # FAD with interval and clip counts
    assert "6 [5, 7.5] (n 2/40, small set)" in rows["environmental"]
    tables = _tables(html)
    assert list(tables) == ["notes", "environmental", "speech"]
    # tier-comparable first (highlighted), registry order after; f0_hz is a fact of a clip
    assert _headers(tables["notes"]) == ["normalised FAD[aisfx]", "FAD[aisfx]", "CLAP[clap]"]
    assert 'metric-col comparable">' in tables["notes"]
    # speech has no number for FAD, normalised FAD or WER: no columns, one note per reason
    assert _headers(tables["speech"]) == ["CLAP[clap]"]
    notes = [html_lib.unescape(n) for n in re.findall(r"<li>([^<]+)</li>", tables["speech"])]
    assert notes == [
        f"normalised FAD[aisfx], FAD[aisfx] — too few clips: {TOO_FEW}",
        "WER — unavailable: Whisper weights not found",
    ]
    assert "unavailable" not in rows["speech"] and "too few clips" not in rows["speech"]


def test_plots_only_tier_comparable_measures_with_more_than_one_point(report):
    _, result, _ = report
    html = result.index.read_text()
    titles = re.findall(r'<img src="img/plot-\d+\.png" alt="([^"]+)"', html)
    # raw FAD and CLAP are not comparable across tiers: not plotted
    assert titles == ["fad_norm[aisfx] (lower is better, 95% bootstrap interval)"]
    assert "not drawn" in html and "m1/speech: too few clips (1 generated clips &lt; 2" in html


def test_compare_uses_the_scored_numbers(report):
    from audioprobe.compare import run_table

    _, _, results = report
    table = run_table(results)
    fad = table[("m1", "notes", "fad[aisfx]")]
    assert (fad.value, fad.low, fad.high, fad.n) == (2.5, 2.1, 3.0, 3)
    assert table[("m1", "speech", "fad[aisfx]")].label == "too few clips"
    clap = table[("m1", "notes", "clap_score[clap]")]  # items 0, 1, 2: 0.2, 0.3, 0.4
    assert clap.value == pytest.approx(0.3) and clap.n == 3
    # percentile bootstrap over the 3 items: inside the values' span, around the mean
    # three items: no interval, and the cell says why (no verdict without evidence)
    assert clap.low is None and clap.high is None and "median 0.3" in clap.text
    assert "too few items for a verdict (n=3)" in clap.text
    assert table[("m1", "speech", "wer")].unavailable == "Whisper weights not found"
    assert table[("m1", "notes", "f0_hz")].value == 220.0
    assert table[("m1", "speech", "ok_pct")].n == 3  # the denominator: answered trials


def test_per_trial_metrics_and_media_in_the_data_file(report):
    store, result, _ = report
    text = (result.index.parent / "data" / "trials.js").read_text()
    listing = json.loads(text.split("window.AP_TRIALS=", 1)[1].rstrip().rstrip(";"))
    meta = json.loads(text.split("window.AP_META=", 1)[1].split(";\n", 1)[0])
    col = {name: i for i, name in enumerate(meta["columns"])}
    by_id = {row[col["id"]]: row for row in listing}
    assert len(by_id) == len(store.trials())
    speech = by_id["m1/speech/item-0/0"]
    assert speech[col["metrics"]]["wer"] == {"u": "Whisper weights not found"}
    assert by_id["m1/notes/item-3/0"][col["audio"]] is None  # failed trial: no clip
    ok = by_id["m1/notes/item-0/0"]
    assert ok[col["metrics"]] == {"clap_score[clap]": {"v": 0.2}, "f0_hz": {"v": 220.0}}
    assert (result.index.parent / ok[col["audio"]]).is_file()
    assert (result.index.parent / ok[col["spec"]]["src"]).is_file()


def test_rerun_reuses_spectrograms_and_drops_stale_media(report, tmp_path):
    store, result, _ = report
    folder = result.index.parent
    images = sorted((folder / "img" / "spec").iterdir())
    clips = {sha256_file(t.wav_path) for t in store.trials() if t.status == "ok"}
    assert len(images) == len(clips) == 3  # 6 ok trials, 3 distinct tones: one image each
    before = {p.name: p.stat().st_mtime_ns for p in images}
    (folder / "audio" / "stale.wav").write_bytes(b"x")
    shard = folder / "data" / "detail" / "00000.js"
    shard_before = shard.stat().st_mtime_ns
    build_report(store)
    after = {p.name: p.stat().st_mtime_ns for p in (folder / "img" / "spec").iterdir()}
    assert after == before
    assert not (folder / "audio" / "stale.wav").exists()
    assert shard.stat().st_mtime_ns == shard_before  # no trial changed: details kept

    trial = next(t for t in store.trials() if t.status == "runtime_error")
    store.save_trial(
        TrialKey(trial.model, trial.model_kind, trial.tier, trial.item, trial.sample),
        {**trial.record.stored(), "error": "a new error after resume"},
    )
    build_report(store)
    assert "a new error after resume" in shard.read_text()


def test_report_of_a_run_named_by_a_relative_path(tmp_path, monkeypatch):
    """`audioprobe report runs/demo`, as make demo calls it, from the folder above the run."""
    from score_helpers import make_run
    from typer.testing import CliRunner

    from audioprobe.cli import app

    monkeypatch.setenv("AUDIOPROBE_CACHE", str(tmp_path / "cache"))
    make_run(tmp_path / "runs" / "demo", "notes", ["sine-a4"], {"m": [None]})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["report", "runs/demo", "--refs-per-trial", "0"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "runs" / "demo" / "report" / "source.txt").is_file()
