import numpy as np
from scipy.io import wavfile
from scipy.signal import sawtooth

sr = 16000
freq = 329.63
t = np.arange(sr * 2) / sr
tri = sawtooth(2 * np.pi * freq * t, width=0.5)
wavfile.write("output.wav", sr, (0.4 * tri).astype(np.float32))
