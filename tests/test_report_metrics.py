"""Metric columns in the report: any names scoring gives, intervals kept, unavailable never
a number."""

from __future__ import annotations

import json
import re

import pytest
from report_helpers import assembled_run

from audioprobe.report import build_report
from audioprobe.report.assets import file_sha256
from audioprobe.report.cells import metric_cells, parse_cell

CELLS = {
    ("m1", "notes"): ["ok", "ok", "ok", "runtime_error"],
    ("m1", "environmental"): ["ok", "ok", "timeout", "no_code"],
    ("m1", "speech"): ["ok", "syntax_error", "no_code", "no_code"],
}
SUMMARY = [
    {"model": "m1", "tier": "notes", "fad": 2.5, "fad_ci_low": 2.1, "fad_ci_high": 3.0,
     "fad_n_clips": 3, "wer": "unavailable: only speech items have a sentence"},
    {"model": "m1", "tier": "environmental", "fad": 6.0, "fad_ci_low": 5.0, "fad_ci_high": 7.5,
     "fad_n_clips": 2, "wer": "unavailable: only speech items have a sentence"},
    {"model": "m1", "tier": "speech", "fad": "unavailable: 1 clip, FAD needs at least 2",
     "wer": "unavailable: Whisper weights not found"},
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
    per_trial = {t.trial_id: {"fad_contrib": 0.1} for t in store.trials() if t.status == "ok"}
    per_trial["m1/speech/item-0/0"] = {"wer": "unavailable: Whisper weights not found"}
    result = build_report(store, summary_rows=SUMMARY, trial_metrics=per_trial)
    return store, result


def _overview_rows(html: str) -> dict[str, str]:
    pattern = r'<tr class="overview-row[^"]*"\s+data-model="m1" data-tier="(\w+)">(.*?)</tr>'
    rows = re.findall(pattern, html, flags=re.S)
    return {tier: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)) for tier, body in rows}


def test_metrics_and_unavailable_cells_in_the_overview(report):
    _, result = report
    html = result.index.read_text()
    rows = _overview_rows(html)
    assert list(rows) == ["notes", "environmental", "speech"]  # rising complexity
    assert "75 [30, 95]" in rows["notes"]  # ok % with Wilson interval (3 of 4)
    assert "2.5 [2.1, 3] (n=3)" in rows["notes"]
    assert "6 [5, 7.5] (n=2)" in rows["environmental"]
    speech = rows["speech"]
    assert "unavailable 1 clip, FAD needs at least 2" in speech
    assert "unavailable Whisper weights not found" in speech
    assert "fad_ci_low" not in html  # interval columns are folded into their metric
    assert html.count('class="num metric-col"') == 2  # fad, wer


def test_plots_skip_metrics_without_a_number(report):
    _, result = report
    html = result.index.read_text()
    titles = re.findall(r'<img src="img/plot-\d+\.png" alt="([^"]+)"', html)
    assert titles[0].startswith("success rate")
    assert any(t.startswith("fad") for t in titles)
    assert not any(t.startswith("wer") for t in titles)  # every wer cell is unavailable
    assert "not drawn" in html and "FAD needs at least 2" in html


def test_per_trial_metrics_and_media_in_the_data_file(report):
    store, result = report
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
    assert (result.index.parent / ok[col["audio"]]).is_file()
    assert (result.index.parent / ok[col["spec"]]["src"]).is_file()


def test_rerun_reuses_spectrograms_and_drops_stale_media(report, tmp_path):
    store, result = report
    folder = result.index.parent
    images = sorted((folder / "img" / "spec").iterdir())
    clips = {file_sha256(t.wav_path) for t in store.trials() if t.status == "ok"}
    assert len(images) == len(clips) == 3  # 6 ok trials, 3 distinct tones: one image each
    before = {p.name: p.stat().st_mtime_ns for p in images}
    (folder / "audio" / "stale.wav").write_bytes(b"x")
    build_report(store)
    after = {p.name: p.stat().st_mtime_ns for p in (folder / "img" / "spec").iterdir()}
    assert after == before
    assert not (folder / "audio" / "stale.wav").exists()
