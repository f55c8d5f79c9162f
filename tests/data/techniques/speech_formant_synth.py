import numpy as np
from scipy import signal
from scipy.io import wavfile

sr = 16000
vowels = {"a": (730, 1090, 2440), "i": (270, 2290, 3010), "u": (300, 870, 2240)}
seq = ["a", "i", "u", "a"]
seg = int(0.25 * sr)
out = []
for v in seq:
    t = np.arange(seg) / sr
    src = signal.sawtooth(2 * np.pi * 120 * t)
    y = np.zeros(seg)
    for formant in vowels[v]:
        b, a = signal.butter(2, [formant * 0.85, formant * 1.15], btype="bandpass", fs=sr)
        y += signal.lfilter(b, a, src)
    y *= np.hanning(seg)
    out.append(y)
speech = np.concatenate(out)
wavfile.write("output.wav", sr, (0.5 * speech / np.abs(speech).max()).astype(np.float32))
