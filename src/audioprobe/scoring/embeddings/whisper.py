"""Whisper base encoder states as an audio embedding (offline, CTranslate2).

Each clip is padded with zeros to Whisper's 30 s window, turned into Whisper's log-mel input, and
encoded; the 512-d states of the frames that cover the real audio (50 per second) are kept, so the
padding never dilutes the mean. Clips over 30 s are encoded in 30 s windows.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from audioprobe.scoring.asr import WHISPER_SR, load_whisper, whisper_import_problem
from audioprobe.scoring.embeddings.base import Embedding
from audioprobe.weights import Location

WINDOW = 30 * WHISPER_SR
SAMPLES_PER_FRAME = 320  # mel hop 160, then the encoder's stride-2 convolution


class WhisperEncoder(Embedding):
    name = "whisper-base"
    weights = "whisper-base"
    sample_rate = WHISPER_SR
    dim = 512
    pooling = "mean over encoder frames (20 ms) that cover the clip; 30 s padding excluded"
    min_samples = SAMPLES_PER_FRAME
    batch_size = 4

    def _import_check(self) -> str | None:
        return whisper_import_problem()

    def _load(self, found: Location) -> Any:
        return load_whisper(self.weights, self.device, "float32")

    def _embed_frames(self, model: Any, clips: list[np.ndarray]) -> list[np.ndarray]:
        import ctranslate2

        windows: list[tuple[int, np.ndarray]] = []  # (clip index, audio of at most 30 s)
        for i, clip in enumerate(clips):
            for start in range(0, len(clip), WINDOW):
                windows.append((i, clip[start : start + WINDOW]))
        feats = np.stack(
            [
                model.feature_extractor(np.pad(w, (0, WINDOW - len(w))), padding=0)
                for _, w in windows
            ]
        ).astype(np.float32)
        states = np.asarray(
            model.model.encode(ctranslate2.StorageView.from_array(feats), to_cpu=True)
        )
        per_clip: list[list[np.ndarray]] = [[] for _ in clips]
        for (i, w), s in zip(windows, states, strict=True):
            per_clip[i].append(s[: min(s.shape[0], math.ceil(len(w) / SAMPLES_PER_FRAME))])
        return [np.concatenate(parts) for parts in per_clip]
