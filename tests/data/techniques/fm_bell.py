import numpy as np
from scipy.io import wavfile

sr = 16000
dur = 3.0
t = np.arange(int(sr * dur)) / sr
carrier = 523.25
modulator = carrier * 1.4
index = 6.0 * np.exp(-t * 1.5)
bell = np.sin(2 * np.pi * carrier * t + index * np.sin(2 * np.pi * modulator * t))
bell *= np.exp(-t * 1.2)
wavfile.write("output.wav", sr, (0.6 * bell).astype(np.float32))
