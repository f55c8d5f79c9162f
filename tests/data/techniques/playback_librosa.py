import librosa
import soundfile as sf

y, sr = librosa.load("speech_sample.wav", sr=16000)
y = librosa.effects.time_stretch(y, rate=1.1)
sf.write("output.wav", y, sr)
