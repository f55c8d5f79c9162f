import numpy as np
import soundfile as sf

fs = 16000
t = np.arange(2 * fs) / fs
fc, fm, beta = 440.0, 110.0, 3.0
mod = beta * np.sin(2 * np.pi * fm * t)
phase = 2 * np.pi * fc * t + mod
y = 0.5 * np.sin(phase)
sf.write("output.wav", y, fs)
