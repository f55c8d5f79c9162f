import numpy as np
from scipy.io import wavfile
from scipy.signal import butter, lfilter

sr = 16000
duration = 5.0
rng = np.random.default_rng(0)
noise = rng.standard_normal(int(sr * duration))
b, a = butter(4, [400 / (sr / 2), 6000 / (sr / 2)], btype="band")
rain = lfilter(b, a, noise)
drops = np.zeros_like(rain)
for t in rng.integers(0, len(rain) - 400, 300):
    drops[t:t + 400] += np.exp(-np.arange(400) / 60.0) * rng.uniform(0.2, 1.0)
signal = rain * 0.3 + lfilter(b, a, drops * rng.standard_normal(len(drops))) * 0.5
signal /= np.max(np.abs(signal))
wavfile.write("output.wav", sr, (signal * 0.8 * 32767).astype(np.int16))
