import numpy as np
from scipy.io import wavfile

sr = 16000
t = np.arange(int(sr * 1.5)) / sr
pitch = 150 * np.exp(-t * 8) + 50
phase = 2 * np.pi * np.cumsum(pitch) / sr
kick = np.sin(phase) * np.exp(-t * 6)
wavfile.write("output.wav", sr, (0.9 * kick).astype(np.float32))
