"""Benchmark `audioprobe report` on a synthetic 5,000-trial run, and its page in headless Chromium.

    .venv/bin/python benchmarks/report.py [--trials 5000] [--keep DIR]

The run is made of fake store rows (real files: prompt, answer, script, WAV for ok trials, written
through RunStore), with success falling from notes to speech as in the study. It times report
generation twice (cold, then re-run reusing spectrograms and clips) and, in Chromium, the page's
load until the trial list is drawn, a filter change, and opening one trial's detail until its
audio's duration is known. Needs Debian chromium and the playwright client
(scripts/install_browser.sh).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from audioprobe.report import build_report
from audioprobe.store import RunStore, TrialKey

TIERS = {"notes": (0.85, 2.0), "environmental": (0.6, 3.0), "speech": (0.3, 3.0)}
FAILURES = ("runtime_error", "syntax_error", "timeout", "no_output", "invalid_audio", "no_code")
SR = 16000
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip


def synthesise(root: Path, trials: int, seed: int = 0) -> RunStore:
    """A run of `trials` trials over 4 models × 3 tiers with distinct clips for ok trials."""
    rng = np.random.default_rng(seed)
    manifest = {
        "run_id": root.name,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "spec": {"name": "benchmark"},
        "tiers": {t: {"title": t, "level": k + 1, "sample_rate": SR} for k, t in enumerate(TIERS)},
        "items": {},
    }
    store = RunStore.create(root, manifest)
    models = [f"model-{k}" for k in range(4)]
    per_cell = trials // (len(models) * len(TIERS))
    items_per_tier = 25
    for m, model in enumerate(models):
        for tier, (ok_share, duration) in TIERS.items():
            for n in range(per_cell):
                item, sample = f"{tier[:3]}-{n % items_per_tier:02d}", n // items_per_tier
                key = TrialKey(model, "replay", tier, item, sample)
                folder = store.trial_dir(key)
                folder.mkdir(parents=True)
                script = f"import numpy as np\n# {key.trial_id}\nf = {200 + n}\n" * 8
                (folder / "prompt.txt").write_text(f"Write Python that renders {item}.\n" * 10)
                (folder / "response.txt").write_text(f"```python\n{script}```\n")
                (folder / "script.py").write_text(script)
                (folder / "stdout.txt").write_text("")
                (folder / "stderr.txt").write_text("")
                record = {
                    "trial_id": key.trial_id, "model": model, "model_kind": "replay",
                    "tier": tier, "item": item, "sample": sample, "seed": n,
                    "class_key": item, "target_duration_s": duration, "wav": None, "audio": None,
                }  # fmt: skip
                if rng.random() < ok_share * (1 - 0.1 * m):
                    t = np.arange(int(SR * duration)) / SR
                    wave = 0.3 * np.sin(2 * np.pi * (150 + 40 * n + 5 * m) * t)
                    wave += 0.05 * rng.standard_normal(len(t))
                    sf.write(folder / "output.wav", wave.astype(np.float32), SR)
                    record.update(status="ok", error=None, wav=f"{key.rel_dir}/output.wav")
                    record["audio"] = {"sample_rate": SR, "channels": 1, "duration_s": duration}
                else:
                    status = FAILURES[int(rng.integers(len(FAILURES)))]
                    record.update(status=status, error=f"{status}: synthetic failure {n}")
                store.save_trial(key, record)
    return store


def page_timings(index: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    out: dict[str, float] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        start = time.perf_counter()
        page.goto(index.as_uri())
        page.wait_for_selector("#trial-list tr.trial-row")
        out["page load → list drawn (s)"] = time.perf_counter() - start
        start = time.perf_counter()
        page.select_option("#f-tier", "speech")
        page.wait_for_function("document.querySelector('#trial-count').textContent.length > 0")
        out["filter change (s)"] = time.perf_counter() - start
        page.select_option("#f-status", "ok")
        start = time.perf_counter()
        page.click("#trial-list tr.trial-row")
        page.wait_for_function(
            "(() => { const a = document.querySelector('#trial-audio');"
            " return a && a.duration > 0; })()"
        )
        out["open trial → audio ready (s)"] = time.perf_counter() - start
        out["console errors"] = float(len(errors))
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5000)
    parser.add_argument(
        "--keep", type=Path, help="build the run here and keep it (reused by the next --keep DIR)"
    )
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="ap-bench-"))
    root = base / "run"
    rows: list[tuple[str, float]] = []
    try:
        if (root / "run.json").is_file():  # --keep DIR from an earlier benchmark: reuse the run
            store = RunStore.open(root)
            shutil.rmtree(root / "report", ignore_errors=True)
        else:
            start = time.perf_counter()
            store = synthesise(root, args.trials)
            rows.append(("synthesise run (s)", time.perf_counter() - start))
        for label in ("report, cold (s)", "report, re-run (s)"):
            start = time.perf_counter()
            result = build_report(
                store, references={t: "the benchmark has no reference set" for t in TIERS}
            )
            rows.append((label, time.perf_counter() - start))
            for stage, secs in result.seconds.items():
                rows.append((f"  {stage} (s)", secs))
        size = sum(p.stat().st_size for p in (root / "report").rglob("*") if p.is_file())
        data = (root / "report" / "data" / "trials.js").stat().st_size
        rows.append(("report folder (MB, hard-linked clips counted)", size / 1e6))
        rows.append(("data/trials.js (MB)", data / 1e6))
        rows.extend(page_timings(result.index).items())
        width = max(len(name) for name, _ in rows)
        print(f"{'measure'.ljust(width)}  value   ({result.trials} trials)")
        for name, value in rows:
            print(f"{name.ljust(width)}  {value:7.3f}")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
