"""Metric columns in the report: any names scoring gives, intervals kept, unavailable never
a number."""

from __future__ import annotations

import html as html_lib
import json
import re

import pytest
from report_helpers import assembled_run

from audioprobe.hashing import sha256_file
from audioprobe.report import build_report
from audioprobe.report.cells import metric_cells, parse_cell
from audioprobe.report.scores import Scores
from audioprobe.store import TrialKey

CELLS = {
    ("m1", "notes"): ["ok", "ok", "ok", "runtime_error"],
    ("m1", "environmental"): ["ok", "ok", "timeout", "no_code"],
    ("m1", "speech"): ["ok", "syntax_error", "no_code", "no_code"],
}
# As audioprobe.scoring gives them: display strings per model × tier, structured set rows,
# per-trial columns with their card hashes.
SUMMARY = [
    {
        "model": "m1",
        "tier": "notes",
        "level": 1,
        "render rate": "3/4 (75%)",
        "FAD[aisfx]": "2.50 [2.10, 3.00] (n 3/40)",
        "WER": "",
    },
    {
        "model": "m1",
        "tier": "environmental",
        "level": 2,
        "render rate": "2/4 (50%)",
        "FAD[aisfx]": "6.00 [5.00, 7.50] (n 2/40, small set)",
        "WER": "",
    },
    {
        "model": "m1",
        "tier": "speech",
        "level": 3,
        "render rate": "1/4 (25%)",
        "FAD[aisfx]": "too few clips: 1 generated clips < 2 (fad.min_clips)",
        "WER": "unavailable: Whisper weights not found",
    },
]
SET_ROWS = [
    {"model": "m1", "tier": t, "class_key": "", "metric": m, "embedding": e, "value": v,
     "ci_low": lo, "ci_high": hi, "n_gen": n, "status": st, "reason": why}
    for t, m, e, v, lo, hi, n, st, why in [
        ("notes", "render_rate", "", 0.75, None, None, 3, "ok", None),
        ("notes", "fad", "aisfx", 2.5, 2.1, 3.0, 3, "ok", None),
        ("environmental", "fad", "aisfx", 6.0, 5.0, 7.5, 2, "ok", None),
        ("speech", "fad", "aisfx", None, None, None, 1, "too_few_clips", "1 generated clips < 2"),
    ]
]  # fmt: skip


def test_parse_cell_forms():
    assert parse_cell("unavailable: no weights").unavailable == "no weights"
    assert parse_cell("unavailable: no weights").display() == "unavailable"
    assert parse_cell(float("nan")).unavailable is not None
    cell = parse_cell({"value": 0.31, "low": 0.2, "high": 0.4, "n": 12})
    assert (cell.value, cell.low, cell.high, cell.n) == (0.31, 0.2, 0.4, 12)
    assert cell.display() == "0.31 [0.2, 0.4] (n=12)"
    assert parse_cell([1.0, 0.5, 1.5]).high == 1.5
    assert parse_cell(None) is None and parse_cell("") is None
    folded = metric_cells({"model": "m", "clap": 0.3, "clap_low": 0.2, "clap_high": 0.4})
    assert list(folded) == ["clap"] and folded["clap"].low == 0.2


@pytest.fixture
def report(tmp_path):
    store = assembled_run(tmp_path / "run", CELLS)
    per_trial = {
        t.trial_id: {
            "clap_score[clap]": 0.2 + 0.1 * int(t.item[-1]),
            "clap_score_card[clap]": "c1",
            "f0_hz": 220.0,  # a fact of the clip, not a quality measure: compared, not plotted
        }
        for t in store.trials()
        if t.status == "ok"
    }
    per_trial["m1/speech/item-0/0"] = {"wer": "unavailable: Whisper weights not found"}
    scores = Scores(summary_rows=SUMMARY, trial_metrics=per_trial, set_rows=SET_ROWS)
    return store, build_report(store, scores=scores), scores


def _overview_rows(html: str) -> dict[str, str]:
    pattern = r'<tr class="overview-row[^"]*"\s+data-model="m1" data-tier="(\w+)">(.*?)</tr>'
    rows = re.findall(pattern, html, flags=re.S)
    text = {tier: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)) for tier, body in rows}
    return {tier: html_lib.unescape(body) for tier, body in text.items()}


def test_metrics_and_unavailable_cells_in_the_overview(report):
    _, result, _ = report
    html = result.index.read_text()
    rows = _overview_rows(html)
    assert list(rows) == ["notes", "environmental", "speech"]  # rising complexity
    assert "75 [30, 95]" in rows["notes"]  # ok % with Wilson interval (3 of 4)
    assert "2.50 [2.10, 3.00] (n 3/40)" in rows["notes"]  # FAD as scoring words it
    assert "6.00 [5.00, 7.50] (n 2/40, small set)" in rows["environmental"]
    speech = rows["speech"]
    assert "too few clips 1" in speech and "unavailable 2" in speech  # labels, reason notes
    notes = re.findall(r'<li id="why-(\d)">([^<]+)</li>', html)
    assert [(n, html_lib.unescape(t)) for n, t in notes] == [
        ("1", "1 generated clips < 2 (fad.min_clips)"),
        ("2", "Whisper weights not found"),
    ]
    headers = re.findall(r'<th class="num metric-col">([^<]+)</th>', html)
    assert headers == ["render rate", "FAD[aisfx]", "WER"]  # "level" is not a metric


def test_sibling_interval_columns_fold_into_their_metric(tmp_path):
    store = assembled_run(tmp_path / "run", {("m1", "notes"): ["ok", "ok"]})
    rows = [{"model": "m1", "tier": "notes", "clap": 0.3, "clap_low": 0.2, "clap_high": 0.4}]
    html = build_report(store, scores=Scores(summary_rows=rows)).index.read_text()
    assert "0.3 [0.2, 0.4]" in _overview_rows(html)["notes"]
    assert "clap_low" not in html


def test_plots_skip_metrics_without_a_number(report):
    _, result, _ = report
    html = result.index.read_text()
    titles = re.findall(r'<img src="img/plot-\d+\.png" alt="([^"]+)"', html)
    assert titles == [
        "success rate (ok %) with 95% Wilson interval",
        "fad[aisfx] (lower is better)",
        "clap_score[clap] (higher is better, mean over clips, 95% normal interval)",
    ]  # wer has no number anywhere; render_rate is the success-rate plot
    assert "not drawn" in html and "m1/speech: too few clips (1 generated clips &lt; 2)" in html


def test_compare_uses_the_scored_numbers(report):
    from audioprobe.compare import run_table

    store, _, scores = report
    table = run_table(store, scores)
    fad = table[("m1", "notes", "fad[aisfx]")]
    assert (fad.value, fad.low, fad.high, fad.n) == (2.5, 2.1, 3.0, 3)
    assert table[("m1", "speech", "fad[aisfx]")].label == "too few clips"
    clap = table[("m1", "notes", "clap_score[clap]")]  # items 0, 1, 2: 0.2, 0.3, 0.4
    assert clap.value == pytest.approx(0.3) and clap.n == 3
    assert clap.low == pytest.approx(0.3 - 1.959964 * 0.1 / 3**0.5)
    assert table[("m1", "speech", "wer")].unavailable == "Whisper weights not found"
    assert table[("m1", "notes", "f0_hz")].value == 220.0


def test_per_trial_metrics_and_media_in_the_data_file(report):
    store, result, _ = report
    text = (result.index.parent / "data" / "trials.js").read_text()
    listing = json.loads(text.split("window.AP_TRIALS=", 1)[1].rstrip().rstrip(";"))
    meta = json.loads(text.split("window.AP_META=", 1)[1].split(";\n", 1)[0])
    col = {name: i for i, name in enumerate(meta["columns"])}
    by_id = {row[col["id"]]: row for row in listing}
    assert len(by_id) == len(store.trials())
    speech = by_id["m1/speech/item-0/0"]
    assert speech[col["metrics"]] == {"wer": {"u": "Whisper weights not found"}}
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
        {**trial.record, "error": "a new error after resume"},
    )
    build_report(store)
    assert "a new error after resume" in shard.read_text()
