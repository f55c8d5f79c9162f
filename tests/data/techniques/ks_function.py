import numpy as np
from scipy.io import wavfile


def pluck(freq, seconds, sr=16000, decay=0.995):
    period = int(sr / freq)
    wavetable = (2 * np.random.randint(0, 2, period) - 1).astype(float)
    samples = []
    current = 0
    previous = 0.0
    for _ in range(int(seconds * sr)):
        wavetable[current] = decay * 0.5 * (wavetable[current] + previous)
        samples.append(wavetable[current])
        previous = samples[-1]
        current = (current + 1) % period
    return np.array(samples)


note = pluck(329.63, 2.0)
wavfile.write("output.wav", 16000, (note * 0.8).astype(np.float32))
