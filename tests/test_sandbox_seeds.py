"""A render is a function of its script: the random sources a script leaves unseeded start from
fixed seeds in the sandbox (sandbox/shim/_audioprobe_seed.py), so the same answer gives the same
clip on every run and backend, and `audioprobe reproduce` can compare its numbers exactly."""

from __future__ import annotations

import hashlib
import os
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from sandbox_helpers import TIGHT, docker_engine_reason, explain

from audioprobe.sandbox import get_backend, safe_output

UNSEEDED = {
    "numpy": """
        import numpy as np
        from numpy.random import default_rng
        from scipy.io import wavfile
        a, b = default_rng(), np.random.default_rng()  # two unseeded generators
        x, y = a.standard_normal(8000), b.standard_normal(8000)
        print("independent", abs(float(np.corrcoef(x, y)[0, 1])) < 0.05)
        z = np.random.uniform(-1, 1, 8000)  # the legacy global state
        wavfile.write("output.wav", 16000, (0.2 * np.concatenate([x, y, z])).astype(np.float32))
        """,
    "pydub": """
        from pydub.generators import WhiteNoise  # draws from the random module
        WhiteNoise().to_audio_segment(duration=500, volume=-20).export("output.wav", format="wav")
        """,
    "pyo": """
        from pyo import Noise, Server
        s = Server(sr=16000, nchnls=1, duplex=0, audio="offline").boot()
        s.recordOptions(dur=0.5, filename="output.wav", fileformat=0, sampletype=1)
        Noise(mul=0.2).out()
        s.start()
        """,
    "seeded": """
        import numpy as np
        print("own seed", repr(float(np.random.default_rng(5).standard_normal())))
        np.random.seed(11)
        print("own legacy seed", repr(float(np.random.rand())))
        """,
}


def _backends() -> list[str]:
    names = ["bwrap"]
    if not docker_engine_reason() or os.environ.get("AUDIOPROBE_REQUIRE_DOCKER") == "1":
        names.append("docker")
    else:
        why = docker_engine_reason()
        warnings.warn(f"NO DOCKER ENGINE: seeds checked on bwrap only ({why})", stacklevel=2)
    return names


def _render(backend_name: str, code: str, work: Path) -> tuple[str, str | None]:
    work.mkdir(parents=True)
    (work / "script.py").write_text(textwrap.dedent(code))
    result = get_backend(backend_name).run(work / "script.py", work, TIGHT)
    assert result.status == "ok", explain(result)
    found, _ = safe_output(work, "output.wav", 64 << 20)
    return result.stdout, hashlib.sha256(found.read_bytes()).hexdigest() if found else None


@pytest.mark.parametrize("name", ["numpy", "pydub", "pyo"])
def test_an_unseeded_noise_script_renders_the_same_clip_every_time(
    tmp_path: Path, name: str
) -> None:
    renders = {
        (backend, attempt): _render(backend, UNSEEDED[name], tmp_path / backend / str(attempt))
        for backend in _backends()
        for attempt in (1, 2)
    }
    first = renders[("bwrap", 1)]
    assert first[1] is not None
    assert all(got == first for got in renders.values()), renders
    if name == "numpy":
        assert "independent True" in first[0]


def test_a_script_that_seeds_itself_gets_its_own_numbers(tmp_path: Path) -> None:
    stdout, _ = _render("bwrap", UNSEEDED["seeded"], tmp_path / "seeded")
    own = float(np.random.default_rng(5).standard_normal())
    np.random.seed(11)
    legacy = float(np.random.rand())
    assert f"own seed {own!r}" in stdout and f"own legacy seed {legacy!r}" in stdout, stdout
