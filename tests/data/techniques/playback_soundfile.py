import soundfile as sf
import numpy as np

audio, sr = sf.read("dog_bark.wav")
audio = np.tile(audio, 2)
sf.write("output.wav", audio, sr)
