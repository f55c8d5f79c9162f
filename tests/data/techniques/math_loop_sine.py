import math
import struct
import wave

rate = 16000
freq = 392.0
n = rate * 2
frames = bytearray()
for i in range(n):
    value = 0.6 * math.sin(2 * math.pi * freq * i / rate)
    frames += struct.pack("<h", int(value * 32767))
with wave.open("output.wav", "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(rate)
    w.writeframes(bytes(frames))
