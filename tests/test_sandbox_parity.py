"""One world on every backend: the same scripts give the same outcome, the same output and the
same bytes of audio on bwrap, docker and subprocess, because all three run the one runtime tree.

Each script's outcome is reduced to what a researcher would compare: status, exit code, stdout,
the last line of stderr (the error, without paths), and the output WAV's sha256 and verdict.
"""

from __future__ import annotations

import hashlib
import os
import textwrap
import warnings
from pathlib import Path

import pytest
from sandbox_helpers import TIGHT, docker_engine_reason, explain

from audioprobe.audio_check import inspect_wav
from audioprobe.sandbox import ExecResult, get_backend, runtime_hash, safe_output

ALLOWED = ["numpy", "scipy", "scipy.signal", "pydub", "pyo", "audioop", "wave", "json"]
FORBIDDEN = [
    "torch",
    "librosa",
    "matplotlib",
    "soundfile",
    "transformers",
    "openai",
    "requests",
    "sklearn",
    "audioprobe",
    "imageio_ffmpeg",
    "typing_extensions",
]

SCRIPTS = {
    "imports": f"""
        import importlib, sys
        for name in {ALLOWED + FORBIDDEN!r}:
            try:
                importlib.import_module(name)
                print(name, "ok")
            except ImportError as exc:
                print(name, type(exc).__name__)
        import numpy, scipy, pyo
        print(sys.version.split()[0], numpy.__version__, scipy.__version__, pyo.PYO_VERSION)
        """,
    "import-torch": "import torch\n",
    "int16-wave": """
        import math, struct, wave
        with wave.open("output.wav", "wb") as w:
            w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
            w.writeframes(b"".join(
                struct.pack("<h", int(12000 * math.sin(2 * math.pi * 440 * i / 16000)))
                for i in range(16000)))
        """,
    "float32-scipy": """
        import numpy as np
        from scipy.io import wavfile
        from scipy.signal import butter, lfilter
        rng = np.random.default_rng(7)
        b, a = butter(4, 0.2)
        x = lfilter(b, a, rng.standard_normal(22050)).astype(np.float32)
        wavfile.write("output.wav", 22050, 0.5 * x / np.abs(x).max())
        print(round(float(x.sum()), 6))
        """,
    "int32-stereo-scipy": """
        import numpy as np
        from scipy.io import wavfile
        t = np.arange(44100) / 44100
        left, right = np.sin(2 * np.pi * 220 * t), np.sin(2 * np.pi * 330 * t)
        pcm = (0.4 * 2**31 * np.stack([left, right], 1)).astype(np.int32)
        wavfile.write("output.wav", 44100, pcm)
        """,
    "uint8-scipy": """
        import numpy as np
        from scipy.io import wavfile
        t = np.arange(8000) / 8000
        pcm = (128 + 100 * np.sin(2 * np.pi * 300 * t)).astype(np.uint8)
        wavfile.write("output.wav", 8000, pcm)
        """,
    "pydub-24bit": """
        import random
        from pydub.generators import Sine, WhiteNoise
        random.seed(3)  # WhiteNoise draws from random
        tone = Sine(523.25).to_audio_segment(duration=700, volume=-6)
        tone = tone.overlay(WhiteNoise().to_audio_segment(duration=700, volume=-30))
        tone.set_sample_width(3).export("output.wav", format="wav")
        """,
    "pydub-mp3-via-ffprobe": """
        from pydub import AudioSegment
        from pydub.generators import Sine
        from pydub.utils import mediainfo
        Sine(440).to_audio_segment(duration=1000, volume=-6).export("tone.mp3", format="mp3")
        info = mediainfo("tone.mp3")
        print(info["codec_name"], info["sample_rate"])
        back = AudioSegment.from_file("tone.mp3")
        back.export("output.wav", format="wav")
        print(back.frame_rate, back.channels)
        """,
    "pyo-offline": """
        from pyo import Server, FM
        s = Server(sr=16000, nchnls=1, duplex=0, audio="offline").boot()
        s.recordOptions(dur=1.0, filename="output.wav", fileformat=0, sampletype=1)
        fm = FM(carrier=250, ratio=0.5, index=4, mul=0.3).out()
        s.start()
        """,
    "flac-named-wav": """
        import numpy as np
        from pydub import AudioSegment
        AudioSegment.silent(500).export("x.flac", format="flac")
        import os; os.rename("x.flac", "output.wav")
        """,
}


def _available() -> list[str]:
    names = ["bwrap", "subprocess"]
    why = docker_engine_reason()
    if not why or os.environ.get("AUDIOPROBE_REQUIRE_DOCKER") == "1":
        names.insert(1, "docker")
    else:
        warnings.warn(f"NO DOCKER ENGINE: parity checked without docker ({why})", stacklevel=1)
    return names


def _outcome(result: ExecResult, workdir: Path) -> dict:
    found, _ = safe_output(workdir, "output.wav", 64 << 20)
    verdict = inspect_wav(found) if found else None
    return {
        "status": result.status,
        "exit_code": result.exit_code,
        "stdout": result.stdout,
        "error": (result.stderr.strip().splitlines() or [""])[-1],
        "wav_sha256": hashlib.sha256(found.read_bytes()).hexdigest() if found else None,
        "audio_problem": verdict.problem if verdict else None,
        "runtime": result.runtime,
    }


def test_same_scripts_same_outcomes_on_every_backend(tmp_path: Path) -> None:
    outcomes: dict[str, dict[str, dict]] = {}
    for backend_name in _available():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the subprocess backend's UNSAFE warning
            backend = get_backend(backend_name)
        outcomes[backend_name] = {}
        for script_name, code in SCRIPTS.items():
            work = tmp_path / backend_name / script_name
            work.mkdir(parents=True)
            (work / "script.py").write_text(textwrap.dedent(code))
            result = backend.run(work / "script.py", work, TIGHT)
            assert result.status != "sandbox_error", explain(result)
            outcomes[backend_name][script_name] = _outcome(result, work)

    reference = outcomes["bwrap"]
    imports = reference["imports"]["stdout"].splitlines()
    assert [f"{n} ok" for n in ALLOWED] == imports[: len(ALLOWED)], imports
    assert [f"{n} ModuleNotFoundError" for n in FORBIDDEN] == imports[len(ALLOWED) : -1]
    assert reference["import-torch"]["error"] == "ModuleNotFoundError: No module named 'torch'"
    for script_name in SCRIPTS:
        if script_name.startswith("import"):
            continue
        got = reference[script_name]
        assert got["status"] == "ok", (script_name, got)
        assert got["wav_sha256"] is not None, (script_name, got)
    assert "mp3 44100" in reference["pydub-mp3-via-ffprobe"]["stdout"]
    assert reference["flac-named-wav"]["audio_problem"] == "not a WAV file (looks like FLAC)"
    assert all(o["runtime"] == runtime_hash() for o in reference.values())
    for backend_name, got in outcomes.items():
        for script_name in SCRIPTS:
            assert got[script_name] == reference[script_name], (
                f"{script_name}: {backend_name} differs from bwrap\n"
                f"{backend_name}: {got[script_name]}\nbwrap: {reference[script_name]}"
            )


def test_prompt_names_exactly_the_runtime_libraries() -> None:
    """The contract's "Use only ..." line is generated from sandbox/runtime.toml, and each
    library it names imports in the sandbox (the parity test's import list)."""
    from audioprobe.prompts import render_prompt
    from audioprobe.sandbox.rootfs import prompt_libraries
    from audioprobe.tiers import load_tier

    tier = load_tier("notes")
    prompt = render_prompt(tier, tier.items[0]).as_text()
    libraries = prompt_libraries()
    assert libraries == ["numpy", "scipy", "pydub", "pyo"]
    assert f"Use only {', '.join(libraries)} and the Python standard library." in prompt
    assert set(libraries) <= set(ALLOWED)


def test_an_environment_off_the_pins_is_refused_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A harness whose numpy is not the pinned one would build another world: the run stops
    before any trial, with one line naming the pip command."""
    from typer.testing import CliRunner

    from audioprobe.cli import app
    from audioprobe.sandbox import rootfs

    pinned = tmp_path / "runtime.toml"
    pinned.write_text(
        rootfs.RUNTIME_FILE.read_text().replace('numpy = "', 'numpy = "0.0.1" # was "', 1)
    )
    real_load = rootfs.RuntimeSpec.load
    monkeypatch.setattr(rootfs.RuntimeSpec, "load", classmethod(lambda cls: real_load(pinned)))
    script = tmp_path / "s.py"
    script.write_text("print(1)\n")
    result = CliRunner().invoke(app, ["sandbox", "run", str(script), "--backend", "bwrap"])
    assert result.exit_code != 0
    assert "pip install --no-deps numpy==0.0.1" in result.output
    assert "Traceback" not in result.output
