import numpy as np
from scipy.io import wavfile

sr = 16000
n = sr * 4
spectrum = np.random.randn(n // 2 + 1) + 1j * np.random.randn(n // 2 + 1)
freqs = np.fft.rfftfreq(n, 1 / sr)
shape = 1.0 / np.maximum(freqs, 50.0) ** 0.8
shape[freqs > 5000] *= 0.1
ocean = np.fft.irfft(spectrum * shape, n)
swell = 0.6 + 0.4 * np.sin(2 * np.pi * 0.15 * np.arange(n) / sr)
ocean = ocean * swell
ocean /= np.abs(ocean).max()
wavfile.write("output.wav", sr, (ocean * 0.8).astype(np.float32))
