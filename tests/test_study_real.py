"""The study path on real material: two replayed code systems, a silent one and baseline:piper
over the three tiers, run in the sandbox and scored with the real offline embeddings (aisfx,
Whisper) against the built-in references; then `show`, the trials export and the report read
as a reviewer would. Slow (references are built and embedded); the fast variant with fake
embeddings is tests/test_study_judgments.py."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.cli.common import console
from audioprobe.results.measures import RunResults
from audioprobe.results.records import Status
from audioprobe.store import RunStore

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
SYSTEMS = ("answers_study_a", "answers_study_b", "answers_study_silent")
SPEC = """
name = "study"
seed = 0
samples = 1
output_dir = "runs"

[[tiers]]
name = "notes"
items = ["keyboard-a4", "keyboard-c4", "organ-c4"]

[[tiers]]
name = "environmental"
items = ["dog", "rain", "siren", "clapping"]

[[tiers]]
name = "speech"
items = ["harvard-01", "harvard-02", "harvard-03"]

[sandbox]
backend = "auto"

[sandbox.limits]
wall_s = 30

[scoring.fad_norm]
n = 3
"""


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]  # builds and embeds every set


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunStore, str, str]:
    root = tmp_path_factory.mktemp("study")
    cache = root / "cache"
    shared = Path.home() / ".cache" / "audioprobe" / "references" / "debs"
    if shared.is_dir():  # the Debian packages the environmental references come from
        shutil.copytree(shared, cache / "references" / "debs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AUDIOPROBE_CACHE", str(cache))
        mp.setattr(console, "width", 400)  # `show` as on a wide terminal: headings on one line
        spec = root / "study.toml"
        spec.write_text(SPEC)
        out = root / "run"
        models = [a for s in SYSTEMS for a in ("-m", f"replay:{DATA / s}.jsonl")]
        cli("run", str(spec), *models, "-m", "baseline:piper", "--out", str(out))
        scored = cli("score", str(out))
        shown = cli("show", str(out))
        cli("report", str(out))
        return RunStore.open(out), scored, shown


def test_normalised_fad_for_both_code_systems_on_every_tier(study) -> None:
    store, _, shown = study
    results = RunResults.of(store)
    norm = [v for v in results.sets if v.metric == "fad_norm" and not v.class_key]
    for model in SYSTEMS[:2]:
        for tier in ("notes", "environmental", "speech"):
            ok = [v for v in norm if (v.model, v.tier) == (model, tier) and v.status == Status.OK]
            assert ok, [(v.model, v.tier, v.embedding, v.reason) for v in norm if v.model == model]
            assert all(v.extra["matched_n"] == 3 for v in ok)
    for tier in ("notes", "environmental"):
        piper = [v for v in norm if (v.model, v.tier) == ("piper", tier)]
        assert piper and all(v.status == Status.NOT_APPLICABLE for v in piper)
        assert all("piper does not apply to " + tier in v.reason for v in piper)
    assert "not applicable" in shown


def test_trials_export_task_success_agrees_with_the_set_value(study) -> None:
    store, _, _ = study
    rows = list(csv.DictReader(io.StringIO(cli("export", str(store.root), "--format", "csv"))))
    results = RunResults.of(store)
    for v in results.sets:
        if v.metric != "task_success" or v.class_key or v.status != Status.OK:
            continue
        mine = [r for r in rows if (r["model"], r["tier"]) == (v.model, v.tier)]
        judged = [int(r["task_success"]) for r in mine if r["task_success"] != ""]
        assert judged and v.value == pytest.approx(sum(judged) / len(judged)), (v.model, v.tier)
    assert [r["tier"] for r in rows if r["model"] == SYSTEMS[0]] == (
        ["notes"] * 3 + ["environmental"] * 4 + ["speech"] * 3
    )  # complexity order, not alphabetical
    by = {(r["model"], r["item"]): r for r in rows}
    clap = by[(SYSTEMS[0], "clapping")]
    assert (
        clap["task_success"] == "" and "no clips of class clapping" in clap["task_success_reason"]
    )
    stereo = by[(SYSTEMS[1], "keyboard-a4")]
    assert "44100 Hz, asked 16000" in stereo["contract_deviations"]
    assert "2 channels, asked mono" in stereo["contract_deviations"]


def test_a_note_an_octave_low_is_in_tune_by_pitch_class_but_not_a_success(study) -> None:
    store, _, shown = study
    rows = list(csv.DictReader(io.StringIO(cli("export", str(store.root), "--format", "csv"))))
    low = next(r for r in rows if (r["model"], r["item"]) == (SYSTEMS[1], "keyboard-c4"))
    assert low["metric.in_tune"] == "1.0" and low["metric.octave_error"] == "1.0"
    assert low["task_success"] == "0" and low["task_success.octaves"] == "-1"
    right = next(r for r in rows if (r["model"], r["item"]) == (SYSTEMS[0], "keyboard-c4"))
    assert right["task_success"] == "1"
    assert "octave off" in shown
    index = (store.root / "report" / "index.html").read_text()
    assert "octave off" in index


def test_score_prints_no_verdict_from_too_few_items(study) -> None:
    _, scored, _ = study
    claim = scored[scored.index("the claim") :]
    assert "too few items for a verdict (n=" in claim
    assert " falls" not in claim.split("\n", 2)[2]  # no step is called a fall on 3 items
