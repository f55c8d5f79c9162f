"""`audioprobe compare`: our numbers beside a published table's, with differences."""

from __future__ import annotations

import csv

import pytest
from report_helpers import assembled_run
from typer.testing import CliRunner

from audioprobe.cli import app


@pytest.fixture
def run_dir(tmp_path):
    store = assembled_run(
        tmp_path / "run",
        {
            ("gpt", "notes"): ["ok", "ok", "ok", "runtime_error"],  # 75 %
            ("gpt", "speech"): ["ok", "timeout", "no_code", "no_code"],  # 25 %
        },
    )
    return store.root


def test_compare_prints_and_writes_the_difference_table(run_dir, tmp_path):
    table = tmp_path / "published.csv"
    table.write_text(
        "model,tier,metric,value,source\n"
        "gpt,notes,ok_pct,60,paper\n"
        "gpt,speech,ok_pct,50,paper\n"
        "gpt,notes,fad,3.2,paper\n"
        "gpt,speech,trials,unavailable: not reported,paper\n"
    )
    out_csv = tmp_path / "cmp.csv"
    result = CliRunner().invoke(
        app, ["compare", str(run_dir), "--against", str(table), "--output", str(out_csv)],
        catch_exceptions=False, terminal_width=200,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    printed = result.output
    assert "+15" in printed and "+25.0%" in printed  # notes: 75 vs 60
    assert "-25" in printed and "-50.0%" in printed  # speech: 25 vs 50
    assert "missing in ours" in printed  # fad is only in the paper's table
    assert "unavailable [1]" in printed and "theirs unavailable" in printed
    assert "[1] trials: not reported" in printed

    rows = {(r["model"], r["tier"], r["metric"]): r for r in csv.DictReader(out_csv.open())}
    notes = rows[("gpt", "notes", "ok_pct")]
    assert float(notes["ours"]) == 75.0 and float(notes["theirs"]) == 60.0
    assert float(notes["diff"]) == pytest.approx(15.0)
    assert float(notes["rel_diff"]) == pytest.approx(0.25)
    speech = rows[("gpt", "speech", "ok_pct")]
    assert float(speech["diff"]) == pytest.approx(-25.0)
    assert float(speech["rel_diff"]) == pytest.approx(-0.5)
    fad = rows[("gpt", "notes", "fad")]
    assert fad["ours"] == "" and fad["theirs"] == "3.2" and fad["diff"] == ""
    assert fad["note"] == "missing in ours"
    trials_notes = rows[("gpt", "notes", "trials")]
    assert float(trials_notes["ours"]) == 4 and trials_notes["note"] == "missing in theirs"
    assert "not in" not in printed  # theirs reports every measure ours has (trials, ok_pct)
    trials_speech = rows[("gpt", "speech", "trials")]
    assert trials_speech["diff"] == "" and "unavailable" in trials_speech["theirs"]


def test_compare_writes_markdown_and_compares_two_runs(run_dir, tmp_path):
    other = assembled_run(tmp_path / "other", {("gpt", "notes"): ["ok", "ok", "no_code", "ok"]})
    md = tmp_path / "cmp.md"
    result = CliRunner().invoke(
        app, ["compare", str(run_dir), "--against", str(other.root), "--output", str(md)],
        catch_exceptions=False, terminal_width=200,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = md.read_text().splitlines()
    assert lines[0].startswith("| model | tier | metric | ours | theirs | diff | rel_diff |")
    notes = next(line for line in lines if "| gpt | notes | ok_pct |" in line)
    assert "| 75 | 75 | +0 |" in notes
    speech = next(line for line in lines if "| gpt | speech | ok_pct |" in line)
    assert "missing in theirs" in speech


def test_measures_the_table_never_reports_are_left_out_unless_asked(run_dir, tmp_path):
    table = tmp_path / "paper.csv"
    table.write_text("model,tier,metric,value\ngpt,notes,ok_pct,80\n")
    args = ["compare", str(run_dir), "--against", str(table)]
    short = CliRunner().invoke(app, args, terminal_width=200).output
    assert " trials " not in short and "(shown with --all): trials" in short
    assert "-5" in short and "-6.2%" in short  # 75 vs 80
    everything = CliRunner().invoke(app, [*args, "--all"], terminal_width=200).output
    assert "missing in theirs" in everything and "shown with --all" not in everything


def test_compare_names_a_table_without_the_needed_columns(run_dir, tmp_path):
    table = tmp_path / "bad.csv"
    table.write_text("model,tier,score\ngpt,notes,1\n")
    result = CliRunner().invoke(app, ["compare", str(run_dir), "--against", str(table)])
    assert result.exit_code == 2
    assert "metric" in result.output and "value" in result.output
    assert "paired differences" not in result.output  # the table is checked before any output


def test_long_reasons_are_footnotes_once_per_metric_and_only_their_rows_are_listed(
    run_dir, tmp_path
):
    why = "weights not found: " + "x" * 450
    table = tmp_path / "paper.csv"
    table.write_text(
        "model,tier,metric,value\n"
        f"gpt,notes,fad,unavailable: {why}\ngpt,speech,fad,unavailable: {why}\n"
        "gpt,notes,ok_pct,80\n"
    )
    out = (
        CliRunner()
        .invoke(app, ["compare", str(run_dir), "--against", str(table)], terminal_width=200)
        .output
    )
    table_part = out.split("paired differences")[0]
    assert table_part.count(why) == 1 and "[1] fad: " + why in table_part
    rows = [line for line in table_part.splitlines() if line.startswith("gpt ")]
    assert len(rows) == 3 and all(len(line) < 120 for line in rows)  # matched rows only
    assert "rows of ours have no counterpart" in table_part
