from collections import deque
import random
import wave
import struct

sr = 16000
f0 = 110.0
period = int(sr / f0)
line = deque(random.uniform(-0.5, 0.5) for _ in range(period))
samples = []
for _ in range(sr * 2):
    first = line.popleft()
    new = 0.994 * 0.5 * (first + line[0])
    line.append(new)
    samples.append(first)
with wave.open("output.wav", "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(sr)
    w.writeframes(b"".join(struct.pack("<h", int(s * 32000)) for s in samples))
