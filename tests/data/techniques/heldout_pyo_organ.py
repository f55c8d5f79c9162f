from pyo import *

s = Server(sr=16000, nchnls=1, duplex=0, audio="offline").boot()
s.recordOptions(dur=2, filename="output.wav", fileformat=0, sampletype=1)
env = Fader(fadein=0.05, fadeout=0.3, dur=2, mul=0.3).play()
ranks = [Sine(freq=261.63 * r, mul=env / (i + 1)) for i, r in enumerate([0.5, 1, 2, 3])]
Mix(ranks, voices=1).out()
s.start()
