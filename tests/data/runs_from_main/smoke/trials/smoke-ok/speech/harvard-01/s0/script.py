import numpy as np
from pydub import AudioSegment

sr = 16000
duration = 3.5
t = np.arange(int(sr * duration)) / sr
f0 = 120 + 20 * np.sin(2 * np.pi * 1.5 * t)
phase = 2 * np.pi * np.cumsum(f0) / sr
voice = sum(np.sin(k * phase) / k for k in range(1, 30))
envelope = 0.5 + 0.5 * np.sign(np.sin(2 * np.pi * 3 * t))
samples = (voice * envelope / np.max(np.abs(voice)) * 0.6 * 32767).astype(np.int16)
segment = AudioSegment(samples.tobytes(), frame_rate=sr, sample_width=2, channels=1)
segment.export("output.wav", format="wav")
