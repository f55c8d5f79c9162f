"""publish → reproduce on a small study: replayed answers, espeak-ng and the null systems, real
sandbox renders, scoring (a cheap embedding stands in for the neural ones); every published
number comes back, a tampered one is caught, and a script's own randomness is told apart."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from score_helpers import FakeEmbedding, make_refs, patch_models
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.llm.replay import ReplayModel
from audioprobe.store import RunStore

REPO = Path(__file__).resolve().parents[1]
SPEC = """
name = "tiny-study"
seed = 0
samples = 3

[[tiers]]
name = "notes"
items = ["sine-a4", "keyboard-c4"]

[[tiers]]
name = "speech"
items = ["harvard-01"]

[sandbox.limits]
wall_s = 30

[scoring]
metrics = ["duration", "fad", "kad"]
[scoring.bootstrap]
n = 50
"""
# keyboard-c4: a tone with dither seeded from the OS's entropy, so each render is other audio
# (a redrawn clip: the sandbox fixes the seeds a script leaves unset, not the ones it takes from
# the OS)
DITHERED = (
    "```python\nimport os\nimport numpy as np\nfrom scipy.io import wavfile\nsr = 16000\n"
    "rng = np.random.default_rng(int.from_bytes(os.urandom(8), 'little'))\n"
    "t = np.arange(2 * sr) / sr\nx = 0.5 * np.sin(2 * np.pi * 261.63 * t)"
    " + 1e-3 * rng.standard_normal(t.size)\n"
    "wavfile.write('output.wav', sr, x.astype(np.float32))\n```"
)


def cli(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args), terminal_width=200)
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """A scored run of four systems and its publication (the neural embeddings replaced by a
    cheap deterministic one, the reference sets by tones: their own tests are elsewhere)."""
    root = tmp_path_factory.mktemp("study")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AUDIOPROBE_CACHE", str(root / "cache"))
        refs = {
            "notes": make_refs(root / "refs-n", {"tone_sine": 440.0, "keyboard": 261.63}),
            "speech": make_refs(root / "refs-s", {"speech": 150.0}),
        }
        patch_models(mp, {"aisfx": FakeEmbedding("aisfx")}, refs)
        ok = [json.loads(line) for line in (REPO / "tests/data/answers_ok.jsonl").open()]
        answers = root / "answers.jsonl"
        lines = [a for a in ok if a["item"] != "rain"] + [
            {"item": "keyboard-c4", "completion": DITHERED}
        ]
        answers.write_text("".join(json.dumps(a) + "\n" for a in lines))
        (root / "study.toml").write_text(SPEC)
        run = root / "run"
        cli(
            "run", str(root / "study.toml"), "-m", f"replay:{answers}", "-m", "baseline:silence",
            "-m", "baseline:noise", "-m", "baseline:espeak-ng", "--out", str(run),
        )  # fmt: skip
        cli("score", str(run), "-q")
        publication = root / "results" / "tiny-study"
        cli("publish", str(run), "--out", str(publication))
        yield root, run, publication, mp


def test_the_publication_holds_every_answer_exactly_and_no_audio(study):
    _root, run, publication, _mp = study
    store = RunStore.open(run)
    assert not list(publication.rglob("*.wav"))
    meta = json.loads((publication / "publication.json").read_text())
    assert meta["sandbox_runtime"] == store.manifest.sandbox_runtime
    assert meta["packages"]["numpy"] and meta["generators"]["espeak-ng"]["program"]["version"]
    lines = [json.loads(x) for x in (publication / meta["answers"]["answers"]).open()]
    trials = {(t.item, t.sample): t for t in store.trials() if t.model == "answers"}
    assert len(lines) == len(trials) == 9
    for line in lines:
        trial = trials[(line["item"], line["sample"])]
        assert line["completion"] == (trial.dir / "response.txt").read_text()
        assert line["prompt_sha256"] == trial.record.prompt_sha256
        assert line["round"] == 0 and line["system"] == "answers"
    summary = (publication / "summary.md").read_text()
    assert "### notes" in summary and "espeak-ng" in summary
    rows = list(csv.DictReader((publication / "sets.csv").open()))
    fad = [r for r in rows if (r["model"], r["tier"], r["column"], r["class_key"]) ==
           ("noise", "notes", "fad", "")]  # fmt: skip
    assert fad and float(fad[0]["value"]) > 0


def test_export_replay_writes_the_answers_that_replay_gives_back(study):
    root, run, publication, _mp = study
    exported = root / "exported.jsonl"
    cli("export", str(run), "--format", "replay", "-o", str(exported))
    assert exported.read_text() == (publication / "answers" / "answers.jsonl").read_text()
    model = ReplayModel("answers", exported)
    assert len(model._by_sample) == 9 and not model._answers


def test_reproduce_reports_every_number_matching_and_tells_redrawn_clips_apart(study):
    root, _run, publication, _mp = study
    out = cli("reproduce", str(publication), "--out", str(root / "again"))
    assert "every published number reproduced" in out
    diffs = list(csv.DictReader((root / "again" / "reproduce_diff.csv").open()))
    redrawn = {d["key"] for d in diffs if d["verdict"] == "redrawn" and d["table"] == "renders"}
    assert redrawn == {f"answers/notes/keyboard-c4/{s}" for s in range(3)}
    assert not [d for d in diffs if d["verdict"] == "mismatch"]


def test_a_tampered_number_makes_reproduce_fail_and_names_it(study):
    root, _run, publication, _mp = study
    tampered = root / "tampered"
    shutil.copytree(publication, tampered)
    path = tampered / "measures.csv"
    rows = list(csv.DictReader(path.open()))
    target = next(
        r for r in rows
        if (r["model"], r["tier"], r["column"]) == ("espeak-ng", "speech", "duration_error_s")
    )  # fmt: skip
    target["value"] = str(float(target["value"]) + 0.01)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    # the reproduction of the untampered folder is reused (resumed, not rendered again)
    out = cli("reproduce", str(tampered), "--out", str(root / "again"), code=1)
    assert "1 published numbers did not reproduce" in out and "measures" in out
    diffs = list(csv.DictReader((root / "again" / "reproduce_diff.csv").open()))
    (bad,) = [d for d in diffs if d["verdict"] == "mismatch"]
    assert bad["key"] == "espeak-ng/speech/clip/duration/duration_error_s/"
    assert (bad["column"], bad["tolerance"]) == ("value", "float")
    assert float(bad["published"]) - float(bad["reproduced"]) == pytest.approx(0.01)


def test_reproduce_with_limit_checks_the_first_items_and_says_what_it_skips(study):
    root, _run, publication, _mp = study
    out = cli("reproduce", str(publication), "--limit", "1", "--out", str(root / "limited"))
    assert "every published number reproduced" in out
    said = " ".join(out.split())  # as the console wraps it
    assert (
        "--limit 1: cells, sets, measures, claim, the cards of the set metrics and of what only"
        " they use are over every item, so the set metrics were not computed" in said
    )
    cards = json.loads((root / "limited" / "cards.json").read_text())["cards"].values()
    assert {c["metric"] for c in cards} & {"fad", "kad"} == set()  # not computed
    assert "duration" in {c["metric"] for c in cards}
    items = {t.item for t in RunStore.open(root / "limited").trials()}
    assert items == {"sine-a4", "harvard-01"}


def test_reproduce_of_a_folder_that_is_no_publication_is_one_line(tmp_path):
    out = cli("reproduce", str(tmp_path), code=2)
    assert "is not a publication" in out and "Traceback" not in out


def test_publish_refuses_an_unscored_run_and_export_replay_a_system_without_code(
    study, tmp_path, isolated_cache
):
    _root, run, _publication, _mp = study
    out = cli("export", str(run), "--format", "replay", "--model", "noise", code=2)
    assert "no code-writing system 'noise'" in " ".join(out.split())
    fresh = tmp_path / "fresh"
    cli("run", str(REPO / "experiments/smoke.toml"), "-m", "baseline:noise", "--out", str(fresh))
    out = cli("publish", str(fresh), "--out", str(tmp_path / "pub"), code=2)
    assert "is not scored; first: audioprobe score" in " ".join(out.split())
    assert not (tmp_path / "pub").exists()


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_real_offline_metrics_reproduce_equal_on_the_publishing_machine(
    tmp_path, isolated_cache
):
    """A note and a sentence with every registered metric, the real aisfx and Whisper
    embeddings and the built-in references: publish, reproduce, and every number is equal."""
    spec = tmp_path / "real.toml"
    spec.write_text(
        'name = "real"\nsamples = 2\n[[tiers]]\nname = "notes"\nitems = ["sine-a4"]\n'
        '[[tiers]]\nname = "speech"\nitems = ["harvard-01"]\n'
    )
    run, publication = tmp_path / "run", tmp_path / "results" / "real"
    cli(
        "run", str(spec), "-m", f"replay:{REPO / 'tests/data/answers_ok.jsonl'}",
        "-m", "baseline:espeak-ng", "-m", "baseline:noise", "--out", str(run),
    )  # fmt: skip
    cli("score", str(run), "-q")
    cli("publish", str(run), "--out", str(publication))
    out = cli("reproduce", str(publication), "--out", str(tmp_path / "again"))
    assert "every published number reproduced" in out
    diffs = list(csv.DictReader((tmp_path / "again" / "reproduce_diff.csv").open()))
    assert not diffs, diffs[:5]  # no clip here is redrawn, and nothing is merely within


def test_answers_of_feedback_rounds_export_per_round_and_replay_the_same_rounds(
    tmp_path, isolated_cache
):
    from feedback_helpers import GOOD, SILENT, feedback_spec, replay_file

    answers = replay_file(tmp_path / "answers.jsonl", {0: SILENT, 1: GOOD})
    model = f'[[models]]\nname = "m"\nkind = "replay"\nmodel = "{answers}"'
    spec = feedback_spec(tmp_path / "fb.toml", model, 2, ["sine-a4"])
    cli("run", str(spec), "--out", str(tmp_path / "run"))
    exported = tmp_path / "exported.jsonl"
    cli("export", str(tmp_path / "run"), "--format", "replay", "-o", str(exported))
    lines = [json.loads(x) for x in exported.open()]
    (trial,) = RunStore.open(tmp_path / "run").trials()
    assert [(x["round"], x["sample"], x["completion"]) for x in lines] == [
        (0, 0, SILENT),
        (1, 0, GOOD),
    ]
    for line in lines:
        stage = json.loads((trial.dir / f"round-{line['round']}" / "round.json").read_text())
        assert line["prompt_sha256"] == stage["prompt_sha256"]
    again = tmp_path / "again"
    cli("run", str(spec), "-m", f"replay:{exported}", "--out", str(again))
    (replayed,) = RunStore.open(again).trials()
    assert [r.status for r in replayed.record.rounds] == ["invalid_audio", "ok"]
