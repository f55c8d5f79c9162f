"""The audio check refuses files whose header lies before reading them, with bounded memory, and
names silent, DC-only and clipped signals."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audioprobe.audio_check import inspect_wav

SR = 16000


def _tone(seconds: float = 1.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(SR * seconds)) / SR
    return amp * np.sin(2 * np.pi * 440 * t)


def _riff(channels: int, rate: int, bits: int, data: bytes, claimed: int | None = None) -> bytes:
    """A PCM WAV written by hand, so the header can say what no library would write."""
    align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * align, align, bits)
    size = len(data) if claimed is None else claimed
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", size)
    return b"RIFF" + struct.pack("<I", (36 + size) & 0xFFFFFFFF) + body + data


def _hostile_files(folder: Path) -> dict[str, Path]:
    """The four liars of the issue, each named output.wav in its own folder."""
    files = {}
    flac = folder / "flac" / "output.wav"
    flac.parent.mkdir(parents=True)
    # 67 M frames of near silence in ~200 KB: read whole, it would take the harness past 500 MB
    with sf.SoundFile(flac, "w", 48000, 1, format="FLAC", subtype="PCM_16") as out:
        for _ in range(64):
            out.write(np.zeros(1 << 20, dtype=np.int16))
    files["flac"] = flac
    tone16 = (_tone() * 32767).astype("<i2").tobytes()
    for name, blob in {
        "rate1": _riff(1, 1, 16, tone16),
        "billion": _riff(1, SR, 16, tone16, claimed=2 * 10**9),
        "channels1000": _riff(1000, SR, 16, b"\0" * 2000 * 64),
        # a real answer's hand-written header: b"RIFF " (one space too many), sizes big-endian
        "riff-space": b"RIFF " + (22).to_bytes(4, "big") + b"WAVEfmt " + tone16,
    }.items():
        path = folder / name / "output.wav"
        path.parent.mkdir(parents=True)
        path.write_bytes(blob)
        files[name] = path
    return files


EXPECTED = {
    "flac": "not a WAV file (looks like FLAC)",
    "rate1": "sample rate 1 Hz is outside 8-192 kHz",
    "billion": "the header claims 1000000000 frames but the file holds 16000",
    "channels1000": "1000 channels; at most 2 are accepted",
    "riff-space": (
        "broken WAV header: RIFF is not followed by a size and 'WAVE' (bytes 8-12 are b'\\x16WAV')"
    ),
}


def test_lying_files_are_refused_with_a_reason_in_bounded_memory(tmp_path: Path) -> None:
    """Each file is judged in a fresh interpreter whose peak resident memory the kernel reports."""
    files = _hostile_files(tmp_path)
    probe = textwrap.dedent(
        """
        import json, sys
        from pathlib import Path
        from audioprobe.audio_check import inspect_wav, max_duration_s
        v = inspect_wav(Path(sys.argv[1]), max_duration_s(4.0))
        # VmHWM: this interpreter's own peak (ru_maxrss would carry over the forking parent's)
        hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:")][0]
        rss_mb = int(hwm.split()[1]) / 1024
        print(json.dumps({"problem": v.problem, "info": v.info is not None, "rss_mb": rss_mb}))
        """
    )
    for name, path in files.items():
        out = subprocess.run(
            ["prlimit", "--as=4000000000", sys.executable, "-c", probe, str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        got = json.loads(out.stdout)
        assert got["problem"] is not None and got["problem"].startswith(EXPECTED[name]), got
        assert got["rss_mb"] < 300, f"{name}: the check grew to {got['rss_mb']:.0f} MB"


def test_a_long_but_honest_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    sf.write(path, np.zeros(SR * 50, dtype=np.float32), SR)
    verdict = inspect_wav(path, max_duration=40)
    assert verdict.problem == "50.0 s of audio is over the 40 s limit for this clip"


def test_rf64_and_float_wavs_are_read(tmp_path: Path) -> None:
    rf64 = tmp_path / "rf64.wav"
    sf.write(rf64, _tone(), SR, format="RF64", subtype="PCM_24")
    verdict = inspect_wav(rf64)
    assert verdict.problem is None and verdict.info is not None
    assert verdict.info.frames == SR and verdict.info.clipping is None
    assert abs(verdict.info.peak - 0.5) < 1e-3


@pytest.mark.parametrize(
    ("signal", "subtype", "problem", "clipping"),
    [
        (np.full(SR, 0.5), "FLOAT", "audio is silent: a constant (DC) signal at 0.5", None),
        (0.5 + 1e-6 * _tone(), "DOUBLE", "audio is silent: a constant (DC) signal", None),
        (np.zeros(SR), "PCM_16", "audio is silent (peak 0.00e+00", None),
        (10000 * _tone(), "FLOAT", None, "float samples reach 5000, beyond full scale (1.0)"),
        (np.clip(4 * _tone(), -1, 1), "PCM_16", None, "of samples sit at full scale"),
        (_tone(), "PCM_16", None, None),
    ],
    ids=["dc", "near-constant", "zeros", "unscaled-float", "hard-clipped", "clean"],
)
def test_silence_dc_and_clipping_are_named(
    tmp_path: Path, signal: np.ndarray, subtype: str, problem: str | None, clipping: str | None
) -> None:
    path = tmp_path / "output.wav"
    sf.write(path, signal, SR, subtype=subtype)
    verdict = inspect_wav(path)
    assert verdict.info is not None
    if problem is None:
        assert verdict.problem is None
    else:
        assert verdict.problem is not None and verdict.problem.startswith(problem), verdict.problem
        assert verdict.info.silent
    if clipping is None:
        assert verdict.info.clipping is None
    else:
        assert verdict.info.clipping is not None and clipping in verdict.info.clipping


def test_headers_that_never_reach_the_data_are_refused(tmp_path: Path) -> None:
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, 1, SR, 2 * SR, 2, 16)
    cases = {
        "no data chunk": b"RIFF\0\0\0\0WAVE" + fmt,
        "oversized chunk": b"RIFF\0\0\0\0WAVE" + fmt + b"LIST" + struct.pack("<I", 2**31),
        "chunk flood": b"RIFF\0\0\0\0WAVE" + fmt + b"junk\0\0\0\0" * 100_000,
        "data first": b"RIFF\0\0\0\0WAVE" + b"data\2\0\0\0\0\0" + fmt,
    }
    expected = {
        "no data chunk": "broken WAV: no fmt and data chunks",
        "oversized chunk": "broken WAV: no fmt and data chunks",
        "chunk flood": "broken WAV: more than 1000 chunks before the data",
        "data first": "broken WAV: the data chunk comes before the fmt chunk",
    }
    for name, blob in cases.items():
        path = tmp_path / f"{name}.wav"
        path.write_bytes(blob)
        assert inspect_wav(path).problem == expected[name], name
