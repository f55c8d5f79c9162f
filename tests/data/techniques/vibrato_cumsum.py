import numpy as np
from scipy.io import wavfile

sr = 16000
t = np.arange(sr * 2) / sr
f0 = 196.0
inst_freq = f0 * (1 + 0.01 * np.sin(2 * np.pi * 5.5 * t))
phase = 2 * np.pi * np.cumsum(inst_freq) / sr
violin = sum(np.sin(k * phase) / k for k in range(1, 8))
attack = np.clip(t / 0.15, 0, 1)
wavfile.write("output.wav", sr, (0.3 * violin * attack).astype(np.float32))
