"""A tier is a plugin: a fourth tier written into a plugin folder as one TOML file and one
module is validated, run from replayed answers in the real sandbox, scored (its own reference
set built by its module, its own task-success rule) and reported, with no other file touched."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from score_helpers import FakeEmbedding
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.cli.common import console
from audioprobe.references import store as ref_store
from audioprobe.registry import PLUGINS_ENV
from audioprobe.tiers import load_all_tiers

TIER = """
title = "Beeps"
level = 2.5
description = "A test tier: one sine beep of a stated pitch and length."
sample_rate = 16000
prompt = "environmental.txt"

[references]
description = "Sines at every item's notes, at several levels."
levels = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7]

[[items]]
id = "beep-a4"
request = "a sine beep at A4 (440 Hz), lasting 1 second"
caption = "a sine beep"
class = "beep"
duration_s = 1.0
notes = [[0, 1.0, 69]]

[[items]]
id = "beep-e5"
request = "a sine beep at E5 (659.26 Hz), lasting 1 second"
caption = "a sine beep"
class = "beep"
duration_s = 1.0
notes = [[0, 1.0, 76]]

[[items]]
id = "beep-a5"
request = "a sine beep at A5 (880 Hz), lasting 1 second"
caption = "a sine beep"
class = "beep"
duration_s = 1.0
notes = [[0, 1.0, 81]]
"""

KIND = '''
"""The beeps tier's kind (a test plugin): success is a clip within 0.1 s of its length."""

import numpy as np

from audioprobe.feedback.success import TaskSuccess
from audioprobe.tier_kinds import TierKind, tier_kinds


@tier_kinds.register("beeps")
class Beeps(TierKind):
    name = "beeps"
    criterion = "rendered and within 0.1 s of the requested length"
    embeddings = ("fake-emb",)
    clap = None

    def check_item(self, item):
        return None if item.notes else "beeps items need notes"

    def rule(self, settings):
        return "it renders, within 0.1 s of the requested length"

    def facts(self, ctx, group, settings):
        from audioprobe.scoring.metrics.task_success import column_facts

        return column_facts(ctx, group, "duration", "duration_error_s")

    def judge(self, facts, settings):
        error = facts.measured.get("duration_error_s")
        if error is None:
            return TaskSuccess(None, "unknown: no duration")
        return TaskSuccess(abs(error) <= 0.1, f"{error:+.2f} s off the requested length")

    def build_references(self, recipe, tier, writer):
        rate = writer.sample_rate
        for item in tier.items:
            for note in item.target_notes():
                f0 = 440.0 * 2 ** ((note.midi - 69) / 12)
                t = np.arange(round(note.duration_s * rate)) / rate
                for k, level in enumerate(recipe["levels"]):
                    writer.add(
                        f"{item.id}_{k}",
                        level * np.sin(2 * np.pi * f0 * t),
                        class_key=item.class_key,
                        source="numpy:sine",
                        license="CC0-1.0",
                        original_sample_rate=rate,
                    )
        return {"sources": [{"source": "numpy:sine", "license": "CC0-1.0"}], "reasons": {}}
'''

SPEC = """
name = "beeps"
[[tiers]]
name = "beeps"
[[models]]
name = "m"
kind = "openai"
model = "x"
[sandbox.limits]
wall_s = 30
"""


def _answer(item: str, f0: float, seconds: float) -> str:
    script = (
        "import numpy as np\nfrom scipy.io import wavfile\n\nsr = 16000\n"
        f"t = np.arange(int(sr * {seconds})) / sr\n"
        f"wavfile.write('output.wav', sr, (0.5 * np.sin(2 * np.pi * {f0} * t) * 32767)"
        ".astype(np.int16))\n"
    )
    return json.dumps({"item": item, "completion": f"```python\n{script}```"})


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False, terminal_width=250)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def plugin_tier(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "beeps.toml").write_text(TIER)
    (folder / "beeps.py").write_text(KIND)
    monkeypatch.setenv(PLUGINS_ENV, str(folder))
    return folder


def test_a_tier_in_a_plugin_folder_is_ordered_by_its_level(plugin_tier: Path) -> None:
    assert list(load_all_tiers()) == ["notes", "environmental", "beeps", "speech"]


def test_a_tier_unknown_without_its_plugin_folder_is_a_one_line_error(tmp_path: Path) -> None:
    spec = tmp_path / "beeps.toml"
    spec.write_text(SPEC)
    result = CliRunner().invoke(app, ["run", str(spec), "--model", "replay:x.jsonl"])
    assert result.exit_code == 2, result.output
    assert "unknown tier 'beeps'" in result.output and PLUGINS_ENV in result.output
    assert "Traceback" not in result.output


def test_a_plugin_tier_runs_scores_and_reports_end_to_end(
    tmp_path: Path, plugin_tier: Path, isolated_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import audioprobe.scoring.embeddings as emb_mod

    monkeypatch.setattr(console, "_width", 300)  # one line per table row (undone after)
    spec = tmp_path / "beeps.toml"
    spec.write_text(SPEC)
    answers = tmp_path / "answers.jsonl"
    lines = [
        _answer("beep-a4", 440.0, 1.0),
        _answer("beep-e5", 659.26, 1.0),
        _answer("beep-a5", 880.0, 0.5),  # half the asked length: a task failure
    ]
    answers.write_text("\n".join(lines) + "\n")
    out = tmp_path / "run"
    _cli("run", str(spec), "--model", f"replay:{answers}", "--out", str(out))
    prompt = next(out.rglob("prompt.txt")).read_text()
    assert "a sine beep at" in prompt

    fake = FakeEmbedding("fake-emb")
    monkeypatch.setattr(emb_mod, "get_embedding", lambda name, device="cpu": fake)
    _cli("score", str(out), "-q", "-m", "duration,fad,task_success")
    # the kind's builder made the tier's reference set, from the [references] recipe
    assert ref_store.is_built("builtin-beeps")
    manifest = json.loads((ref_store.set_dir("builtin-beeps") / "manifest.json").read_text())
    assert len(manifest["clips"]) == 18 and manifest["tier"] == "beeps"

    rows = list(csv.DictReader(io.StringIO(_cli("export", str(out), "--format", "csv"))))
    by_item = {r["item"]: r for r in rows}
    assert set(by_item) == {"beep-a4", "beep-e5", "beep-a5"}
    assert all(r["tier"] == "beeps" and r["status"] == "ok" for r in rows)
    success = {item: r["task_success"] for item, r in by_item.items()}
    assert success == {"beep-a4": "1", "beep-e5": "1", "beep-a5": "0"}, success
    assert by_item["beep-a5"]["task_success_reason"] == "-0.50 s off the requested length"
    assert float(by_item["beep-a5"]["metric.duration_s"]) == pytest.approx(0.5)

    table = _cli("export", str(out), "--table", "sets", "--format", "csv")
    sets = {(r["column"], r["class_key"]): r for r in csv.DictReader(io.StringIO(table))}
    fad = sets[("fad", "")]  # in the kind's embedding, against the kind's reference set
    assert fad["tier"] == "beeps" and fad["status"] == "ok" and fad["embedding"] == "fake-emb"
    assert fad["n_reference"] == "18" and float(fad["value"]) > 0
    assert float(sets[("task_success", "")]["value"]) == pytest.approx(2 / 3)

    shown = " ".join(_cli("show", str(out)).split())
    assert "tier 2.5: beeps" in shown and "0.667" in shown and "FAD[fake-emb]" in shown
    _cli("report", str(out), "--refs-per-trial", "0")
    html = (out / "report" / "index.html").read_text()
    assert "beeps" in html and "within 0.1 s of the requested length" in html

    # scored where the plugin folder is not named, the tier is not judged by a rule not its own
    env = {k: v for k, v in os.environ.items() if k != PLUGINS_ENV}
    rescored = subprocess.run(
        [sys.executable, "-m", "audioprobe", "score", str(out), "-q", "-m", "task_success"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rescored.returncode == 0, rescored.stderr
    table = _cli("export", str(out), "--table", "sets", "--format", "csv")
    row = next(r for r in csv.DictReader(io.StringIO(table)) if r["column"] == "task_success")
    assert row["status"] == "unavailable" and PLUGINS_ENV in row["reason"], row
