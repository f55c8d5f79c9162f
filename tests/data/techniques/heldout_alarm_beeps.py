import numpy as np
import wave

rate = 16000
beep = np.sin(2 * np.pi * 1000 * np.arange(int(0.2 * rate)) / rate)
gap = np.zeros(int(0.1 * rate))
pattern = np.concatenate([beep, gap] * 10)
pcm = (pattern * 0.5 * 32767).astype("<i2")
with wave.open("output.wav", "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(rate)
    w.writeframes(pcm.tobytes())
