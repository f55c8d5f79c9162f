import numpy as np
import soundfile as sf

SAMPLE_RATE = 16000
DURATION = 2
FREQ = 440.0

t = np.arange(int(SAMPLE_RATE * DURATION)) / SAMPLE_RATE
tone = 0.5 * np.sin(2 * np.pi * FREQ * t)
sf.write("output.wav", tone.astype(np.float32), SAMPLE_RATE)
