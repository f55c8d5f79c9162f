import numpy as np
from scipy.io import wavfile

SR = 16000


def operator(freq, t, mod=0.0, index=0.0):
    return np.sin(2 * np.pi * freq * t + index * mod)


t = np.arange(int(SR * 2.5)) / SR
m = operator(880.0, t)
c = operator(440.0, t, mod=m, index=2.5)
env = np.exp(-3.0 * t)
wavfile.write("output.wav", SR, (0.5 * c * env).astype(np.float32))
