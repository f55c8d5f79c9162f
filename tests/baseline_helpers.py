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
