import numpy as np
from scipy.io import wavfile

sr = 16000
t = np.arange(sr * 2) / sr
carrier = np.sin(2 * np.pi * 349.23 * t)
tremolo = 1.0 + 0.4 * np.sin(2 * np.pi * 6 * t)
out = 0.4 * carrier * tremolo
wavfile.write("output.wav", sr, out.astype(np.float32))
