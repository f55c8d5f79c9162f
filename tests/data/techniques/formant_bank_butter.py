import numpy as np
from scipy.signal import butter, sosfilt, sawtooth
import soundfile as sf

fs = 16000
t = np.arange(fs * 2) / fs
buzz = sawtooth(2 * np.pi * 140 * t)
speech = np.zeros_like(buzz)
vowel_a = {"F1": 800, "F2": 1200, "F3": 2500}
for name, centre in vowel_a.items():
    sos = butter(2, [centre * 0.9, centre * 1.1], btype="bandpass", fs=fs, output="sos")
    speech += sosfilt(sos, buzz)
sf.write("output.wav", 0.5 * speech / np.abs(speech).max(), fs)
