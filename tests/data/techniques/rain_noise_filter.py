import numpy as np
from scipy import signal
from scipy.io import wavfile

sr = 16000
dur = 5.0
rng = np.random.default_rng(7)
noise = np.random.randn(int(sr * dur))
b, a = signal.butter(3, [800, 6000], btype="bandpass", fs=sr)
rain = signal.lfilter(b, a, noise)
drops = np.zeros_like(rain)
idx = np.random.randint(0, len(drops), 400)
drops[idx] = np.random.uniform(0.3, 1.0, 400)
drops = signal.lfilter([1.0], [1.0, -0.9], drops)
out = 0.3 * rain + 0.4 * drops
out /= np.abs(out).max()
wavfile.write("output.wav", sr, out.astype(np.float32))
