import numpy as np
from scipy import signal
from scipy.io import wavfile

sr = 16000
t = np.linspace(0, 2.0, 2 * sr, endpoint=False)
wave = 0.3 * signal.square(2 * np.pi * 220 * t, duty=0.3)
b, a = signal.butter(2, 3000, btype="low", fs=sr)
wave = signal.lfilter(b, a, wave)
wavfile.write("output.wav", sr, wave.astype(np.float32))
