import numpy as np
import soundfile as sf

fs = 16000
f = 220.0
N = int(round(fs / f))
y = np.zeros(fs * 2)
y[:N] = np.random.rand(N) * 2 - 1
for n in range(N + 1, len(y)):
    y[n] = 0.5 * (y[n - N] + y[n - N - 1]) * 0.997
sf.write("output.wav", y * 0.7, fs)
