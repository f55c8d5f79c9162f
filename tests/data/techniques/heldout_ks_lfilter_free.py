import numpy as np
import soundfile as sf

sr = 16000
freq = 146.83
delay = int(sr / freq)
total = sr * 2
string = np.zeros(total + delay)
string[:delay] = np.random.uniform(-1, 1, delay)
for n in range(delay, total + delay):
    string[n] = 0.498 * (string[n - delay] + string[n - delay + 1])
sf.write("output.wav", string[delay:] * 0.8, sr)
