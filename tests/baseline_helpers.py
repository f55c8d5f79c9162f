"""Tiny random-weight checkpoints for the baseline tests, built offline with the real classes.

Each is saved with save_pretrained, so the baselines load them through the same from_pretrained
path as the real Hub checkpoints; only the sizes differ (kilobytes instead of gigabytes).
"""

from __future__ import annotations

import json
from pathlib import Path

from audioprobe.tiers import load_all_tiers

# MusicGen tiny: 8 kHz EnCodec with hop 160 (50 frames a second, as the real 32 kHz one has),
# two codebooks, a one-layer decoder and a one-layer T5 text encoder.
TINY_SAMPLE_RATE = 8000
TINY_FRAME_RATE = 50


def tiny_t5_tokenizer():
    """A T5 tokenizer whose Unigram vocabulary is trained here on the tiers' captions."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import T5Tokenizer

    texts = [i.caption for tier in load_all_tiers().values() for i in tier.items]
    trainer = trainers.UnigramTrainer(
        vocab_size=120, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>"
    )
    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.train_from_iterator(texts, trainer)
    vocab = [tuple(v) for v in json.loads(tok.to_str())["model"]["vocab"]]
    return T5Tokenizer(vocab=vocab, extra_ids=0)


def build_tiny_musicgen(folder: Path) -> Path:
    from transformers import (
        EncodecConfig,
        EncodecFeatureExtractor,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        MusicgenProcessor,
        T5Config,
    )

    tokenizer = tiny_t5_tokenizer()
    text = T5Config(
        vocab_size=len(tokenizer), d_model=16, d_kv=4, d_ff=32, num_layers=1, num_heads=2
    )
    audio = EncodecConfig(
        sampling_rate=TINY_SAMPLE_RATE,
        audio_channels=1,
        target_bandwidths=[1.0],
        hidden_size=16,
        num_filters=4,
        num_residual_layers=1,
        upsampling_ratios=[8, 5, 4],
        codebook_size=32,
        codebook_dim=16,
        num_lstm_layers=1,
        compress=2,
    )
    decoder = MusicgenDecoderConfig(
        vocab_size=32,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        ffn_dim=32,
        num_codebooks=2,
        pad_token_id=32,
        bos_token_id=32,
        max_position_embeddings=512,
    )
    config = MusicgenConfig(text_encoder=text, audio_encoder=audio, decoder=decoder)
    MusicgenForConditionalGeneration(config).save_pretrained(folder)
    extractor = EncodecFeatureExtractor(feature_size=1, sampling_rate=TINY_SAMPLE_RATE)
    MusicgenProcessor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(folder)
    return folder


def build_tiny_speecht5(folder: Path, speaker_dim: int = 8) -> tuple[Path, Path]:
    """A tiny SpeechT5 (character sentencepiece model trained here) and a tiny HiFi-GAN.

    Returns (tts folder, vocoder folder); the tts folder holds a speaker_embedding.npy.
    """
    import numpy as np
    import sentencepiece as spm
    from transformers import (
        SpeechT5Config,
        SpeechT5FeatureExtractor,
        SpeechT5ForTextToSpeech,
        SpeechT5HifiGan,
        SpeechT5HifiGanConfig,
        SpeechT5Processor,
        SpeechT5Tokenizer,
    )

    tts, vocoder = folder / "tts", folder / "vocoder"
    tts.mkdir(parents=True)
    sentences = [i.speech.sentence for i in load_all_tiers()["speech"].items if i.speech]
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences * 4),
        model_prefix=str(folder / "spm_char"),
        model_type="char",
        vocab_size=40,
        character_coverage=1.0,
        bos_id=0,
        pad_id=1,
        eos_id=2,
        unk_id=3,
        minloglevel=2,
    )
    tokenizer = SpeechT5Tokenizer(str(folder / "spm_char.model"))
    mel_bins = 8
    config = SpeechT5Config(
        vocab_size=len(tokenizer),
        hidden_size=16,
        encoder_layers=1,
        encoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_layers=1,
        decoder_attention_heads=2,
        decoder_ffn_dim=32,
        num_mel_bins=mel_bins,
        speech_decoder_prenet_units=16,
        speech_decoder_postnet_layers=1,
        speech_decoder_postnet_units=16,
        speaker_embedding_dim=speaker_dim,
        reduction_factor=2,
        max_speech_positions=1024,
        max_text_positions=256,
    )
    SpeechT5ForTextToSpeech(config).save_pretrained(tts)
    extractor = SpeechT5FeatureExtractor(num_mel_bins=mel_bins)
    SpeechT5Processor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(tts)
    vocoder_config = SpeechT5HifiGanConfig(
        model_in_dim=mel_bins,
        upsample_initial_channel=16,
        upsample_rates=[4, 4],
        upsample_kernel_sizes=[8, 8],
        resblock_kernel_sizes=[3],
        resblock_dilation_sizes=[[1]],
        normalize_before=False,
        initializer_range=0.5,  # loud enough to pass the silence check
    )
    SpeechT5HifiGan(vocoder_config).save_pretrained(vocoder)
    rng = np.random.default_rng(0)
    np.save(tts / "speaker_embedding.npy", rng.standard_normal(speaker_dim).astype(np.float32))
    return tts, vocoder


def tiny_roberta_tokenizer(folder: Path):
    """A RoBERTa (byte-level BPE) tokenizer trained here on the tiers' captions."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaTokenizer

    texts = [i.caption for tier in load_all_tiers().values() for i in tier.items]
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        texts, vocab_size=300, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    )
    folder.mkdir(parents=True, exist_ok=True)
    bpe.save_model(str(folder))
    return RobertaTokenizer(
        str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=77
    )


def build_tiny_audioldm2(folder: Path) -> Path:
    """A tiny AudioLDM 2 pipeline (CLAP + T5 + GPT-2 + UNet + VAE + HiFi-GAN) saved with
    save_pretrained, in the layout of the cvssp/audioldm2 repo."""
    import torch
    from diffusers import (
        AudioLDM2Pipeline,
        AudioLDM2ProjectionModel,
        AudioLDM2UNet2DConditionModel,
        AutoencoderKL,
        DDIMScheduler,
    )
    from transformers import (
        ClapAudioConfig,
        ClapConfig,
        ClapFeatureExtractor,
        ClapModel,
        ClapTextConfig,
        GPT2Config,
        GPT2LMHeadModel,
        SpeechT5HifiGan,
        SpeechT5HifiGanConfig,
        T5Config,
        T5EncoderModel,
    )

    torch.manual_seed(0)
    roberta = tiny_roberta_tokenizer(folder / "_bpe")
    t5_tokenizer = tiny_t5_tokenizer()
    t5_tokenizer.model_max_length = 77
    clap_text = ClapTextConfig(
        vocab_size=len(roberta) + 2,
        hidden_size=16,
        intermediate_size=32,
        num_attention_heads=2,
        num_hidden_layers=1,
        bos_token_id=0,
        pad_token_id=1,
        eos_token_id=2,
        projection_dim=16,
    )
    clap_audio = ClapAudioConfig(
        spec_size=64,
        window_size=4,
        num_mel_bins=64,
        intermediate_size=32,
        depths=[1, 1],
        num_attention_heads=[2, 2],
        num_hidden_layers=2,
        hidden_size=32,
        projection_dim=16,
        patch_size=2,
        patch_stride=2,
        patch_embed_input_channels=4,
    )
    clap = ClapModel(ClapConfig(text_config=clap_text, audio_config=clap_audio, projection_dim=16))
    t5 = T5EncoderModel(
        T5Config(
            vocab_size=len(t5_tokenizer), d_model=32, d_ff=32, d_kv=8, num_heads=2, num_layers=1
        )
    )
    gpt2 = GPT2LMHeadModel(
        GPT2Config(n_embd=16, n_head=2, n_layer=1, vocab_size=100, n_positions=128)
    )
    gpt2.config.max_new_tokens = 4
    pipe = AudioLDM2Pipeline(
        vae=AutoencoderKL(
            block_out_channels=[8, 16],
            in_channels=1,
            out_channels=1,
            down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
            up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
            latent_channels=4,
            norm_num_groups=8,
        ),
        text_encoder=clap,
        text_encoder_2=t5,
        projection_model=AudioLDM2ProjectionModel(
            text_encoder_dim=16, text_encoder_1_dim=32, langauge_model_dim=16
        ),
        language_model=gpt2,
        tokenizer=roberta,
        tokenizer_2=t5_tokenizer,
        feature_extractor=ClapFeatureExtractor(),
        unet=AudioLDM2UNet2DConditionModel(
            block_out_channels=(8, 16),
            layers_per_block=1,
            norm_num_groups=8,
            sample_size=32,
            in_channels=4,
            out_channels=4,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
            cross_attention_dim=([None, 16, 32], [None, 16, 32]),
            attention_head_dim=4,
        ),
        scheduler=DDIMScheduler(
            beta_start=0.00085,
            beta_end=0.012,
            beta_schedule="scaled_linear",
            clip_sample=False,
            set_alpha_to_one=False,
        ),
        vocoder=SpeechT5HifiGan(
            SpeechT5HifiGanConfig(
                model_in_dim=8,
                sampling_rate=16000,
                upsample_initial_channel=16,
                upsample_rates=[8, 5, 4],  # hop 160: 100 mel frames a second, as the real one
                upsample_kernel_sizes=[16, 10, 8],
                resblock_kernel_sizes=[3],
                resblock_dilation_sizes=[[1]],
                normalize_before=False,
                initializer_range=0.5,
            )
        ),
    )
    pipe.save_pretrained(folder / "audioldm2")
    return folder / "audioldm2"
