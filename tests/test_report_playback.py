"""Every clip of a report plays in Chromium, whatever WAV flavour the script wrote.

Scripts write float64 WAVs (`scipy.io.wavfile.write` of a float64 array), float32, 24-bit, 32-bit
integer, stereo 48 kHz and odd rates; Chromium refuses some of these as they are. The report plays
browser-safe copies and offers the originals for download.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from report_helpers import CHROMIUM, chromium_page
from scipy.io import wavfile

from audioprobe.report import build_report
from audioprobe.store import RunStore, TrialKey

pytest.importorskip("playwright", reason="browser tests need scripts/install_browser.sh")
if not CHROMIUM.is_file():
    pytest.skip(
        "browser tests need Debian chromium (scripts/install_browser.sh)", allow_module_level=True
    )


def _signal(seconds: float, rate: int, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    mono = 0.5 * np.sin(2 * np.pi * 330 * t) * np.exp(-t)
    return mono if channels == 1 else np.stack([mono, mono[::-1]], axis=1)


def _float64(path: Path, seconds: float) -> None:
    wavfile.write(path, 16000, _signal(seconds, 16000))  # what model scripts often do


def _sf(subtype: str, rate: int = 16000, channels: int = 1):
    def write(path: Path, seconds: float) -> None:
        sf.write(path, _signal(seconds, rate, channels), rate, subtype=subtype)

    return write


# item -> (writer, seconds); durations differ so a clip shown under the wrong trial is caught
FLAVOURS = {
    "float64": (_float64, 1.25),
    "float32": (_sf("FLOAT"), 1.5),
    "int16": (_sf("PCM_16"), 0.75),
    "pcm24": (_sf("PCM_24"), 1.75),
    "pcm32": (_sf("PCM_32", 22050), 1.1),
    "stereo48k": (_sf("PCM_16", 48000, 2), 2.0),
    "stereo48k-float64": (_sf("DOUBLE", 48000, 2), 0.6),
}


@dataclass(frozen=True)
class _Clip:
    path: Path
    class_key: str


class _References:
    """A reference set whose clips are float64 WAVs too (sets hold whatever format they hold)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def clips(self, class_key: str) -> list[_Clip]:
        path = self.folder / f"{class_key}.wav"
        if not path.exists():
            _float64(path, 0.5)
        return [_Clip(path, class_key)]


def _flavoured_run(root: Path) -> RunStore:
    store = RunStore.create(root, {"run_id": root.name, "spec": {"name": "flavours"}, "items": {}})
    for item, (write, _seconds) in FLAVOURS.items():
        key = TrialKey("m", "replay", "environmental", item, 0)
        folder = store.trial_dir(key)
        folder.mkdir(parents=True)
        write(folder / "output.wav", FLAVOURS[item][1])
        (folder / "script.py").write_text("print('hi')\n")
        record: dict[str, Any] = {
            "trial_id": key.trial_id, "model": "m", "model_kind": "replay",
            "tier": "environmental", "item": item, "sample": 0, "class_key": "tone",
            "status": "ok", "error": None, "wav": f"{key.rel_dir}/output.wav",
        }  # fmt: skip
        store.save_trial(key, record)
    return store


PLAY_ALL = """async (srcs) => Promise.all(srcs.map(src => new Promise(done => {
  const a = new Audio();
  const t = setTimeout(() => done({src, state: a.readyState, error: 'timeout'}), 15000);
  a.oncanplay = () => { clearTimeout(t); done({src, state: a.readyState, dur: a.duration}); };
  a.onerror = () => { clearTimeout(t); done({src, state: a.readyState, error: a.error.code}); };
  a.preload = 'auto'; a.src = src; a.load();
})))"""


def test_every_clip_of_a_mixed_flavour_report_plays(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIOPROBE_CACHE", str(tmp_path / "cache"))
    store = _flavoured_run(tmp_path / "run")
    refs = tmp_path / "refs"
    refs.mkdir()
    result = build_report(store, references={"environmental": _References(refs)})
    console: list[str] = []
    with chromium_page(console) as page:
        page.goto(result.index.as_uri())
        page.wait_for_selector("#trial-list tr.trial-row")
        rows = page.evaluate(
            "AP_TRIALS.map(r => Object.fromEntries(AP_META.columns.map((c, i) => [c, r[i]])))"
        )
        assert {r["item"] for r in rows} == set(FLAVOURS)
        clips = [r["audio"] for r in rows]
        refs_src = sorted({c["src"] for r in page.evaluate("AP_REFS").values() for c in r["clips"]})
        assert refs_src, "the trials' class should offer a reference clip"
        played = page.evaluate(PLAY_ALL, clips + refs_src)
        for row, got in zip(rows, played, strict=False):
            assert "error" not in got and got["state"] >= 2, (row["item"], got)
            assert got["dur"] == pytest.approx(FLAVOURS[row["item"]][1], abs=0.01), row["item"]
        for got in played[len(rows) :]:
            assert "error" not in got and got["dur"] == pytest.approx(0.5, abs=0.01), got

        # The originals stay as written, and are what the download link offers: the float64
        # one is exactly what Chromium refuses, which is why the copies exist.
        by_item = {r["item"]: r for r in rows}
        original = result.index.parent / by_item["float64"]["orig"]
        assert sf.info(str(original)).subtype == "DOUBLE"
        scored = store.trial_dir(TrialKey("m", "replay", "environmental", "float64", 0))
        assert original.read_bytes() == (scored / "output.wav").read_bytes()
        refused = page.evaluate(PLAY_ALL, [by_item["float64"]["orig"]])[0]
        assert refused.get("error") == 4, refused  # MEDIA_ERR_SRC_NOT_SUPPORTED

        # The player of an opened trial (the element a user presses) reaches a playable state.
        for item in ("float64", "stereo48k"):
            page.goto(result.index.as_uri() + "#trial=" + by_item[item]["id"])
            page.wait_for_function(
                "(() => { const a = document.querySelector('#trial-audio');"
                " if (a && a.paused) { a.muted = true; a.play().catch(() => {}); }"
                " return a && a.readyState >= 2 && !a.error && a.currentTime > 0; })()",
                timeout=15000,
            )
            link = page.locator("#detail a.orig-link")
            assert link.get_attribute("href") == by_item[item]["orig"]
    assert console == []
