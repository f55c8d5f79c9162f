import numpy as np
from scipy.io import wavfile

sr = 16000
freq = 164.81
n = int(sr / freq)
buf = np.random.uniform(-1, 1, n)
out = np.zeros(sr * 2)
for i in range(len(out)):
    out[i] = buf[i % n]
    buf[i % n] = 0.996 * 0.5 * (buf[i % n] + buf[(i + 1) % n])
wavfile.write("output.wav", sr, out.astype(np.float32))
