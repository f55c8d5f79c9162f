import numpy as np
from scipy.signal import chirp
from scipy.io import wavfile

sr = 16000
out = np.zeros(sr * 3)
for k in range(6):
    start = int(k * 0.45 * sr)
    t = np.arange(int(0.15 * sr)) / sr
    call = chirp(t, f0=3000, f1=5500, t1=t[-1], method="quadratic")
    call *= np.hanning(len(t))
    out[start:start + len(t)] += call
wavfile.write("output.wav", sr, (0.5 * out).astype(np.float32))
