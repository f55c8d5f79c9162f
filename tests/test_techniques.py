"""What a script used, from its syntax tree: imports, resolved library calls, technique families
(scoring/techniques.toml), on scripts written the ways models write them."""

from __future__ import annotations

import pytest

from audioprobe.errors import ConfigError
from audioprobe.techniques import load_rules, script_use

ADDITIVE = """
import numpy as np
from scipy.io import wavfile
t = np.linspace(0, 2, 32000, endpoint=False)
x = sum(np.sin(2 * np.pi * 440 * k * t) / k for k in range(1, 6))
wavfile.write("output.wav", 16000, x.astype(np.float32))
"""
NOISE_FILTER = """
import numpy as np
import scipy.signal as sps
from scipy.io.wavfile import write
noise = np.random.default_rng(0).standard_normal(80000)
b, a = sps.butter(4, 0.2)
write("output.wav", 16000, sps.lfilter(b, a, noise).astype(np.float32))
"""
FM_NUMPY = """
import numpy as np
t = np.arange(32000) / 16000
y = np.sin(2 * np.pi * 440 * t + 3.0 * np.sin(2 * np.pi * 220 * t))
"""
FM_PYO = """
from pyo import *
s = Server(sr=16000, nchnls=1, duplex=0, audio="offline").boot()
s.recordOptions(dur=2, filename="output.wav")
FM(carrier=440, ratio=0.5, index=5, mul=0.3).out()
s.start()
"""
KARPLUS = """
import numpy as np
sr, f0 = 16000, 220
n = sr // f0
out = np.zeros(sr * 2)
out[:n] = np.random.uniform(-1, 1, n)
for i in range(n + 1, len(out)):
    out[i] = 0.996 * 0.5 * (out[i - n] + out[i - n - 1])
"""
CIRCULAR = """
import numpy as np
buf = np.random.rand(100)
out = []
j = 0
for _ in range(32000):
    out.append(buf[j])
    buf[j] = 0.5 * (buf[j] + buf[(j + 1) % 100])
    j = (j + 1) % 100
"""
PHASE_ACCUMULATOR = """
import numpy as np
f = 440 + 5 * np.arange(32000) / 32000
phase = np.zeros(32000)
for i in range(1, 32000):
    phase[i] = phase[i - 1] + 2 * np.pi * f[i] / 16000
"""
FORMANTS = """
import numpy as np
from scipy import signal
src = np.sign(np.sin(2 * np.pi * 120 * np.arange(16000) / 16000))
out = np.zeros_like(src)
for lo, hi in [(600, 800), (1000, 1300), (2400, 2700)]:
    b, a = signal.butter(2, [lo, hi], btype="bandpass", fs=16000)
    out += signal.lfilter(b, a, src)
"""
PLAYBACK = """
from pydub import AudioSegment
AudioSegment.from_file("dog.mp3").export("output.wav", format="wav")
"""
OWN_SINE = """
from pyo import *
def Sine(x):
    return x
Sine(3)
"""


def test_imports_and_calls_are_resolved_through_aliases():
    use = script_use(NOISE_FILTER)
    assert use.imports == ("numpy", "scipy.io.wavfile", "scipy.signal")
    assert "scipy.signal.butter" in use.calls and "scipy.signal.lfilter" in use.calls
    assert "numpy.random.default_rng" in use.calls
    assert "scipy.io.wavfile.write" in use.calls
    assert use.families == ("noise + filters",)


@pytest.mark.parametrize(
    ("code", "family"),
    [
        (ADDITIVE, "sine oscillators"),
        (FM_NUMPY, "FM"),
        (FM_PYO, "FM"),
        (KARPLUS, "Karplus-Strong"),
        (CIRCULAR, "Karplus-Strong"),
        (FORMANTS, "formant filters"),
        (PLAYBACK, "sample playback"),
    ],
)
def test_each_family_is_recognised(code, family):
    assert family in script_use(code).families


def test_look_alikes_are_not_families():
    assert "Karplus-Strong" not in script_use(PHASE_ACCUMULATOR).families
    assert "FM" not in script_use(ADDITIVE).families
    assert "envelopes" not in script_use(ADDITIVE).families  # linspace is a time axis
    assert "formant filters" not in script_use(NOISE_FILTER).families  # one low-pass
    own = script_use(OWN_SINE)  # a function of its own shadows pyo's star import
    assert "pyo.Sine" not in own.calls and own.families == ()


def test_star_import_names_resolve_to_the_library():
    assert {"pyo.FM", "pyo.Server"} <= set(script_use(FM_PYO).calls)


def test_a_script_that_does_not_parse_says_why():
    use = script_use("def broken(:\n")
    assert use.problem and use.problem.startswith("SyntaxError")
    assert use.families == () and use.calls == ()


def test_an_unknown_pattern_in_the_rules_is_a_one_line_error(tmp_path):
    rules = tmp_path / "techniques.toml"
    rules.write_text('[[family]]\nname = "x"\npatterns = ["telepathy"]\n')
    with pytest.raises(ConfigError, match=r"unknown pattern.*telepathy"):
        load_rules(rules)
