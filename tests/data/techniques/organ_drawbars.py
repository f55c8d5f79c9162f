import numpy as np
from scipy.io.wavfile import write

fs = 16000
f = 130.81
dur = 2.0
t = np.arange(int(fs * dur)) / fs
drawbars = {0.5: 0.8, 1: 1.0, 2: 0.7, 3: 0.4, 4: 0.5, 6: 0.2, 8: 0.3}
organ = sum(level * np.cos(2 * np.pi * f * ratio * t) for ratio, level in drawbars.items())
attack = np.minimum(t / 0.05, 1.0)
release = np.clip((dur - t) / 0.2, 0, 1)
organ = organ * attack * release
organ = organ / np.abs(organ).max() * 0.7
write("output.wav", fs, organ.astype(np.float32))
