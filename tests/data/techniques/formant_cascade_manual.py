import numpy as np
from scipy.io import wavfile

sr = 16000
n = sr * 2
f0 = 110.0
t = np.arange(n) / sr
glottal = 2 * ((f0 * t) % 1.0) - 1


def resonator(x, freq, bw):
    r = np.exp(-np.pi * bw / sr)
    c1 = 2 * r * np.cos(2 * np.pi * freq / sr)
    c2 = -r * r
    y = np.zeros_like(x)
    for i in range(2, len(x)):
        y[i] = x[i] + c1 * y[i - 1] + c2 * y[i - 2]
    return y


out = glottal
for f, b in [(660, 80), (1700, 100), (2400, 120)]:
    out = resonator(out, f, b)
out /= np.max(np.abs(out))
wavfile.write("output.wav", sr, out.astype(np.float32))
