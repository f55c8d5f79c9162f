import numpy as np
from scipy.signal import butter, lfilter
from scipy.io import wavfile

sr = 16000
out = np.zeros(sr * 4)
b, a = butter(4, 900, btype="lowpass", fs=sr)
for step in range(7):
    start = int((0.3 + step * 0.5) * sr)
    length = int(0.12 * sr)
    burst = np.random.randn(length)
    burst *= np.linspace(1.0, 0.0, length) ** 2
    out[start:start + length] += lfilter(b, a, burst)
wavfile.write("output.wav", sr, (out / np.abs(out).max() * 0.8).astype(np.float32))
