"""Runs and a browser for the report and compare tests.

`replay_run` makes a small real run through the CLI and the sandbox: a model replaying good answers
and one replaying broken ones, so the report shows ok clips and several failure outcomes.
`assembled_run` writes a run through the store API with real WAVs and chosen outcomes, for tests
that need exact counts without running code. `chromium_page` opens Debian's chromium headless.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.store import RunStore, TrialKey

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
NOTES = ["sine-a4", "keyboard-c4", "keyboard-e5", "organ-c3", "organ-c4", "organ-g4"]


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


REF_SET = "report-test-refs"
REF_CLASSES = ("tone_sine", "organ", "rain", "speech")  # not "keyboard": shown as missing


def reference_set(tmp_path: Path) -> None:
    """A small user reference set (2 tones per class) added through `refs add`, so the report
    offers reference clips without building the built-in sets (minutes)."""
    corpus = tmp_path / "corpus"
    for k, key in enumerate(REF_CLASSES):
        (corpus / key).mkdir(parents=True)
        for n in range(2):
            _tone(corpus / key / f"{key}-{n}.wav", 200.0 + 100 * k + 30 * n, 1.0)
    cli("refs", "add", str(corpus), "--format", "folder", "--name", REF_SET)


def replay_run(tmp_path: Path) -> RunStore:
    """2 models × 3 tiers, 16 trials: ok, syntax_error, no_output, invalid_audio, no_code and
    runtime_error (each replay file answers only its own items: the others end no_code). Every
    tier names the small reference set `reference_set` adds."""
    reference_set(tmp_path)
    refs = f'references = "{REF_SET}"'
    spec = tmp_path / "mixed.toml"
    spec.write_text(
        f"""
name = "report-test"
seed = 0
samples = 1
[[tiers]]
name = "notes"
items = {NOTES!r}
{refs}
[[tiers]]
name = "environmental"
items = ["rain"]
{refs}
[[tiers]]
name = "speech"
items = ["harvard-01"]
{refs}
[[models]]
name = "good"
kind = "replay"
model = "{DATA / "answers_ok.jsonl"}"
[[models]]
name = "bad"
kind = "replay"
model = "{DATA / "answers_bad.jsonl"}"
[sandbox]
backend = "auto"
parallel = 2
[sandbox.limits]
wall_s = 20
"""
    )
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(spec), "--out", str(out)])
    # the items a replay file does not answer end no_code: the model's outcome, not a fault
    assert result.exit_code == 0, result.output
    return RunStore.open(out)


def _tone(path: Path, hz: float, seconds: float, sr: int = 16000) -> None:
    t = np.arange(int(sr * seconds)) / sr
    sf.write(path, (0.4 * np.sin(2 * np.pi * hz * t)).astype(np.float32), sr)


def assembled_run(root: Path, cells: dict[tuple[str, str], list[str]]) -> RunStore:
    """A run whose (model, tier) cells hold trials with the given statuses; ok trials get a
    real 1 s tone WAV, the others an error text."""
    manifest: dict[str, Any] = {"run_id": root.name, "spec": {"name": "assembled"}, "items": {}}
    store = RunStore.create(root, manifest)
    for (model, tier), statuses in cells.items():
        for n, status in enumerate(statuses):
            key = TrialKey(model, "replay", tier, f"item-{n}", 0)
            folder = store.trial_dir(key)
            folder.mkdir(parents=True)
            (folder / "prompt.txt").write_text(f"Make {tier} item {n}.")
            (folder / "response.txt").write_text("```python\nprint('hi')\n```")
            (folder / "script.py").write_text("print('hi')\n")
            record: dict[str, Any] = {
                "trial_id": key.trial_id, "model": model, "model_kind": "replay", "tier": tier,
                "item": key.item, "sample": 0, "class_key": f"class-{n}", "status": status,
                "error": None if status == "ok" else f"{status} in trial {n}", "wav": None,
            }  # fmt: skip
            if status == "ok":
                _tone(folder / "output.wav", 220.0 * (n + 1), 1.0)
                record["wav"] = f"{key.rel_dir}/output.wav"
                record["audio"] = {"duration_s": 1.0, "sample_rate": 16000, "channels": 1}
            store.save_trial(key, record)
    return store


@contextlib.contextmanager
def chromium_page(console: list[str]) -> Iterator[Any]:
    """A fresh headless chromium page; console errors, page errors and failed requests are
    appended to `console` as text."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: console.append(f"page error: {e}"))
            page.on(
                "requestfailed", lambda r: console.append(f"request failed: {r.url} {r.failure}")
            )
            yield page
        finally:
            browser.close()
