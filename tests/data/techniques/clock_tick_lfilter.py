import numpy as np
from scipy.signal import lfilter
from scipy.io import wavfile

sr = 16000
out = np.zeros(sr * 4)
click = np.random.randn(80) * np.exp(-np.arange(80) / 10.0)
for beat in range(8):
    pos = int(beat * 0.5 * sr)
    out[pos:pos + 80] += click
r = 0.995
w = 2 * np.pi * 2500 / sr
body = lfilter([1 - r], [1, -2 * r * np.cos(w), r * r], out)
wavfile.write("output.wav", sr, (body / np.abs(body).max() * 0.8).astype(np.float32))
