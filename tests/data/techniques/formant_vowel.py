import numpy as np
from scipy import signal
from scipy.io import wavfile

sr = 16000
f0 = 120
n = sr * 2
source = np.zeros(n)
source[:: sr // f0] = 1.0
formants = [(730, 90), (1090, 110), (2440, 170)]
voice = np.zeros(n)
for freq, bw in formants:
    b, a = signal.iirpeak(freq, freq / bw, fs=sr)
    voice += signal.lfilter(b, a, source)
voice /= np.abs(voice).max()
wavfile.write("output.wav", sr, (0.7 * voice).astype(np.float32))
