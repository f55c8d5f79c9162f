from pyo import Server, Sine

s = Server(sr=16000, nchnls=1, duplex=0, audio="offline").boot()
s.recordOptions(dur=2.0, filename="output.wav", fileformat=0, sampletype=1)
tone = Sine(freq=440.0, mul=0.5).out()
s.start()
s.shutdown()
