from pydub.generators import Square, Sine

tone = Square(440, sample_rate=16000).to_audio_segment(duration=2000, volume=-12)
sub = Sine(220, sample_rate=16000).to_audio_segment(duration=2000, volume=-18)
mix = tone.overlay(sub).set_channels(1).fade_out(300)
mix.export("output.wav", format="wav")
