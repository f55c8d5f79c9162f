import numpy as np
from scipy.io import wavfile

sr = 16000
dur = 4
t = np.linspace(0, dur, sr * dur, endpoint=False)
rpm = 40 + 5 * np.sin(2 * np.pi * 0.3 * t)
hum = np.zeros_like(t)
for h in range(1, 9):
    hum += np.cos(2 * np.pi * rpm * h * t) / h
rumble = np.random.randn(len(t)) * 0.05
out = hum + rumble
out = out / np.max(np.abs(out)) * 0.7
wavfile.write("output.wav", sr, out.astype(np.float32))
