import numpy as np
from scipy.signal import butter, filtfilt
from scipy.io import wavfile

sr = 16000
dur = 4
rumble = np.random.standard_normal(sr * dur)
b, a = butter(2, 300 / (sr / 2), btype="low")
rumble = filtfilt(b, a, rumble) * 0.4
crackle = np.zeros(sr * dur)
for pos in np.random.randint(0, sr * dur - 200, 150):
    crackle[pos:pos + 200] += np.random.uniform(-1, 1, 200) * np.exp(-np.arange(200) / 20)
b2, a2 = butter(2, 2000 / (sr / 2), btype="high")
crackle = filtfilt(b2, a2, crackle)
out = rumble + crackle
wavfile.write("output.wav", sr, (out / np.abs(out).max()).astype(np.float32))
