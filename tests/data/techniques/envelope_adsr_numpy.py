import numpy as np
from scipy.io import wavfile

sr = 16000
dur = 2.0
n = int(sr * dur)
t = np.arange(n) / sr
tone = np.sin(2 * np.pi * 293.66 * t) + 0.3 * np.sin(2 * np.pi * 587.33 * t)
a, d, s_level, r = int(0.02 * sr), int(0.2 * sr), 0.6, int(0.5 * sr)
env = np.concatenate([
    np.linspace(0, 1, a),
    np.linspace(1, s_level, d),
    np.full(n - a - d - r, s_level),
    np.linspace(s_level, 0, r),
])
wavfile.write("output.wav", sr, (0.5 * tone * env).astype(np.float32))
