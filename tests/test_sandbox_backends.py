"""What a script can do inside every available backend: the libraries models use must work, and
each way a script can end is recorded with the status the runner relies on."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from sandbox_helpers import TIGHT, backend_params, explain, run_script

from audioprobe.sandbox import Limits, SandboxUnavailable, get_backend, safe_output

BACKENDS = backend_params()


def _dominant_hz(path: Path) -> float:
    data, sr = sf.read(path, always_2d=True)
    mono = data.mean(axis=1)
    spectrum = np.abs(np.fft.rfft(mono))
    return float(np.fft.rfftfreq(len(mono), 1 / sr)[spectrum.argmax()])


@pytest.mark.parametrize("name", BACKENDS)
def test_numpy_scipy_script_writes_wav(name: str, tmp_path: Path) -> None:
    result = run_script(
        name,
        tmp_path,
        """
        import numpy as np
        from scipy.io import wavfile
        t = np.arange(16000) / 16000
        wavfile.write("output.wav", 16000, (0.5 * np.sin(2 * np.pi * 330 * t)).astype(np.float32))
        print("wrote")
        """,
    )
    assert result.status == "ok", explain(result)
    assert result.exit_code == 0 and "wrote" in result.stdout
    assert "output.wav" in result.files
    found, why = safe_output(tmp_path, "output.wav", 10_000_000)
    assert found is not None, why
    assert abs(_dominant_hz(found) - 330) < 2
    assert result.cpu_s is not None and result.cpu_s > 0
    assert result.peak_memory_mb is not None and result.peak_memory_mb > 1


@pytest.mark.parametrize("name", BACKENDS)
def test_model_style_pyo_script_renders_offline(name: str, tmp_path: Path) -> None:
    """The way models write pyo (plain Server().boot()) segfaults without a sound card; the
    sandbox makes it render to the file instead."""
    result = run_script(
        name,
        tmp_path,
        """
        from pyo import *
        s = Server().boot()
        a = Sine(freq=440, mul=0.3).out()
        s.recordOptions(dur=1.5, filename="output.wav", fileformat=0, sampletype=0)
        s.start()
        s.gui(locals())
        """,
    )
    assert result.status == "ok", explain(result)
    found, why = safe_output(tmp_path, "output.wav", 10_000_000)
    assert found is not None, why
    info = sf.info(found)
    assert 1.5 <= info.duration < 1.6
    assert abs(_dominant_hz(found) - 440) < 2


@pytest.mark.parametrize("name", BACKENDS)
def test_realtime_style_pyo_script_is_recorded(name: str, tmp_path: Path) -> None:
    """start(), recstart(f), sleep(d), recstop(): rendered offline for the time slept."""
    result = run_script(
        name,
        tmp_path,
        """
        import time
        from pyo import Server, Sine
        s = Server(nchnls=1).boot()
        s.start()
        osc = Sine(freq=220, mul=0.3).out()
        s.recstart("output.wav")
        time.sleep(0.5)
        s.recstop()
        s.stop()
        """,
    )
    assert result.status == "ok", explain(result)
    found, why = safe_output(tmp_path, "output.wav", 10_000_000)
    assert found is not None, why
    assert 0.45 < sf.info(found).duration < 1.0
    assert abs(_dominant_hz(found) - 220) < 3


@pytest.mark.parametrize("name", BACKENDS)
def test_pydub_finds_ffmpeg(name: str, tmp_path: Path) -> None:
    result = run_script(
        name,
        tmp_path,
        """
        import shutil
        from pydub import AudioSegment
        from pydub.generators import Sine
        print("ffmpeg at", shutil.which("ffmpeg"))
        Sine(440).to_audio_segment(duration=800).export("tone.mp3", format="mp3")
        back = AudioSegment.from_file("tone.mp3", format="mp3", codec="mp3")
        back.export("output.wav", format="wav")
        """,
    )
    assert result.status == "ok", explain(result)
    assert "ffmpeg at /" in result.stdout
    found, why = safe_output(tmp_path, "output.wav", 10_000_000)
    assert found is not None, why
    assert abs(_dominant_hz(found) - 440) < 3


@pytest.mark.parametrize("name", BACKENDS)
def test_exit_statuses(name: str, tmp_path: Path) -> None:
    failed = run_script(name, tmp_path / "a", "import sys\nprint('bye')\nsys.exit(3)\n")
    assert (failed.status, failed.exit_code) == ("runtime_error", 3), explain(failed)
    assert failed.stdout.strip() == "bye"

    raised = run_script(name, tmp_path / "b", "raise ValueError('model bug')\n")
    assert raised.status == "runtime_error", explain(raised)
    assert "ValueError: model bug" in raised.stderr

    slow = run_script(
        name,
        tmp_path / "c",
        "import time\ntime.sleep(30)\n",
        TIGHT.model_copy(update={"wall_s": 2}),
    )
    assert slow.status == "timeout", explain(slow)
    assert 1.9 < slow.wall_s < 8


def test_bwrap_failure_is_a_sandbox_error_not_a_script_fault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken sandbox must never be recorded as the model's runtime error."""
    from audioprobe.sandbox.bwrap import BwrapBackend

    reachable = Path(tempfile.mkdtemp())  # as root, the sandbox's own uid must reach bwrap
    reachable.chmod(0o755)
    fake = reachable / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: Creating new namespace failed' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("AUDIOPROBE_BWRAP", str(fake))
    work = tmp_path / "w"
    work.mkdir()
    (work / "script.py").write_text("print('hi')\n")
    try:
        result = BwrapBackend().run(work / "script.py", work, TIGHT)
    finally:
        shutil.rmtree(reachable)
    assert result.status == "sandbox_error", explain(result)
    assert "namespace failed" in result.reason


def test_script_outside_trial_folder_is_refused(tmp_path: Path) -> None:
    from audioprobe.sandbox.bwrap import BwrapBackend

    (tmp_path / "w").mkdir()
    (tmp_path / "evil.py").write_text("print(1)\n")
    result = BwrapBackend().run(tmp_path / "evil.py", tmp_path / "w", TIGHT)
    assert result.status == "sandbox_error"


def test_get_backend_names() -> None:
    assert get_backend("bwrap").name == "bwrap"
    assert get_backend("auto").name in ("docker", "bwrap")
    with pytest.raises(SandboxUnavailable, match="unknown sandbox backend"):
        get_backend("chroot")


def test_subprocess_backend_warns_and_still_limits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.warns(UserWarning, match="UNSAFE"):
        unsafe = get_backend("subprocess")
    assert "UNSAFE" in capsys.readouterr().err
    (tmp_path / "script.py").write_text("import numpy\nprint('x' * 100000)\n")
    result = unsafe.run(tmp_path / "script.py", tmp_path, Limits(output_bytes=1000))
    assert result.status == "killed" and "output limit" in result.reason
    assert len(result.stdout) < 1100
