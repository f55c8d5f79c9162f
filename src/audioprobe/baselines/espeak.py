"""eSpeak NG speaking each speech item's sentence: a rule-based (formant) synthesiser baseline.

Where Piper is a neural voice, eSpeak NG is itself a program of rules: what a model that writes
code could in principle write. It draws no random numbers, so a clip is a function of the
sentence and the options alone; the trial records the program's version and Debian package.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import soundfile as sf

from audioprobe.baselines.generator import Baseline, OptionType, Synthesis, generators
from audioprobe.errors import Unavailable
from audioprobe.tiers import Item

PROGRAM = "espeak-ng"
INSTALL = "apt-get install espeak-ng"
TIMEOUT_S = 60.0


@cache
def program_version() -> dict[str, str | None]:
    """The program's own version line and, on Debian, its package version (for the record)."""
    path = shutil.which(PROGRAM)
    if path is None:
        return {"path": None, "version": None, "debian_package": None}
    out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
    version = out.stdout.split(":", 1)[-1].split("Data at")[0].strip() or None
    package = None
    if shutil.which("dpkg-query"):
        query = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", PROGRAM], capture_output=True, text=True
        )
        package = query.stdout.strip() or None if query.returncode == 0 else None
    return {"path": path, "version": version, "debian_package": package}


@generators.register("espeak-ng")
class EspeakBaseline(Baseline):
    OPTIONS: ClassVar[dict[str, OptionType]] = {
        "voice": str,  # an eSpeak NG voice (`espeak-ng --voices=en`); default en-us
        "speed": int,  # words per minute (default 175)
        "pitch": int,  # 0-99 (default 50)
    }

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "program": program_version()}

    def _load(self) -> None:
        if shutil.which(PROGRAM) is None:
            raise Unavailable(f"{PROGRAM}: not installed; fix: {INSTALL}")

    def _arguments(self) -> list[str]:
        return [
            "-v",
            str(self.options.get("voice", "en-us")),
            "-s",
            str(self.options.get("speed", 175)),
            "-p",
            str(self.options.get("pitch", 50)),
        ]

    def _synthesize(self, text: str, item: Item, seed: int) -> Synthesis:
        with tempfile.TemporaryDirectory(prefix="audioprobe-espeak-") as folder:
            wav = Path(folder) / "speech.wav"
            argv = [PROGRAM, *self._arguments(), "-w", str(wav), "--", text]
            done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S)
            if done.returncode != 0 or not wav.is_file():
                why = done.stderr.strip() or f"exit code {done.returncode}"
                raise RuntimeError(f"{PROGRAM} failed: {why}")
            audio, rate = sf.read(str(wav), dtype="float64", always_2d=False)
        if audio.size == 0:
            raise Unavailable(f"{PROGRAM}: the voice produced no audio for {text!r}")
        return Synthesis(
            audio,
            int(rate),
            {
                "argv": argv[:-1],  # the sentence is the trial's `text`
                "native_sample_rate": int(rate),
                "native_duration_s": audio.shape[0] / rate,
                "program": program_version(),
            },
        )
