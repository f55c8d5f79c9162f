import numpy as np
from scipy.signal import iirpeak, lfilter, square
from scipy.io import wavfile

fs = 16000
t = np.arange(fs * 2) / fs
pulse = square(2 * np.pi * 110 * t, duty=0.1)
F = [(270, 60), (2290, 90), (3010, 120)]
ee = sum(lfilter(*iirpeak(f, f / bw, fs=fs), pulse) for f, bw in F)
wavfile.write("output.wav", fs, (0.3 * ee / np.abs(ee).max()).astype(np.float32))
