"""A new model kind, sandbox backend or baseline generator is one file: written into a folder
named by $AUDIOPROBE_PLUGINS it is registered, accepted by the spec (whose validation lists the
registered names) and used by `run`, with no other file touched."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import soundfile as sf
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.registry import PLUGINS_ENV

KIND_PLUGIN = '''
"""kind = "canned": answers every prompt with a sine script at the frequency named by `model`."""

from audioprobe.errors import ConfigError
from audioprobe.llm.base import Completion
from audioprobe.model_kinds import ModelKind, model_kinds

SCRIPT = """```python
import numpy as np
from scipy.io import wavfile
t = np.arange(16000 * 2) / 16000
wavfile.write("output.wav", 16000, (0.5 * np.sin(2 * np.pi * {hz} * t)).astype(np.float32))
```"""


class CannedModel:
    def __init__(self, name, hz):
        self.name, self.hz = name, hz

    async def complete(self, messages, *, item_id, sample, seed):
        return Completion(text=SCRIPT.format(hz=self.hz), model=f"canned:{self.hz}")

    def describe(self):
        return {"name": self.name, "kind": "canned", "model": str(self.hz)}


@model_kinds.register("canned")
class CannedKind(ModelKind):
    def check(self, spec):
        if not spec.model.isdigit():
            raise ConfigError(f"canned model {spec.model!r}: give a frequency in Hz")

    def open(self, spec, stack):
        return CannedModel(spec.name, int(spec.model))
'''

BACKEND_PLUGIN = '''
"""backend = "inline": the script as a plain child process (a test backend: no isolation)."""

import subprocess
import sys
import time

from audioprobe.sandbox import sandbox_backends
from audioprobe.sandbox.base import ExecResult


@sandbox_backends.register("inline")
class InlineBackend:
    name = "inline"

    def available(self):
        return True, ""

    def run(self, script, workdir, limits):
        start = time.monotonic()
        done = subprocess.run(
            [sys.executable, str(script)], cwd=workdir, capture_output=True, text=True,
            timeout=limits.wall_s,
        )
        return ExecResult(
            status="ok" if done.returncode == 0 else "runtime_error",
            exit_code=done.returncode,
            stdout=done.stdout,
            stderr=done.stderr,
            wall_s=time.monotonic() - start,
            backend=self.name,
        )
'''

GENERATOR_PLUGIN = '''
"""generator = "beep": a sine at 660 Hz for every note (a test baseline), with its catalog entry."""

import numpy as np

from audioprobe.baselines.generator import Baseline, Synthesis, generators


@generators.register("beep")
class Beep(Baseline):
    CONTROLS_DURATION = True
    CATALOG = {
        "beep-660": {
            "description": "a 660 Hz sine, whatever is asked",
            "tiers": ["notes"],
            "prompt": "request",
            "license": "CC0-1.0",
        }
    }

    def _load(self):
        pass

    def _synthesize(self, text, item, seed):
        t = np.arange(int(16000 * item.duration_s)) / 16000
        return Synthesis(0.5 * np.sin(2 * np.pi * 660 * t), 16000, {"hz": 660})
'''


def _spec(path: Path) -> Path:
    path.write_text(
        'name = "plugins"\n[[tiers]]\nname = "notes"\nitems = ["sine-a4", "keyboard-c4"]\n'
        '[[models]]\nname = "a5"\nkind = "canned"\nmodel = "880"\n'
        '[sandbox]\nbackend = "inline"\n'
    )
    return path


def _peak_hz(wav: str) -> float:
    audio, rate = sf.read(wav)
    spectrum = np.abs(np.fft.rfft(audio))
    return float(np.fft.rfftfreq(len(audio), 1 / rate)[int(np.argmax(spectrum))])


def test_a_model_kind_a_sandbox_backend_and_a_generator_each_come_from_one_file(
    tmp_path, isolated_cache, monkeypatch
):
    spec = _spec(tmp_path / "plugins.toml")
    cli = CliRunner()
    # Before the plugins exist the spec's kind and backend are unknown, and said so in one line.
    monkeypatch.delenv(PLUGINS_ENV, raising=False)
    before = cli.invoke(app, ["run", str(spec), "--out", str(tmp_path / "no")])
    assert before.exit_code == 2 and "Traceback" not in before.output
    text = " ".join(before.output.split())
    assert "unknown model kind 'canned'; registered: baseline, local, openai, replay" in text

    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "canned_kind.py").write_text(KIND_PLUGIN)
    (plugins / "inline_backend.py").write_text(BACKEND_PLUGIN)
    (plugins / "beep_generator.py").write_text(GENERATOR_PLUGIN)
    monkeypatch.setenv(PLUGINS_ENV, str(plugins))

    run = tmp_path / "run"
    result = cli.invoke(
        app,
        ["run", str(spec), "--model", "a5", "--model", "canned:440",
         "--model", "baseline:beep-660", "--out", str(run)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    exported = cli.invoke(app, ["export", str(run)])
    rows = list(csv.DictReader(io.StringIO(exported.output)))
    assert len(rows) == 6 and {r["status"] for r in rows} == {"ok"}, rows
    by_model = {}
    for r in rows:
        by_model.setdefault(r["model"], []).append(r)
    assert sorted(by_model) == ["440", "a5", "beep-660"]
    expected_hz = {"a5": 880.0, "440": 440.0, "beep-660": 660.0}
    for model, got in by_model.items():
        for r in got:
            assert abs(_peak_hz(r["wav_path"]) - expected_hz[model]) < 1.0, (model, r["item"])
    assert {r["model_kind"] for r in by_model["a5"] + by_model["440"]} == {"canned"}
    assert {r["sandbox_backend"] for r in by_model["a5"] + by_model["440"]} == {"inline"}
    assert {r["model_kind"] for r in by_model["beep-660"]} == {"baseline"}

    # the plugin kind's own check runs before anything is written
    bad_run = ["run", str(spec), "--model", "canned:loud", "--out", str(tmp_path / "b")]
    bad = cli.invoke(app, bad_run)
    assert bad.exit_code == 2 and "give a frequency in Hz" in bad.output
    assert not (tmp_path / "b").exists()
