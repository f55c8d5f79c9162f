import numpy as np
from scipy.io import wavfile

sr = 16000
duration = 2.0
f0 = 261.63
t = np.linspace(0, duration, int(sr * duration), endpoint=False)
partials = [1.0, 0.5, 0.33, 0.25, 0.2, 0.12]
signal = np.zeros_like(t)
for k, amp in enumerate(partials, start=1):
    signal += amp * np.sin(2 * np.pi * f0 * k * t) * np.exp(-t * (1.5 + 0.8 * k))
signal /= np.max(np.abs(signal))
wavfile.write("output.wav", sr, (signal * 0.8 * 32767).astype(np.int16))
