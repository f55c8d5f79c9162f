from pydub.generators import WhiteNoise

rumble = WhiteNoise(sample_rate=16000).to_audio_segment(duration=5000, volume=-10)
rumble = rumble.low_pass_filter(200).fade_in(500).fade_out(2500)
rumble.set_channels(1).export("output.wav", format="wav")
