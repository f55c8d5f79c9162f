from scipy.io import wavfile
import numpy as np

rate, data = wavfile.read("/usr/share/sounds/alsa/Front_Center.wav")
data = data.astype(np.float32) / 32768.0
wavfile.write("output.wav", rate, data)
