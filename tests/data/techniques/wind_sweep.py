import numpy as np
from scipy import signal
import soundfile as sf

sr = 16000
n = sr * 5
noise = np.random.normal(0, 1, n)
block = 1024
out = np.zeros(n)
zi = None
for start in range(0, n, block):
    centre = 400 + 300 * np.sin(2 * np.pi * 0.2 * start / sr)
    b, a = signal.butter(2, [centre * 0.7, centre * 1.3], btype="band", fs=sr)
    chunk = noise[start:start + block]
    out[start:start + block] = signal.lfilter(b, a, chunk)
out = 0.5 * out / np.max(np.abs(out))
sf.write("output.wav", out, sr)
