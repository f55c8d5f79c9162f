import random
import wave
import struct

sr = 16000
n = sr * 3
y = [0.0] * n
alpha = 0.02
for i in range(1, n):
    x = random.uniform(-1, 1)
    y[i] = y[i - 1] + alpha * (x - y[i - 1])
peak = max(abs(v) for v in y) or 1.0
with wave.open("output.wav", "w") as f:
    f.setnchannels(1)
    f.setsampwidth(2)
    f.setframerate(sr)
    f.writeframes(b"".join(struct.pack("<h", int(v / peak * 20000)) for v in y))
