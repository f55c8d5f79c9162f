"""No single trial can break a run: a deep tree, a lone surrogate, a harness fault in one trial."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.languages.python import Python
from audioprobe.store import RunStore

runner = CliRunner()
WRITE_WAV = """import numpy as np
from scipy.io import wavfile
t = np.arange(16000 * 2) / 16000
wavfile.write("output.wav", 16000, (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32))
"""
DEEP_TREE = (
    WRITE_WAV
    + """import os
for _ in range(3000):
    os.mkdir("d")
    os.chdir("d")
"""
)
ANSWERS = {
    "keyboard-c4": f"```python\n{WRITE_WAV}```",
    "keyboard-a4": f"```python\n{DEEP_TREE}```",
    "keyboard-e5": '```python\nname = "caf\udce9"\n' + WRITE_WAV + "```",
    "organ-c3": f"BOOM\n```python\n{WRITE_WAV}```",
}


def spec_with_answers(tmp_path: Path, backend: str) -> Path:
    answers = tmp_path / "answers.jsonl"
    answers.write_text(
        "".join(json.dumps({"item": k, "completion": v}) + "\n" for k, v in ANSWERS.items())
    )
    spec = tmp_path / "iso.toml"
    spec.write_text(
        f"""
name = "iso"
[[tiers]]
name = "notes"
items = {json.dumps(list(ANSWERS))}
[[models]]
name = "m"
kind = "replay"
model = "{answers}"
[sandbox]
backend = "{backend}"
parallel = 2
"""
    )
    return spec


def test_deep_tree_surrogate_and_harness_fault_each_end_one_trial(
    tmp_path, isolated_cache, monkeypatch
):
    real_extract = Python.extract

    def extract_or_fail(self, text: str):
        if "BOOM" in text:
            raise MemoryError("the harness ran out of memory on this trial")
        return real_extract(self, text)

    monkeypatch.setattr(Python, "extract", extract_or_fail)
    run = tmp_path / "run"
    result = runner.invoke(
        app, ["run", str(spec_with_answers(tmp_path, "bwrap")), "--out", str(run)]
    )
    # one trial of four (25 %) failed in the harness: more than a run may lose, so exit 3
    assert result.exit_code == 3, result.output
    got = {t.item: t for t in RunStore.open(run).trials()}
    assert got["keyboard-c4"].status == "ok"
    # 3,000 nested folders: recorded like any other script, the folder removed afterwards
    assert got["keyboard-a4"].status == "ok", got["keyboard-a4"].error
    assert not (got["keyboard-a4"].dir / "work").exists()
    # a lone surrogate is the model's broken code, and the exact text is kept
    surrogate = got["keyboard-e5"]
    assert surrogate.status == "syntax_error" and "surrogates not allowed" in surrogate.error
    saved = json.loads((surrogate.dir / "response.json").read_text())
    assert saved["text"] == ANSWERS["keyboard-e5"]
    assert "\\udce9" in (surrogate.dir / "response.txt").read_text()
    # a fault of the harness itself ends that trial only, with its traceback kept
    broken = got["organ-c3"]
    assert broken.status == "sandbox_error" and "MemoryError" in broken.error
    assert "extract_or_fail" in (broken.dir / "harness_error.txt").read_text()

    # resume retries the infrastructure failure, from the answer already saved
    monkeypatch.setattr(Python, "extract", real_extract)
    resumed = runner.invoke(app, ["resume", str(run)])
    assert resumed.exit_code == 0, resumed.output
    after = {t.item: t for t in RunStore.open(run).trials()}
    assert after["organ-c3"].status == "ok"
    assert after["organ-c3"].record.response.cached is True
    assert not (after["organ-c3"].dir / "harness_error.txt").exists()
    for item in ("keyboard-c4", "keyboard-a4", "keyboard-e5"):
        assert after[item].record.finished == got[item].record.finished
