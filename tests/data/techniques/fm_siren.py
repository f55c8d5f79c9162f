import numpy as np
from scipy.io import wavfile

sr = 16000
t = np.arange(sr * 4) / sr
lfo = np.sin(2 * np.pi * 0.5 * t)
freq = 700 + 400 * lfo
phase = np.cumsum(2 * np.pi * freq / sr)
siren = 0.5 * np.sign(np.sin(phase)) * 0.5 + 0.5 * np.sin(phase)
wavfile.write("output.wav", sr, siren.astype(np.float32))
