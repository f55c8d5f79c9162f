import numpy as np
from scipy.signal import sawtooth, butter, sosfilt
from scipy.io import wavfile

sr = 16000
dur = 2.0
f0 = 233.08
t = np.arange(int(sr * dur)) / sr
raw = sawtooth(2 * np.pi * f0 * t)
sos = butter(4, 1800, "lowpass", fs=sr, output="sos")
brass = sosfilt(sos, raw)
env = np.ones_like(t)
a = int(0.08 * sr)
env[:a] = np.linspace(0, 1, a)
env[-int(0.3 * sr):] = np.linspace(1, 0, int(0.3 * sr))
wavfile.write("output.wav", sr, (0.5 * brass * env).astype(np.float32))
